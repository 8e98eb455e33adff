//! The search dialog: a "Search" button in the top bar and a native modal `<dialog>` (which makes the rest of the
//! page inert and keeps focus inside). "/" or Ctrl+K (Cmd+K) opens it unless the reader is typing in a field;
//! the arrow keys move between results, Enter follows one, Escape closes and focus returns where it was.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlDialogElement, HtmlElement, HtmlInputElement, KeyboardEvent};
use yew::prelude::*;
use yew_router::prelude::*;

use super::matcher::{self, Piece, Query};
use super::{load_index, Index};
use crate::app::{gloo_utils_document, Route};

/// Results shown at once: enough to scan, few enough to move through with the arrow keys.
const RESULTS_MAX: usize = 20;

#[derive(Clone, PartialEq)]
enum Load {
    Idle,
    Loading,
    Ready(Rc<Index>),
    Failed(String),
}

#[function_component(Search)]
pub fn search() -> Html {
    let dialog_ref = use_node_ref();
    let input_ref = use_node_ref();
    let results_ref = use_node_ref();
    let query = use_state(String::new);
    let load = use_state(|| Load::Idle);
    // Whether a fetch of the index is under way or done; a failed one is retried on the next opening.
    let started = use_mut_ref(|| false);
    // What had focus before the dialog opened, to give it back on close.
    let opener = use_mut_ref(|| None::<HtmlElement>);
    // Set when a result is followed: focus then goes to the page, not back to the opener.
    let navigating = use_mut_ref(|| false);
    let navigator = use_navigator();

    // Reads no state, only refs and setters, so the document's shortcut listener can keep the first one.
    let open = {
        let (dialog_ref, input_ref, load, started, opener) =
            (dialog_ref.clone(), input_ref.clone(), load.clone(), started.clone(), opener.clone());
        Callback::from(move |()| {
            let Some(dialog) = dialog_ref.cast::<HtmlDialogElement>() else { return };
            if !dialog.open() {
                *opener.borrow_mut() = gloo_utils_document().active_element().and_then(|e| e.dyn_into().ok());
                if dialog.show_modal().is_err() {
                    return;
                }
            }
            if let Some(input) = input_ref.cast::<HtmlInputElement>() {
                let _ = input.focus();
                input.select();
            }
            fetch_index(load.clone(), started.clone());
        })
    };
    {
        let open = open.clone();
        use_effect_with((), move |_| {
            let options = EventListenerOptions::enable_prevent_default();
            let listener = EventListener::new_with_options(&gloo_utils_document(), "keydown", options, move |e| {
                let Some(e) = e.dyn_ref::<KeyboardEvent>() else { return };
                if is_shortcut(e) && !e.default_prevented() && !typing_in_a_field() {
                    e.prevent_default();
                    open.emit(());
                }
            });
            move || drop(listener)
        });
    }
    let close = {
        let dialog_ref = dialog_ref.clone();
        Callback::from(move |()| {
            if let Some(dialog) = dialog_ref.cast::<HtmlDialogElement>() {
                dialog.close();
            }
        })
    };
    let on_close = {
        let (opener, navigating) = (opener.clone(), navigating.clone());
        Callback::from(move |_: Event| {
            let opener = opener.borrow_mut().take();
            if std::mem::take(&mut *navigating.borrow_mut()) {
                // The page scrolls to the section itself; focus goes to the main area without jumping there.
                if let Some(main) = gloo_utils_document().get_element_by_id("main") {
                    if let Ok(main) = main.dyn_into::<HtmlElement>() {
                        let options = web_sys::FocusOptions::new();
                        options.set_prevent_scroll(true);
                        let _ = main.focus_with_options(&options);
                    }
                }
            } else if let Some(opener) = opener {
                let _ = opener.focus();
            }
        })
    };
    let on_keydown = {
        let (close, input_ref, results_ref) = (close.clone(), input_ref.clone(), results_ref.clone());
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            // Handled here rather than left to the dialog: in a search field the browser would first only clear it.
            "Escape" => {
                e.prevent_default();
                close.emit(());
            }
            "ArrowDown" | "ArrowUp" => {
                e.prevent_default();
                move_focus(&input_ref, &results_ref, e.key() == "ArrowDown");
            }
            // Enter in the field follows the first result.
            "Enter" if is_input(e.target()) => {
                e.prevent_default();
                if let Some(first) = result_links(&results_ref).into_iter().next() {
                    first.click();
                }
            }
            _ => {}
        })
    };
    let on_input = {
        let query = query.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                query.set(input.value());
            }
        })
    };
    let follow = {
        let (close, navigating) = (close.clone(), navigating.clone());
        move |href: String| {
            let (close, navigating, navigator) = (close.clone(), navigating.clone(), navigator.clone());
            Callback::from(move |e: MouseEvent| {
                // A click meant for a new tab or window keeps the browser's behaviour.
                if e.ctrl_key() || e.meta_key() || e.shift_key() || e.alt_key() || e.button() != 0 {
                    return;
                }
                let (Some(route), Some(navigator)) = (Route::recognize(href.trim_start_matches('#')), &navigator)
                else {
                    return;
                };
                e.prevent_default();
                *navigating.borrow_mut() = true;
                close.emit(());
                let here = web_sys::window().and_then(|w| w.location().hash().ok());
                if here.as_deref() == Some(href.as_str()) {
                    // The address does not change, so the page does not scroll by itself.
                    scroll_back_to(&route);
                } else {
                    navigator.push(&route);
                }
            })
        }
    };

    let parsed = Query::parse(&query);
    let results = match &*load {
        Load::Ready(index) if !parsed.is_empty() => Some(matcher::search(&parsed, &index.searchable, RESULTS_MAX)),
        _ => None,
    };
    let quoted = format!("“{}”", query.trim());
    let status = match (&*load, &results) {
        (Load::Failed(message), _) => message.clone(),
        _ if parsed.is_empty() => "Type a word to search the chapters, the glossary and the flashcards.".to_owned(),
        (_, None) => "Loading the search index…".to_owned(),
        (_, Some(r)) if r.total == 0 => format!("No results for {quoted}."),
        (_, Some(r)) if r.total == 1 => format!("1 result for {quoted}."),
        (_, Some(r)) if r.total > r.hits.len() => {
            format!("{} results for {quoted}; the best {} are shown.", r.total, r.hits.len())
        }
        (_, Some(r)) => format!("{} results for {quoted}.", r.total),
    };
    let list = match (&*load, &results) {
        (Load::Ready(index), Some(results)) => results
            .hits
            .iter()
            .map(|hit| {
                let entry = &index.entries[hit.index];
                html! {
                    <li>
                        <a href={entry.href.clone()} onclick={follow(entry.href.clone())}>
                            <span class="search-place">{ entry.place.clone() }</span>
                            <span class="search-title">{ pieces(&hit.title) }</span>
                            if !hit.snippet.is_empty() {
                                <span class="search-snippet">{ pieces(&hit.snippet) }</span>
                            }
                        </a>
                    </li>
                }
            })
            .collect::<Html>(),
        _ => Html::default(),
    };
    let open_click = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.emit(()))
    };
    let close_click = Callback::from(move |_: MouseEvent| close.emit(()));
    html! {
        <>
            <button type="button" class="search-open" onclick={open_click} aria-haspopup="dialog"
                aria-keyshortcuts="/ Control+K Meta+K">
                { "Search" }<kbd class="search-key" aria-hidden="true">{ "/" }</kbd>
            </button>
            <dialog ref={dialog_ref} class="search-dialog" aria-labelledby="search-heading" onclose={on_close}
                onkeydown={on_keydown}>
                <div class="search-head">
                    <h2 id="search-heading">{ "Search the book" }</h2>
                    <button type="button" class="search-close" onclick={close_click}>{ "Close" }</button>
                </div>
                <label class="search-label" for="search-input">{ "Words to find in the chapters, glossary and flashcards" }</label>
                <input ref={input_ref} id="search-input" type="search" autocomplete="off" spellcheck="false"
                    value={(*query).clone()} oninput={on_input} aria-describedby="search-status" />
                <p id="search-status" class="search-status" role="status">{ status }</p>
                <ul ref={results_ref} class="search-results" aria-label="Results">{ list }</ul>
                <p class="search-hint" aria-hidden="true">{ "↑ ↓ move · Enter opens · Esc closes" }</p>
            </dialog>
        </>
    }
}

/// Brings the target of `route`, already on the page, back into view.
fn scroll_back_to(route: &Route) {
    let id = match route {
        Route::Section { section, .. } => section.clone(),
        Route::GlossaryTerm { term } => format!("glossary-{term}"),
        _ => {
            if let Some(window) = web_sys::window() {
                window.scroll_to_with_x_and_y(0.0, 0.0);
            }
            return;
        }
    };
    if let Some(target) = gloo_utils_document().get_element_by_id(&id) {
        target.scroll_into_view();
    }
}

/// Starts fetching the index unless a fetch is under way or done.
fn fetch_index(load: UseStateHandle<Load>, started: Rc<RefCell<bool>>) {
    if started.replace(true) {
        return;
    }
    load.set(Load::Loading);
    wasm_bindgen_futures::spawn_local(async move {
        match load_index().await {
            Ok(index) => load.set(Load::Ready(index)),
            Err(message) => {
                *started.borrow_mut() = false;
                load.set(Load::Failed(message));
            }
        }
    });
}

/// "/" alone, or Ctrl+K / Cmd+K.
fn is_shortcut(e: &KeyboardEvent) -> bool {
    let slash = e.key() == "/" && !e.ctrl_key() && !e.meta_key() && !e.alt_key();
    let k = (e.ctrl_key() || e.meta_key()) && !e.alt_key() && !e.shift_key() && e.key().eq_ignore_ascii_case("k");
    slash || k
}

/// Whether focus is somewhere the reader types: there "/" is a character, not a shortcut.
fn typing_in_a_field() -> bool {
    let Some(element) = gloo_utils_document().active_element() else { return false };
    matches!(element.tag_name().to_ascii_lowercase().as_str(), "input" | "textarea" | "select")
        || element.dyn_ref::<HtmlElement>().is_some_and(HtmlElement::is_content_editable)
}

fn is_input(target: Option<web_sys::EventTarget>) -> bool {
    target.is_some_and(|t| t.has_type::<HtmlInputElement>())
}

/// The result links, in order.
fn result_links(results_ref: &NodeRef) -> Vec<HtmlElement> {
    let Some(list) = results_ref.cast::<Element>() else { return Vec::new() };
    let items = list.children();
    (0..items.length()).filter_map(|i| items.item(i)?.first_element_child()?.dyn_into::<HtmlElement>().ok()).collect()
}

/// Moves focus one result down or up; up from the first result goes back to the field.
fn move_focus(input_ref: &NodeRef, results_ref: &NodeRef, down: bool) {
    let links = result_links(results_ref);
    let active = gloo_utils_document().active_element();
    let current = links.iter().position(|l| active.as_ref() == Some(l.unchecked_ref::<Element>()));
    let next = match (current, down) {
        (None, true) => links.first(),
        (Some(i), true) => links.get(i + 1).or(links.get(i)),
        (Some(0), false) | (None, false) => {
            if let Some(input) = input_ref.cast::<HtmlInputElement>() {
                let _ = input.focus();
            }
            return;
        }
        (Some(i), false) => links.get(i - 1),
    };
    if let Some(link) = next {
        let _ = link.focus();
    }
}

/// Pieces of a result as text and `<mark>` nodes.
fn pieces(pieces: &[Piece]) -> Html {
    pieces
        .iter()
        .map(|piece| match piece {
            Piece::Text(text) => html! { { text.clone() } },
            Piece::Mark(word) => html! { <mark>{ word.clone() }</mark> },
        })
        .collect()
}
