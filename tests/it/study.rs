//! The study material (flashcards and the learn path) against the real chapters.

use std::collections::BTreeMap;

use content::{load_book, load_study};

use crate::root;

include!("../../src/widgets/names.rs");

#[test]
fn the_deck_and_the_learn_path_build_against_the_book() {
    let dir = root().join("chapters");
    let book = load_book(&dir, SIMULATIONS).expect("the chapters build");
    let study = load_study(&dir, &book).unwrap_or_else(|errors| {
        panic!("{}", errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"));
    });
    // Every question of the course's flashcard source (22 questions) plus key facts of every chapter.
    assert!(study.cards.len() >= 22 + 2 * book.chapters.len(), "{} cards", study.cards.len());
    let mut per_chapter: BTreeMap<&str, usize> = BTreeMap::new();
    for card in &study.cards {
        *per_chapter.entry(card.chapter.as_str()).or_default() += 1;
    }
    for chapter in &book.chapters {
        let count = per_chapter.get(chapter.slug.as_str()).copied().unwrap_or(0);
        assert!(count >= 3, "chapter {} has {count} cards", chapter.slug);
    }
    // The walkthrough's seven reason-it-out questions and two guided problems, every step linked to the book.
    assert_eq!(study.learn.questions.len(), 7);
    assert_eq!(study.learn.problems.len(), 2);
    for question in &study.learn.questions {
        assert!(!question.see.is_empty(), "question {} links to no chapter", question.id);
    }
    for step in study.learn.problems.iter().flat_map(|p| &p.steps) {
        assert!(!step.see.is_empty(), "step {:?} links to no chapter", step.title);
        assert!(step.see.iter().all(|s| s.href.starts_with("#/")));
    }
}

#[test]
fn show_me_must_name_a_simulation_of_its_own_chapter() {
    let dir = std::env::temp_dir().join(format!("book-test-show-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("SUMMARY.md"), "- [One](one.md) — first\n").unwrap();
    let chapter = |show: &str| {
        format!("# One\n\n```checkpoint\nid: q\nshow: {show}\n---\nQ?\n===\nA.\n```\n\n{{{{#sim single-node}}}}\n\n## Key points\n\n- A point.\n")
    };
    std::fs::write(dir.join("one.md"), chapter("single-node; Replicas = 2")).unwrap();
    let ok = load_book(&dir, &["single-node", "quorum"]);
    std::fs::write(dir.join("one.md"), chapter("quorum; N (replicas) = 5")).unwrap();
    let elsewhere = load_book(&dir, &["single-node", "quorum"]);
    std::fs::remove_dir_all(&dir).ok();
    let show = ok.expect("a simulation of the same chapter is fine").chapters[0]
        .blocks
        .iter()
        .find_map(|b| match b {
            content::Block::Checkpoint(c) => c.show.clone(),
            _ => None,
        })
        .unwrap();
    assert_eq!(show.settings, [("Replicas".to_owned(), "2".to_owned())]);
    let errors = elsewhere.unwrap_err();
    assert!(errors[0].message.contains("does not mount"), "{}", errors[0]);
}
