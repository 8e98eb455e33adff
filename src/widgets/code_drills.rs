//! Chapter 9's code drills, runnable: the reader picks a drill, reads its Rust (the very function in
//! `crates/sim/src/drills.rs`, highlighted at build time), and presses Run to execute it on a fresh cluster built
//! from the seed. The output is what the core returned, line for line.

use sim::drills::{self, Drill};
use yew::prelude::*;

use crate::player::Choice;

// `DRILL_CODE`: (drill id, highlighted HTML of its function), written by `build.rs`.
include!(concat!(env!("OUT_DIR"), "/drills.rs"));

const TITLE: &str = "Code drills, run on the simulation core";
/// The seed a reader starts with; the browser test's fixture is computed for it.
pub const DEFAULT_SEED: u64 = 42;
/// Seeds are whole numbers in this range, so the field stays short and any value means the same everywhere.
pub const SEED_MAX: u64 = 999_999;

#[derive(Properties, PartialEq)]
pub struct CodeDrillsProps {
    pub chapter: &'static str,
}

/// The seed the reader typed, checked: the number to run with and, if the input needed fixing, why.
pub fn parse_seed(text: &str) -> (u64, Option<String>) {
    let trimmed = text.trim();
    match trimmed.parse::<u64>() {
        Ok(seed) if seed <= SEED_MAX => (seed, None),
        Ok(_) => (SEED_MAX, Some(format!("Seeds go up to {SEED_MAX}; ran with {SEED_MAX}."))),
        Err(_) if trimmed.starts_with('-') && trimmed[1..].parse::<u64>().is_ok() => {
            (0, Some("Seeds cannot be negative; ran with 0.".to_owned()))
        }
        Err(_) if trimmed.chars().all(|c| c.is_ascii_digit()) && !trimmed.is_empty() => {
            (SEED_MAX, Some(format!("Seeds go up to {SEED_MAX}; ran with {SEED_MAX}.")))
        }
        Err(_) => (
            DEFAULT_SEED,
            Some(format!("“{trimmed}” is not a whole number; ran with the default seed {DEFAULT_SEED}.")),
        ),
    }
}

#[derive(Clone, PartialEq)]
struct Ran {
    drill: Drill,
    seed: u64,
    lines: Vec<String>,
    notice: Option<String>,
}

#[function_component(CodeDrillsSim)]
pub fn code_drills_sim(_props: &CodeDrillsProps) -> Html {
    let drill = use_state(|| Drill::Quorum);
    let seed_text = use_state(|| DEFAULT_SEED.to_string());
    let ran = use_state(|| None::<Ran>);

    let on_drill = {
        let drill = drill.clone();
        let ran = ran.clone();
        Callback::from(move |value: AttrValue| {
            if let Some(d) = Drill::from_id(&value) {
                drill.set(d);
                ran.set(None);
            }
        })
    };
    let on_seed = {
        let seed_text = seed_text.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            seed_text.set(input.value());
        })
    };
    let on_run = {
        let (drill, seed_text, ran) = (drill.clone(), seed_text.clone(), ran.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (seed, notice) = parse_seed(&seed_text);
            if notice.is_some() {
                seed_text.set(seed.to_string());
            }
            ran.set(Some(Ran { drill: *drill, seed, lines: drills::run(*drill, seed), notice }));
        })
    };

    let code = DRILL_CODE.iter().find(|(id, _)| *id == drill.id()).map(|(_, html)| *html).unwrap_or_default();
    let status = match &*ran {
        Some(r) => format!("Ran “{}” with seed {}: {} lines of output.", r.drill.title(), r.seed, r.lines.len()),
        None => "Press Run to execute this drill on a fresh simulated cluster.".to_owned(),
    };
    html! {
        <figure class="sim code-drills" aria-label={TITLE}>
            <figcaption>
                <span class="sim-kicker">{ "Code drills" }</span>
                <span class="sim-title">{ TITLE }</span>
            </figcaption>
            <form class="sim-settings drill-form" onsubmit={on_run}>
                <Choice label="Drill" value={AttrValue::from(drill.id())} onchange={on_drill}
                    options={Drill::ALL.iter().map(|d| (AttrValue::from(d.id()), AttrValue::from(d.title()))).collect::<Vec<_>>()} />
                <div class="choice-input drill-seed">
                    <label for="code-drill-seed">{ format!("Seed (0 to {SEED_MAX})") }</label>
                    <input id="code-drill-seed" type="text" inputmode="numeric" value={(*seed_text).clone()} oninput={on_seed} />
                </div>
                <button type="submit" class="primary">{ "Run" }</button>
            </form>
            <p class="sim-note">{ "The Rust below is the drill's own function in the simulation core (crates/sim/src/drills.rs); Run calls it." }</p>
            <pre class="code drill-code" data-lang="rust" tabindex="0" aria-label={format!("Rust source of the drill: {}", drill.title())}>
                <code>{ Html::from_html_unchecked(AttrValue::from(code)) }</code>
            </pre>
            <div class="drill-output" role="status" aria-live="polite">
                <p class="drill-status">{ status }</p>
                { for ran.as_ref().and_then(|r| r.notice.clone()).map(|n| html! { <p class="notice">{ n }</p> }) }
                { for ran.as_ref().map(|r| html! {
                    <pre class="drill-result" aria-label="Output">{ r.lines.join("\n") }</pre>
                }) }
            </div>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_clamped_with_a_reason() {
        assert_eq!(parse_seed(" 7 "), (7, None));
        assert_eq!(parse_seed("1000000").0, SEED_MAX);
        assert_eq!(parse_seed("99999999999999999999999").0, SEED_MAX);
        assert_eq!(parse_seed("-3"), (0, Some("Seeds cannot be negative; ran with 0.".to_owned())));
        assert_eq!(parse_seed("abc").0, DEFAULT_SEED);
        assert!(parse_seed("").1.is_some());
        // Every drill has its code on the page.
        for d in Drill::ALL {
            assert!(DRILL_CODE.iter().any(|(id, html)| *id == d.id() && html.contains("pub")), "{d:?}");
        }
    }
}
