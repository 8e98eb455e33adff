//! Keeping progress: export to a file, import from one, reset a chapter or everything. Destructive actions ask
//! for a second, explicit click; an import that fails validation changes nothing.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::progress::{self, use_progress, ProgressAction};
use crate::study;

/// Export, import and full reset.
#[function_component(ProgressTools)]
pub fn progress_tools() -> Html {
    let progress = use_progress();
    let status = use_state(|| None::<Result<String, String>>);
    let confirm_reset = use_state(|| false);

    let on_export = {
        let progress = progress.clone();
        let status = status.clone();
        Callback::from(move |_| {
            let today = progress::today();
            let text = progress::export(&progress.progress, today);
            status.set(Some(match download(&format!("replication-progress-{today}.json"), &text) {
                Ok(()) => Ok("Your progress was saved as a file in your downloads.".to_owned()),
                Err(()) => Err("This browser did not allow the download.".to_owned()),
            }));
        })
    };

    let on_import = {
        let progress = progress.clone();
        let status = status.clone();
        Callback::from(move |e: Event| {
            let Some(input) = e.target_dyn_into::<HtmlInputElement>() else { return };
            let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
            // The same file can be chosen again after a failure.
            input.set_value("");
            let progress = progress.clone();
            let status = status.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if file.size() > progress::IMPORT_MAX_BYTES as f64 {
                    status.set(Some(Err(
                        "That file is too large to be an export of your progress. Nothing was changed.".to_owned(),
                    )));
                    return;
                }
                let text = JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string());
                let result = match text {
                    None => Err("That file could not be read. Nothing was changed.".to_owned()),
                    Some(text) => match progress::parse_import(&text) {
                        Ok(imported) => {
                            progress.dispatch(ProgressAction::Import(imported));
                            Ok(format!("Progress imported from {}.", file.name()))
                        }
                        Err(reason) => Err(format!("{reason} Nothing was changed.")),
                    },
                };
                status.set(Some(result));
            });
        })
    };

    let ask_reset = {
        let confirm_reset = confirm_reset.clone();
        Callback::from(move |_| confirm_reset.set(true))
    };
    let cancel_reset = {
        let confirm_reset = confirm_reset.clone();
        Callback::from(move |_| confirm_reset.set(false))
    };
    let do_reset = {
        let progress = progress.clone();
        let confirm_reset = confirm_reset.clone();
        let status = status.clone();
        Callback::from(move |_| {
            progress.dispatch(ProgressAction::ResetAll);
            confirm_reset.set(false);
            status.set(Some(Ok("All progress was reset.".to_owned())));
        })
    };

    html! {
        <section class="progress-tools" aria-labelledby="progress-tools-title">
            <h3 id="progress-tools-title">{ "Keep your progress" }</h3>
            <p class="muted">{ "Progress lives only in this browser. Save it to a file to move it to another browser or keep it safe." }</p>
            <div class="progress-tools-row">
                <button type="button" onclick={on_export}>{ "Export progress" }</button>
                <span class="file-field">
                    <label for="progress-import">{ "Import a progress file:" }</label>
                    <input id="progress-import" type="file" accept=".json,application/json" onchange={on_import} />
                </span>
                if *confirm_reset {
                    <span class="confirm" role="group" aria-label="Confirm reset">
                        <span>{ "Forget everything: chapters, checkpoints, flashcards and the learn path?" }</span>
                        <button type="button" class="danger" onclick={do_reset}>{ "Yes, reset all" }</button>
                        <button type="button" class="secondary" onclick={cancel_reset}>{ "Cancel" }</button>
                    </span>
                } else {
                    <button type="button" class="secondary" onclick={ask_reset}>{ "Reset all progress…" }</button>
                }
            </div>
            <div aria-live="polite">
                { match &*status {
                    Some(Ok(message)) => html! { <p class="verdict right">{ message.clone() }</p> },
                    Some(Err(message)) => html! { <p class="verdict wrong" role="alert">{ message.clone() }</p> },
                    None => html! {},
                } }
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ResetChapterProps {
    pub slug: &'static str,
    pub title: &'static str,
}

/// "Reset" for one chapter, with an inline confirmation.
#[function_component(ResetChapter)]
pub fn reset_chapter(props: &ResetChapterProps) -> Html {
    let progress = use_progress();
    let confirming = use_state(|| false);
    let slug = props.slug;
    if !*confirming {
        let ask = {
            let confirming = confirming.clone();
            Callback::from(move |_| confirming.set(true))
        };
        return html! {
            <button type="button" class="secondary small" onclick={ask} aria-label={format!("Reset progress in {}", props.title)}>
                { "Reset…" }
            </button>
        };
    }
    let yes = {
        let confirming = confirming.clone();
        Callback::from(move |_| {
            let cards = study::cards_of(slug).map(|c| c.id.to_owned()).collect();
            progress.dispatch(ProgressAction::ResetChapter { chapter: slug.to_owned(), cards });
            confirming.set(false);
        })
    };
    let no = Callback::from(move |_| confirming.set(false));
    html! {
        <span class="confirm" role="group" aria-label={format!("Confirm reset of {}", props.title)}>
            <span>{ "Forget this chapter's progress and flashcards?" }</span>
            <button type="button" class="danger small" onclick={yes}>{ "Yes, reset" }</button>
            <button type="button" class="secondary small" onclick={no}>{ "Cancel" }</button>
        </span>
    }
}

/// Offers `text` as a file download.
fn download(name: &str, text: &str) -> Result<(), ()> {
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(|_| ())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| ())?;
    let document = crate::app::gloo_utils_document();
    let anchor: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(|_| ())?.dyn_into().map_err(|_| ())?;
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    // Released a little later: revoking at once can cancel the download in some browsers.
    gloo_timers::callback::Timeout::new(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}
