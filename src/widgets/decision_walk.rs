//! A decision walk (chapters 8 and 9): one question at a time, answered with buttons, until a recommendation
//! with its reasoning. "Back" and "Start over" undo; the answers so far stay listed; focus moves to each new
//! question, and a live region says what changed. The walks themselves are data, in `decisions.rs`.

use yew::prelude::*;

use crate::progress::{use_progress, ProgressAction};
use crate::widgets::decisions::{Answer, Step, StepKind, Walk};
use crate::widgets::presets;

/// The reader's answers: (question id, index of the answer chosen), in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Path {
    pub answers: Vec<(&'static str, usize)>,
}

impl Path {
    /// The step the reader is on: the start, or where the last answer led. `None` if the data is broken.
    pub fn current(&self, walk: &Walk) -> Option<&'static Step> {
        match self.answers.last() {
            None => walk.step(walk.start),
            Some((id, i)) => walk.step(chosen(walk, id, *i)?.next),
        }
    }

    /// Answers `index` to the current question; anything else (a stale click, a recommendation) is ignored.
    pub fn answer(&self, walk: &Walk, index: usize) -> Path {
        let mut next = self.clone();
        if let Some(Step { id, kind: StepKind::Question { answers, .. } }) = self.current(walk) {
            if index < answers.len() {
                next.answers.push((id, index));
            }
        }
        next
    }

    pub fn back(&self) -> Path {
        let mut next = self.clone();
        next.answers.pop();
        next
    }
}

fn chosen(walk: &Walk, id: &str, index: usize) -> Option<&'static Answer> {
    match &walk.step(id)?.kind {
        StepKind::Question { answers, .. } => answers.get(index),
        StepKind::Recommendation { .. } => None,
    }
}

fn question_text(step: &Step) -> &'static str {
    match &step.kind {
        StepKind::Question { text, .. } => text,
        StepKind::Recommendation { title, .. } => title,
    }
}

/// What the live region says about the step the reader is now on.
pub fn announcement(walk: &Walk, path: &Path, moved: Move) -> String {
    let Some(step) = path.current(walk) else { return "This walk has a broken step; start over.".to_owned() };
    let number = path.answers.len() + 1;
    let here = match &step.kind {
        StepKind::Question { text, .. } => format!("Question {number}: {text}"),
        StepKind::Recommendation { title, .. } => format!("Recommendation: {title}."),
    };
    let last = path.answers.last().and_then(|(id, i)| chosen(walk, id, *i));
    match (moved, last) {
        (Move::Answered, Some(a)) => format!("You answered {}. {here}", a.label),
        (Move::Back, _) => format!("Back to question {number}. {here}"),
        (Move::StartedOver, _) => format!("Started over. {here}"),
        _ => here,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    None,
    Answered,
    Back,
    StartedOver,
}

#[derive(Properties, PartialEq)]
pub struct DecisionWalkProps {
    pub walk: &'static Walk,
    pub chapter: &'static str,
}

#[function_component(DecisionWalk)]
pub fn decision_walk(props: &DecisionWalkProps) -> Html {
    let walk = props.walk;
    let progress = use_progress();
    let state = use_state(|| (Path::default(), Move::None));
    let heading = use_node_ref();
    // Focus follows the reader's moves, never the first render: opening the chapter must not jump to the walk.
    {
        let heading = heading.clone();
        use_effect_with((*state).clone(), move |(_, moved)| {
            if *moved != Move::None {
                if let Some(h) = heading.cast::<web_sys::HtmlElement>() {
                    let _ = h.focus();
                }
            }
        });
    }
    let (path, moved) = (*state).clone();
    let go = {
        let state = state.clone();
        let chapter = props.chapter.to_owned();
        move |next: Path, moved: Move| {
            progress.dispatch(ProgressAction::TriedSimulation { chapter: chapter.clone(), name: walk.name.into() });
            state.set((next, moved));
        }
    };
    let back = {
        let (go, path) = (go.clone(), path.clone());
        Callback::from(move |_: MouseEvent| go(path.back(), Move::Back))
    };
    let start_over = {
        let go = go.clone();
        Callback::from(move |_: MouseEvent| go(Path::default(), Move::StartedOver))
    };

    let answered = html! {
        <ol class="walk-path">
            { for path.answers.iter().filter_map(|(id, i)| Some((walk.step(id)?, chosen(walk, id, *i)?))).map(|(step, a)| html! {
                <li>
                    <span class="walk-asked">{ question_text(step) }</span>{ " " }
                    <strong>{ a.label }</strong>
                    { (!a.settles.is_empty()).then(|| html! { <span class="walk-settles">{ format!(" — {}", a.settles) }</span> }) }
                </li>
            }) }
        </ol>
    };
    let number = path.answers.len() + 1;
    let body = match path.current(walk) {
        None => {
            html! { <p class="notice" role="alert">{ "This walk has a broken step. Start over to begin again." }</p> }
        }
        Some(Step { kind: StepKind::Question { text, help, answers }, .. }) => html! {
            <div class="walk-step">
                <h3 class="walk-question" tabindex="-1" ref={heading.clone()}>{ format!("Question {number}: {text}") }</h3>
                { (!help.is_empty()).then(|| html! { <p class="sim-note">{ *help }</p> }) }
                <div class="walk-answers" role="group" aria-label="Answers">
                    { for answers.iter().enumerate().map(|(i, a)| {
                        let (go, path) = (go.clone(), path.clone());
                        let onclick = Callback::from(move |_: MouseEvent| go(path.answer(walk, i), Move::Answered));
                        html! { <button type="button" class="primary" {onclick}>{ a.label }</button> }
                    }) }
                </div>
            </div>
        },
        Some(Step { kind: StepKind::Recommendation { title, reasoning, presets: shown }, .. }) => html! {
            <div class="walk-step walk-recommendation">
                <h3 class="walk-question" tabindex="-1" ref={heading.clone()}>{ format!("Recommendation: {title}") }</h3>
                <p>{ *reasoning }</p>
                <p>{ walk.closing }</p>
                { (!shown.is_empty()).then(|| html! {
                    <>
                        <p class="sim-note">{ "See it in a simulation:" }</p>
                        <ul class="walk-links">
                            { for shown.iter().filter_map(|name| presets::find(name)).map(|p| html! {
                                <li><a href={p.href()}>{ format!("{}: {}", p.database, p.label) }</a></li>
                            }) }
                        </ul>
                    </>
                }) }
            </div>
        },
    };

    html! {
        <figure class="sim decision-walk" aria-label={walk.title}>
            <figcaption>
                <span class="sim-kicker">{ "Decision walk" }</span>
                <span class="sim-title">{ walk.title }</span>
            </figcaption>
            { (!path.answers.is_empty()).then(|| html! {
                <div class="sim-panel">
                    <h3>{ "Your answers so far" }</h3>
                    { answered }
                </div>
            }) }
            { body }
            <div class="sim-actions" role="group" aria-label="Walk controls">
                <button type="button" onclick={back} disabled={path.answers.is_empty()}>{ "Back" }</button>
                <button type="button" onclick={start_over} disabled={path.answers.is_empty()}>{ "Start over" }</button>
            </div>
            <p class="narration" role="status">{ announcement(walk, &path, moved) }</p>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::widgets::decisions::{DECISION_TREE, PG_VS_CASSANDRA, WALKS};

    fn answer_by_label(walk: &Walk, path: &Path, label: &str) -> Path {
        let Some(Step { kind: StepKind::Question { answers, .. }, .. }) = path.current(walk) else {
            panic!("not at a question")
        };
        let i = answers.iter().position(|a| a.label == label).unwrap_or_else(|| panic!("no answer {label}"));
        path.answer(walk, i)
    }

    #[test]
    fn five_answers_reach_the_eventual_consistency_recommendation() {
        let w = &PG_VS_CASSANDRA;
        let mut path = Path::default();
        for label in ["No", "No", "No", "Yes", "Yes"] {
            path = answer_by_label(w, &path, label);
        }
        assert_eq!(path.current(w).map(|s| s.id), Some("cassandra-eventual"));
        assert_eq!(
            announcement(w, &path, Move::Answered),
            "You answered Yes. Recommendation: Cassandra, with a consistency level per query."
        );
        // Back returns to the fifth question; answering the other way changes the outcome.
        let back = path.back();
        assert_eq!(
            announcement(w, &back, Move::Back),
            "Back to question 5. Question 5: Can the application live with eventual consistency?"
        );
        assert_eq!(answer_by_label(w, &back, "No").current(w).map(|s| s.id), Some("pg-sync"));
    }

    #[test]
    fn the_tree_keeps_what_each_answer_settled() {
        let w = &DECISION_TREE;
        let mut path = Path::default();
        for label in ["Yes", "Yes", "Mutable rows", "Strong"] {
            path = answer_by_label(w, &path, label);
        }
        assert_eq!(path.current(w).map(|s| s.id), Some("strong-reads"));
        let settled: Vec<&str> =
            path.answers.iter().filter_map(|(id, i)| chosen(w, id, *i)).map(|a| a.settles).collect();
        assert!(settled.iter().any(|s| s.contains("CRDTs")), "{settled:?}");
    }

    #[test]
    fn answers_beyond_a_recommendation_or_out_of_range_are_ignored() {
        for walk in WALKS {
            let start = Path::default();
            assert_eq!(start.answer(walk, 99), start);
            let mut path = start;
            while let Some(Step { kind: StepKind::Question { .. }, .. }) = path.current(walk) {
                path = path.answer(walk, 0);
            }
            assert_eq!(path.answer(walk, 0), path, "{}", walk.name);
            assert_eq!(Path::default().back(), Path::default());
        }
    }
}
