//! The seam between the book and its simulations, which ship as a separate wasm module (`src/bin/sims.rs`).
//!
//! The book renders a [`slot`] where a chapter mounts a simulation and calls [`request_mount`]; the first call
//! loads the simulations module, later calls ask it to fill new slots. The module mounts a [`SimSlot`] in each.

use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::content;
use crate::progress::ProgressProvider;
use crate::widgets;

/// Slots the simulations module has not filled yet.
pub const SLOT_SELECTOR: &str = ".sim-slot:not([data-mounted])";
const LOADER_ID: &str = "sims-loader";

/// An empty place for simulation `name` in chapter `chapter`. It has no children in the book's own tree: the
/// simulations module adds its own container inside, which the book's renderer then never touches. The
/// "loading" line is CSS, shown only while the slot is empty.
pub fn slot(name: &str, chapter: &str) -> Html {
    html! { <div class="sim-slot" data-sim={name.to_owned()} data-chapter={chapter.to_owned()}></div> }
}

/// Fills every empty slot on the page: loads the simulations module the first time, asks it to mount after.
pub fn request_mount() {
    let Some(window) = web_sys::window() else { return };
    let hook = js_sys::Reflect::get(&window, &"bookMountSims".into()).ok();
    if let Some(function) = hook.and_then(|h| h.dyn_into::<js_sys::Function>().ok()) {
        let _ = function.call0(&window);
        return;
    }
    let Some(document) = window.document() else { return };
    if document.get_element_by_id(LOADER_ID).is_some() {
        return; // Loading; the module fills every slot present when it starts.
    }
    if let Ok(script) = document.create_element("script") {
        script.set_id(LOADER_ID);
        let _ = script.set_attribute("type", "module");
        let _ = script.set_attribute("src", "sims-loader.js");
        if let Some(head) = document.head() {
            let _ = head.append_child(&script);
        }
    }
}

#[derive(Properties, PartialEq, Clone)]
pub struct SimSlotProps {
    pub name: AttrValue,
    pub chapter: AttrValue,
}

/// One simulation, mounted by the simulations module into a slot, with its own progress context.
#[function_component(SimSlot)]
pub fn sim_slot(props: &SimSlotProps) -> Html {
    let chapter = content::chapter(&props.chapter).map_or("the-problem", |c| c.slug);
    html! { <ProgressProvider>{ widgets::mount(&props.name, chapter) }</ProgressProvider> }
}
