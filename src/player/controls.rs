//! The transport bar: play/pause, step back, step forward, timeline scrubber, speed, reset, seed.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::SPEEDS;

#[derive(Properties, PartialEq, Clone)]
pub struct PlayerControlsProps {
    pub playing: bool,
    pub speed: f64,
    pub seed: u64,
    pub now_ms: u64,
    pub horizon_ms: u64,
    pub at_start: bool,
    pub at_end: bool,
    pub on_toggle: Callback<()>,
    pub on_step: Callback<()>,
    pub on_back: Callback<()>,
    pub on_seek: Callback<u64>,
    pub on_speed: Callback<f64>,
    pub on_reset: Callback<()>,
    pub on_seed: Callback<u64>,
}

/// Seconds with two decimals: "3.25 s".
pub fn seconds(ms: u64) -> String {
    format!("{}.{:02} s", ms / 1000, (ms % 1000) / 10)
}

/// Parses a seed typed by the reader: a whole number in 0..=u64::MAX, surrounding spaces allowed.
pub fn parse_seed(text: &str) -> Result<u64, String> {
    text.trim().parse::<u64>().map_err(|_| format!("A seed is a whole number from 0 to {}.", u64::MAX))
}

#[function_component(PlayerControls)]
pub fn player_controls(props: &PlayerControlsProps) -> Html {
    let id = use_memo((), |_| super::unique_id());
    let seed_problem = use_state(|| None::<String>);
    let scrub_id = format!("scrub-{id}");
    let speed_id = format!("speed-{id}");
    let seed_id = format!("seed-{id}");
    let seed_help_id = format!("seed-help-{id}");

    let on_scrub = {
        let on_seek = props.on_seek.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                if let Ok(ms) = input.value().parse::<u64>() {
                    on_seek.emit(ms);
                }
            }
        })
    };
    let on_speed = {
        let on_speed = props.on_speed.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<HtmlSelectElement>() {
                if let Ok(speed) = select.value().parse::<f64>() {
                    on_speed.emit(speed);
                }
            }
        })
    };
    let on_seed = {
        let on_seed = props.on_seed.clone();
        let seed_problem = seed_problem.clone();
        let current = props.seed;
        Callback::from(move |e: Event| {
            let Some(input) = e.target_dyn_into::<HtmlInputElement>() else { return };
            match parse_seed(&input.value()) {
                Ok(seed) => {
                    seed_problem.set(None);
                    on_seed.emit(seed);
                }
                Err(problem) => {
                    seed_problem.set(Some(format!("{problem} Kept seed {current}.")));
                    input.set_value(&current.to_string());
                }
            }
        })
    };
    let click = |cb: &Callback<()>| {
        let cb = cb.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let time_text = format!("{} of {}", seconds(props.now_ms), seconds(props.horizon_ms));
    html! {
        <div class="player-controls">
            <div class="transport" role="group" aria-label="Playback">
                <button type="button" onclick={click(&props.on_back)} disabled={props.at_start} aria-keyshortcuts="ArrowLeft">
                    <span aria-hidden="true">{ "◀ " }</span>{ "Step back" }
                </button>
                <button type="button" class="primary" onclick={click(&props.on_toggle)} aria-keyshortcuts="Space">
                    { if props.playing { "Pause" } else if props.at_end { "Replay" } else { "Play" } }
                </button>
                <button type="button" onclick={click(&props.on_step)} disabled={props.at_end} aria-keyshortcuts="ArrowRight">
                    { "Step" }<span aria-hidden="true">{ " ▶" }</span>
                </button>
                <button type="button" onclick={click(&props.on_reset)}>{ "Reset" }</button>
            </div>
            <div class="scrubber">
                <label for={scrub_id.clone()}>{ "Timeline" }</label>
                <input id={scrub_id} type="range" min="0" max={props.horizon_ms.to_string()} step="1"
                    value={props.now_ms.to_string()} aria-valuetext={time_text.clone()} oninput={on_scrub} />
                <span class="clock" aria-hidden="true">{ time_text }</span>
            </div>
            <div class="settings">
                <label for={speed_id.clone()}>{ "Speed" }</label>
                <select id={speed_id} onchange={on_speed}>
                    { for SPEEDS.iter().map(|s| html! {
                        <option value={s.to_string()} selected={(*s - props.speed).abs() < 1e-9}>{ format!("{s}×") }</option>
                    }) }
                </select>
                <label for={seed_id.clone()}>{ "Seed" }</label>
                <input id={seed_id} class="seed" type="text" inputmode="numeric" value={props.seed.to_string()}
                    onchange={on_seed} aria-describedby={seed_help_id.clone()} />
                <span id={seed_help_id} class="seed-help">
                    { seed_problem.as_ref().map_or("Same seed, same run.".to_owned(), |p| p.clone()) }
                </span>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_or_explain() {
        assert_eq!(parse_seed(" 42 "), Ok(42));
        assert_eq!(parse_seed("18446744073709551615"), Ok(u64::MAX));
        assert!(parse_seed("-1").is_err());
        assert!(parse_seed("18446744073709551616").is_err());
        assert!(parse_seed("abc").is_err());
    }

    #[test]
    fn seconds_read_naturally() {
        assert_eq!(seconds(0), "0.00 s");
        assert_eq!(seconds(3_250), "3.25 s");
        assert_eq!(seconds(30_000), "30.00 s");
    }
}
