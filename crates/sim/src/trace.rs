//! What happened, in words. Every processed event and reader action appends lines here; the widgets'
//! narration and the snapshot tests both read them, so a trace is the model's public story of a run.

use crate::time::Time;

/// How much a line matters to a reader watching the run. Routine lines (heartbeats, replication of every
/// single write) are kept for the table and the tests, but the narration prefers key lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Salience {
    Routine,
    Key,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    pub at: Time,
    pub salience: Salience,
    /// One sentence, present tense, with numbers: "n1 crashes; 3 requests in flight are lost."
    pub text: String,
}

/// An append-only list of trace events with a hard bound, so a run left playing cannot grow without limit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    events: Vec<TraceEvent>,
    dropped: usize,
}

impl Trace {
    /// Far more than any run in the book produces (a 60 s run makes about 5,000 lines).
    pub const MAX_EVENTS: usize = 200_000;

    pub fn push(&mut self, at: Time, salience: Salience, text: impl Into<String>) {
        if self.events.len() >= Self::MAX_EVENTS {
            self.dropped += 1;
            return;
        }
        self.events.push(TraceEvent { at, salience, text: text.into() });
    }

    pub fn events(&self) -> &[TraceEvent] {
        &self.events
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Lines beyond [`Trace::MAX_EVENTS`] that were not kept.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// The whole trace as text, one line per event, for snapshot tests and the "copy trace" button.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for event in &self.events {
            let mark = match event.salience {
                Salience::Key => '*',
                Salience::Routine => ' ',
            };
            out.push_str(&format!("{mark} {:>9} {}\n", event.at.to_string(), event.text));
        }
        out
    }
}
