//! The simulations, as their own wasm module. The book's shell (`main.rs`) renders an empty slot wherever a
//! chapter mounts a simulation and loads this module the first time it needs one, so the first page a reader
//! opens does not pay for eleven simulations' code. This module mounts a widget into every slot it finds, and
//! unmounts widgets whose slot has left the page.

use std::cell::RefCell;

use replication_book::sim_slots::{SimSlot, SimSlotProps, SLOT_SELECTOR};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::AppHandle;

thread_local! {
    static MOUNTED: RefCell<Vec<(web_sys::Element, AppHandle<SimSlot>)>> = const { RefCell::new(Vec::new()) };
}

/// Yew tags each app's root element with a tree id, counted from 1 in every wasm module, and routes an event to
/// the app whose id is on the nearest tagged ancestor. The book's own app is tree 1; if a widget's app were also
/// tree 1, the book would take the widget's events as its own (a click on "Table view" once followed a link in
/// the table of contents). Creating and dropping this many throwaway apps first moves this module's ids well
/// past any the book uses.
const TREE_IDS_SKIPPED: usize = 64;

#[yew::function_component(Nothing)]
fn nothing() -> yew::Html {
    yew::Html::default()
}

fn skip_tree_ids(document: &web_sys::Document) {
    for _ in 0..TREE_IDS_SKIPPED {
        if let Ok(detached) = document.create_element("div") {
            yew::Renderer::<Nothing>::with_root(detached).render().destroy();
        }
    }
}

fn mount_all() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    MOUNTED.with(|mounted| {
        let mut mounted = mounted.borrow_mut();
        // Widgets whose slot the book removed (the reader left the chapter) are destroyed, stopping any loop.
        let (gone, kept): (Vec<_>, Vec<_>) = mounted.drain(..).partition(|(slot, _)| !slot.is_connected());
        *mounted = kept;
        for (_, app) in gone {
            app.destroy();
        }
        let Ok(slots) = document.query_selector_all(SLOT_SELECTOR) else { return };
        for i in 0..slots.length() {
            let Some(slot) = slots.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok()) else { continue };
            let (Some(name), Some(chapter)) = (slot.get_attribute("data-sim"), slot.get_attribute("data-chapter"))
            else {
                continue;
            };
            let _ = slot.set_attribute("data-mounted", "");
            // Mount into a container of our own, so the book's renderer (which owns the slot) never sees our nodes.
            let Ok(host) = document.create_element("div") else { continue };
            if slot.append_child(&host).is_err() {
                continue;
            }
            let props = SimSlotProps { name: name.into(), chapter: chapter.into() };
            let app = yew::Renderer::<SimSlot>::with_root_and_props(host, props).render();
            mounted.push((slot, app));
        }
    });
}

fn main() {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        skip_tree_ids(&document);
    }
    // The first widgets mount in a task of their own, after the one that started this module: together they
    // were one task of 187–225 ms in Lighthouse's 4× slowed CPU, and split, each is shorter.
    gloo_timers::callback::Timeout::new(0, mount_all).forget();
    // The book calls this after rendering a chapter, so slots that appear later are filled too.
    let hook = Closure::<dyn Fn()>::new(mount_all);
    if let Some(window) = web_sys::window() {
        let _ = js_sys::Reflect::set(&window, &JsValue::from_str("bookMountSims"), hook.as_ref());
    }
    hook.forget();
}
