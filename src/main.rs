//! Mounts the book. Everything else lives in the library so browser tests can mount pieces of it.

fn main() {
    // The static "Loading…" line is only for the moment before the wasm runs; a chapter's opening stays until
    // the chapter page has its body in place.
    replication_book::boot::start();
    replication_book::theme::start();
    yew::Renderer::<replication_book::app::App>::new().render();
}
