//! The search index built from the real book: everything a reader can open is findable, and every entry leads
//! somewhere that exists.

use std::collections::BTreeSet;

use content::{load_book, load_study, search_entries, EntryKind};

use crate::root;

include!("../../src/widgets/names.rs");

#[test]
fn every_section_term_and_card_is_indexed_with_a_live_link() {
    let dir = root().join("chapters");
    let book = load_book(&dir, SIMULATIONS).expect("the chapters build");
    let study = load_study(&dir, &book).expect("the study material builds");
    let entries = search_entries(&book, &study);

    // Every heading of every chapter is one section entry, titled with the heading's text.
    for chapter in &book.chapters {
        for heading in &chapter.headings {
            let href = format!("#/{}/{}", chapter.slug, heading.id);
            let entry = entries.iter().find(|e| e.href == href).unwrap_or_else(|| panic!("{href} is not indexed"));
            assert_eq!(entry.kind, EntryKind::Section);
            assert_eq!(entry.title, heading.text);
            assert!(entry.place.starts_with(&format!("Chapter {} · ", chapter.number)), "{}", entry.place);
        }
    }
    // Sections with prose carry it; the chapter on availability maths mentions its nines.
    let sections = entries.iter().filter(|e| e.kind == EntryKind::Section);
    assert!(sections.clone().filter(|e| !e.text.is_empty()).count() * 10 >= sections.count() * 9);
    assert!(entries.iter().any(|e| e.text.contains("99.99%")));
    // No markup or drawing leaks into the text.
    for entry in &entries {
        assert!(
            !entry.text.contains("<svg") && !entry.text.contains("</") && !entry.text.contains("&amp;"),
            "{entry:?}"
        );
    }

    // Every glossary term, by its own name, leading to its entry.
    for term in &book.glossary {
        let entry = entries
            .iter()
            .find(|e| e.kind == EntryKind::Term && e.title == term.term)
            .unwrap_or_else(|| panic!("{} is not indexed", term.term));
        assert_eq!(entry.href, format!("#/glossary/{}", term.slug));
        assert!(!entry.text.is_empty(), "{} has no definition text", term.term);
    }
    // Every flashcard, question as title and answer as text.
    assert_eq!(entries.iter().filter(|e| e.kind == EntryKind::Flashcard).count(), study.cards.len());

    // Every link is a route the book answers: a chapter, a heading in it, or a glossary entry.
    let mut routes: BTreeSet<String> = BTreeSet::new();
    for chapter in &book.chapters {
        routes.insert(format!("#/{}", chapter.slug));
        routes.extend(chapter.headings.iter().map(|h| format!("#/{}/{}", chapter.slug, h.id)));
    }
    routes.extend(book.glossary.iter().map(|t| format!("#/glossary/{}", t.slug)));
    for entry in &entries {
        assert!(routes.contains(&entry.href), "dead link {} in {:?}", entry.href, entry.title);
        assert!(!entry.title.is_empty(), "untitled entry at {}", entry.href);
    }
}

// The app's matcher is plain Rust on strings: run it over the real index as well.
#[path = "../../src/search/matcher.rs"]
#[allow(dead_code)]
mod matcher;

#[test]
fn queries_over_the_real_index_rank_the_obvious_answer_first() {
    let dir = root().join("chapters");
    let book = load_book(&dir, SIMULATIONS).expect("the chapters build");
    let study = load_study(&dir, &book).expect("the study material builds");
    let entries = search_entries(&book, &study);
    let searchable: Vec<matcher::Searchable> =
        entries.iter().map(|e| matcher::Searchable::new(&e.title, &e.text)).collect();
    let top = |query: &str| -> Vec<&str> {
        let results = matcher::search(&matcher::Query::parse(query), &searchable, 20);
        results.hits.iter().map(|h| entries[h.index].href.as_str()).collect()
    };

    // A glossary term typed in full: its entry first, then the sections and cards whose titles name it.
    let quorum = top("quorum");
    assert_eq!(quorum[0], "#/glossary/quorum");
    let results = matcher::search(&matcher::Query::parse("quorum"), &searchable, 20);
    let titles: Vec<&str> = results.hits.iter().map(|h| entries[h.index].title.as_str()).collect();
    assert!(titles[..6].iter().all(|t| t.to_lowercase().contains("quorum")), "{titles:?}");
    assert_eq!(quorum.len(), 20, "many passages mention quorums; the list is capped");
    // Half-typed, the same answer is already there.
    assert_eq!(top("quor")[0], "#/glossary/quorum");
    // Two words: the heading that has both.
    assert_eq!(top("sloppy quorums")[0], "#/leaderless/sloppy-quorums-and-hinted-handoff");
    assert_eq!(top("hinted handoff")[0], "#/glossary/hinted-handoff");
    // Words only in a passage's text still find it, with the words marked in its snippet.
    let results = matcher::search(&matcher::Query::parse("power supply"), &searchable, 20);
    let first = &results.hits[0];
    assert_eq!(entries[first.index].href, "#/the-problem/one-server-one-bad-night");
    let marks: Vec<&str> = first
        .snippet
        .iter()
        .filter_map(|p| match p {
            matcher::Piece::Mark(m) => Some(m.as_str()),
            matcher::Piece::Text(_) => None,
        })
        .collect();
    assert!(marks.starts_with(&["power", "supply"]), "{:?}", first.snippet);
    // Nonsense finds nothing.
    assert!(top("zyxwvut").is_empty());
}
