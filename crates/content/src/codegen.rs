//! The checked book as output: Rust metadata the app `include!`s (table of contents, headings, checkpoint
//! titles, and the name of each chapter's body file), and one JSON body file per chapter that the app fetches
//! when the reader opens it. Keeping bodies out of the wasm keeps the first load small however long the book
//! grows; naming each file by a hash of its contents lets it be cached forever and never served stale.

use std::fmt::Write;
use std::path::Path;

use crate::{Block, Book, Chapter};

/// One glossary entry as the glossary page reads it: links already resolved to routes and labels.
#[derive(serde::Serialize)]
struct GlossaryEntryJson<'a> {
    term: &'a str,
    slug: &'a str,
    definition_html: &'a str,
    /// (route, "Chapter N, Title: Section") for each place the book teaches the term.
    taught: Vec<(String, String)>,
    /// (slug, term) of related entries.
    see: Vec<(&'a str, &'a str)>,
}

/// The glossary as JSON: every entry with its definition and resolved links.
pub fn glossary_json(book: &Book) -> String {
    let entries: Vec<GlossaryEntryJson<'_>> = book
        .glossary
        .iter()
        .map(|e| GlossaryEntryJson {
            term: &e.term,
            slug: &e.slug,
            definition_html: &e.definition_html,
            taught: e
                .taught
                .iter()
                .filter_map(|t| {
                    let chapter = book.chapters.iter().find(|c| c.slug == t.chapter)?;
                    let mut label = format!("Chapter {}, {}", chapter.number, chapter.title);
                    let mut href = format!("#/{}", chapter.slug);
                    if let Some(id) = &t.heading {
                        let heading = chapter.headings.iter().find(|h| &h.id == id)?;
                        label.push_str(&format!(": {}", heading.text));
                        href.push_str(&format!("/{id}"));
                    }
                    Some((href, label))
                })
                .collect(),
            see: e
                .see
                .iter()
                .filter_map(|slug| book.glossary.iter().find(|o| &o.slug == slug))
                .map(|o| (o.slug.as_str(), o.term.as_str()))
                .collect(),
        })
        .collect();
    serde_json::to_string(&entries).expect("entries are plain data")
}

/// The glossary's file name: `glossary-<FNV-1a 64 of the JSON>.json`.
pub fn glossary_file(book: &Book) -> String {
    format!("glossary-{:016x}.json", fnv1a(&glossary_json(book)))
}

/// Rust items for the app: the glossary's file name and (slug, term) of every entry, so the page can name an
/// unknown term at once and a chapter link never waits for a fetch to be valid.
pub fn glossary_rust(book: &Book) -> String {
    let mut out = format!(
        "pub static GLOSSARY_FILE: &str = {:?};\npub static GLOSSARY_TERMS: &[(&str, &str)] = &[\n",
        glossary_file(book)
    );
    for e in &book.glossary {
        let _ = writeln!(out, "    ({:?}, {:?}),", e.slug, e.term);
    }
    out.push_str("];\n");
    out
}

pub(crate) fn fnv1a(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// A chapter's body: its blocks as JSON.
pub fn chapter_json(chapter: &Chapter) -> String {
    serde_json::to_string(&chapter.blocks).expect("blocks are plain data")
}

/// The body's file name: `slug-<FNV-1a 64 of the JSON>.json`.
pub fn chapter_file(chapter: &Chapter) -> String {
    format!("{}-{:016x}.json", chapter.slug, fnv1a(&chapter_json(chapter)))
}

/// Writes every chapter's body and the glossary into `dir` (created if needed), removing files of older builds.
pub fn write_chapter_files(book: &Book, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::remove_file(path)?;
        }
    }
    for chapter in &book.chapters {
        std::fs::write(dir.join(chapter_file(chapter)), chapter_json(chapter))?;
    }
    std::fs::write(dir.join(glossary_file(book)), glossary_json(book))?;
    Ok(())
}

/// Rust expression for `pub static CHAPTERS: &[Chapter]`, using the app's `content` types.
pub fn to_rust(book: &Book) -> String {
    let mut out = String::from("&[\n");
    for chapter in &book.chapters {
        let _ = writeln!(
            out,
            "Chapter {{ number: {}, slug: {:?}, title: {:?}, description: {:?}, file: {:?}, headings: &[",
            chapter.number,
            chapter.slug,
            chapter.title,
            chapter.description,
            chapter_file(chapter)
        );
        for h in &chapter.headings {
            let _ = writeln!(out, "  Heading {{ level: {}, id: {:?}, text: {:?} }},", h.level, h.id, h.text);
        }
        out.push_str("], checkpoints: &[");
        for block in &chapter.blocks {
            if let Block::Checkpoint(c) = block {
                let _ = write!(out, "{:?}, ", c.id);
            }
        }
        out.push_str("], simulations: &[");
        for block in &chapter.blocks {
            if let Block::Sim(name) = block {
                let _ = write!(out, "{name:?}, ");
            }
        }
        out.push_str("] },\n");
    }
    out.push(']');
    out
}
