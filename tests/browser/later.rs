//! `player::Later`: a widget's lower panels arrive one task after its first render.

use replication_book::player::Later;
use wasm_bindgen_test::wasm_bindgen_test;
use yew::prelude::*;

use crate::helpers::*;

#[function_component(Harness)]
fn harness() -> Html {
    html! {
        <div class="figure-part">
            <p class="first">{ "figure" }</p>
            <Later><p class="later">{ "panel" }</p></Later>
        </div>
    }
}

#[wasm_bindgen_test]
async fn later_shows_its_children_in_the_next_task_not_the_first() {
    let root = fresh_root();
    yew::Renderer::<Harness>::with_root(root.clone()).render();
    // The first render and its effects run in microtasks of this task; these awaits resume after them, still
    // before any timer of this task can fire.
    for _ in 0..3 {
        let resolved = js_sys::Promise::resolve(&wasm_bindgen::JsValue::NULL);
        wasm_bindgen_futures::JsFuture::from(resolved).await.unwrap();
    }
    assert!(query(&root, ".first").is_some());
    assert!(query(&root, ".later").is_none(), "the panel waits for the next task");
    settle().await;
    assert_eq!(text_of(&root, ".later"), "panel");
}
