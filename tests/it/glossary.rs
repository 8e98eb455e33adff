//! The glossary against the real book (every term defined, taught somewhere that exists, and linked from a
//! chapter) and against broken glossaries (each mistake named with its line).

use std::collections::BTreeMap;
use std::fs;
use std::sync::OnceLock;

use content::{glossary_json, load_book, Block, Book};

use crate::root;

include!("../../src/widgets/names.rs");

/// The real book, built once for all the tests here (highlighting every chapter is slow in debug builds).
fn book() -> &'static Book {
    static BOOK: OnceLock<Book> = OnceLock::new();
    BOOK.get_or_init(|| {
        load_book(&root().join("chapters"), SIMULATIONS).unwrap_or_else(|errors| {
            panic!("{}", errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"));
        })
    })
}

fn chapter_html(book: &Book) -> Vec<(String, String)> {
    book.chapters
        .iter()
        .map(|c| {
            let html = c
                .blocks
                .iter()
                .filter_map(|b| match b {
                    Block::Html(h) => Some(h.as_str()),
                    _ => None,
                })
                .collect::<String>();
            (c.slug.clone(), html)
        })
        .collect()
}

/// The `#/glossary/<slug>` targets of every term link in `html`, in order.
fn term_links(html: &str) -> Vec<String> {
    html.split("<a class=\"term\" href=\"#/glossary/")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .collect()
}

#[test]
fn the_glossary_defines_the_course_vocabulary() {
    let book = book();
    let terms: Vec<&str> = book.glossary.iter().map(|e| e.term.as_str()).collect();
    assert!(terms.len() >= 60, "about sixty terms, found {}", terms.len());
    for needed in [
        "Leader",
        "Follower",
        "Replica",
        "Log sequence number (LSN)",
        "Write-ahead log (WAL)",
        "Quorum",
        "Sloppy quorum",
        "Hinted handoff",
        "Read repair",
        "Anti-entropy",
        "Merkle tree",
        "Version vector",
        "Vector clock",
        "Sibling",
        "Tombstone",
        "CRDT",
        "G-Counter",
        "Last write wins (LWW)",
        "STONITH",
        "Fencing",
        "Split brain",
        "Recovery point objective (RPO)",
        "Recovery time objective (RTO)",
        "Change data capture (CDC)",
        "Linearizability",
        "Eventual consistency",
        "Read-your-writes",
        "Monotonic reads",
        "Consistent prefix reads",
        "Synchronous replication",
        "Asynchronous replication",
        "Semi-synchronous replication",
        "Failover",
        "Heartbeat",
        "Epoch (term)",
        "Replication lag",
        "Statement-based replication",
        "Logical (row-based) replication",
        "Trigger-based replication",
        "Snapshot",
        "Catch-up recovery",
        "Multi-leader replication",
        "Leaderless replication",
        "Write conflict",
        "Happens-before",
        "Concurrent writes",
        "Operational transformation (OT)",
        "Consistent hashing",
        "In-sync replicas (ISR)",
        "acks=all",
        "min.insync.replicas",
        "Point-in-time recovery (PITR)",
        "Raft",
        "Paxos",
        "Chain replication",
        "Shared storage (Aurora)",
        "Staleness (PBS)",
        "Network partition",
        "Partitioning (sharding)",
    ] {
        assert!(terms.contains(&needed), "the glossary defines {needed:?}");
    }
    let mut sorted = terms.clone();
    sorted.sort_by_key(|t| t.to_lowercase());
    assert_eq!(terms, sorted, "entries are in alphabetical order");
    for e in &book.glossary {
        assert!(e.definition_html.starts_with("<p>") && e.definition_html.len() > 60, "{}: a real definition", e.term);
    }
}

#[test]
fn every_term_is_linked_from_a_chapter_once_per_chapter_at_most() {
    let book = book();
    let mut chapters_linking: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (slug, html) in chapter_html(book) {
        let links = term_links(&html);
        let mut seen = links.clone();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), links.len(), "{slug}: only the first use of a term is linked");
        for link in links {
            assert!(book.glossary.iter().any(|e| e.slug == link), "{slug}: link to unknown term {link}");
            chapters_linking.entry(link).or_default().push(slug.clone());
        }
        // Never inside headings or code blocks.
        for tag in ["<h2", "<h3", "<pre"] {
            for piece in html.split(tag).skip(1) {
                let closing = match tag {
                    "<pre" => "</pre>",
                    "<h2" => "</h2>",
                    _ => "</h3>",
                };
                let inside = &piece[..piece.find(closing).unwrap()];
                assert!(!inside.contains("class=\"term\""), "{slug}: a term link inside {tag}>: {inside}");
            }
        }
    }
    let unlinked: Vec<&str> =
        book.glossary.iter().filter(|e| !chapters_linking.contains_key(&e.slug)).map(|e| e.term.as_str()).collect();
    assert!(unlinked.is_empty(), "terms no chapter links to: {unlinked:?}");
    // The chapter that teaches a term links to it.
    for e in &book.glossary {
        let teaching = &e.taught[0].chapter;
        assert!(
            chapters_linking[&e.slug].contains(teaching),
            "{} is taught in {teaching}, which should link it",
            e.term
        );
    }
}

#[test]
fn term_links_are_accessible_and_resolve() {
    let book = book();
    let (_, html) = chapter_html(book).into_iter().find(|(s, _)| s == "leaders-and-followers").unwrap();
    let start = html.find("<a class=\"term\" href=\"#/glossary/leader\"").expect("chapter 1 links “leader”");
    let link = &html[start..start + html[start..].find("</a>").unwrap()];
    assert!(link.contains("aria-label=\"leader: see the glossary\""), "{link}");
    assert!(link.contains("title=\"Glossary: Leader\""), "{link}");
    // The page's JSON resolves each `taught:` link to a route and a heading that exist.
    let json: Vec<serde_like::Entry> = serde_like::parse(&glossary_json(book));
    assert_eq!(json.len(), book.glossary.len());
    for entry in &json {
        assert!(!entry.taught.is_empty(), "{}", entry.slug);
        for href in &entry.taught {
            let path: Vec<&str> = href.trim_start_matches("#/").split('/').collect();
            let chapter = book.chapters.iter().find(|c| c.slug == path[0]).expect(href);
            if let Some(id) = path.get(1) {
                assert!(chapter.headings.iter().any(|h| h.id == *id), "{href}");
            }
        }
    }
}

/// Just enough JSON reading for the glossary file (the tests crate has no serde).
mod serde_like {
    pub struct Entry {
        pub slug: String,
        pub taught: Vec<String>,
    }

    pub fn parse(json: &str) -> Vec<Entry> {
        json.split("{\"term\":")
            .skip(1)
            .map(|piece| {
                let slug_at = piece.find("\"slug\":\"").unwrap() + 8;
                let slug = piece[slug_at..slug_at + piece[slug_at..].find('"').unwrap()].to_owned();
                let taught_at = piece.find("\"taught\":[").unwrap() + 10;
                let taught = piece[taught_at..]
                    .split("[\"")
                    .skip(1)
                    .map(|t| t[..t.find('"').unwrap()].to_owned())
                    .take_while(|t| t.starts_with("#/"))
                    .collect();
                Entry { slug, taught }
            })
            .collect()
    }
}

/// A one-chapter book with `glossary` as its glossary; returns "line: message" for each error.
fn glossary_errors(glossary: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("book-glossary-{}-{}", std::process::id(), glossary.len()));
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("SUMMARY.md"), "- [One](one.md) — first\n").unwrap();
    fs::write(dir.join("one.md"), "# One\n\n## Quorums here\n\nA quorum.\n\n## Key points\n\n- A point.\n").unwrap();
    fs::write(dir.join("glossary.md"), glossary).unwrap();
    let result = load_book(&dir, &[]);
    fs::remove_dir_all(&dir).ok();
    match result {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .into_iter()
            .inspect(|e| assert!(e.file.ends_with("glossary.md"), "{e}"))
            .map(|e| format!("{}: {}", e.line, e.message))
            .collect(),
    }
}

#[test]
fn a_valid_glossary_links_its_term() {
    assert_eq!(
        glossary_errors("# Glossary\n\n## Quorum\ntaught: one.md#quorums-here\n\nOverlapping sets.\n"),
        Vec::<String>::new()
    );
}

#[test]
fn glossary_mistakes_fail_the_build_with_their_line() {
    let errors = glossary_errors(
        "# Glossary\n\n## Quorum\ntaught: one.md#nowhere\n\nOverlap.\n\n## Quorum\ntaught: one.md\n\nAgain.\n\n\
         ## Empty\ntaught: one.md\n\n## Lost\ntaught: missing.md\n\nGone.\n",
    );
    let has = |line: &str, text: &str| errors.iter().any(|e| e.starts_with(line) && e.contains(text));
    assert!(has("4:", "unknown heading #nowhere"), "dead heading link: {errors:?}");
    assert!(has("8:", "duplicate term \"Quorum\""), "{errors:?}");
    assert!(has("13:", "\"Empty\" has no definition"), "{errors:?}");
    assert!(has("17:", "unknown chapter \"missing\""), "dead chapter link: {errors:?}");
}
