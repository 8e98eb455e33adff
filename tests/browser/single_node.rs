//! Chapter 0's simulation, mounted on its own: the player's accessibility contract and its controls.

use replication_book::progress::ProgressProvider;
use replication_book::widgets::SingleNodeSim;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{HtmlElement, HtmlInputElement};
use yew::prelude::*;

use crate::helpers::*;

#[function_component(Harness)]
fn harness() -> Html {
    html! { <ProgressProvider><SingleNodeSim chapter="the-problem" /></ProgressProvider> }
}

async fn mounted() -> web_sys::Element {
    let root = fresh_root();
    yew::Renderer::<Harness>::with_root(root.clone()).render();
    settle().await;
    root
}

#[wasm_bindgen_test]
async fn the_figure_keeps_the_accessibility_contract() {
    let root = mounted().await;
    let figure = query(&root, "figure.sim").expect("a figure");
    assert_eq!(figure.get_attribute("aria-label").as_deref(), Some("Single node vs replicated system"));
    assert_eq!(figure.get_attribute("tabindex").as_deref(), Some("0"));
    assert!(query(&root, "[role=status]").is_some(), "a narration live region");
    // Every input and select has a label.
    for control in query_all(&root, "input, select") {
        let id = control.id();
        assert!(!id.is_empty() && query(&root, &format!("label[for='{id}']")).is_some(), "control {id} is labelled");
    }
    // The table view is hidden until asked for, then lists the nodes.
    let table = query(&root, ".table-view > div").unwrap();
    assert!(table.has_attribute("hidden"));
    button(&root, "Table view").click();
    settle().await;
    assert!(!query(&root, ".table-view > div").unwrap().has_attribute("hidden"));
    assert!(text_of(&root, ".state-table tbody").contains("n1"));
}

#[wasm_bindgen_test]
async fn kill_primary_narrates_the_crash_and_step_back_undoes_it() {
    let root = mounted().await;
    button(&root, "Kill Primary").click();
    settle().await;
    let narration = text_of(&root, "[role=status]");
    assert!(narration.contains("n1, the primary, crashes"), "{narration}");
    assert!(button(&root, "Kill Primary").has_attribute("disabled"));
    button(&root, "◀ Step back").click();
    settle().await;
    assert!(!button(&root, "Kill Primary").has_attribute("disabled"), "the crash is undone");
    assert!(!text_of(&root, "[role=status]").contains("crashes"));
}

#[wasm_bindgen_test]
async fn keys_act_only_when_the_figure_itself_has_focus() {
    let root = mounted().await;
    let figure = query(&root, "figure.sim").unwrap();
    figure.dyn_ref::<HtmlElement>().unwrap().focus().unwrap();
    key(&figure, " ");
    settle().await;
    assert!(query_all(&root, "button").iter().any(|b| b.text_content().unwrap() == "Pause"), "space plays");
    key(&figure, " ");
    settle().await;
    assert!(query_all(&root, "button").iter().any(|b| b.text_content().unwrap() == "Play"), "space pauses");
    // The same key on the seed field is typing, not a shortcut.
    let seed = query(&root, "input.seed").unwrap();
    key(&seed, " ");
    settle().await;
    assert!(query_all(&root, "button").iter().any(|b| b.text_content().unwrap() == "Play"));
    // Arrow right steps one entry: the clock or the narration moves.
    let before = text_of(&root, "[role=status]");
    for _ in 0..3 {
        key(&figure, "ArrowRight");
    }
    settle().await;
    assert_ne!(text_of(&root, "[role=status]"), before);
}

#[wasm_bindgen_test]
async fn an_invalid_seed_is_refused_with_a_message() {
    let root = mounted().await;
    let seed: HtmlInputElement = query(&root, "input.seed").unwrap().dyn_into().unwrap();
    seed.set_value("-7 apples");
    seed.dispatch_event(&web_sys::Event::new("change").unwrap()).unwrap();
    settle().await;
    assert!(text_of(&root, ".seed-help").contains("whole number"));
    assert_eq!(seed.value(), "1", "the previous seed is kept");
    seed.set_value("99");
    seed.dispatch_event(&web_sys::Event::new("change").unwrap()).unwrap();
    settle().await;
    assert_eq!(text_of(&root, ".seed-help"), "Same seed, same run.");
}

#[wasm_bindgen_test]
async fn scrubbing_moves_the_clock_both_ways() {
    let root = mounted().await;
    let scrub: HtmlInputElement = query(&root, "input[type=range]").unwrap().dyn_into().unwrap();
    scrub.set_value("5000");
    scrub.dispatch_event(&web_sys::InputEvent::new("input").unwrap()).unwrap();
    settle().await;
    assert!(text_of(&root, ".clock").starts_with("5.00 s"), "{}", text_of(&root, ".clock"));
    let answered: u64 = text_of(&root, ".sim-metrics dd").parse().unwrap();
    assert!(answered > 10, "requests were answered on the way: {answered}");
    scrub.set_value("1000");
    scrub.dispatch_event(&web_sys::InputEvent::new("input").unwrap()).unwrap();
    settle().await;
    assert!(text_of(&root, ".clock").starts_with("1.00 s"));
    let fewer: u64 = text_of(&root, ".sim-metrics dd").parse().unwrap();
    assert!(fewer < answered);
}
