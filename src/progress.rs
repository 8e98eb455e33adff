//! The reader's progress, kept in the browser's localStorage under a versioned key.
//!
//! Saved data is untrusted: it may be corrupt, from another version, or storage may be disabled or full. None
//! of that may break the book — the reader is told, and starts from what could be kept.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use yew::prelude::*;

/// localStorage key; the number is the schema version.
pub const STORAGE_KEY: &str = "replication-book/progress/v1";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    #[serde(default)]
    pub chapters: BTreeMap<String, ChapterProgress>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChapterProgress {
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

/// What loading found, for the reader.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProgressState {
    pub progress: Progress,
    pub notice: Option<String>,
}

pub enum ProgressAction {
    Visit(String),
    Answer { chapter: String, checkpoint: String, grade: Grade },
    TriedSimulation { chapter: String, name: String },
}

impl ProgressState {
    pub fn chapter(&self, slug: &str) -> ChapterProgress {
        self.progress.chapters.get(slug).cloned().unwrap_or_default()
    }
}

impl Reducible for ProgressState {
    type Action = ProgressAction;

    fn reduce(self: Rc<Self>, action: ProgressAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            ProgressAction::Visit(slug) => {
                let c = next.progress.chapters.entry(slug).or_default();
                if c.visited {
                    return self;
                }
                c.visited = true;
            }
            ProgressAction::Answer { chapter, checkpoint, grade } => {
                next.progress.chapters.entry(chapter).or_default().checkpoints.insert(checkpoint, grade);
            }
            ProgressAction::TriedSimulation { chapter, name } => {
                let c = next.progress.chapters.entry(chapter).or_default();
                if c.simulations.contains(&name) {
                    return self;
                }
                c.simulations.push(name);
            }
        }
        // The simulations run as a separate module with its own copy of this state; merge with what is stored so
        // neither copy erases what the other recorded.
        if let Some(stored) = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()) {
            next.progress = merge(&parse(Some(&stored)).progress, &next.progress);
        }
        if let Err(problem) = save(&next.progress) {
            next.notice = Some(problem);
        }
        Rc::new(next)
    }
}

/// Everything either record holds; where both graded a checkpoint, `newer` wins.
pub fn merge(older: &Progress, newer: &Progress) -> Progress {
    let mut out = older.clone();
    for (slug, theirs) in &newer.chapters {
        let ours = out.chapters.entry(slug.clone()).or_default();
        ours.visited |= theirs.visited;
        ours.checkpoints.extend(theirs.checkpoints.iter().map(|(k, v)| (k.clone(), *v)));
        for name in &theirs.simulations {
            if !ours.simulations.contains(name) {
                ours.simulations.push(name.clone());
            }
        }
    }
    out
}

/// Parses saved progress. Corrupt data yields an empty record and a notice; it never fails.
pub fn parse(saved: Option<&str>) -> ProgressState {
    match saved {
        None => ProgressState::default(),
        Some(text) => match serde_json::from_str::<Progress>(text) {
            Ok(progress) => ProgressState { progress, notice: None },
            Err(_) => ProgressState {
                progress: Progress::default(),
                notice: Some("Your saved progress could not be read, so the book started a fresh record. Nothing else is affected.".to_owned()),
            },
        },
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn load() -> ProgressState {
    let Some(storage) = storage() else {
        return ProgressState {
            progress: Progress::default(),
            notice: Some(
                "This browser does not allow the book to save progress; it will be kept until you close the page."
                    .to_owned(),
            ),
        };
    };
    let saved = storage.get_item(STORAGE_KEY).ok().flatten();
    parse(saved.as_deref())
}

fn save(progress: &Progress) -> Result<(), String> {
    let text = serde_json::to_string(progress).map_err(|e| e.to_string())?;
    let storage =
        storage().ok_or("Progress cannot be saved in this browser; it will be kept until you close the page.")?;
    storage.set_item(STORAGE_KEY, &text).map_err(|_| {
        "Progress could not be saved (storage may be full); it will be kept until you close the page.".to_owned()
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_keeps_what_either_side_recorded() {
        let mut a = Progress::default();
        a.chapters.entry("the-problem".into()).or_default().simulations.push("single-node".into());
        let mut b = Progress::default();
        let c = b.chapters.entry("the-problem".into()).or_default();
        c.visited = true;
        c.checkpoints.insert("q".into(), Grade::Right);
        let m = merge(&a, &b);
        let c = &m.chapters["the-problem"];
        assert!(c.visited);
        assert_eq!(c.simulations, ["single-node"]);
        assert_eq!(c.checkpoints["q"], Grade::Right);
    }

    #[test]
    fn corrupt_progress_is_replaced_with_a_notice() {
        let state = parse(Some("{\"chapters\": 7"));
        assert!(state.notice.is_some());
        assert_eq!(state.progress, Progress::default());
        assert_eq!(parse(None), ProgressState::default());
    }
}
