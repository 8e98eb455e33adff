//! Routes and the page shell: top bar, table of contents sidebar, main area.
//!
//! Routing is by URL hash (`#/the-problem/availability-math`), so the book works from any static host and any
//! subpath with no rewrite rules, and a reload of a deep link lands on the same section.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::content::CHAPTERS;
use crate::offline::UpdateNotice;
use crate::pages::{ChapterPage, GlossaryPage, HomePage, LearnPage, NotFoundPage, ReviewPage};
use crate::progress::ProgressProvider;
use crate::search::Search;
use crate::theme::ThemeSwitch;

#[derive(Clone, Debug, PartialEq, Routable)]
pub enum Route {
    #[at("/")]
    Home,
    /// Static segments win over `/:slug`, so these never reach the chapter page.
    #[at("/glossary")]
    Glossary,
    #[at("/glossary/:term")]
    GlossaryTerm { term: String },
    #[at("/:slug")]
    Chapter { slug: String },
    /// A heading inside a chapter: the anchor links point here, so sections survive a reload.
    #[at("/:slug/:section")]
    Section { slug: String, section: String },
    /// Study tools: flashcard review and the beginner path. Static segments win over `/:slug`.
    #[at("/review")]
    Review,
    #[at("/learn")]
    Learn,
    #[not_found]
    #[at("/not-found")]
    NotFound,
}

fn switch(route: Route) -> Html {
    match route {
        Route::Review => html! { <ReviewPage /> },
        Route::Learn => html! { <LearnPage /> },
        Route::Home => html! { <HomePage /> },
        Route::Chapter { slug } => html! { <ChapterPage {slug} section={None::<AttrValue>} /> },
        Route::Section { slug, section } => html! { <ChapterPage {slug} section={Some(AttrValue::from(section))} /> },
        Route::Glossary => html! { <GlossaryPage term={None::<AttrValue>} /> },
        Route::GlossaryTerm { term } => html! { <GlossaryPage term={Some(AttrValue::from(term))} /> },
        Route::NotFound => html! { <NotFoundPage /> },
    }
}

#[function_component(App)]
pub fn app() -> Html {
    html! {
        <HashRouter>
            <ProgressProvider>
                <Shell />
            </ProgressProvider>
        </HashRouter>
    }
}

#[function_component(Shell)]
fn shell() -> Html {
    let toc_open = use_state(|| false);
    let route = use_route::<Route>().unwrap_or(Route::Home);
    // Following a link in the collapsed (phone) table of contents closes it.
    {
        let toc_open = toc_open.clone();
        use_effect_with(route.clone(), move |route| {
            toc_open.set(false);
            // The home and chapter pages remove the start-up script's copy of their opening once they are in place
            // behind it; any other page has nothing to wait for.
            if !matches!(route, Route::Home | Route::Chapter { .. } | Route::Section { .. }) {
                crate::boot::end();
            }
        });
    }
    let current = match &route {
        Route::Chapter { slug } | Route::Section { slug, .. } => Some(slug.clone()),
        _ => None,
    };
    let toggle = {
        let toc_open = toc_open.clone();
        Callback::from(move |_| toc_open.set(!*toc_open))
    };
    let skip = Callback::from(|e: MouseEvent| {
        // A plain `href="#main"` would be read as a route; move focus instead.
        e.prevent_default();
        if let Some(main) = gloo_utils_document().get_element_by_id("main") {
            if let Ok(main) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(main) {
                let _ = main.focus();
            }
        }
    });
    html! {
        <>
            <header class="topbar">
                <a class="skip-link" href="#/" onclick={skip}>{ "Skip to content" }</a>
                <button class="toc-toggle" aria-expanded={(*toc_open).to_string()} aria-controls="toc" onclick={toggle}>
                    <span aria-hidden="true">{ "☰ " }</span>{ "Contents" }
                </button>
                <Link<Route> to={Route::Home} classes="book-title">{ "Replication" }<span class="book-subtitle">{ " — an interactive course" }</span></Link<Route>>
                <Search />
                <ThemeSwitch />
            </header>
            <div class="layout">
                <nav id="toc" class={classes!("sidebar", toc_open.then_some("open"))} aria-label="Chapters">
                    <ol class="toc" start="0">
                        { for CHAPTERS.iter().map(|c| {
                            let here = current.as_deref() == Some(c.slug);
                            html! {
                                <li class={classes!(here.then_some("current"))}>
                                    <Link<Route> to={Route::Chapter { slug: c.slug.to_owned() }}>
                                        <span class="toc-number" aria-hidden="true">{ c.number }</span>
                                        <span aria-current={here.then_some("page")}>{ c.title }</span>
                                    </Link<Route>>
                                </li>
                            }
                        }) }
                    </ol>
                    <ul class="toc toc-study" aria-label="Study">
                        { for [(Route::Learn, "Learn from zero"), (Route::Review, "Review flashcards"), (Route::Glossary, "Glossary")].into_iter().map(|(to, label)| {
                            // A term's entry is still the glossary page.
                            let here = route == to || (to == Route::Glossary && matches!(route, Route::GlossaryTerm { .. }));
                            html! {
                                <li class={classes!(here.then_some("current"))}>
                                    <Link<Route> {to}><span aria-current={here.then_some("page")}>{ label }</span></Link<Route>>
                                </li>
                            }
                        }) }
                    </ul>
                </nav>
                <main id="main" tabindex="-1">
                    <Switch<Route> render={switch} />
                </main>
            </div>
            <UpdateNotice />
        </>
    }
}

pub(crate) fn gloo_utils_document() -> web_sys::Document {
    web_sys::window().and_then(|w| w.document()).expect("the book runs in a browser page")
}
