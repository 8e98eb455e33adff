//! Flashcard review: today's cards one at a time — read the front, recall, flip, grade. The schedule is SM-2
//! (`study::sm2`); what is due is worked out from the saved progress on every render, so a graded card simply
//! leaves today's queue and the next one takes its place.

use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlSelectElement};
use yew::prelude::*;

use crate::content::{self, CHAPTERS};
use crate::progress::{self, use_progress, ProgressAction, ProgressNotice};
use crate::study::sm2::{self, Answer, Day};
use crate::study::{self, Card, CARDS};

#[function_component(ReviewPage)]
pub fn review_page() -> Html {
    use_effect_with((), |_| super::set_title(Some("Review flashcards")));
    let progress = use_progress();
    let body = study::use_body();
    let ready = matches!(body, Some(Ok(_)));
    let filter = use_state(String::new);
    let flipped = use_state(|| false);
    let announcement = use_state(String::new);
    let region = use_node_ref();
    let today = progress::today();

    let in_filter = {
        let filter = (*filter).clone();
        move |card: &&Card| filter.is_empty() || card.chapter == filter
    };
    let queue = study::session(CARDS.iter().filter(in_filter.clone()), &progress.progress, today);
    let counts = study::counts(CARDS.iter().filter(in_filter.clone()), &progress.progress, today);
    let current = queue.first().copied();

    let focus_region = {
        let region = region.clone();
        move || {
            if let Some(element) = region.cast::<HtmlElement>() {
                let _ = element.focus();
            }
        }
    };

    let flip = {
        let flipped = flipped.clone();
        let announcement = announcement.clone();
        let focus_region = focus_region.clone();
        Callback::from(move |()| {
            flipped.set(!*flipped);
            announcement.set(if *flipped { "Showing the question." } else { "Showing the answer." }.to_owned());
            focus_region();
        })
    };

    let grade = {
        let progress = progress.clone();
        let flipped = flipped.clone();
        let announcement = announcement.clone();
        let focus_region = focus_region.clone();
        Callback::from(move |answer: Answer| {
            let Some(card) = current else { return };
            let next = sm2::review(progress.progress.cards.get(card.id), answer.grade(), today);
            progress.dispatch(ProgressAction::Review { card: card.id.to_owned(), grade: answer.grade(), today });
            flipped.set(false);
            announcement.set(format!("{}: you will see this card again {}.", answer.label(), when(next.due, today)));
            focus_region();
        })
    };

    let onkeydown = {
        let flip = flip.clone();
        let grade = grade.clone();
        let flipped = flipped.clone();
        let announcement = announcement.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.ctrl_key() || e.meta_key() || e.alt_key() || typing_in(&e) || current.is_none() || !ready {
                return;
            }
            let answer = match e.key().as_str() {
                " " | "Spacebar" => {
                    e.prevent_default();
                    flip.emit(());
                    return;
                }
                "1" => Answer::Again,
                "2" => Answer::Hard,
                "3" => Answer::Good,
                "4" => Answer::Easy,
                _ => return,
            };
            e.prevent_default();
            if *flipped {
                grade.emit(answer);
            } else {
                announcement.set("Show the answer first: press Space.".to_owned());
            }
        })
    };

    let on_filter = {
        let filter = filter.clone();
        let flipped = flipped.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<HtmlSelectElement>() {
                filter.set(select.value());
                flipped.set(false);
            }
        })
    };

    let scope = if filter.is_empty() {
        "any chapter".to_owned()
    } else {
        content::chapter(&filter).map_or_else(|| "this chapter".to_owned(), |c| format!("chapter {}", c.number))
    };

    let text = |id: &str| match &body {
        Some(Ok(b)) => b.card(id).cloned(),
        _ => None,
    };
    let card_view = match current {
        Some(_) if body.is_none() => html! { <p class="loading" role="status">{ "Loading the flashcards…" }</p> },
        Some(_) if matches!(body, Some(Err(_))) => {
            let message = body.clone().and_then(Result::err).unwrap_or_default();
            html! { <p class="notice" role="alert">{ message }</p> }
        }
        Some(card) => {
            let text = text(card.id).unwrap_or_else(|| study::CardText {
                id: card.id.to_owned(),
                front_html: "<p>This card is missing from the downloaded deck: reload the page.</p>".to_owned(),
                back_html: String::new(),
            });
            let chapter = content::chapter(card.chapter);
            let buttons = Answer::ALL.iter().enumerate().map(|(i, &answer)| {
                let next = sm2::review(progress.progress.cards.get(card.id), answer.grade(), today);
                let grade = grade.clone();
                html! {
                    <button type="button" class={classes!("grade", answer.label().to_lowercase())}
                        onclick={Callback::from(move |_| grade.emit(answer))}>
                        <span class="grade-label">{ answer.label() }</span>
                        <span class="grade-when">{ interval_text(next.interval_days) }</span>
                        <kbd aria-hidden="true">{ i + 1 }</kbd>
                    </button>
                }
            });
            let flip_click = {
                let flip = flip.clone();
                Callback::from(move |_| flip.emit(()))
            };
            html! {
                <>
                    <p class="flashcard-meta">
                        { chapter.map(|c| format!("Chapter {} · {}", c.number, c.title)).unwrap_or_default() }
                        { format!(" — 1 of {} today", queue.len()) }
                        { (!progress.progress.cards.contains_key(card.id)).then_some(" · new card") }
                    </p>
                    <div class={classes!("flashcard", flipped.then_some("flipped"))}>
                        <div class="flashcard-front">
                            <h2 class="visually-hidden">{ "Question" }</h2>
                            { Html::from_html_unchecked(AttrValue::from(text.front_html.clone())) }
                        </div>
                        { flipped.then(|| html! {
                            <div class="flashcard-back">
                                <h2 class="visually-hidden">{ "Answer" }</h2>
                                { Html::from_html_unchecked(AttrValue::from(text.back_html.clone())) }
                            </div>
                        }) }
                    </div>
                    if *flipped {
                        <div class="grade-buttons" role="group" aria-label="How well did you remember it?">
                            { for buttons }
                        </div>
                    } else {
                        <button type="button" class="flip" onclick={flip_click}>
                            { "Show the answer" }<kbd aria-hidden="true">{ "Space" }</kbd>
                        </button>
                    }
                </>
            }
        }
        None => {
            let next = study::next_due(CARDS.iter().filter(in_filter), &progress.progress, today);
            html! {
                <p class="review-done">
                    { format!("Nothing is due in {scope} today. ") }
                    { match next {
                        Some(day) => format!("The next card is due {}.", when(day, today)),
                        None => "There are no cards here to schedule.".to_owned(),
                    } }
                </p>
            }
        }
    };

    html! {
        <article class="page review">
            <h1>{ "Review flashcards" }</h1>
            <p class="lede">
                { "Recall the answer before you look, then say how it went. Cards you know come back after longer \
                   and longer gaps (1 day, 6 days, then growing); cards you miss come back tomorrow." }
            </p>
            <ProgressNotice />
            <div class="review-toolbar">
                <label for="review-chapter">{ "Cards from" }</label>
                <select id="review-chapter" onchange={on_filter}>
                    <option value="" selected={filter.is_empty()}>{ format!("All chapters ({} cards)", CARDS.len()) }</option>
                    { for CHAPTERS.iter().map(|c| {
                        let total = study::cards_of(c.slug).count();
                        html! {
                            <option value={c.slug} selected={*filter == c.slug}>
                                { format!("{}. {} ({total})", c.number, c.title) }
                            </option>
                        }
                    }) }
                </select>
            </div>
            <dl class="review-counts" aria-label="Cards in this selection">
                <div><dt>{ "Due" }</dt><dd>{ counts.due }</dd></div>
                <div><dt>{ "New" }</dt><dd>{ counts.new }</dd></div>
                <div><dt>{ "Learned" }</dt><dd>{ counts.learned }</dd></div>
                <div><dt>{ "Mastered" }</dt><dd>{ counts.mastered }</dd></div>
            </dl>
            <section class="review-region" tabindex="0" ref={region} {onkeydown}
                aria-label="Flashcard" aria-describedby="review-keys">
                { card_view }
                <p id="review-keys" class="review-keys">
                    { "Keyboard, while this card has focus: Space shows the answer; 1 Again, 2 Hard, 3 Good, 4 Easy." }
                </p>
            </section>
            <p class="review-status" role="status">{ (*announcement).clone() }</p>
        </article>
    }
}

/// True when the key went to a text field or a select, where typing must not flip or grade.
fn typing_in(e: &KeyboardEvent) -> bool {
    let Some(target) = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return false };
    matches!(target.tag_name().to_ascii_lowercase().as_str(), "input" | "textarea" | "select")
        || target.get_attribute("contenteditable").is_some()
}

fn interval_text(days: u32) -> String {
    match days {
        1 => "1 day".to_owned(),
        d => format!("{d} days"),
    }
}

const WEEKDAYS: [&str; 7] = ["Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday", "Wednesday"];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "tomorrow", "in 6 days (Thursday 10 December)".
pub fn when(day: Day, today: Day) -> String {
    let (_, month, date) = day.ymd();
    let weekday = WEEKDAYS[day.0.rem_euclid(7) as usize];
    let named = format!("{weekday} {date} {}", MONTHS[month as usize - 1]);
    match day.0 - today.0 {
        i32::MIN..=0 => "today".to_owned(),
        1 => format!("tomorrow ({named})"),
        n => format!("in {n} days ({named})"),
    }
}
