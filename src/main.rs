//! Mounts the book. Everything else lives in the library so browser tests can mount pieces of it.

fn main() {
    // The static "Loading…" line is only for the moment before the wasm runs.
    if let Some(boot) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("boot")) {
        boot.remove();
    }
    replication_book::theme::start();
    yew::Renderer::<replication_book::app::App>::new().render();
}
