//! Learn from zero: seven questions to reason out before revealing the reasoning, then two design problems
//! worked step by step. Each part links to the chapter section (and simulation) that shows it.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::content::CHAPTERS;
use crate::progress::{use_progress, ProgressAction, ProgressNotice};
use crate::study::{self, LearnProblem, LearnQuestion, SeeAlso};

#[function_component(LearnPage)]
pub fn learn_page() -> Html {
    use_effect_with((), |_| super::set_title(Some("Learn replication from zero")));
    let progress = use_progress();
    let body = study::use_body();
    let done = study::learn_revealed(&progress.progress);
    let total = study::learn_parts();
    let path = match &body {
        None => html! { <p class="loading" role="status">{ "Loading the learn path…" }</p> },
        Some(Err(message)) => html! { <p class="notice" role="alert">{ message.clone() }</p> },
        Some(Ok(body)) => {
            let learn = &body.learn;
            html! {
                <>
                    <div class="learn-intro">{ Html::from_html_unchecked(AttrValue::from(learn.intro_html.clone())) }</div>
                    <p class="learn-progress" aria-live="polite">{ format!("You have worked through {done} of {total} parts of this path.") }</p>
                    <h2 id="reason-it-out">{ "Reason it out" }</h2>
                    { for learn.questions.iter().enumerate().map(|(i, q)| html! { <QuestionView number={i + 1} question={q.clone()} /> }) }
                    <h2 id="guided-practice">{ "Guided practice" }</h2>
                    { for learn.problems.iter().enumerate().map(|(i, p)| html! { <ProblemView number={i + 1} problem={p.clone()} /> }) }
                </>
            }
        }
    };
    html! {
        <article class="page chapter learn">
            <header class="chapter-header">
                <p class="chapter-number">{ "Before chapter 0" }</p>
                <h1>{ "Learn replication from zero" }</h1>
            </header>
            <ProgressNotice />
            { path }
            <nav class="chapter-nav" aria-label="Where to go next">
                { CHAPTERS.first().map(|c| html! {
                    <Link<Route> to={Route::Chapter { slug: c.slug.to_owned() }} classes="next">
                        <span class="nav-hint">{ "Start the book" }</span><span>{ format!("{}. {}", c.number, c.title) }</span>
                    </Link<Route>>
                }) }
            </nav>
        </article>
    }
}

fn see_also(see: &[SeeAlso]) -> Html {
    if see.is_empty() {
        return html! {};
    }
    html! {
        <div class="see-also">
            <span class="see-also-label">{ "See it in the book:" }</span>
            <ul>
                { for see.iter().map(|s| html! { <li><a href={s.href.clone()}>{ s.label.clone() }</a></li> }) }
            </ul>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct QuestionProps {
    number: usize,
    question: LearnQuestion,
}

#[function_component(QuestionView)]
fn question_view(props: &QuestionProps) -> Html {
    let q = &props.question;
    let progress = use_progress();
    let revealed = use_state(|| false);
    let seen_before = progress.progress.learn.get(&q.id).is_some_and(|n| *n > 0);
    let toggle = {
        let revealed = revealed.clone();
        let progress = progress.clone();
        let id = q.id.clone();
        Callback::from(move |_| {
            if !*revealed {
                progress.dispatch(ProgressAction::Learn { item: id.clone(), revealed: 1 });
            }
            revealed.set(!*revealed);
        })
    };
    let heading_id = format!("learn-{}", q.id);
    let answer_id = format!("learn-{}-reasoning", q.id);
    let input_id = format!("learn-{}-thinking", q.id);
    html! {
        <section class="learn-question" aria-labelledby={heading_id.clone()}>
            <h3 id={heading_id}>
                { format!("{}. {}", props.number, q.title) }
                { seen_before.then(|| html! { <span class="learn-status">{ " · worked through ✓" }</span> }) }
            </h3>
            <div class="learn-prompt">{ Html::from_html_unchecked(AttrValue::from(q.prompt_html.clone())) }</div>
            <div class="answer-input">
                <label for={input_id.clone()}>{ "Your thinking (stays in this page; nothing is sent)" }</label>
                <textarea id={input_id} rows="3" />
            </div>
            <button type="button" class="reveal" aria-expanded={revealed.to_string()} aria-controls={answer_id.clone()} onclick={toggle}>
                { if *revealed { "Hide the reasoning" } else { "Reveal the reasoning" } }
            </button>
            <div id={answer_id} class="learn-reasoning" hidden={!*revealed}>
                { revealed.then(|| Html::from_html_unchecked(AttrValue::from(q.reasoning_html.clone()))) }
            </div>
            { see_also(&q.see) }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ProblemProps {
    number: usize,
    problem: LearnProblem,
}

#[function_component(ProblemView)]
fn problem_view(props: &ProblemProps) -> Html {
    let p = &props.problem;
    let progress = use_progress();
    let shown = use_state(|| 0usize);
    let total = p.steps.len();
    let finished_before = progress.progress.learn.get(&p.id).is_some_and(|n| *n as usize >= total);
    let next = {
        let shown = shown.clone();
        let progress = progress.clone();
        let id = p.id.clone();
        Callback::from(move |_| {
            let now = (*shown + 1).min(total);
            progress.dispatch(ProgressAction::Learn { item: id.clone(), revealed: now as u32 });
            shown.set(now);
        })
    };
    let restart = {
        let shown = shown.clone();
        Callback::from(move |_| shown.set(0))
    };
    let heading_id = format!("learn-{}", p.id);
    html! {
        <section class="learn-problem" aria-labelledby={heading_id.clone()}>
            <h3 id={heading_id}>
                { format!("Problem {} ({}). {}", props.number, p.level, p.title) }
                { finished_before.then(|| html! { <span class="learn-status">{ " · worked through ✓" }</span> }) }
            </h3>
            <div class="learn-prompt">{ Html::from_html_unchecked(AttrValue::from(p.statement_html.clone())) }</div>
            <ol class="learn-steps">
                { for p.steps.iter().enumerate().take(*shown + 1).map(|(i, step)| {
                    let open = i < *shown;
                    html! {
                        <li class={classes!("learn-step", open.then_some("open"))}>
                            <h4>{ format!("Step {} of {total}: {}", i + 1, step.title) }</h4>
                            if open {
                                <div class="learn-step-body">{ Html::from_html_unchecked(AttrValue::from(step.html.clone())) }</div>
                                { see_also(&step.see) }
                            } else {
                                <p class="learn-think">{ "Answer it for yourself first, then show the step." }</p>
                                <button type="button" class="reveal" onclick={next.clone()}>{ format!("Show step {}", i + 1) }</button>
                            }
                        </li>
                    }
                }) }
            </ol>
            <div aria-live="polite" class="learn-problem-status">
                { (*shown == total).then(|| html! {
                    <p>
                        { "That is the whole solution. " }
                        <button type="button" class="secondary" onclick={restart}>{ "Start this problem again" }</button>
                    </p>
                }) }
            </div>
        </section>
    }
}
