//! Light and dark themes. The book follows the system setting until the reader picks one; the pick is kept in
//! localStorage (a display preference, so apart from reading progress and never exported with it).
//!
//! The choice is a `data-theme` attribute on `<html>`: `styles/book.css` keys the dark tokens on it and on the
//! system setting. Canvases read their colours from those tokens when they paint, so a change announces itself
//! with a window event ([`THEME_CHANGE_EVENT`]) that every `SimCanvas` — in either wasm module — repaints on.

use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Where the reader's pick is kept.
pub const THEME_KEY: &str = "replication-book/theme";
/// Dispatched on `window` whenever the colours in effect may have changed.
pub const THEME_CHANGE_EVENT: &str = "book-theme-change";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThemeChoice {
    System,
    Light,
    Dark,
}

impl ThemeChoice {
    pub const ALL: [ThemeChoice; 3] = [ThemeChoice::System, ThemeChoice::Light, ThemeChoice::Dark];

    /// The stored value, or what is stored when the reader has not picked (none).
    pub fn stored(self) -> Option<&'static str> {
        match self {
            ThemeChoice::System => None,
            ThemeChoice::Light => Some("light"),
            ThemeChoice::Dark => Some("dark"),
        }
    }

    /// Anything but a value this module wrote (a hand edit, an old format) means "follow the system".
    pub fn from_stored(value: Option<&str>) -> ThemeChoice {
        match value.map(str::trim) {
            Some("light") => ThemeChoice::Light,
            Some("dark") => ThemeChoice::Dark,
            _ => ThemeChoice::System,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ThemeChoice::System => "System",
            ThemeChoice::Light => "Light",
            ThemeChoice::Dark => "Dark",
        }
    }

    fn value(self) -> &'static str {
        self.stored().unwrap_or("system")
    }

    fn from_value(value: &str) -> ThemeChoice {
        ThemeChoice::from_stored(Some(value))
    }
}

/// The page's localStorage, or none where the browser blocks it (reading it may throw: gloo's `LocalStorage::raw`
/// would panic, and a panic ends the app).
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The reader's pick; storage that is missing, blocked or garbled reads as "follow the system".
pub fn load() -> ThemeChoice {
    let stored = storage().and_then(|s| s.get_item(THEME_KEY).ok().flatten());
    ThemeChoice::from_stored(stored.as_deref())
}

/// Puts `choice` into effect and tells the canvases.
pub fn apply(choice: ThemeChoice) {
    let Some(window) = web_sys::window() else { return };
    if let Some(root) = window.document().and_then(|d| d.document_element()) {
        let _ = match choice.stored() {
            Some(theme) => root.set_attribute("data-theme", theme),
            None => root.remove_attribute("data-theme"),
        };
    }
    announce_change(&window);
}

fn announce_change(window: &web_sys::Window) {
    if let Ok(event) = web_sys::Event::new(THEME_CHANGE_EVENT) {
        let _ = window.dispatch_event(&event);
    }
}

/// Applies the stored pick and, for readers who follow the system, passes the system's changes on to the
/// canvases. Called once when the book starts.
pub fn start() {
    apply(load());
    let Some(window) = web_sys::window() else { return };
    if let Ok(Some(query)) = window.match_media("(prefers-color-scheme: dark)") {
        let listener = gloo_events::EventListener::new(&query, "change", move |_| {
            if let Some(window) = web_sys::window() {
                announce_change(&window);
            }
        });
        // The book lives as long as the page, and so does this listener.
        listener.forget();
    }
    // Paper is white: print.css switches the page to the light tokens, but a canvas keeps the pixels it was
    // painted with, so a reader in the dark theme would print dark figures. Repaint them light for the print
    // (the canvases repaint synchronously on the change event), then put the reader's theme back.
    let before = gloo_events::EventListener::new(&window, "beforeprint", |_| {
        let Some(window) = web_sys::window() else { return };
        if let Some(root) = window.document().and_then(|d| d.document_element()) {
            let shown = root.get_attribute("data-theme").unwrap_or_default();
            let _ = root.set_attribute(PRINT_RESTORE_ATTRIBUTE, &shown);
            let _ = root.set_attribute("data-theme", "light");
        }
        announce_change(&window);
    });
    let after = gloo_events::EventListener::new(&window, "afterprint", |_| {
        let Some(window) = web_sys::window() else { return };
        if let Some(root) = window.document().and_then(|d| d.document_element()) {
            let _ = match root.get_attribute(PRINT_RESTORE_ATTRIBUTE).as_deref() {
                Some("") | None => root.remove_attribute("data-theme"),
                Some(theme) => root.set_attribute("data-theme", theme),
            };
            let _ = root.remove_attribute(PRINT_RESTORE_ATTRIBUTE);
        }
        announce_change(&window);
    });
    before.forget();
    after.forget();
}

/// Where the theme shown before printing waits on `<html>` until the print is done.
const PRINT_RESTORE_ATTRIBUTE: &str = "data-theme-before-print";

/// The theme picker in the top bar: a native select, so keyboards and screen readers know it already.
#[function_component(ThemeSwitch)]
pub fn theme_switch() -> Html {
    let choice = use_state(load);
    let onchange = {
        let choice = choice.clone();
        Callback::from(move |e: Event| {
            let Some(select) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok()) else {
                return;
            };
            let picked = ThemeChoice::from_value(&select.value());
            // If storage is unavailable or full the pick still holds for this visit.
            if let Some(storage) = storage() {
                let _ = match picked.stored() {
                    Some(theme) => storage.set_item(THEME_KEY, theme),
                    None => storage.remove_item(THEME_KEY),
                };
            }
            apply(picked);
            choice.set(picked);
        })
    };
    html! {
        <label class="theme-switch">
            // On a phone the word gives way to a half-filled circle; the label still names the select.
            <span class="theme-switch-icon" aria-hidden="true">{ "◐" }</span>
            <span class="theme-switch-label">{ "Theme" }</span>
            <select {onchange}>
                { for ThemeChoice::ALL.into_iter().map(|c| html! {
                    <option value={c.value()} selected={c == *choice}>{ c.label() }</option>
                }) }
            </select>
        </label>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_choice_survives_storage() {
        for choice in ThemeChoice::ALL {
            assert_eq!(ThemeChoice::from_stored(choice.stored()), choice);
            assert_eq!(ThemeChoice::from_value(choice.value()), choice);
        }
    }

    #[test]
    fn unknown_stored_values_follow_the_system() {
        for garbage in ["", "Dark mode", "{\"theme\":\"dark\"}", "system", "\u{0}"] {
            assert_eq!(ThemeChoice::from_stored(Some(garbage)), ThemeChoice::System, "{garbage:?}");
        }
        assert_eq!(ThemeChoice::from_stored(Some(" dark\n")), ThemeChoice::Dark);
    }
}
