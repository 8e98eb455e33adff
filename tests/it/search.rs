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
