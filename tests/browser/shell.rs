//! The app shell: routes, table of contents, bad saved progress.

use replication_book::app::App;
use replication_book::progress::STORAGE_KEY;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::helpers::*;

fn mount_app_at(hash: &str) -> web_sys::Element {
    web_sys::window().unwrap().location().set_hash(hash).unwrap();
    let root = fresh_root();
    yew::Renderer::<App>::with_root(root.clone()).render();
    root
}

#[wasm_bindgen_test]
async fn home_lists_every_chapter_with_its_progress() {
    web_sys::window().unwrap().local_storage().unwrap().unwrap().remove_item(STORAGE_KEY).unwrap();
    let root = mount_app_at("#/");
    settle().await;
    let cards = query_all(&root, ".chapter-card");
    assert_eq!(cards.len(), 11);
    assert!(cards[0].text_content().unwrap().contains("The Problem"));
    assert!(text_of(&root, ".progress-summary").contains("0 of 11"));
    assert_eq!(document().title(), "Replication — an interactive course");
    assert_eq!(query_all(&root, "nav#toc ol > li").len(), 11);
}

#[wasm_bindgen_test]
async fn an_unknown_route_shows_a_way_home() {
    let root = mount_app_at("#/no-such-chapter/or-section");
    settle().await;
    let text = root.text_content().unwrap();
    assert!(text.contains("This page is not in the book"), "{text}");
    assert!(query(&root, "a[href='#/']").is_some());
}

#[wasm_bindgen_test]
async fn corrupt_saved_progress_is_reported_and_replaced() {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage.set_item(STORAGE_KEY, "{not json").unwrap();
    let root = mount_app_at("#/");
    settle().await;
    let notice = text_of(&root, ".notice");
    assert!(notice.contains("could not be read"), "{notice}");
    assert_eq!(query_all(&root, ".chapter-card").len(), 11, "the book still shows");
    storage.remove_item(STORAGE_KEY).unwrap();
}
