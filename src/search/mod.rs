//! Full-text search over the chapters, the glossary and the flashcards. The index is built at build time by
//! `crates/content` (one entry per chapter section, glossary term and flashcard) and fetched the first time the
//! reader opens the search, so it costs the first load nothing; `matcher` ranks entries against a query.

mod dialog;
pub mod matcher;

pub use dialog::Search;

use std::cell::RefCell;
use std::rc::Rc;

use serde::Deserialize;

use matcher::Searchable;

// The index's file name (hashed, beside the chapter bodies) and how many entries it holds.
include!(concat!(env!("OUT_DIR"), "/search.rs"));

/// One entry as `crates/content` wrote it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Entry {
    pub kind: EntryKind,
    pub title: String,
    /// "Chapter 6 · Leaderless replication", "Glossary", "Flashcard · Chapter 0 · The Problem".
    pub place: String,
    /// A route in the book: `#/slug/heading-id`, `#/slug` or `#/glossary/term`.
    pub href: String,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum EntryKind {
    Section,
    Term,
    Flashcard,
}

/// The fetched index, its entries split into words once.
#[derive(Debug, PartialEq)]
pub struct Index {
    pub entries: Vec<Entry>,
    pub searchable: Vec<Searchable>,
}

impl Index {
    pub fn new(entries: Vec<Entry>) -> Index {
        let searchable = entries.iter().map(|e| Searchable::new(&e.title, &e.text)).collect();
        Index { entries, searchable }
    }
}

thread_local! {
    static INDEX: RefCell<Option<Rc<Index>>> = const { RefCell::new(None) };
}

/// Fetches and prepares the index (once per visit), or says why it could not.
pub async fn load_index() -> Result<Rc<Index>, String> {
    if let Some(index) = INDEX.with(|i| i.borrow().clone()) {
        return Ok(index);
    }
    let text = crate::content::fetch_text(&format!("chapters/{SEARCH_FILE}"))
        .await
        .map_err(|e| format!("The search index could not be loaded ({e}). Check your connection and try again."))?;
    let entries: Vec<Entry> = serde_json::from_str(&text)
        .ok()
        .filter(|entries: &Vec<Entry>| entries.len() == SEARCH_ENTRIES)
        .ok_or_else(|| "The search index is damaged. Reload the page to fetch it again.".to_owned())?;
    let index = Rc::new(Index::new(entries));
    INDEX.with(|i| *i.borrow_mut() = Some(index.clone()));
    Ok(index)
}
