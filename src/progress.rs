//! The reader's progress, kept in the browser's localStorage under a versioned key.
//!
//! Saved data is untrusted: it may be corrupt, from an older version of the book, or storage may be disabled or
//! full. None of that may break the book — the reader is told, keeps whatever could still be read, and an older
//! schema is migrated (schema 1 had chapters only; schema 2 adds flashcards and the learn path).
//!
//! The book and the simulations are two wasm modules, each with its own copy of this state. So that neither
//! erases what the other recorded, every change is applied to what is *stored* at that moment (read back just
//! before), not to the module's own copy, and then saved.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use yew::prelude::*;

use crate::study::sm2::{self, CardState, Day};

/// localStorage key; the number is the schema version.
pub const STORAGE_KEY: &str = "replication-book/progress/v2";
/// Where schema 1 lived; read once and migrated.
pub const STORAGE_KEY_V1: &str = "replication-book/progress/v1";
/// Unreadable saved progress is moved here before the book saves over it, so nothing is destroyed.
pub const UNREADABLE_KEY: &str = "replication-book/progress/unreadable";
pub const SCHEMA_VERSION: u32 = 2;
/// What an exported file says it is.
pub const EXPORT_FORMAT: &str = "replication-book-progress";
/// Larger imports are refused: real progress is a few kilobytes.
pub const IMPORT_MAX_BYTES: usize = 1 << 20;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    #[serde(default)]
    pub chapters: BTreeMap<String, ChapterProgress>,
    /// Flashcard id → its spaced-repetition state.
    #[serde(default)]
    pub cards: BTreeMap<String, CardState>,
    /// Learn-path item id → how many of its parts the reader has revealed.
    #[serde(default)]
    pub learn: BTreeMap<String, u32>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChapterProgress {
    /// The reader has opened the chapter.
    #[serde(default)]
    pub visited: bool,
    /// Checkpoint id → how the reader did.
    #[serde(default)]
    pub checkpoints: BTreeMap<String, Grade>,
    /// Simulations the reader has interacted with.
    #[serde(default)]
    pub simulations: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grade {
    Right,
    Wrong,
}

/// The stored and exported form: the record with its schema version (and, in an export, what it is and when).
/// The fields are spelled out rather than `#[serde(flatten)]`ed: flattening buffers through serde's generic
/// content tree, which costs the first load kilobytes of code.
#[derive(Serialize, Deserialize)]
struct Envelope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    format: Option<String>,
    version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exported: Option<Day>,
    #[serde(default)]
    chapters: BTreeMap<String, ChapterProgress>,
    #[serde(default)]
    cards: BTreeMap<String, CardState>,
    #[serde(default)]
    learn: BTreeMap<String, u32>,
}

impl Envelope {
    fn new(progress: &Progress, format: Option<String>, exported: Option<Day>) -> Envelope {
        let Progress { chapters, cards, learn } = progress.clone();
        Envelope { format, version: SCHEMA_VERSION, exported, chapters, cards, learn }
    }

    fn progress(self) -> Progress {
        Progress { chapters: self.chapters, cards: self.cards, learn: self.learn }
    }
}

/// The outline of a record, for telling what it is before reading it: each part is kept as raw JSON text.
#[derive(Deserialize)]
struct Outline<'a> {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    version: Option<u64>,
    #[serde(default, borrow)]
    chapters: Option<&'a serde_json::value::RawValue>,
    #[serde(default, borrow)]
    cards: Option<&'a serde_json::value::RawValue>,
    #[serde(default, borrow)]
    learn: Option<&'a serde_json::value::RawValue>,
}

/// Schema 1: chapters only, no version field.
#[derive(Deserialize)]
struct ProgressV1 {
    #[serde(default)]
    chapters: BTreeMap<String, ChapterProgress>,
}

/// Schema 1 → 2: chapters carry over unchanged; there were no flashcards or learn path yet.
pub fn migrate_v1(text: &str) -> Result<Progress, serde_json::Error> {
    let old: ProgressV1 = serde_json::from_str(text)?;
    Ok(Progress { chapters: old.chapters, ..Progress::default() })
}

/// What loading found, for the reader.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProgressState {
    pub progress: Progress,
    pub notice: Option<String>,
    /// The last save failed, so this copy holds changes storage does not.
    pub unsaved: bool,
}

pub enum ProgressAction {
    Visit(String),
    Answer {
        chapter: String,
        checkpoint: String,
        grade: Grade,
    },
    TriedSimulation {
        chapter: String,
        name: String,
    },
    /// A flashcard reviewed on `today` with SM-2 grade `grade` (0–5).
    Review {
        card: String,
        grade: u8,
        today: Day,
    },
    /// The reader revealed `revealed` parts of a learn-path item (only ever grows).
    Learn {
        item: String,
        revealed: u32,
    },
    /// Forgets one chapter: whether it was read, its checkpoints, simulations, and the given flashcards.
    ResetChapter {
        chapter: String,
        cards: Vec<String>,
    },
    ResetAll,
    /// Replaces everything with an imported record (already validated).
    Import(Progress),
    /// Reads storage again: the simulations module may have saved since.
    Refresh,
    DismissNotice,
}

impl ProgressState {
    pub fn chapter(&self, slug: &str) -> ChapterProgress {
        self.progress.chapters.get(slug).cloned().unwrap_or_default()
    }
}

impl Progress {
    /// Applies a change. Returns false when it changes nothing, so nothing needs saving.
    fn apply(&mut self, action: ProgressAction) -> bool {
        match action {
            ProgressAction::Visit(slug) => {
                let c = self.chapters.entry(slug).or_default();
                !std::mem::replace(&mut c.visited, true)
            }
            ProgressAction::Answer { chapter, checkpoint, grade } => {
                self.chapters.entry(chapter).or_default().checkpoints.insert(checkpoint, grade) != Some(grade)
            }
            ProgressAction::TriedSimulation { chapter, name } => {
                let c = self.chapters.entry(chapter).or_default();
                if c.simulations.contains(&name) {
                    return false;
                }
                c.simulations.push(name);
                true
            }
            ProgressAction::Review { card, grade, today } => {
                let next = sm2::review(self.cards.get(&card), grade, today);
                self.cards.insert(card, next);
                true
            }
            ProgressAction::Learn { item, revealed } => {
                let seen = self.learn.entry(item).or_default();
                if *seen >= revealed {
                    return false;
                }
                *seen = revealed;
                true
            }
            ProgressAction::ResetChapter { chapter, cards } => {
                let had_chapter = self.chapters.remove(&chapter).is_some();
                let before = self.cards.len();
                self.cards.retain(|id, _| !cards.contains(id));
                had_chapter || self.cards.len() != before
            }
            ProgressAction::ResetAll => {
                *self = Progress::default();
                true
            }
            ProgressAction::Import(progress) => {
                *self = progress;
                true
            }
            ProgressAction::Refresh | ProgressAction::DismissNotice => false,
        }
    }
}

impl Reducible for ProgressState {
    type Action = ProgressAction;

    fn reduce(self: Rc<Self>, action: ProgressAction) -> Rc<Self> {
        match action {
            ProgressAction::DismissNotice => {
                return Rc::new(ProgressState { notice: None, ..(*self).clone() });
            }
            ProgressAction::Refresh => {
                if self.unsaved {
                    return self;
                }
                return match read_stored() {
                    Some(Ok(stored)) if stored != self.progress => {
                        Rc::new(ProgressState { progress: stored, ..(*self).clone() })
                    }
                    _ => self,
                };
            }
            _ => {}
        }
        let mut next = (*self).clone();
        // Apply to what is stored (the other module may have saved since we loaded), unless storage holds less
        // than we do because our last save failed, or what is stored cannot be read.
        if !self.unsaved {
            if let Some(Ok(stored)) = read_stored() {
                next.progress = stored;
            }
        }
        if !next.progress.apply(action) && next.progress == self.progress {
            return self;
        }
        match save(&next.progress) {
            Ok(()) => next.unsaved = false,
            Err(problem) => {
                next.notice = Some(problem);
                next.unsaved = true;
            }
        }
        Rc::new(next)
    }
}

/// Parses the text stored under the current key. Unreadable parts are dropped, and the reader told.
pub fn parse(saved: Option<&str>) -> ProgressState {
    let Some(text) = saved else { return ProgressState::default() };
    match serde_json::from_str::<Envelope>(text) {
        Ok(envelope) if envelope.version == SCHEMA_VERSION => {
            let mut progress = envelope.progress();
            let before = progress.cards.len();
            progress.cards.retain(|_, c| c.is_valid());
            let notice = (progress.cards.len() != before).then(|| {
                "Some saved flashcard schedules were out of range and were reset. The rest of your progress is kept."
                    .to_owned()
            });
            ProgressState { progress, notice, unsaved: false }
        }
        Ok(envelope) if envelope.version > SCHEMA_VERSION => ProgressState {
            progress: salvage(text),
            notice: Some(
                "Your progress was saved by a newer version of the book; this page kept what it understands of it."
                    .to_owned(),
            ),
            unsaved: false,
        },
        _ => {
            let progress = salvage(text);
            let kept = progress != Progress::default();
            ProgressState {
                progress,
                notice: Some(if kept {
                    "Part of your saved progress could not be read; the book kept the rest. Nothing else is affected."
                        .to_owned()
                } else {
                    "Your saved progress could not be read, so the book started a fresh record. Nothing else is \
                     affected."
                        .to_owned()
                }),
                unsaved: false,
            }
        }
    }
}

/// Whatever entries of a damaged record still parse on their own.
fn salvage(text: &str) -> Progress {
    let mut out = Progress::default();
    let Ok(outline) = serde_json::from_str::<Outline<'_>>(text) else { return out };
    out.chapters = entries(outline.chapters, |_| true);
    out.cards = entries(outline.cards, CardState::is_valid);
    out.learn = entries(outline.learn, |_| true);
    out
}

/// The entries of a JSON object (given as raw text) that parse as `T` and pass `keep`; the rest are dropped.
fn entries<T: serde::de::DeserializeOwned>(
    raw: Option<&serde_json::value::RawValue>,
    keep: impl Fn(&T) -> bool,
) -> BTreeMap<String, T> {
    let Some(raw) = raw else { return BTreeMap::new() };
    let Ok(items) = serde_json::from_str::<BTreeMap<String, &serde_json::value::RawValue>>(raw.get()) else {
        return BTreeMap::new();
    };
    items
        .into_iter()
        .filter_map(|(key, value)| serde_json::from_str::<T>(value.get()).ok().filter(&keep).map(|v| (key, v)))
        .collect()
}

/// Progress as an export file's text.
pub fn export(progress: &Progress, today: Day) -> String {
    let envelope = Envelope::new(progress, Some(EXPORT_FORMAT.to_owned()), Some(today));
    serde_json::to_string(&envelope).expect("progress is plain data")
}

/// Reads an export file, strictly: anything unexpected is refused with a message, and nothing is changed.
pub fn parse_import(text: &str) -> Result<Progress, String> {
    if text.len() > IMPORT_MAX_BYTES {
        return Err("That file is too large to be an export of your progress.".to_owned());
    }
    let not_json = || "That file is not a progress export: it is not valid JSON.".to_owned();
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
        return Err(not_json());
    }
    let no_record = || "That file is not a progress export: it holds no record.".to_owned();
    // A struct also deserializes from a JSON array; an export is always an object.
    if !text.trim_start().starts_with('{') {
        return Err(no_record());
    }
    let outline = serde_json::from_str::<Outline<'_>>(text).map_err(|_| no_record())?;
    if let Some(format) = &outline.format {
        if format != EXPORT_FORMAT {
            return Err(format!("That file is not a progress export of this book (its format is {format:?})."));
        }
    }
    let progress = match outline.version {
        None if outline.chapters.is_some() && outline.format.is_none() => {
            migrate_v1(text).map_err(|e| format!("That file's chapter progress is damaged: {e}."))?
        }
        None => return Err("That file is not a progress export: it has no schema version.".to_owned()),
        Some(1) => migrate_v1(text).map_err(|e| format!("That file's chapter progress is damaged: {e}."))?,
        Some(2) => {
            serde_json::from_str::<Envelope>(text).map_err(|e| format!("That file is damaged: {e}."))?.progress()
        }
        Some(v) => {
            return Err(format!(
                "That file was saved by a newer version of the book (schema {v}); it cannot be read here."
            ))
        }
    };
    if let Some((id, _)) = progress.cards.iter().find(|(_, c)| !c.is_valid()) {
        return Err(format!("That file's schedule for flashcard {id:?} is out of range."));
    }
    Ok(progress)
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// What storage holds now: `None` if nothing (or no storage), `Err` if it cannot be read.
fn read_stored() -> Option<Result<Progress, ()>> {
    let storage = storage()?;
    if let Some(text) = storage.get_item(STORAGE_KEY).ok().flatten() {
        let state = parse(Some(&text));
        return Some(if state.notice.is_none() { Ok(state.progress) } else { Err(()) });
    }
    let old = storage.get_item(STORAGE_KEY_V1).ok().flatten()?;
    Some(migrate_v1(&old).map_err(|_| ()))
}

fn load() -> ProgressState {
    let Some(storage) = storage() else {
        return ProgressState {
            notice: Some(
                "This browser does not allow the book to save progress; it will be kept until you close the page."
                    .to_owned(),
            ),
            ..ProgressState::default()
        };
    };
    if let Some(text) = storage.get_item(STORAGE_KEY).ok().flatten() {
        let state = parse(Some(&text));
        if state.notice.is_some() {
            // Keep the unreadable original beside the book's record, so a later save destroys nothing.
            let _ = storage.set_item(UNREADABLE_KEY, &text);
        }
        return state;
    }
    match storage.get_item(STORAGE_KEY_V1).ok().flatten() {
        None => ProgressState::default(),
        Some(old) => match migrate_v1(&old) {
            Ok(progress) => {
                // Written under the new key at once; the old key is left for an older tab still open.
                let _ = save(&progress);
                ProgressState { progress, ..ProgressState::default() }
            }
            Err(_) => {
                let _ = storage.set_item(UNREADABLE_KEY, &old);
                ProgressState {
                    progress: salvage(&old),
                    notice: Some(
                        "Your progress from an older version of the book could not be read in full; the book kept \
                         what it could."
                            .to_owned(),
                    ),
                    unsaved: false,
                }
            }
        },
    }
}

fn save(progress: &Progress) -> Result<(), String> {
    let text = serde_json::to_string(&Envelope::new(progress, None, None)).map_err(|e| e.to_string())?;
    let storage =
        storage().ok_or("Progress cannot be saved in this browser; it will be kept until you close the page.")?;
    storage.set_item(STORAGE_KEY, &text).map_err(|_| {
        "Progress could not be saved (storage may be full); it will be kept until you close the page.".to_owned()
    })
}

/// Today in the reader's time zone, for the flashcard schedule.
pub fn today() -> Day {
    let now = js_sys::Date::new_0();
    Day::from_ymd(now.get_full_year() as i32, now.get_month() + 1, now.get_date())
}

pub type ProgressHandle = UseReducerHandle<ProgressState>;

#[derive(Properties, PartialEq)]
pub struct ProviderProps {
    pub children: Children,
}

#[function_component(ProgressProvider)]
pub fn progress_provider(props: &ProviderProps) -> Html {
    let state = use_reducer(load);
    html! {
        <ContextProvider<ProgressHandle> context={state}>
            { props.children.clone() }
        </ContextProvider<ProgressHandle>>
    }
}

#[hook]
pub fn use_progress() -> ProgressHandle {
    use_context::<ProgressHandle>().expect("the app wraps every page in ProgressProvider")
}

/// The notice about saved progress, if any, with a way to dismiss it.
#[function_component(ProgressNotice)]
pub fn progress_notice() -> Html {
    let progress = use_progress();
    let Some(notice) = progress.notice.clone() else { return html! {} };
    let dismiss = Callback::from(move |_| progress.dispatch(ProgressAction::DismissNotice));
    html! {
        <div class="notice progress-notice" role="alert">
            <p>{ notice }</p>
            <button type="button" class="secondary" onclick={dismiss}>{ "Dismiss" }</button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Day {
        text.parse().unwrap()
    }

    #[test]
    fn schema_one_migrates_with_every_chapter_kept() {
        let v1 = r#"{"chapters":{"the-problem":{"visited":true,"checkpoints":{"q":"Right"},"simulations":["single-node"]},
                    "leaderless":{"visited":true}}}"#;
        let p = migrate_v1(v1).unwrap();
        assert_eq!(p.chapters.len(), 2);
        let c = &p.chapters["the-problem"];
        assert!(c.visited);
        assert_eq!(c.checkpoints["q"], Grade::Right);
        assert_eq!(c.simulations, ["single-node"]);
        assert!(p.cards.is_empty() && p.learn.is_empty());
        // The migrated record reads back as schema 2.
        let saved = serde_json::to_string(&Envelope::new(&p, None, None)).unwrap();
        assert!(saved.contains("\"version\":2"));
        assert_eq!(parse(Some(&saved)), ProgressState { progress: p, notice: None, unsaved: false });
        assert!(migrate_v1("[1, 2]").is_err());
    }

    #[test]
    fn corrupt_progress_is_replaced_with_a_notice() {
        let state = parse(Some("{\"chapters\": 7"));
        assert!(state.notice.is_some());
        assert_eq!(state.progress, Progress::default());
        assert_eq!(parse(None), ProgressState::default());
    }

    #[test]
    fn damaged_records_keep_what_still_reads() {
        let text = r#"{"version":2,"chapters":{"a":{"visited":true},"b":{"visited":"yes"}},
                      "cards":{"good":{"repetitions":1,"interval_days":1,"ease":2.5,"due":"2026-12-05","reviewed":"2026-12-04"},
                               "bad":{"repetitions":1,"interval_days":1,"ease":-4,"due":"2026-12-05","reviewed":"2026-12-04"}},
                      "learn":{"one-box":1,"two":"x"}}"#;
        let state = parse(Some(text));
        assert!(state.notice.as_deref().unwrap().contains("kept the rest"));
        assert_eq!(state.progress.chapters.keys().collect::<Vec<_>>(), ["a"]);
        assert_eq!(state.progress.cards.keys().collect::<Vec<_>>(), ["good"]);
        assert_eq!(state.progress.learn.keys().collect::<Vec<_>>(), ["one-box"]);
    }

    #[test]
    fn reviews_schedule_cards_and_resets_forget_them() {
        let mut p = Progress::default();
        let today = day("2026-12-04");
        assert!(p.apply(ProgressAction::Review { card: "c1".into(), grade: 4, today }));
        assert!(p.apply(ProgressAction::Review { card: "c2".into(), grade: 4, today }));
        assert!(p.apply(ProgressAction::Visit("the-problem".into())));
        assert!(!p.apply(ProgressAction::Visit("the-problem".into())));
        assert_eq!(p.cards["c1"].due, day("2026-12-05"));
        assert!(p.apply(ProgressAction::Learn { item: "one-box".into(), revealed: 1 }));
        assert!(!p.apply(ProgressAction::Learn { item: "one-box".into(), revealed: 1 }));
        assert!(p.apply(ProgressAction::ResetChapter { chapter: "the-problem".into(), cards: vec!["c1".into()] }));
        assert!(!p.chapters.contains_key("the-problem"));
        assert_eq!(p.cards.keys().collect::<Vec<_>>(), ["c2"]);
        assert_eq!(p.learn["one-box"], 1);
        assert!(p.apply(ProgressAction::ResetAll));
        assert_eq!(p, Progress::default());
    }

    #[test]
    fn an_export_imports_back_unchanged() {
        let mut p = Progress::default();
        p.apply(ProgressAction::Answer { chapter: "leaderless".into(), checkpoint: "q".into(), grade: Grade::Wrong });
        p.apply(ProgressAction::Review { card: "c".into(), grade: 5, today: day("2026-12-04") });
        p.apply(ProgressAction::Learn { item: "global-reviews".into(), revealed: 3 });
        let file = export(&p, day("2026-12-04"));
        assert!(file.contains("\"format\":\"replication-book-progress\""));
        assert!(file.contains("\"exported\":\"2026-12-04\""));
        assert_eq!(parse_import(&file), Ok(p));
    }

    #[test]
    fn bad_imports_are_refused_with_a_reason() {
        assert!(parse_import("not json").unwrap_err().contains("not valid JSON"));
        assert!(parse_import("[]").unwrap_err().contains("no record"));
        assert!(parse_import(r#"{"format":"something-else","version":2}"#).unwrap_err().contains("format"));
        assert!(parse_import(r#"{"version":9}"#).unwrap_err().contains("newer version"));
        assert!(parse_import(r#"{"hello":1}"#).unwrap_err().contains("no schema version"));
        let bad_card = r#"{"version":2,"cards":{"c":{"repetitions":1,"interval_days":1,"ease":0.5,"due":"2026-12-05","reviewed":"2026-12-04"}}}"#;
        assert!(parse_import(bad_card).unwrap_err().contains("out of range"));
        let bad_date = r#"{"version":2,"cards":{"c":{"repetitions":1,"interval_days":1,"ease":2.5,"due":"soon","reviewed":"2026-12-04"}}}"#;
        assert!(parse_import(bad_date).unwrap_err().contains("damaged"));
        // A schema 1 record (what the book stored before flashcards) is accepted and migrated.
        let v1 = parse_import(r#"{"chapters":{"the-problem":{"visited":true}}}"#).unwrap();
        assert!(v1.chapters["the-problem"].visited);
    }
}
