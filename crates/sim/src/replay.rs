//! Exact step-back and scrubbing for any model: the run is re-derived from its seed and the reader's
//! recorded actions, never approximated.
//!
//! A run is a sequence of *entries*. An entry is either one event the model processes (a message delivered, a
//! timer firing) or one action the reader took (kill a node, send a write). The position in a run is the number
//! of entries done, the *cursor*. Going forward processes entries; going back rebuilds the model from the nearest
//! saved checkpoint and replays entries up to the target cursor. Because the model is deterministic, the result
//! is identical to the state the reader saw the first time — the tests check exactly that.

use crate::time::Time;
use crate::trace::Trace;

/// What a model must offer to be played, stepped and scrubbed.
pub trait Model: Clone {
    type Action: Clone + std::fmt::Debug + PartialEq;

    fn now(&self) -> Time;
    /// When the next pending event happens, if any.
    fn next_event_at(&self) -> Option<Time>;
    /// Processes exactly the next pending event. Returns false when there is none.
    fn process_next(&mut self) -> bool;
    /// Moves the clock forward to `to` without processing anything. Callers never pass an event.
    fn advance_clock(&mut self, to: Time);
    /// Applies a reader action at the current time.
    fn apply(&mut self, action: &Self::Action);
    fn trace(&self) -> &Trace;
}

#[derive(Clone, Debug, PartialEq)]
struct Recorded<A> {
    /// The action is entry number `at_cursor` of the run.
    at_cursor: u64,
    at: Time,
    action: A,
}

/// What [`Replay::restore`] could rebuild.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Restored {
    /// Actions taken again.
    pub kept: usize,
    /// Actions that did not fit the run, and every one after them.
    pub dropped: usize,
    /// Whether the run stands at exactly the entry and time asked for.
    pub position_exact: bool,
}

/// What the next entry is.
enum Next<'a, A> {
    Action(&'a Recorded<A>),
    Event(Time),
    Nothing,
}

/// A model together with its history: the initial state, the reader's actions and periodic checkpoints.
#[derive(Clone, Debug)]
pub struct Replay<M: Model> {
    initial: M,
    current: M,
    cursor: u64,
    horizon: Time,
    actions: Vec<Recorded<M::Action>>,
    /// (cursor, state) pairs in increasing cursor order; the initial state is the implicit first one.
    checkpoints: Vec<(u64, M)>,
}

impl<M: Model> Replay<M> {
    /// Entries between saved states: going back costs at most this many replayed entries.
    pub const CHECKPOINT_EVERY: u64 = 256;
    /// Saved states kept at most; older ones are thinned out so memory stays bounded on long runs.
    pub const CHECKPOINTS_MAX: usize = 64;
    /// A bound on entries per call, so no single step, seek or frame can loop forever.
    pub const ENTRIES_PER_CALL_MAX: u64 = 1_000_000;

    /// Starts a run of `initial` that stops at `horizon`: no event after it is ever processed.
    pub fn new(initial: M, horizon: Time) -> Replay<M> {
        Replay { current: initial.clone(), initial, cursor: 0, horizon, actions: Vec::new(), checkpoints: Vec::new() }
    }

    pub fn model(&self) -> &M {
        &self.current
    }

    pub fn now(&self) -> Time {
        self.current.now()
    }

    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    pub fn horizon(&self) -> Time {
        self.horizon
    }

    /// The reader's actions so far, with the time each was taken (for sharing a run as a link).
    pub fn actions(&self) -> impl Iterator<Item = (u64, Time, &M::Action)> {
        self.actions.iter().map(|r| (r.at_cursor, r.at, &r.action))
    }

    /// True when nothing further can happen before the horizon.
    pub fn at_end(&self) -> bool {
        matches!(self.next_entry(), Next::Nothing)
    }

    fn next_entry(&self) -> Next<'_, M::Action> {
        if let Some(recorded) = self.actions.iter().find(|r| r.at_cursor == self.cursor) {
            return Next::Action(recorded);
        }
        match self.current.next_event_at() {
            Some(at) if at <= self.horizon => Next::Event(at),
            _ => Next::Nothing,
        }
    }

    /// Does the next entry; false if there is none.
    fn do_entry(&mut self) -> bool {
        match self.next_entry() {
            Next::Action(recorded) => {
                let (at, action) = (recorded.at, recorded.action.clone());
                self.current.advance_clock(at);
                self.current.apply(&action);
            }
            Next::Event(_) => {
                self.current.process_next();
            }
            Next::Nothing => return false,
        }
        self.cursor += 1;
        if self.cursor.is_multiple_of(Self::CHECKPOINT_EVERY)
            && self.checkpoints.last().is_none_or(|(c, _)| *c < self.cursor)
        {
            self.save_checkpoint();
        }
        true
    }

    fn save_checkpoint(&mut self) {
        self.checkpoints.push((self.cursor, self.current.clone()));
        if self.checkpoints.len() > Self::CHECKPOINTS_MAX {
            // Keep every other one: the spacing doubles, the count halves, the cost of going back grows gently.
            let mut index = 0;
            self.checkpoints.retain(|_| {
                index += 1;
                index % 2 == 0
            });
        }
    }

    /// One entry forward. Returns false at the end of the run.
    pub fn step_forward(&mut self) -> bool {
        self.do_entry()
    }

    /// One entry back, exactly. Returns false at the start.
    pub fn step_back(&mut self) -> bool {
        if self.cursor == 0 {
            return false;
        }
        self.rewind_to(self.cursor - 1);
        true
    }

    /// Rebuilds the state after `target` entries from the nearest checkpoint at or before it.
    fn rewind_to(&mut self, target: u64) {
        let (cursor, state) = self
            .checkpoints
            .iter()
            .rev()
            .find(|(c, _)| *c <= target)
            .map(|(c, m)| (*c, m.clone()))
            .unwrap_or((0, self.initial.clone()));
        self.current = state;
        self.cursor = cursor;
        let mut budget = Self::ENTRIES_PER_CALL_MAX;
        while self.cursor < target && budget > 0 && self.do_entry() {
            budget -= 1;
        }
    }

    /// Moves to time `t` (clamped to the horizon): forward by processing every entry up to `t`, backward by
    /// rebuilding. Afterwards the clock reads exactly `t`.
    pub fn seek(&mut self, t: Time) {
        let t = t.min(self.horizon);
        if t < self.now() {
            // Find the last entry at or before t by replaying from the start (or a checkpoint at or before t).
            let (cursor, state) = self
                .checkpoints
                .iter()
                .rev()
                .find(|(_, m)| m.now() <= t)
                .map(|(c, m)| (*c, m.clone()))
                .unwrap_or((0, self.initial.clone()));
            self.current = state;
            self.cursor = cursor;
        }
        let mut budget = Self::ENTRIES_PER_CALL_MAX;
        while budget > 0 {
            let next_at = match self.next_entry() {
                Next::Action(recorded) => recorded.at,
                Next::Event(at) => at,
                Next::Nothing => break,
            };
            if next_at > t || !self.do_entry() {
                break;
            }
            budget -= 1;
        }
        if self.now() < t {
            self.current.advance_clock(t);
        }
    }

    /// Takes a reader action now. Anything the reader had done after this point (before stepping back) is
    /// forgotten, as in any editor's undo history.
    pub fn act(&mut self, action: M::Action) {
        let cursor = self.cursor;
        self.actions.retain(|r| r.at_cursor < cursor);
        self.checkpoints.retain(|(c, _)| *c <= cursor);
        self.actions.push(Recorded { at_cursor: cursor, at: self.now(), action });
        self.do_entry();
    }

    /// Rebuilds a shared run: takes `actions` (entry number, time, action) in order as the reader first took them,
    /// then goes to entry `cursor` at time `at`. A link is text anyone can edit, so nothing is trusted: an action
    /// that could not have been taken where it says (its entry is past the end of the run, earlier than the one
    /// before, or its time is before the clock or after the next event) is dropped with every action after it,
    /// and the position is clamped to the run. The result is the run the reader saw, entry for entry.
    pub fn restore(
        &mut self,
        actions: impl IntoIterator<Item = (u64, Time, M::Action)>,
        cursor: u64,
        at: Time,
    ) -> Restored {
        self.reset();
        let mut restored = Restored::default();
        let mut actions = actions.into_iter();
        for (at_cursor, at_action, action) in actions.by_ref() {
            let mut budget = Self::ENTRIES_PER_CALL_MAX;
            while self.cursor < at_cursor && budget > 0 && self.do_entry() {
                budget -= 1;
            }
            let next_event_at = self.current.next_event_at().filter(|t| *t <= self.horizon);
            let fits = self.cursor == at_cursor
                && at_action >= self.now()
                && at_action <= self.horizon
                && next_event_at.is_none_or(|t| t >= at_action);
            if !fits {
                restored.dropped = 1;
                break;
            }
            self.current.advance_clock(at_action);
            self.act(action);
            restored.kept += 1;
        }
        restored.dropped += actions.count();
        // The position: entry `cursor` (clamped to the run; it may come before some of the actions, as after
        // stepping back), then the clock forward to `at` if no entry comes first.
        if cursor < self.cursor {
            self.rewind_to(cursor);
        } else {
            let mut budget = Self::ENTRIES_PER_CALL_MAX;
            while self.cursor < cursor && budget > 0 && self.do_entry() {
                budget -= 1;
            }
        }
        let next_at = match self.next_entry() {
            Next::Action(recorded) => Some(recorded.at),
            Next::Event(t) => Some(t),
            Next::Nothing => None,
        };
        let at = at.min(self.horizon);
        if at > self.now() && next_at.is_none_or(|t| t > at) {
            self.current.advance_clock(at);
        }
        restored.position_exact = self.cursor == cursor && self.now() == at;
        restored
    }

    /// Starts over from the initial state, forgetting the reader's actions.
    pub fn reset(&mut self) {
        self.current = self.initial.clone();
        self.cursor = 0;
        self.actions.clear();
        self.checkpoints.clear();
    }
}
