use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::{ProgressTools, ResetChapter};
use crate::content::CHAPTERS;
use crate::progress::{self, use_progress, ProgressAction, ProgressNotice};
use crate::study::{self, CARDS};

include!("home_opening.rs");

#[function_component(HomePage)]
pub fn home_page() -> Html {
    let progress = use_progress();
    {
        // The simulations module saves tried simulations on its own; show what it recorded.
        let progress = progress.clone();
        use_effect_with((), move |_| {
            super::set_title(None);
            progress.dispatch(ProgressAction::Refresh);
            // The start-up script's copy of the title and lede goes now that this page is in place behind it.
            crate::boot::end();
        });
    }
    let today = progress::today();
    let p = &progress.progress;
    let read = CHAPTERS.iter().filter(|c| progress.chapter(c.slug).visited).count();
    let checkpoints_total: usize = CHAPTERS.iter().map(|c| c.checkpoints.len()).sum();
    let checkpoints_done: usize = CHAPTERS
        .iter()
        .map(|c| {
            let cp = progress.chapter(c.slug);
            c.checkpoints.iter().filter(|id| cp.checkpoints.contains_key(**id)).count()
        })
        .sum();
    let sims_total: usize = CHAPTERS.iter().map(|c| c.simulations.len()).sum();
    let sims_done: usize = CHAPTERS
        .iter()
        .map(|c| {
            let cp = progress.chapter(c.slug);
            c.simulations.iter().filter(|name| cp.simulations.iter().any(|s| s == **name)).count()
        })
        .sum();
    let deck = study::counts(CARDS.iter(), p, today);
    let due_now = deck.due + deck.new;
    html! {
        <article class="page home">
            <h1>{ HOME_TITLE }</h1>
            <p class="lede">{ HOME_LEDE }</p>
            <ProgressNotice />
            <div class="study-links">
                <Link<Route> to={Route::Learn} classes="study-link">
                    <span class="study-link-title">{ "New to replication? Start here" }</span>
                    <span class="study-link-text">{ "Seven questions to reason out and two design problems, worked step by step." }</span>
                </Link<Route>>
                <Link<Route> to={Route::Review} classes="study-link">
                    <span class="study-link-title">{ "Review flashcards" }</span>
                    <span class="study-link-text">{ format!("{due_now} of {} cards to review today.", CARDS.len()) }</span>
                </Link<Route>>
            </div>
            <section class="dashboard" aria-labelledby="dashboard-title">
                <h2 id="dashboard-title">{ "Your progress" }</h2>
                <p class="progress-summary" aria-live="polite">{ format!("You have opened {read} of {} chapters.", CHAPTERS.len()) }</p>
                <dl class="dashboard-stats">
                    { stat("Chapters opened", read, CHAPTERS.len()) }
                    { stat("Checkpoints answered", checkpoints_done, checkpoints_total) }
                    { stat("Simulations tried", sims_done, sims_total) }
                    { stat("Flashcards mastered", deck.mastered, CARDS.len()) }
                    { stat("Learn path", study::learn_revealed(p) as usize, study::learn_parts() as usize) }
                </dl>
                <ProgressTools />
            </section>
            <h2 class="visually-hidden">{ "Chapters" }</h2>
            <ol class="chapter-list" start="0">
                { for CHAPTERS.iter().map(|c| {
                    let cp = progress.chapter(c.slug);
                    let total = c.checkpoints.len();
                    let answered = c.checkpoints.iter().filter(|id| cp.checkpoints.contains_key(**id)).count();
                    let tried = c.simulations.iter().filter(|name| cp.simulations.iter().any(|s| s == **name)).count();
                    let cards = study::counts(study::cards_of(c.slug), p, today);
                    let card_total = study::cards_of(c.slug).count();
                    let status = if cp.visited { "Opened" } else { "Not opened yet" };
                    let anything = cp != Default::default() || study::cards_of(c.slug).any(|card| p.cards.contains_key(card.id));
                    html! {
                        <li class={classes!("chapter-card", cp.visited.then_some("visited"))}>
                            <Link<Route> to={Route::Chapter { slug: c.slug.to_owned() }}>
                                <span class="chapter-number">{ format!("Chapter {}", c.number) }</span>
                                <span class="chapter-title">{ c.title }</span>
                            </Link<Route>>
                            <p class="chapter-description">{ c.description }</p>
                            <p class="chapter-progress">
                                <span class={classes!("dot", cp.visited.then_some("done"))} aria-hidden="true"></span>
                                { status }
                                { (total > 0).then(|| format!(" · {answered} of {total} checkpoints answered")) }
                                { (!c.simulations.is_empty()).then(|| format!(" · {tried} of {} simulations tried", c.simulations.len())) }
                                { (card_total > 0).then(|| format!(" · {} of {card_total} cards mastered", cards.mastered)) }
                            </p>
                            if anything {
                                <div class="chapter-reset"><ResetChapter slug={c.slug} title={c.title} /></div>
                            }
                        </li>
                    }
                }) }
            </ol>
        </article>
    }
}

fn stat(label: &str, done: usize, total: usize) -> Html {
    let percent = (done * 100).checked_div(total).unwrap_or(0);
    html! {
        <div class="stat">
            <dt>{ label }</dt>
            <dd>
                <span class="stat-value">{ format!("{done} of {total}") }</span>
                // Drawn with SVG attributes, not a style attribute, which the Content-Security-Policy would drop.
                <svg class="stat-bar" viewBox="0 0 100 1" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                    <rect width={percent.to_string()} height="1" />
                </svg>
            </dd>
        </div>
    }
}
