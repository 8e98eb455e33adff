//! The book's chapters. Metadata (order, titles, headings, checkpoint ids, body file) is compiled in, generated
//! at build time by `crates/content` (see `build.rs`); each chapter's body is a JSON file beside the app,
//! fetched when the reader opens the chapter, so the first load stays small however long the book grows.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

pub struct Chapter {
    pub number: usize,
    pub slug: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// The body's file name under `chapters/`, named by a hash of its contents.
    pub file: &'static str,
    pub headings: &'static [Heading],
    pub checkpoints: &'static [&'static str],
    pub simulations: &'static [&'static str],
}

pub struct Heading {
    pub level: u8,
    pub id: &'static str,
    pub text: &'static str,
}

pub static CHAPTERS: &[Chapter] = include!(concat!(env!("OUT_DIR"), "/book.rs"));

pub fn chapter(slug: &str) -> Option<&'static Chapter> {
    CHAPTERS.iter().find(|c| c.slug == slug)
}

impl Chapter {
    pub fn previous(&self) -> Option<&'static Chapter> {
        self.number.checked_sub(1).and_then(|n| CHAPTERS.get(n))
    }

    pub fn next(&self) -> Option<&'static Chapter> {
        CHAPTERS.get(self.number + 1)
    }
}

/// One piece of a chapter's body, as `crates/content` wrote it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub enum Block {
    /// Pre-rendered HTML. Trusted: it comes only from this repository's chapters, built with the app. Shared, as
    /// the chapter page renders it again each time one more block arrives.
    Html(Rc<str>),
    Sim(String),
    Checkpoint(Checkpoint),
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Checkpoint {
    pub id: String,
    pub title: String,
    pub kind: CheckpointKind,
    pub question_html: String,
    pub answer_html: String,
    /// A simulation on the page that shows the answer, and the settings (control label, value) that do.
    #[serde(default)]
    pub show: Option<Show>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Show {
    pub sim: String,
    pub settings: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub enum CheckpointKind {
    Free,
    Numeric { answer: f64, tolerance: f64, unit: String },
    Choice { options: Vec<String>, answer: usize },
}

pub type Body = Rc<Vec<Block>>;

thread_local! {
    /// Bodies already fetched in this visit, by file name.
    static BODIES: RefCell<BTreeMap<&'static str, Body>> = const { RefCell::new(BTreeMap::new()) };
}

/// A body already in memory, if it was fetched before.
pub fn cached_body(chapter: &Chapter) -> Option<Body> {
    BODIES.with(|b| b.borrow().get(chapter.file).cloned())
}

/// Fetches and parses a chapter's body (relative to the page, so any subpath works), or says why it could not.
pub async fn load_body(chapter: &'static Chapter) -> Result<Body, String> {
    if let Some(body) = cached_body(chapter) {
        return Ok(body);
    }
    // The start-up script may have fetched it already; if that failed, ask again, and say why if it fails again.
    let prefetched = match crate::boot::take_prefetched(chapter.file) {
        Some(body) => JsFuture::from(body).await.ok().and_then(|text| text.as_string()),
        None => None,
    };
    let text = match prefetched {
        Some(text) => text,
        None => fetch_text(&format!("chapters/{}", chapter.file)).await.map_err(|e| {
            format!("The chapter could not be loaded ({e}). Check your connection and reload the page.")
        })?,
    };
    let blocks: Vec<Block> = serde_json::from_str(&text)
        .map_err(|_| "The chapter file is damaged. Reload the page to fetch it again.".to_owned())?;
    let body = Rc::new(blocks);
    BODIES.with(|b| b.borrow_mut().insert(chapter.file, body.clone()));
    Ok(body)
}

pub(crate) async fn fetch_text(url: &str) -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(url)).await.map_err(|_| "network error".to_owned())?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "unexpected response".to_owned())?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(|_| "unreadable response".to_owned())?)
        .await
        .map_err(|_| "interrupted download".to_owned())?;
    text.as_string().ok_or_else(|| "unreadable response".to_owned())
}

// The glossary: its file name and every (slug, term), compiled in; definitions are fetched like a chapter body.
include!(concat!(env!("OUT_DIR"), "/glossary.rs"));

/// One glossary entry, as `crates/content` wrote it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct GlossaryEntry {
    pub term: String,
    pub slug: String,
    /// Pre-rendered HTML, trusted like a chapter body.
    pub definition_html: String,
    /// (route, label) of each place the book teaches the term.
    pub taught: Vec<(String, String)>,
    /// (slug, term) of related entries.
    pub see: Vec<(String, String)>,
}

pub type Glossary = Rc<Vec<GlossaryEntry>>;

thread_local! {
    static GLOSSARY: RefCell<Option<Glossary>> = const { RefCell::new(None) };
}

/// The term with this slug, if the glossary has one.
pub fn glossary_term(slug: &str) -> Option<&'static str> {
    GLOSSARY_TERMS.iter().find(|(s, _)| *s == slug).map(|(_, term)| *term)
}

pub fn cached_glossary() -> Option<Glossary> {
    GLOSSARY.with(|g| g.borrow().clone())
}

/// Fetches and parses the glossary, or says why it could not.
pub async fn load_glossary() -> Result<Glossary, String> {
    if let Some(glossary) = cached_glossary() {
        return Ok(glossary);
    }
    let text = fetch_text(&format!("chapters/{GLOSSARY_FILE}"))
        .await
        .map_err(|e| format!("The glossary could not be loaded ({e}). Check your connection and reload the page."))?;
    let entries: Vec<GlossaryEntry> = serde_json::from_str(&text)
        .map_err(|_| "The glossary file is damaged. Reload the page to fetch it again.".to_owned())?;
    let glossary = Rc::new(entries);
    GLOSSARY.with(|g| *g.borrow_mut() = Some(glossary.clone()));
    Ok(glossary)
}
