//! The checked book as output: Rust metadata the app `include!`s (table of contents, headings, checkpoint
//! titles, and the name of each chapter's body file), and one JSON body file per chapter that the app fetches
//! when the reader opens it. Keeping bodies out of the wasm keeps the first load small however long the book
//! grows; naming each file by a hash of its contents lets it be cached forever and never served stale.

use std::fmt::Write;
use std::path::Path;

use crate::{Block, Book, Chapter};

/// A chapter's body: its blocks as JSON.
pub fn chapter_json(chapter: &Chapter) -> String {
    serde_json::to_string(&chapter.blocks).expect("blocks are plain data")
}

/// The body's file name: `slug-<FNV-1a 64 of the JSON>.json`.
pub fn chapter_file(chapter: &Chapter) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in chapter_json(chapter).bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{}-{hash:016x}.json", chapter.slug)
}

/// Writes every chapter's body into `dir` (created if needed), removing bodies of older builds.
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
