//! A checkpoint: the reader commits to an answer, then reveals the model answer. Numeric and choice answers are
//! checked exactly; free answers are graded by the reader against the model answer.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::content::{Checkpoint, CheckpointKind, Show};
use crate::progress::{use_progress, Grade, ProgressAction};

#[derive(Properties, PartialEq)]
pub struct CheckpointProps {
    pub checkpoint: Checkpoint,
    pub chapter: &'static str,
}

/// Parses what the reader typed ("150,000", "150000 reads/sec", "1.5e5") and compares it with the answer.
/// Returns `None` when the text holds no number.
pub fn check_numeric(input: &str, answer: f64, tolerance: f64) -> Option<bool> {
    let cleaned: String = input.chars().filter(|c| !matches!(c, ',' | '_' | ' ')).collect();
    let number_end = cleaned
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || ((c == 'e' || c == 'E') && i > 0)))
        .map_or(cleaned.len(), |(i, _)| i);
    let mut value: f64 = cleaned[..number_end].parse().ok()?;
    // Accept the common shorthand "150K" / "1.5M".
    match cleaned[number_end..].chars().next() {
        Some('k' | 'K') => value *= 1e3,
        Some('m' | 'M') if !cleaned[number_end..].to_lowercase().starts_with("ms") => value *= 1e6,
        _ => {}
    }
    Some((value - answer).abs() <= tolerance.max(answer.abs() * 1e-9))
}

#[function_component(CheckpointView)]
pub fn checkpoint_view(props: &CheckpointProps) -> Html {
    let c = &props.checkpoint;
    let progress = use_progress();
    let revealed = use_state(|| false);
    let verdict = use_state(|| None::<Result<bool, String>>);
    let text = use_state(String::new);
    let choice = use_state(|| None::<usize>);
    let previous = progress.chapter(props.chapter).checkpoints.get(&c.id).copied();
    let input_id = format!("cp-{}-input", c.id);
    let heading_id = format!("cp-{}-title", c.id);

    let record = {
        let progress = progress.clone();
        let chapter = props.chapter.to_owned();
        let id = c.id.clone();
        move |grade: Grade| {
            progress.dispatch(ProgressAction::Answer { chapter: chapter.clone(), checkpoint: id.clone(), grade })
        }
    };

    let on_text = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                text.set(input.value());
            } else if let Some(area) = e.target_dyn_into::<HtmlTextAreaElement>() {
                text.set(area.value());
            }
        })
    };

    let on_check = {
        let verdict = verdict.clone();
        let revealed = revealed.clone();
        let text = text.clone();
        let choice = choice.clone();
        let record = record.clone();
        let kind = c.kind.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let result = match &kind {
                CheckpointKind::Numeric { answer, tolerance, .. } => match check_numeric(&text, *answer, *tolerance) {
                    Some(ok) => Ok(ok),
                    None => Err("Type a number first, for example 150000 or 150K.".to_owned()),
                },
                CheckpointKind::Choice { answer, .. } => match *choice {
                    Some(picked) => Ok(picked == *answer),
                    None => Err("Pick one of the options first.".to_owned()),
                },
                CheckpointKind::Free => {
                    revealed.set(true);
                    return;
                }
            };
            if let Ok(ok) = result {
                record(if ok { Grade::Right } else { Grade::Wrong });
                revealed.set(true);
            }
            verdict.set(Some(result));
        })
    };

    let reveal = {
        let revealed = revealed.clone();
        Callback::from(move |_| revealed.set(true))
    };

    let shown = use_state(|| None::<Result<String, String>>);
    let show_me = c.show.clone().map(|show| {
        let shown = shown.clone();
        let show = Rc::new(show);
        Callback::from(move |_| {
            let shown = shown.clone();
            let done = Callback::from(move |result| shown.set(Some(result)));
            show_in_simulation(show.clone(), 0, done);
        })
    });

    let answer_form = match &c.kind {
        CheckpointKind::Numeric { unit, .. } => html! {
            <div class="answer-input">
                <label for={input_id.clone()}>{ "Your answer" }{ (!unit.is_empty()).then(|| format!(" ({unit})")) }</label>
                <input id={input_id.clone()} type="text" inputmode="decimal" autocomplete="off" value={(*text).clone()} oninput={on_text.clone()} />
            </div>
        },
        CheckpointKind::Choice { options, .. } => html! {
            <fieldset class="answer-choices">
                <legend>{ "Choose one" }</legend>
                { for options.iter().enumerate().map(|(i, option)| {
                    let choice = choice.clone();
                    let id = format!("cp-{}-option-{i}", c.id);
                    html! {
                        <div class="choice">
                            <input type="radio" id={id.clone()} name={format!("cp-{}", c.id)} checked={*choice == Some(i)}
                                onchange={Callback::from(move |_| choice.set(Some(i)))} />
                            <label for={id}>{ option.clone() }</label>
                        </div>
                    }
                }) }
            </fieldset>
        },
        CheckpointKind::Free => html! {
            <div class="answer-input">
                <label for={input_id.clone()}>{ "Your answer (for yourself: it is not sent anywhere)" }</label>
                <textarea id={input_id.clone()} rows="3" value={(*text).clone()} oninput={on_text.clone()} />
            </div>
        },
    };

    let button_text = match c.kind {
        CheckpointKind::Free => "Reveal the model answer",
        _ => "Check my answer",
    };

    let feedback = match &*verdict {
        Some(Ok(true)) => html! { <p class="verdict right">{ "✓ Right." }</p> },
        Some(Ok(false)) => {
            html! { <p class="verdict wrong">{ "✗ Not quite — compare with the model answer below." }</p> }
        }
        Some(Err(message)) => html! { <p class="verdict hint">{ message.clone() }</p> },
        None => html! {},
    };

    let self_grade = matches!(c.kind, CheckpointKind::Free) && *revealed;
    let grade_buttons = self_grade.then(|| {
        let right = {
            let record = record.clone();
            Callback::from(move |_| record(Grade::Right))
        };
        let wrong = Callback::from(move |_| record(Grade::Wrong));
        html! {
            <div class="self-grade" role="group" aria-label="Grade yourself">
                <span>{ "How did you do?" }</span>
                <button type="button" onclick={right} aria-pressed={(previous == Some(Grade::Right)).to_string()}>{ "I had it" }</button>
                <button type="button" onclick={wrong} aria-pressed={(previous == Some(Grade::Wrong)).to_string()}>{ "I missed something" }</button>
            </div>
        }
    });

    html! {
        <section class="checkpoint" aria-labelledby={heading_id.clone()}>
            <h3 class="checkpoint-title" id={heading_id}>{ c.title.clone() }
                { previous.map(|g| html! { <span class="checkpoint-status">{ match g { Grade::Right => " · answered ✓", Grade::Wrong => " · answered, worth another look" } }</span> }) }
            </h3>
            <div class="checkpoint-question">{ Html::from_html_unchecked(AttrValue::from(c.question_html.clone())) }</div>
            <form class="checkpoint-form" onsubmit={on_check}>
                { answer_form }
                <div class="checkpoint-actions">
                    <button type="submit">{ button_text }</button>
                    { (!*revealed && !matches!(c.kind, CheckpointKind::Free)).then(|| html! {
                        <button type="button" class="secondary" onclick={reveal}>{ "Just show me" }</button>
                    }) }
                </div>
            </form>
            <div aria-live="polite">{ feedback }</div>
            { (*revealed).then(|| html! {
                <div class="model-answer">
                    <h4>{ "Model answer" }</h4>
                    { Html::from_html_unchecked(AttrValue::from(c.answer_html.clone())) }
                    { show_me.clone().map(|onclick| html! {
                        <div class="show-me">
                            <button type="button" {onclick}>{ "Show me in the simulation" }</button>
                            <p aria-live="polite">
                                { match &*shown {
                                    Some(Ok(message)) => html! { <span class="verdict right">{ message.clone() }</span> },
                                    Some(Err(message)) => html! { <span class="verdict hint">{ message.clone() }</span> },
                                    None => html! {},
                                } }
                            </p>
                        </div>
                    }) }
                </div>
            }) }
            { grade_buttons }
        </section>
    }
}

/// How long to wait between two settings, so the simulation re-renders (a new N changes the range of W and R)
/// before the next one is applied.
const SHOW_STEP_MS: u32 = 60;

/// Sets the simulation on this page the way `show` says — each setting through the control with that label, as
/// if the reader had moved it — one setting per step, then brings the simulation into view and focuses it.
/// Reports what it did, or why it could not.
fn show_in_simulation(show: Rc<Show>, next: usize, done: Callback<Result<String, String>>) {
    let document = crate::app::gloo_utils_document();
    let figure = document.query_selector(&format!(".sim-slot[data-sim=\"{}\"] figure", show.sim)).ok().flatten();
    let Some(figure) = figure else {
        done.emit(Err("The simulation is still loading; try again in a moment.".to_owned()));
        return;
    };
    let Some((label, value)) = show.settings.get(next) else {
        if let Ok(figure) = figure.dyn_into::<HtmlElement>() {
            figure.scroll_into_view();
            let _ = figure.focus();
        }
        let what: Vec<String> = show.settings.iter().map(|(l, v)| format!("{l}: {v}")).collect();
        done.emit(Ok(format!("The simulation is set: {}.", what.join(", "))));
        return;
    };
    let labels = figure.get_elements_by_tag_name("label");
    let control = (0..labels.length())
        .filter_map(|i| labels.item(i))
        .find(|l| l.text_content().is_some_and(|t| t.trim() == label))
        .and_then(|l| l.get_attribute("for"))
        .and_then(|id| document.get_element_by_id(&id));
    let Some(control) = control else {
        done.emit(Err(format!("The simulation has no control labelled {label:?}.")));
        return;
    };
    if let Some(input) = control.dyn_ref::<HtmlInputElement>() {
        input.set_value(value);
    } else if let Some(select) = control.dyn_ref::<HtmlSelectElement>() {
        select.set_value(value);
    }
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    for kind in ["input", "change"] {
        if let Ok(event) = web_sys::Event::new_with_event_init_dict(kind, &init) {
            let _ = control.dispatch_event(&event);
        }
    }
    gloo_timers::callback::Timeout::new(SHOW_STEP_MS, move || show_in_simulation(show, next + 1, done)).forget();
}
