//! Offline reading. A release build registers `sw.js`, the service worker that `crates/precache` writes at build
//! time: on the first visit it keeps every file of the book, so later visits work without a network, simulations
//! included. Each deployment is a version of its own: a page is answered from its version's cache only, and when
//! a newer version has installed beside it, `UpdateNotice` offers to reload into it. Accepting (or closing every
//! tab of the book) lets the new worker take over; every open page of the book then reloads, so none of them keeps
//! running old JS beside the new version's files.
//!
//! Development builds (`trunk serve`) register nothing, and their `sw.js` retires any worker a release build left
//! on the same origin, so live reloads are never answered from an offline copy.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_events::EventListener;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{ServiceWorker, ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState};
use yew::prelude::*;

/// Relative to the page, so the worker's scope is the book's own folder on any host and at any subpath.
const WORKER_URL: &str = "./sw.js";

/// The message `sw.js` answers with `skipWaiting()`.
const ACCEPT_UPDATE: &str = "skip-waiting";

type Listeners = Rc<RefCell<Vec<EventListener>>>;

/// Registers the worker (release builds only) and shows a notice with a "Reload" button once a new version of
/// the book is ready. Mount it once, in the shell.
#[function_component(UpdateNotice)]
pub fn update_notice() -> Html {
    let waiting = use_state(|| None::<ServiceWorker>);
    let listeners: Listeners = use_mut_ref(Vec::new);
    {
        let on_ready = waiting.setter();
        use_effect_with((), move |_| {
            if !cfg!(debug_assertions) {
                if let Some(container) = container() {
                    start(container, on_ready, listeners.clone());
                }
            }
            move || listeners.borrow_mut().clear()
        });
    }
    let accept = {
        let waiting = waiting.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(worker) = &*waiting {
                // The worker takes over, `controllerchange` fires and the page reloads (see `start`).
                let _ = worker.post_message(&JsValue::from_str(ACCEPT_UPDATE));
            }
        })
    };
    html! {
        // The live region is always present, so the notice is announced when it appears.
        <div class="update-notice" role="status">
            if waiting.is_some() {
                <p>
                    { "A new version of the book is available. " }
                    <button type="button" onclick={accept}>{ "Reload" }</button>
                </p>
            }
        </div>
    }
}

/// The browser's service worker container, where it offers one: not on `file://`, not over plain HTTP to
/// another machine, not in older browsers. Without one the book simply stays online-only.
fn container() -> Option<ServiceWorkerContainer> {
    let navigator = web_sys::window()?.navigator();
    let value = js_sys::Reflect::get(&navigator, &JsValue::from_str("serviceWorker")).ok()?;
    value.dyn_into().ok()
}

fn start(container: ServiceWorkerContainer, on_ready: UseStateSetter<Option<ServiceWorker>>, listeners: Listeners) {
    let Some(window) = web_sys::window() else { return };
    // The first worker taking over a page loaded from the network changes nothing the page runs; any later change
    // of controller is a new version, and this page's JS belongs to the old one.
    let controlled = Cell::new(container.controller().is_some());
    listeners.borrow_mut().push(EventListener::new(&container, "controllerchange", move |_| {
        if controlled.replace(true) {
            if let Some(window) = web_sys::window() {
                let _ = window.location().reload();
            }
        }
    }));
    let register = {
        let listeners = listeners.clone();
        move || {
            spawn_local(async move {
                // A refused registration (private mode, blocked storage, a missing file) leaves the book online-only.
                let Ok(registration) = JsFuture::from(container.register(WORKER_URL)).await else { return };
                let Ok(registration) = registration.dyn_into::<ServiceWorkerRegistration>() else { return };
                watch(container, registration, on_ready, listeners);
            })
        }
    };
    // The worker downloads the whole book: it waits for the page's own load so the first chapter comes first.
    let loaded = window.document().is_some_and(|d| d.ready_state() == "complete");
    if loaded {
        register();
    } else {
        listeners.borrow_mut().push(EventListener::once(&window, "load", move |_| register()));
    }
}

/// Offers the update whenever a new version has finished installing while this page has a controller (without
/// one, the installed worker is the first and activates by itself).
fn watch(
    container: ServiceWorkerContainer,
    registration: ServiceWorkerRegistration,
    on_ready: UseStateSetter<Option<ServiceWorker>>,
    listeners: Listeners,
) {
    let offer = Rc::new(move |registration: &ServiceWorkerRegistration| {
        if container.controller().is_some() {
            if let Some(waiting) = registration.waiting() {
                on_ready.set(Some(waiting));
            }
        }
    });
    // A version that installed during an earlier visit is already waiting.
    offer(&registration);
    let all = listeners.clone();
    listeners.borrow_mut().push(EventListener::new(&registration.clone(), "updatefound", move |_| {
        let Some(installing) = registration.installing() else { return };
        let (offer, registration, worker) = (offer.clone(), registration.clone(), installing.clone());
        all.borrow_mut().push(EventListener::new(&installing, "statechange", move |_| {
            if worker.state() == ServiceWorkerState::Installed {
                offer(&registration);
            }
        }));
    }));
}
