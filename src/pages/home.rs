use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::content::CHAPTERS;
use crate::progress::use_progress;

#[function_component(HomePage)]
pub fn home_page() -> Html {
    use_effect_with((), |_| super::set_title(None));
    let progress = use_progress();
    let read = CHAPTERS.iter().filter(|c| progress.chapter(c.slug).visited).count();
    html! {
        <article class="page home">
            <h1>{ "Replication" }</h1>
            <p class="lede">
                { "Keeping copies of the same data on several machines — and what it costs when they disagree. \
                   Eleven chapters, each with a live simulation of a replicated system you can break, rewind and replay." }
            </p>
            <p class="progress-summary" aria-live="polite">{ format!("You have opened {read} of {} chapters.", CHAPTERS.len()) }</p>
            { progress.notice.clone().map(|n| html! { <p class="notice" role="alert">{ n }</p> }) }
            <ol class="chapter-list" start="0">
                { for CHAPTERS.iter().map(|c| {
                    let p = progress.chapter(c.slug);
                    let total = c.checkpoints.len();
                    let answered = c.checkpoints.iter().filter(|id| p.checkpoints.contains_key(**id)).count();
                    let status = if p.visited { "Opened" } else { "Not opened yet" };
                    html! {
                        <li class={classes!("chapter-card", p.visited.then_some("visited"))}>
                            <Link<Route> to={Route::Chapter { slug: c.slug.to_owned() }}>
                                <span class="chapter-number">{ format!("Chapter {}", c.number) }</span>
                                <span class="chapter-title">{ c.title }</span>
                            </Link<Route>>
                            <p class="chapter-description">{ c.description }</p>
                            <p class="chapter-progress">
                                <span class={classes!("dot", p.visited.then_some("done"))} aria-hidden="true"></span>
                                { status }
                                { (total > 0).then(|| format!(" · {answered} of {total} checkpoints answered")) }
                            </p>
                        </li>
                    }
                }) }
            </ol>
        </article>
    }
}
