//! Mounts the book. Everything else lives in the library so browser tests can mount pieces of it.

fn main() {
    // The static "Loading…" line is only for the moment before the wasm runs; the home page's or a chapter's
    // opening stays until that page is in place.
    replication_book::boot::start();
    replication_book::theme::start();
    // Into its own root, not <body>: Yew empties the element it mounts in, and the start-up script's copy of the
    // page's opening must stay in <body> until the app's page is in place behind it.
    let root = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("app"));
    match root {
        Some(root) => yew::Renderer::<replication_book::app::App>::with_root(root).render(),
        None => yew::Renderer::<replication_book::app::App>::new().render(),
    };
}
