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
    let load = use_state(|| chapter.and_then(content::cached_body).map_or(Load::Loading, Load::Ready));
    {
        let load = load.clone();
        let progress = progress.clone();
        use_effect_with(props.slug.clone(), move |slug| {
            let found = content::chapter(slug);
            super::set_title(Some(found.map_or("Page not found", |c| c.title)));
            if let Some(chapter) = found {
                progress.dispatch(ProgressAction::Visit(slug.clone()));
                match content::cached_body(chapter) {
                    Some(body) => load.set(Load::Ready(body)),
                    None => {
                        load.set(Load::Loading);
                        wasm_bindgen_futures::spawn_local(async move {
                            load.set(match content::load_body(chapter).await {
                                Ok(body) => Load::Ready(body),
                                Err(message) => Load::Failed(message),
                            });
                        });
                    }
                }
            }
        });
    }
    // Scroll once the body is in the page: to the section the address names, or to the top.
    {
        let ready = matches!(*load, Load::Ready(_));
        use_effect_with((props.slug.clone(), props.section.clone(), ready), move |(_, section, ready)| {
            if *ready {
                scroll_to(section.as_deref());
                sim_slots::request_mount();
            }
        });
    }
    let Some(chapter) = chapter else {
        return html! { <super::NotFoundPage /> };
    };
    let body = match &*load {
        Load::Loading => html! { <p class="loading" role="status">{ "Loading the chapter…" }</p> },
        Load::Failed(message) => html! { <p class="notice" role="alert">{ message.clone() }</p> },
        Load::Ready(blocks) => html! {
            { for blocks.iter().map(|block| match block {
                Block::Html(html) => Html::from_html_unchecked(AttrValue::from(html.clone())),
                Block::Sim(name) => sim_slots::slot(name, chapter.slug),
                Block::Checkpoint(c) => html! { <CheckpointView checkpoint={c.clone()} chapter={chapter.slug} /> },
            }) }
        },
    };
    html! {
        <article class="page chapter" key={chapter.slug}>
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
