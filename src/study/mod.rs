//! Study tools beside the chapters: the flashcard deck and its spaced-repetition schedule (`sm2`), and the
//! learn-from-zero path. The deck and the path are written in `chapters/study/`, checked against the chapters by
//! `crates/content` at build time, and compiled in as the data below.

pub mod sm2;

use crate::progress::Progress;
use sm2::Day;

pub struct Card {
    pub id: &'static str,
    /// The slug of the chapter the card belongs to.
    pub chapter: &'static str,
    pub front_html: &'static str,
    pub back_html: &'static str,
}

pub struct SeeAlso {
    /// A route in the book, `#/slug/heading`.
    pub href: &'static str,
    /// "Chapter 1 · Synchronous or asynchronous".
    pub label: &'static str,
}

pub struct LearnQuestion {
    pub id: &'static str,
    pub title: &'static str,
    pub prompt_html: &'static str,
    pub reasoning_html: &'static str,
    pub see: &'static [SeeAlso],
}

pub struct LearnProblem {
    pub id: &'static str,
    pub title: &'static str,
    pub level: &'static str,
    pub statement_html: &'static str,
    pub steps: &'static [LearnStep],
}

pub struct LearnStep {
    /// The question the step answers, shown before the step is revealed.
    pub title: &'static str,
    pub html: &'static str,
    pub see: &'static [SeeAlso],
}

include!(concat!(env!("OUT_DIR"), "/study.rs"));

pub fn cards_of(chapter: &str) -> impl Iterator<Item = &'static Card> + '_ {
    CARDS.iter().filter(move |c| c.chapter == chapter)
}

/// How a set of cards stands on a given day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeckCounts {
    /// Reviewed before and due on or before the day.
    pub due: usize,
    /// Never reviewed.
    pub new: usize,
    /// Reviewed, last recalled, and not due yet.
    pub learned: usize,
    /// Interval of three weeks or more.
    pub mastered: usize,
}

pub fn counts<'a>(cards: impl Iterator<Item = &'a Card>, progress: &Progress, today: Day) -> DeckCounts {
    let mut out = DeckCounts::default();
    for card in cards {
        match progress.cards.get(card.id) {
            None => out.new += 1,
            Some(state) => {
                if state.due <= today {
                    out.due += 1;
                } else if state.repetitions > 0 {
                    out.learned += 1;
                }
                if state.mastered() {
                    out.mastered += 1;
                }
            }
        }
    }
    out
}

/// The cards to review today, in order: due cards (oldest due first), then new cards in deck order.
pub fn session<'a>(cards: impl Iterator<Item = &'a Card>, progress: &Progress, today: Day) -> Vec<&'a Card> {
    let mut due = Vec::new();
    let mut new = Vec::new();
    for (position, card) in cards.enumerate() {
        match progress.cards.get(card.id) {
            None => new.push(card),
            Some(state) if state.due <= today => due.push((state.due, position, card)),
            Some(_) => {}
        }
    }
    due.sort_by_key(|(day, position, _)| (*day, *position));
    due.into_iter().map(|(_, _, card)| card).chain(new).collect()
}

/// The earliest day a card that is not due today comes due.
pub fn next_due<'a>(cards: impl Iterator<Item = &'a Card>, progress: &Progress, today: Day) -> Option<Day> {
    cards.filter_map(|c| progress.cards.get(c.id)).map(|s| s.due).filter(|d| *d > today).min()
}

/// Learn-path parts: each question has one (its reasoning), each problem one per step.
pub fn learn_parts() -> u32 {
    let steps: usize = LEARN_PROBLEMS.iter().map(|p| p.steps.len()).sum();
    (LEARN_QUESTIONS.len() + steps) as u32
}

pub fn learn_revealed(progress: &Progress) -> u32 {
    let questions = LEARN_QUESTIONS.iter().filter(|q| progress.learn.get(q.id).is_some_and(|n| *n > 0)).count();
    let steps: u32 =
        LEARN_PROBLEMS.iter().map(|p| progress.learn.get(p.id).copied().unwrap_or(0).min(p.steps.len() as u32)).sum();
    questions as u32 + steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Progress;

    const DECK: [Card; 3] = [
        Card { id: "a", chapter: "x", front_html: "", back_html: "" },
        Card { id: "b", chapter: "x", front_html: "", back_html: "" },
        Card { id: "c", chapter: "y", front_html: "", back_html: "" },
    ];

    #[test]
    fn today_brings_due_cards_first_then_new_ones_and_says_when_the_next_is_due() {
        let today: Day = "2026-12-04".parse().unwrap();
        let mut p = Progress::default();
        // b was first reviewed two days ago, so it was due yesterday; a was first reviewed today, due tomorrow.
        p.cards.insert("b".into(), sm2::review(None, 4, Day(today.0 - 2)));
        p.cards.insert("a".into(), sm2::review(None, 4, today));
        let queue: Vec<&str> = session(DECK.iter(), &p, today).iter().map(|c| c.id).collect();
        assert_eq!(queue, ["b", "c"]);
        assert_eq!(counts(DECK.iter(), &p, today), DeckCounts { due: 1, new: 1, learned: 1, mastered: 0 });
        assert_eq!(next_due(DECK.iter(), &p, today), Some(today.plus_days(1)));
        // Filtered to chapter y: only the new card.
        let y: Vec<&str> = session(DECK.iter().filter(|c| c.chapter == "y"), &p, today).iter().map(|c| c.id).collect();
        assert_eq!(y, ["c"]);
        assert_eq!(next_due(DECK.iter().filter(|c| c.chapter == "y"), &p, today), None);
    }

    #[test]
    fn the_compiled_deck_covers_every_chapter() {
        for chapter in crate::content::CHAPTERS {
            assert!(cards_of(chapter.slug).count() >= 3, "{}", chapter.slug);
        }
        assert_eq!(LEARN_QUESTIONS.len(), 7);
        assert_eq!(learn_parts() as usize, 7 + LEARN_PROBLEMS.iter().map(|p| p.steps.len()).sum::<usize>());
    }
}
