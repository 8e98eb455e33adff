//! The search index: every chapter section, glossary entry and flashcard as plain text with the route it opens.
//! Built from the checked book at build time and written as one JSON file beside the chapter bodies
//! (`search-<hash>.json`), which the app fetches the first time the reader opens the search, so searching costs
//! the first load nothing. The app does the matching (`src/search/matcher.rs`); this side only decides what is
//! findable and where each passage leads.

use std::fmt::Write;
use std::path::Path;

use crate::codegen::fnv1a;
use crate::{Block, Book, Chapter, Study};

/// What a search entry is, so results can say so and rank a term's own entry well.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum EntryKind {
    /// The text under one heading of a chapter (up to the next heading), or a chapter's opening.
    Section,
    Term,
    Flashcard,
}

/// One findable passage.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SearchEntry {
    pub kind: EntryKind,
    /// The heading, the glossary term, or the flashcard's question.
    pub title: String,
    /// Where it sits: "Chapter 6 · Leaderless replication", "Glossary", "Flashcard · Chapter 0 · The Problem".
    pub place: String,
    /// A route in the book: `#/slug/heading-id`, `#/slug`, `#/glossary/term`.
    pub href: String,
    /// The passage as plain text, whitespace collapsed.
    pub text: String,
}

/// Every section of every chapter, then the glossary, then the flashcards: book order, which breaks ties in
/// ranking.
pub fn search_entries(book: &Book, study: &Study) -> Vec<SearchEntry> {
    let mut entries = Vec::new();
    for chapter in &book.chapters {
        entries.extend(chapter_sections(chapter));
    }
    for term in &book.glossary {
        entries.push(SearchEntry {
            kind: EntryKind::Term,
            title: term.term.clone(),
            place: "Glossary".to_owned(),
            href: format!("#/glossary/{}", term.slug),
            text: html_to_text(&term.definition_html),
        });
    }
    for card in &study.cards {
        // A card belongs to a chapter, not a heading; the chapter is where its answer is taught.
        let Some(chapter) = book.chapters.iter().find(|c| c.slug == card.chapter) else { continue };
        entries.push(SearchEntry {
            kind: EntryKind::Flashcard,
            title: html_to_text(&card.front_html),
            place: format!("Flashcard · Chapter {} · {}", chapter.number, chapter.title),
            href: format!("#/{}", chapter.slug),
            text: html_to_text(&card.back_html),
        });
    }
    entries
}

/// A chapter cut at its headings. Checkpoints count as part of their section: their title and question (not
/// the model answer, which the reader is meant to work out first).
fn chapter_sections(chapter: &Chapter) -> Vec<SearchEntry> {
    let place = format!("Chapter {} · {}", chapter.number, chapter.title);
    let mut sections = vec![SearchEntry {
        kind: EntryKind::Section,
        title: chapter.title.clone(),
        place: place.clone(),
        href: format!("#/{}", chapter.slug),
        text: String::new(),
    }];
    for block in &chapter.blocks {
        let html = match block {
            Block::Html(html) => html.clone(),
            Block::Checkpoint(c) => format!("<p>{}</p>{}", crate::markdown::html_escape(&c.title), c.question_html),
            Block::Sim(_) => continue,
        };
        for piece in split_at_headings(&html) {
            if let Piece::Heading(id) = piece {
                let heading = chapter.headings.iter().find(|h| h.id == id);
                let text = heading.map_or_else(String::new, |h| h.text.clone());
                sections.push(SearchEntry {
                    kind: EntryKind::Section,
                    title: text,
                    place: place.clone(),
                    href: format!("#/{}/{id}", chapter.slug),
                    text: String::new(),
                });
            } else if let Piece::Text(text) = piece {
                let last = sections.last_mut().expect("the chapter's opening is always there");
                if !text.is_empty() {
                    if !last.text.is_empty() {
                        last.text.push(' ');
                    }
                    last.text.push_str(&text);
                }
            }
        }
    }
    // A chapter that starts with a heading has no opening text: nothing to find there.
    sections.retain(|s| !(s.text.is_empty() && s.href == format!("#/{}", chapter.slug)));
    sections
}

enum Piece {
    Heading(String),
    Text(String),
}

/// Splits rendered chapter HTML at its `<hN id="…">` headings, turning what lies between into text.
fn split_at_headings(html: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut rest = html;
    let mut text = String::new();
    while let Some(start) = find_heading(rest) {
        text.push_str(&rest[..start]);
        pieces.push(Piece::Text(html_to_text(&std::mem::take(&mut text))));
        let after = &rest[start + "<h2 id=\"".len()..];
        let id = after.split('"').next().unwrap_or_default().to_owned();
        let level = &rest[start + 2..start + 3];
        let close = format!("</h{level}>");
        rest = after.find(&close).map_or("", |end| &after[end + close.len()..]);
        pieces.push(Piece::Heading(id));
    }
    text.push_str(rest);
    pieces.push(Piece::Text(html_to_text(&text)));
    pieces
}

fn find_heading(html: &str) -> Option<usize> {
    (2..=6).filter_map(|level| html.find(&format!("<h{level} id=\""))).min()
}

/// The prose a reader sees in rendered HTML: tags dropped (block tags leave a space), entities decoded, figures'
/// drawings and code blocks skipped (captions and inline code kept), whitespace collapsed.
pub(crate) fn html_to_text(html: &str) -> String {
    let mut raw = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        raw.push_str(&rest[..lt]);
        let tag = &rest[lt..];
        let skip_to = if tag.starts_with("<svg") {
            // An inlined figure's drawing: its labels are not prose, and its alt text is the figure's caption.
            tag.find("</svg>").map(|end| end + "</svg>".len())
        } else if tag.starts_with("<pre") {
            // A code block reads badly as a snippet; the names that matter also appear in the prose around it.
            tag.find("</pre>").map(|end| end + "</pre>".len())
        } else {
            tag.find('>').map(|end| end + 1)
        };
        let Some(skip_to) = skip_to else {
            rest = "";
            break;
        };
        if !is_inline_tag(&tag[..skip_to]) {
            raw.push(' ');
        }
        rest = &tag[skip_to..];
    }
    raw.push_str(rest);
    let decoded = raw
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Tags inside a line of text, which must not split a word ("<em>a</em>b" reads "ab").
fn is_inline_tag(tag: &str) -> bool {
    let name: String = tag.trim_start_matches(['<', '/']).chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    matches!(name.as_str(), "a" | "em" | "strong" | "code" | "span" | "sup" | "sub" | "del" | "abbr" | "kbd")
}

/// The index as JSON.
pub fn search_json(entries: &[SearchEntry]) -> String {
    serde_json::to_string(entries).expect("entries are plain data")
}

/// The index's file name: `search-<FNV-1a 64 of the JSON>.json`, so it can be cached forever.
pub fn search_file(entries: &[SearchEntry]) -> String {
    format!("search-{:016x}.json", fnv1a(&search_json(entries)))
}

/// Writes the index into `dir` (beside the chapter bodies; run after `write_chapter_files`, which clears it).
pub fn write_search_file(entries: &[SearchEntry], dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(search_file(entries)), search_json(entries))
}

/// Rust source for the app (`OUT_DIR/search.rs`): the index's file name and its entry count.
pub fn search_rust(entries: &[SearchEntry]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "pub static SEARCH_FILE: &str = {:?};", search_file(entries));
    let _ = writeln!(out, "pub static SEARCH_ENTRIES: usize = {};", entries.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_the_text_a_reader_sees() {
        assert_eq!(
            html_to_text("<p>A <em>quorum</em>-based read &amp; write</p><ul><li>W</li><li>R &gt; N</li></ul>"),
            "A quorum-based read & write W R > N"
        );
        assert_eq!(
            html_to_text(
                "<figure class=\"figure\"><svg role=\"img\"><text>x</text></svg><figcaption>Lag</figcaption></figure>"
            ),
            "Lag"
        );
        assert_eq!(
            html_to_text(
                "<p>Promote with <code>pg_ctl</code>:</p><pre class=\"code\"><code>pg_ctl promote</code></pre>"
            ),
            "Promote with pg_ctl:"
        );
    }

    #[test]
    fn headings_cut_the_text_into_sections() {
        let pieces = split_at_headings(
            "<p>Intro</p><h2 id=\"one\"><a class=\"anchor\" href=\"#/c/one\">#</a>One</h2><p>First</p>\
             <h3 id=\"two\">Two</h3><p>Second</p>",
        );
        let shown: Vec<String> = pieces
            .iter()
            .map(|p| match p {
                Piece::Heading(id) => format!("#{id}"),
                Piece::Text(t) => t.clone(),
            })
            .collect();
        assert_eq!(shown, ["Intro", "#one", "First", "#two", "Second"]);
    }
}
