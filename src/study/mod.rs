//! Study tools beside the chapters: the flashcard deck and its spaced-repetition schedule (`sm2`), and the
//! learn-from-zero path. The deck and the path are written in `chapters/study/` and checked against the chapters
//! by `crates/content` at build time. Their outline (card ids and chapters, learn items) is compiled in for the
//! dashboard; their text is a JSON body beside the chapter bodies, fetched when the reader opens a study page, so
//! it costs the first load nothing.

pub mod sm2;

use std::cell::RefCell;
use std::rc::Rc;

use serde::Deserialize;
use yew::prelude::*;

use crate::progress::Progress;
use sm2::Day;

/// A card as compiled in: enough for the dashboard and today's queue. Its text is in the fetched body.
pub struct Card {
    pub id: &'static str,
    /// The slug of the chapter the card belongs to.
    pub chapter: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/study.rs"));

/// The study body, fetched: every card's text and the learn path, as `crates/content` wrote them.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Body {
    pub cards: Vec<CardText>,
    pub learn: LearnPath,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct CardText {
    pub id: String,
    pub front_html: String,
    pub back_html: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct LearnPath {
    pub intro_html: String,
    pub questions: Vec<LearnQuestion>,
    pub problems: Vec<LearnProblem>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct LearnQuestion {
    pub id: String,
    pub title: String,
    pub prompt_html: String,
    pub reasoning_html: String,
    pub see: Vec<SeeAlso>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct LearnProblem {
    pub id: String,
    pub title: String,
    pub level: String,
    pub statement_html: String,
    pub steps: Vec<LearnStep>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct LearnStep {
    /// The question the step answers, shown before the step is revealed.
    pub title: String,
    pub html: String,
    pub see: Vec<SeeAlso>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct SeeAlso {
    /// A route in the book, `#/slug/heading`.
    pub href: String,
    /// "Chapter 1 · Synchronous or asynchronous".
    pub label: String,
}

impl Body {
    pub fn card(&self, id: &str) -> Option<&CardText> {
        self.cards.iter().find(|c| c.id == id)
    }
}

thread_local! {
    static BODY: RefCell<Option<Rc<Body>>> = const { RefCell::new(None) };
}

/// Fetches the study body once per visit (relative to the page, so any subpath works), or says why it could not.
pub async fn load_body() -> Result<Rc<Body>, String> {
    if let Some(body) = BODY.with(|b| b.borrow().clone()) {
        return Ok(body);
    }
    let text = crate::content::fetch_text(&format!("chapters/{STUDY_FILE}"))
        .await
        .map_err(|e| format!("The flashcards could not be loaded ({e}). Check your connection and reload the page."))?;
    let body: Body = serde_json::from_str(&text)
        .map_err(|_| "The flashcard file is damaged. Reload the page to fetch it again.".to_owned())?;
    let body = Rc::new(body);
    BODY.with(|b| *b.borrow_mut() = Some(body.clone()));
    Ok(body)
}

/// The study body for a page: `None` while loading, then the body or why it failed.
#[hook]
pub fn use_body() -> Option<Result<Rc<Body>, String>> {
    let state = use_state(|| BODY.with(|b| b.borrow().clone()).map(Ok));
    {
        let state = state.clone();
        use_effect_with((), move |_| {
            if state.is_none() {
                wasm_bindgen_futures::spawn_local(async move { state.set(Some(load_body().await)) });
            }
        });
    }
    (*state).clone()
}

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
    LEARN_ITEMS.iter().map(|(_, parts)| parts).sum()
}

pub fn learn_revealed(progress: &Progress) -> u32 {
    LEARN_ITEMS.iter().map(|(id, parts)| progress.learn.get(*id).copied().unwrap_or(0).min(*parts)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Progress;

    const DECK: [Card; 3] =
        [Card { id: "a", chapter: "x" }, Card { id: "b", chapter: "x" }, Card { id: "c", chapter: "y" }];

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
        // Seven questions of one part each, and two problems of several steps.
        assert_eq!(LEARN_ITEMS.iter().filter(|(_, parts)| *parts == 1).count(), 7);
        assert_eq!(LEARN_ITEMS.len(), 9);
        assert_eq!(learn_parts(), LEARN_ITEMS.iter().map(|(_, parts)| parts).sum::<u32>());
    }
}
