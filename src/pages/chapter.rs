use std::rc::Rc;

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::CheckpointView;
use crate::content::{self, Block, Body, Chapter};
use crate::progress::{use_progress, ProgressAction};
use crate::sim_slots;

#[derive(Properties, PartialEq)]
pub struct ChapterProps {
    pub slug: String,
    pub section: Option<AttrValue>,
}

#[derive(Clone, PartialEq)]
enum Load {
    Loading,
    Ready(Body),
    Failed(String),
}

#[function_component(ChapterPage)]
pub fn chapter_page(props: &ChapterProps) -> Html {
    let chapter = content::chapter(&props.slug);
    let progress = use_progress();
    // The body is kept with the slug it belongs to. Moving between chapters keeps this component (only its props
    // change), so for one render the state still holds the previous chapter's body: it must not be shown, and
    // must not count as "ready" (it once mounted the old chapter's simulations and left the new ones unmounted).
    let load = use_state(|| (props.slug.clone(), initial_load(chapter)));
    {
        let load = load.clone();
        let progress = progress.clone();
        use_effect_with(props.slug.clone(), move |slug| {
            let found = content::chapter(slug);
            super::set_title(Some(found.map_or("Page not found", |c| c.title)));
            if let Some(chapter) = found {
                progress.dispatch(ProgressAction::Visit(slug.clone()));
                match content::cached_body(chapter) {
                    Some(body) => load.set((slug.clone(), Load::Ready(body))),
                    None => {
                        load.set((slug.clone(), Load::Loading));
                        let slug = slug.clone();
                        wasm_bindgen_futures::spawn_local(async move {
                            let loaded = match content::load_body(chapter).await {
                                Ok(body) => Load::Ready(body),
                                Err(message) => Load::Failed(message),
                            };
                            load.set((slug, loaded));
                        });
                    }
                }
            }
        });
    }
    let current = if load.0 == props.slug { load.1.clone() } else { initial_load(chapter) };
    let blocks_total = match &current {
        Load::Ready(blocks) => blocks.len(),
        _ => 0,
    };
    // The body goes into the page a block per task, the first one included: in one go, a chapter's text,
    // checkpoints and their first compilation by the browser were a task of 85 ms here (340 ms on Lighthouse's 4x
    // slowed phone) in which the page could not answer the reader, and the first block in the app's start-up task
    // made that one 37 ms.
    let shown = use_state(|| (props.slug.clone(), 0usize));
    let blocks_shown = if shown.0 == props.slug { shown.1.min(blocks_total) } else { 0 };
    {
        let shown = shown.clone();
        let slug = props.slug.clone();
        use_effect_with((props.slug.clone(), blocks_shown, blocks_total), move |&(_, blocks_shown, blocks_total)| {
            let next = (blocks_shown < blocks_total)
                .then(|| gloo_timers::callback::Timeout::new(0, move || shown.set((slug, blocks_shown + 1))));
            move || drop(next)
        });
    }
    let complete = blocks_shown == blocks_total;
    {
        let ready = matches!(current, Load::Ready(_));
        // Settled: the first block (the opening the reader is looking at) is in place, or loading failed.
        let settled = match &current {
            Load::Loading => false,
            Load::Ready(_) => blocks_shown > 0 || complete,
            Load::Failed(_) => true,
        };
        use_effect_with(
            (props.slug.clone(), props.section.clone(), ready, settled),
            move |(_, section, ready, settled)| {
                // The start-up script's copy of the opening goes only now, in the same task that put the body's
                // first block in place, so the reader never sees the page without its text (or a failure without
                // its message).
                if *settled {
                    crate::boot::end();
                }
                if *ready && section.is_none() {
                    scroll_to(None);
                }
            },
        );
    }
    // A section the address names can be anywhere in the body, so the page goes to it once every block is in;
    // the simulations module then fills every slot at once.
    use_effect_with(
        (props.slug.clone(), props.section.clone(), blocks_total > 0 && complete),
        move |(_, section, complete)| {
            if *complete {
                if section.is_some() {
                    scroll_to(section.as_deref());
                }
                sim_slots::request_mount();
            }
        },
    );
    let busy = match &current {
        Load::Loading => true,
        Load::Ready(_) => !complete,
        Load::Failed(_) => false,
    };
    let Some(chapter) = chapter else {
        return html! { <super::NotFoundPage /> };
    };
    let body = match &current {
        Load::Loading => html! { <p class="loading" role="status">{ "Loading the chapter…" }</p> },
        Load::Failed(message) => html! { <p class="notice" role="alert">{ message.clone() }</p> },
        // Keyed by position: the blocks arrive one at a time at the end, and an unkeyed list would match each
        // block with the one before it and rebuild the whole body every time one is added.
        Load::Ready(blocks) => html! {
            { for blocks.iter().take(blocks_shown).enumerate().map(|(i, block)| html! {
                <key={i}>{ match block {
                    Block::Html(html) => Html::from_html_unchecked(AttrValue::from(Rc::clone(html))),
                    Block::Sim(name) => sim_slots::slot(name, chapter.slug),
                    Block::Checkpoint(c) => html! { <CheckpointView checkpoint={c.clone()} chapter={chapter.slug} /> },
                } }</>
            }) }
        },
    };
    html! {
        // Busy until the whole body is in (or could not be): assistive technology waits for it to settle.
        <article class="page chapter" key={chapter.slug} aria-busy={busy.to_string()}>
            <header class="chapter-header">
                <p class="chapter-number">{ format!("Chapter {}", chapter.number) }</p>
                <h1>{ chapter.title }</h1>
                <p class="lede">{ chapter.description }</p>
            </header>
            { body }
            { chapter_nav(chapter) }
        </article>
    }
}

/// What a chapter shows before its effect runs: its body if this visit already fetched it, else "Loading".
fn initial_load(chapter: Option<&Chapter>) -> Load {
    chapter.and_then(content::cached_body).map_or(Load::Loading, Load::Ready)
}

fn chapter_nav(chapter: &Chapter) -> Html {
    html! {
        <nav class="chapter-nav" aria-label="Previous and next chapter">
            { chapter.previous().map(|p| html! {
                <Link<Route> to={Route::Chapter { slug: p.slug.to_owned() }} classes="prev">
                    <span class="nav-hint">{ "Previous" }</span><span>{ format!("{}. {}", p.number, p.title) }</span>
                </Link<Route>>
            }) }
            { chapter.next().map(|n| html! {
                <Link<Route> to={Route::Chapter { slug: n.slug.to_owned() }} classes="next">
                    <span class="nav-hint">{ "Next" }</span><span>{ format!("{}. {}", n.number, n.title) }</span>
                </Link<Route>>
            }) }
        </nav>
    }
}

/// Scrolls to the heading named by the route, or to the top for a chapter's start.
fn scroll_to(section: Option<&str>) {
    let Some(window) = web_sys::window() else { return };
    let target = section.and_then(|id| window.document()?.get_element_by_id(id));
    match target {
        Some(element) => element.scroll_into_view(),
        None => window.scroll_to_with_x_and_y(0.0, 0.0),
    }
}
