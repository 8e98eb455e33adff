//! The source coverage map: every item of the main course source has a home that exists in the built book,
//! every heading of the source is mapped, and `docs/source-map.md` is what the map generates today.

use std::fs;

use content::{load_book, source_map};

use crate::root;

include!("../../src/widgets/names.rs");

fn source() -> String {
    let path = source_map::default_source()
        .expect("the course source (set BOOK_SOURCE to the 001_…txt file if it is not in /work/shared/sources)");
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn every_source_item_has_a_home_in_the_book() {
    let book = load_book(&root().join("chapters"), SIMULATIONS).expect("the book builds");
    let source = source();
    assert!(source_map::ITEMS.len() >= 145, "about 145 items, found {}", source_map::ITEMS.len());
    let problems = source_map::check(&book, &source);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Every chapter of the course and its simulation are mapped.
    for n in 0..=10 {
        assert!(
            source_map::ITEMS
                .iter()
                .any(|i| i.kind == source_map::Kind::Chapter && i.source.starts_with(&format!("Chapter {n}:"))),
            "chapter {n}"
        );
    }
    assert_eq!(source_map::ITEMS.iter().filter(|i| i.kind == source_map::Kind::Simulation).count(), 9);
    // The docs page is current.
    let expected = source_map::render_markdown(&book, &source);
    let written = fs::read_to_string(root().join("docs/source-map.md")).unwrap_or_default();
    assert!(
        written == expected,
        "docs/source-map.md is out of date: run `cargo run -p content --bin content-report -- --write-map docs/source-map.md`"
    );
}
