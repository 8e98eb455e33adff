//! The glossary: every term the book defines, alphabetically, each with where the book teaches it.
//! `#/glossary/<term>` scrolls to that entry, highlights it and moves focus to it; an unknown term gets a
//! clear message above the whole glossary.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::content::{self, Glossary};

#[derive(Properties, PartialEq)]
pub struct GlossaryProps {
    /// The term the address names, by slug.
    pub term: Option<AttrValue>,
}

#[derive(Clone, PartialEq)]
enum Load {
    Loading,
    Ready(Glossary),
    Failed(String),
}

/// The id of an entry's element on the page.
pub fn entry_id(slug: &str) -> String {
    format!("glossary-{slug}")
}

#[function_component(GlossaryPage)]
pub fn glossary_page(props: &GlossaryProps) -> Html {
    let load = use_state(|| content::cached_glossary().map_or(Load::Loading, Load::Ready));
    {
        let load = load.clone();
        use_effect_with((), move |_| {
            super::set_title(Some("Glossary"));
            if content::cached_glossary().is_none() {
                wasm_bindgen_futures::spawn_local(async move {
                    load.set(match content::load_glossary().await {
                        Ok(glossary) => Load::Ready(glossary),
                        Err(message) => Load::Failed(message),
                    });
                });
            }
        });
    }
    let known = props.term.as_deref().and_then(content::glossary_term).is_some();
    // Once the entries are on the page: bring the named one into view and give it focus, or start at the top.
    {
        let ready = matches!(*load, Load::Ready(_));
        use_effect_with((props.term.clone(), ready), move |(term, ready)| {
            if *ready {
                focus_entry(term.as_deref().filter(|_| known));
            }
        });
    }
    let notice = match props.term.as_deref() {
        Some(term) if !known => html! {
            <p class="notice" role="alert">
                { format!("The glossary has no entry “{term}”. Every term it does have is listed below.") }
            </p>
        },
        _ => Html::default(),
    };
    let body = match &*load {
        Load::Loading => html! { <p class="loading" role="status">{ "Loading the glossary…" }</p> },
        Load::Failed(message) => html! { <p class="notice" role="alert">{ message.clone() }</p> },
        Load::Ready(entries) => html! {
            <div class="glossary-entries">
                { for entries.iter().map(|e| {
                    let target = known && props.term.as_deref() == Some(e.slug.as_str());
                    html! {
                        <div id={entry_id(&e.slug)} class={classes!("glossary-entry", target.then_some("target"))}
                            tabindex="-1" aria-labelledby={format!("{}-term", entry_id(&e.slug))}>
                            <h2 id={format!("{}-term", entry_id(&e.slug))}>
                                <a class="anchor" href={format!("#/glossary/{}", e.slug)}
                                    aria-label={format!("Link to this entry: {}", e.term)}>{ "#" }</a>
                                { e.term.clone() }
                            </h2>
                            { Html::from_html_unchecked(AttrValue::from(e.definition_html.clone())) }
                            <p class="glossary-taught">
                                <span class="glossary-label">{ "Taught in " }</span>
                                { for e.taught.iter().enumerate().map(|(i, (href, label))| html! {
                                    <>{ (i > 0).then_some("; ") }<a href={href.clone()}>{ label.clone() }</a></>
                                }) }
                            </p>
                            if !e.see.is_empty() {
                                <p class="glossary-see">
                                    <span class="glossary-label">{ "See also " }</span>
                                    { for e.see.iter().enumerate().map(|(i, (slug, term))| html! {
                                        <>{ (i > 0).then_some(", ") }
                                        <Link<Route> to={Route::GlossaryTerm { term: slug.clone() }}>{ term.clone() }</Link<Route>></>
                                    }) }
                                </p>
                            }
                        </div>
                    }
                }) }
            </div>
        },
    };
    html! {
        <article class="page glossary">
            <header class="chapter-header">
                <h1>{ "Glossary" }</h1>
                <p class="lede">
                    { format!("The {} terms this book defines, in alphabetical order. In every chapter, the first use of a term links here; each entry links back to where the book teaches it.", content::GLOSSARY_TERMS.len()) }
                </p>
            </header>
            { notice }
            { body }
        </article>
    }
}

fn focus_entry(slug: Option<&str>) {
    let Some(window) = web_sys::window() else { return };
    let target = slug.and_then(|s| window.document()?.get_element_by_id(&entry_id(s)));
    match target.and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(t).ok()) {
        Some(element) => {
            element.scroll_into_view();
            let _ = element.focus();
        }
        None => window.scroll_to_with_x_and_y(0.0, 0.0),
    }
}
