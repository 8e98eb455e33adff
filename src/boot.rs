//! The hand-over from the start-up script to the app.
//!
//! Before the wasm runs, the start-up script (written by `crates/content/src/csp.rs`) shows a line, or, when the
//! address opens the home page or a chapter, that page's opening in the app's own layout (for a chapter, after
//! fetching its body). The app takes a fetched body instead of fetching it again ([`take_prefetched`]) and builds
//! its page unseen behind the opening (`styles/book.css` hides the app's nodes while the opening is there). The
//! page removes the opening only once its own text is in place ([`end`]), so the text the reader started on never
//! blinks or moves.

use wasm_bindgen::JsCast;

const BOOT_ID: &str = "boot";
/// The global the start-up script leaves the fetched body in: `{ file, body: Promise<string> }`.
const PREFETCH_GLOBAL: &str = "bookPrefetch";

fn boot_element() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.get_element_by_id(BOOT_ID)
}

/// Called first thing when the app starts: removes the plain "Loading" line. A page's opening (the home page's or
/// a chapter's) stays until that page calls [`end`].
pub fn start() {
    if let Some(boot) = boot_element().filter(|b| !b.has_attribute("data-opening")) {
        boot.remove();
    }
}

/// Removes whatever the start-up script showed. Called once the app shows the page itself.
pub fn end() {
    if let Some(boot) = boot_element() {
        boot.remove();
    }
}

/// The body of chapter file `file` as the start-up script is fetching it, if it fetched that file. Taken once:
/// a later visit to the chapter uses the app's own cache, or fetches.
pub fn take_prefetched(file: &str) -> Option<js_sys::Promise> {
    let window = web_sys::window()?;
    let prefetch = js_sys::Reflect::get(&window, &PREFETCH_GLOBAL.into()).ok().filter(|p| p.is_object())?;
    let prefetched_file = js_sys::Reflect::get(&prefetch, &"file".into()).ok()?.as_string()?;
    if prefetched_file != file {
        return None;
    }
    let _ = js_sys::Reflect::delete_property(&window, &PREFETCH_GLOBAL.into());
    js_sys::Reflect::get(&prefetch, &"body".into()).ok()?.dyn_into::<js_sys::Promise>().ok()
}
