//! The "Copy link" button under a simulation: the address that reopens it exactly as it is now (see
//! [`crate::share`]), copied to the clipboard and shown in a field, since a clipboard can be refused.

use wasm_bindgen_futures::{spawn_local, JsFuture};
use yew::prelude::*;

use crate::share::{self, Pairs, Shareable};

#[derive(Properties, PartialEq)]
pub struct CopyLinkProps {
    /// The `{{#sim}}` name, which the link names so the right widget reads it.
    pub sim: &'static str,
    pub chapter: &'static str,
    /// The settings and run as query pairs, computed when the reader asks (not on every frame); `None` when the
    /// run holds something a link cannot carry.
    pub pairs: Callback<(), Option<Pairs>>,
}

/// What "Copy link" writes for a widget without a timeline: its settings (and steps) as they are now.
pub fn settings_pairs<S: Shareable + 'static>(settings: S) -> Callback<(), Option<Pairs>> {
    Callback::from(move |_: ()| {
        let mut pairs = Vec::new();
        settings.write(&mut pairs);
        Some(pairs)
    })
}

/// The page's address without its hash: the link works wherever the book is hosted, under any subpath.
fn page_address() -> String {
    let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
    href.split('#').next().unwrap_or_default().to_owned()
}

/// The full address for simulation `sim` in `chapter` with `pairs`.
pub fn link_address(base: &str, sim: &str, chapter: &str, pairs: &Pairs) -> String {
    let section = share::section(sim).map(|s| format!("/{s}")).unwrap_or_default();
    format!("{base}#/{chapter}{section}?{}", share::query(sim, pairs))
}

#[function_component(CopyLink)]
pub fn copy_link(props: &CopyLinkProps) -> Html {
    let id = use_memo((), |_| super::unique_id());
    let field_id = format!("link-{id}");
    let address = use_state(|| None::<String>);
    let status = use_state(String::new);
    let onclick = {
        let (pairs, address, status) = (props.pairs.clone(), address.clone(), status.clone());
        let (sim, chapter) = (props.sim, props.chapter);
        Callback::from(move |_: MouseEvent| {
            let Some(pairs) = pairs.emit(()) else {
                status.set("This run holds an action a link cannot carry yet, so it cannot be shared.".to_owned());
                return;
            };
            let url = link_address(&page_address(), sim, chapter, &pairs);
            address.set(Some(url.clone()));
            status.set("Link made; copying it…".to_owned());
            let status = status.clone();
            let clipboard = web_sys::window().map(|w| w.navigator().clipboard());
            spawn_local(async move {
                let copied = match clipboard {
                    Some(clipboard) => JsFuture::from(clipboard.write_text(&url)).await.is_ok(),
                    None => false,
                };
                status.set(if copied {
                    "Link copied. Opening it shows this simulation exactly as it is now.".to_owned()
                } else {
                    "The browser did not allow copying; select the link below and copy it.".to_owned()
                });
            });
        })
    };
    html! {
        <div class="copy-link">
            <button type="button" {onclick}>{ "Copy link" }</button>
            <span class="copy-link-status" aria-live="polite">{ (*status).clone() }</span>
            if let Some(url) = (*address).clone() {
                <label for={field_id.clone()}>{ "Link to this state" }</label>
                <input id={field_id} type="text" readonly=true value={url} />
            }
        </div>
    }
}
