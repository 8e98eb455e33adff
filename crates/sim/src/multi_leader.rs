//! Multi-leader replication: several leaders accept writes, replicate them to each other over a topology, and
//! must resolve the conflicts this creates — the model behind chapter 5's "Multi-leader write conflict".
//!
//! # What it simulates
//!
//! Two to five leaders (Virginia, Frankfurt, Tokyo, …) each hold one replicated record: a text register such as
//! `customer_42.address`, or, under [`Strategy::GCounter`], a page-view counter. Each leader accepts writes on
//! its own, stamps them with *its own* wall clock (the true time plus a per-leader skew), gives them the next
//! LSN of its own log, and forwards them over the chosen [`Topology`]: around a ring, through a hub, or
//! directly to everyone. Every change carries a version vector — how much of every leader's log its author had
//! seen — so a receiving leader can tell an ordinary overwrite from a *conflict* (two writes neither of which
//! saw the other), and can hold back a change that arrives before something it depends on.
//!
//! Each [`Strategy`] decides what a conflict becomes: last-write-wins by timestamp (the highest stamp wins and
//! the other write silently disappears, even when the clocks were wrong), last-write-wins by replica priority,
//! merged values (`"A/B"`), siblings kept until a reader picks one, or a G-Counter that merges increments slot by
//! slot and never conflicts. The model knows the true time of every write, so it can say when clock skew made
//! last-write-wins keep the write that really happened first — the wrong winner — or let a create defeat a
//! delete. Those are reported as [`Anomaly`] data with one-line descriptions, and narrated in the trace.
//!
//! The chapter's operational transformation example lives here too, as pure functions: [`transform`],
//! [`apply_text_op`] and [`apply_concurrent`].
//!
//! # What it simplifies, and why
//!
//! - One record per run. Conflicts are about concurrent writes to the *same* record; more records would add
//!   drawing, not understanding.
//! - Links are reliable and FIFO (as TCP is); the only faults are crashed leaders. A message that arrives at a
//!   crashed leader is lost, and a restarted leader asks its neighbours in the topology for what it missed.
//!   That is enough to show which topologies stop propagating when a node fails.
//! - Changes are applied in causal order (held back until what their author had seen has arrived), so the
//!   version vectors are exact. Real systems need the same care; without it an all-to-all topology can apply
//!   an update before the insert it modifies.
//! - Last-write-wins by timestamp compares stamps only, as Cassandra does: a write made *after* seeing another
//!   still loses if its clock is behind. On equal stamps a delete wins, then the higher leader id.
//! - Last-write-wins by priority compares how many changes a write had seen first (a causally later write
//!   always wins, as CouchDB's revision depth does), then the priority of its leader.
//! - Merged values and siblings are computed from the set of concurrent versions a leader holds; the merge is
//!   shown, not written back, so every leader shows the same merge once it holds the same writes.
//! - The G-Counter is a small one inside this module; its state travels with each change and merges by
//!   slot-wise maximum, so duplicate deliveries are harmless.
//!
//! # Example
//!
//! The course's address conflict, resolved by last-write-wins on timestamps:
//!
//! ```
//! use sim::multi_leader::{Action, Config, MultiLeader, Shown, Value};
//! use sim::{Replay, Time};
//!
//! let mut run = Replay::new(MultiLeader::new(1, Config::default()), Time::from_ms(10_000));
//! run.act(Action::TriggerConflict); // Virginia and Frankfurt both change customer 42's address at t=0
//! run.seek(Time::from_ms(1_000));
//! let kept = Shown::One(Value::Text("123 Main Street, NYC".to_owned()));
//! assert!(run.model().leaders().iter().all(|leader| leader.shown == kept));
//! assert_eq!(run.model().metrics().writes_discarded, 1); // "456 Oak Ave, NYC" is silently lost
//! ```
//!
//! And operational transformation on the chapter's `HELLO`:
//!
//! ```
//! use sim::multi_leader::{apply_concurrent, apply_text_op, TextOp};
//!
//! # fn main() -> Result<(), sim::multi_leader::OtError> {
//! let a = TextOp::Insert { pos: 1, ch: 'X' };
//! let b = TextOp::Delete { pos: 4 };
//! assert_eq!(apply_text_op(&apply_text_op("HELLO", a)?, b)?, "HXELO"); // naive: the wrong character goes
//! assert_eq!(apply_concurrent("HELLO", a, b)?, "HXELL"); // transformed: delete at 5
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;
use std::fmt;

pub use crate::ids::{Lsn, NodeId};
use crate::net::{EventQueue, Latency, Link, Network, LATENCY_MS_MAX};
use crate::replay::Model;
use crate::rng::Rng;
use crate::time::Time;
use crate::trace::{Salience, Trace};

/// The fewest leaders a run has: with one, there is nothing to conflict with.
pub const LEADERS_MIN: usize = 2;
/// The most leaders a run has (the figures have room for five datacenters).
pub const LEADERS_MAX: usize = 5;
/// Clock skew is clamped to plus or minus one minute; NTP drift is usually hundreds of milliseconds.
pub const CLOCK_SKEW_MS_MAX: i64 = 60_000;
/// Writes one leader accepts in a run. Further writes are refused and narrated; a run in the book makes a dozen.
pub const OWN_WRITES_MAX: u64 = 1_000;
/// Entries one leader's log holds: its own writes and everyone else's.
pub const LOG_ENTRIES_MAX: usize = OWN_WRITES_MAX as usize * LEADERS_MAX;
/// Changes a leader holds back while waiting for something they depend on.
pub const PENDING_MAX: usize = LOG_ENTRIES_MAX;
/// Changes per catch-up message after a restart.
pub const CATCH_UP_BATCH_MAX: usize = 64;
/// Text values are cut to this many characters.
pub const VALUE_CHARS_MAX: usize = 64;
/// Leader and record names are cut to this many characters.
pub const NAME_CHARS_MAX: usize = 32;
/// One write adds at most this much to a counter.
pub const INCREMENT_MAX: u64 = 1_000;
/// Anomalies kept; later ones are still counted in the metrics and narrated in the trace.
pub const ANOMALIES_MAX: usize = 1_000;
/// The second write of a triggered conflict comes at most this long after the first.
pub const CONFLICT_GAP_MS_MAX: u64 = 60_000;
/// A leader's log may start at most this far in (the course's Virginia starts at 8000).
pub const LSN_BEFORE_MAX: u64 = 1_000_000_000_000;
/// The wall clock starts at most here (year 33,658 in Unix milliseconds), so adding time never overflows.
pub const WALL_CLOCK_START_MS_MAX: u64 = 1_000_000_000_000_000;
/// Log entries a [`LeaderView`] lists: the most recent ones.
pub const LOG_VIEW_MAX: usize = 32;
/// Text the operational-transformation functions accept.
pub const TEXT_CHARS_MAX: usize = 10_000;

/// How leaders pass changes to each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topology {
    /// Each leader forwards every change to the next one (n1 → n2 → … → n1). One failure breaks the ring.
    Circular,
    /// The hub forwards every change to all others; the others send only to the hub. The hub is a single point
    /// of failure.
    Star { hub: NodeId },
    /// Every leader sends its own changes directly to every other leader.
    AllToAll,
}

impl fmt::Display for Topology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topology::Circular => f.write_str("circular"),
            Topology::Star { hub } => write!(f, "star (hub {hub})"),
            Topology::AllToAll => f.write_str("all-to-all"),
        }
    }
}

/// What a leader does with two concurrent writes to the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Keep the write with the higher timestamp from its leader's clock; discard the other.
    LastWriteWinsTimestamp,
    /// Keep the write from the leader with the higher priority; discard the other.
    LastWriteWinsPriority,
    /// Keep both and show them joined with `/`.
    MergeValues,
    /// Keep both as siblings until a reader picks one (on-read resolution).
    KeepSiblings,
    /// The record is a grow-only counter; concurrent increments merge by slot-wise maximum.
    GCounter,
}

impl Strategy {
    /// Every strategy, in the order a menu lists them.
    pub const ALL: [Strategy; 5] = [
        Strategy::LastWriteWinsTimestamp,
        Strategy::LastWriteWinsPriority,
        Strategy::MergeValues,
        Strategy::KeepSiblings,
        Strategy::GCounter,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Strategy::LastWriteWinsTimestamp => "Last write wins (timestamp)",
            Strategy::LastWriteWinsPriority => "Last write wins (replica priority)",
            Strategy::MergeValues => "Merge values",
            Strategy::KeepSiblings => "On-read resolution (keep siblings)",
            Strategy::GCounter => "CRDT (G-Counter)",
        }
    }

    /// The rule in words, for the narration: "the higher timestamp wins".
    pub fn rule(self) -> &'static str {
        match self {
            Strategy::LastWriteWinsTimestamp => "on a conflict, the higher timestamp wins",
            Strategy::LastWriteWinsPriority => "on a conflict, the leader with the higher priority wins",
            Strategy::MergeValues => "conflicting values are merged",
            Strategy::KeepSiblings => "conflicting values are kept as siblings until a reader picks one",
            Strategy::GCounter => "concurrent increments merge slot by slot",
        }
    }

    /// Whether the record under this strategy is a counter rather than text.
    pub fn is_counter(self) -> bool {
        self == Strategy::GCounter
    }
}

/// One leader's fixed settings.
#[derive(Clone, Debug, PartialEq)]
pub struct LeaderConfig {
    pub name: String,
    /// The short label in figures and LSNs: "VA", "EU".
    pub short: String,
    /// How far this leader's wall clock is ahead (positive) or behind (negative) the true time.
    pub clock_skew_ms: i64,
    /// Used by [`Strategy::LastWriteWinsPriority`]: the higher number wins.
    pub priority: u8,
    /// The last LSN in this leader's log when the run starts; its first write gets the next one.
    pub lsn_before: u64,
}

/// The one-way latency of the link between two leaders, in both directions.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkLatency {
    pub a: NodeId,
    pub b: NodeId,
    pub latency: Latency,
}

/// Fixed settings of a run; [`MultiLeader::new`] clamps every field into range. The defaults are the course's
/// address example with Tokyo as a third leader.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Leaders n1, n2, … in order; clamped to [`LEADERS_MIN`]..=[`LEADERS_MAX`].
    pub leaders: Vec<LeaderConfig>,
    pub topology: Topology,
    pub strategy: Strategy,
    /// Latency of any link not listed in `link_latency`.
    pub default_latency: Latency,
    pub link_latency: Vec<LinkLatency>,
    /// The record's name in the narration (a counter is always called `page_views`).
    pub record: String,
    /// The text every leader holds at the start, or `None` if the record does not exist yet.
    pub initial_value: Option<String>,
    /// The true wall-clock time at t=0, in Unix milliseconds; each leader's clock adds its skew.
    pub wall_clock_start_ms: u64,
    /// How long after the first write of a triggered conflict the second one comes.
    pub conflict_gap_ms: u64,
}

/// The five datacenters a run can have, in order: the course's Virginia (VA, LSN 8000) and Frankfurt (EU,
/// LSN 5500) first. Virginia's clock is 1 ms fast and Frankfurt's 3 ms, which gives the course's timestamps
/// `.001` and `.003` for two writes at t=0; Tokyo's runs 250 ms slow.
pub fn preset_leaders(count: usize) -> Vec<LeaderConfig> {
    const PRESETS: [(&str, &str, i64, u8, u64); LEADERS_MAX] = [
        ("Virginia", "VA", 1, 5, 8000),
        ("Frankfurt", "EU", 3, 4, 5500),
        ("Tokyo", "TYO", -250, 3, 2700),
        ("Sydney", "SYD", 40, 2, 1200),
        ("São Paulo", "SAO", -80, 1, 900),
    ];
    PRESETS
        .iter()
        .take(count.clamp(LEADERS_MIN, LEADERS_MAX))
        .map(|&(name, short, clock_skew_ms, priority, lsn_before)| LeaderConfig {
            name: name.to_owned(),
            short: short.to_owned(),
            clock_skew_ms,
            priority,
            lsn_before,
        })
        .collect()
}

impl Default for Config {
    fn default() -> Self {
        let link =
            |a: u8, b: u8, ms: u64| LinkLatency { a: NodeId(a), b: NodeId(b), latency: Latency::Constant { ms } };
        Config {
            leaders: preset_leaders(3),
            topology: Topology::AllToAll,
            strategy: Strategy::LastWriteWinsTimestamp,
            default_latency: Latency::Constant { ms: 200 },
            // Virginia to Frankfurt is the course's 150 ms; the others are in proportion to distance.
            link_latency: vec![link(1, 2, 150), link(1, 3, 180), link(2, 3, 240)],
            record: "customer_42.address".to_owned(),
            initial_value: Some("123 Main St, NYC".to_owned()),
            wall_clock_start_ms: 1_705_312_000_000,
            conflict_gap_ms: 0,
        }
    }
}

impl Config {
    /// The same settings with every field in range: what the model actually runs with.
    pub fn clamped(mut self) -> Config {
        let presets = preset_leaders(LEADERS_MAX);
        self.leaders.truncate(LEADERS_MAX);
        while self.leaders.len() < LEADERS_MIN {
            self.leaders.push(presets[self.leaders.len()].clone());
        }
        for (i, leader) in self.leaders.iter_mut().enumerate() {
            leader.name = cut(&leader.name, NAME_CHARS_MAX);
            if leader.name.trim().is_empty() {
                leader.name = presets[i].name.clone();
            }
            leader.short = cut(&leader.short, 4);
            if leader.short.trim().is_empty() {
                leader.short = presets[i].short.clone();
            }
            leader.clock_skew_ms = leader.clock_skew_ms.clamp(-CLOCK_SKEW_MS_MAX, CLOCK_SKEW_MS_MAX);
            leader.lsn_before = leader.lsn_before.min(LSN_BEFORE_MAX);
        }
        let n = self.leaders.len();
        let known = |id: NodeId| (1..=n).contains(&usize::from(id.0));
        if let Topology::Star { hub } = self.topology {
            if !known(hub) {
                self.topology = Topology::Star { hub: NodeId(1) };
            }
        }
        self.default_latency = clamp_latency(self.default_latency);
        self.link_latency.retain(|l| known(l.a) && known(l.b) && l.a != l.b);
        self.link_latency.truncate(LEADERS_MAX * LEADERS_MAX);
        for l in &mut self.link_latency {
            l.latency = clamp_latency(l.latency.clone());
        }
        self.record = cut(&self.record, NAME_CHARS_MAX);
        if self.record.trim().is_empty() {
            self.record = Config::default().record;
        }
        self.initial_value = self.initial_value.map(|v| cut(&v, VALUE_CHARS_MAX));
        self.wall_clock_start_ms = self.wall_clock_start_ms.min(WALL_CLOCK_START_MS_MAX);
        self.conflict_gap_ms = self.conflict_gap_ms.min(CONFLICT_GAP_MS_MAX);
        self
    }
}

/// Keeps a latency distribution within the network's one-minute bound, whatever numbers it was given.
fn clamp_latency(latency: Latency) -> Latency {
    match latency {
        Latency::Constant { ms } => Latency::Constant { ms: ms.min(LATENCY_MS_MAX) },
        Latency::Uniform { min_ms, max_ms } => {
            let min_ms = min_ms.min(LATENCY_MS_MAX);
            Latency::Uniform { min_ms, max_ms: max_ms.clamp(min_ms, LATENCY_MS_MAX) }
        }
        Latency::Exponential { floor_ms, mean_ms } => {
            let mean_ms = if mean_ms.is_finite() { mean_ms.clamp(0.0, LATENCY_MS_MAX as f64) } else { 0.0 };
            Latency::Exponential { floor_ms: floor_ms.min(LATENCY_MS_MAX), mean_ms }
        }
    }
}

fn cut(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

/// A grow-only counter: one slot per leader, each leader increments only its own slot, and two copies merge by
/// taking the larger value in every slot. Merging is commutative, associative and idempotent, so copies that
/// have seen the same increments agree, whatever order and however often they arrived.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GCounter {
    /// Slot `i` counts the increments made on leader `n{i+1}`.
    pub counts: Vec<u64>,
}

impl GCounter {
    pub fn new(replicas: usize) -> GCounter {
        GCounter { counts: vec![0; replicas.min(LEADERS_MAX)] }
    }

    /// Adds `by` to slot `replica` (saturating); an unknown slot changes nothing.
    pub fn increment(&mut self, replica: usize, by: u64) {
        if let Some(slot) = self.counts.get_mut(replica) {
            *slot = slot.saturating_add(by);
        }
    }

    /// The count: the sum of all slots.
    pub fn value(&self) -> u64 {
        self.counts.iter().fold(0u64, |sum, c| sum.saturating_add(*c))
    }

    /// Slot-by-slot maximum. Adding would count a state that arrives twice twice.
    pub fn merge(&mut self, other: &GCounter) {
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len().min(LEADERS_MAX), 0);
        }
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine = (*mine).max(*theirs);
        }
    }
}

impl fmt::Display for GCounter {
    /// `[5, 3] = 8`, as the course prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slots: Vec<String> = self.counts.iter().map(u64::to_string).collect();
        write!(f, "[{}] = {}", slots.join(", "), self.value())
    }
}

/// A write's identity: the leader that accepted it and its LSN in that leader's log (the course's `VA_LSN`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WriteId {
    pub origin: NodeId,
    pub lsn: Lsn,
}

/// What a write left in the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(String),
    /// A tombstone: the record was deleted.
    Deleted,
    /// The counter as its writer held it right after incrementing.
    Count(GCounter),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(text) => write!(f, "\"{text}\""),
            Value::Deleted => f.write_str("(deleted)"),
            Value::Count(counter) => counter.fmt(f),
        }
    }
}

/// What a client asks a leader to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Create the record or overwrite its text (cut to [`VALUE_CHARS_MAX`] characters).
    Set(String),
    Delete,
    /// Add to the counter (clamped to 1..=[`INCREMENT_MAX`]); only under [`Strategy::GCounter`].
    Increment(u64),
}

/// What a reader sees when reading the record on one leader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    /// The record has never been written here.
    Absent,
    /// One value: the winner, the merge, the counter, or a tombstone.
    One(Value),
    /// Concurrent versions the reader must choose between ([`Strategy::KeepSiblings`]), oldest leader first.
    Siblings(Vec<Value>),
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shown::Absent => f.write_str("(absent)"),
            Shown::One(value) => value.fmt(f),
            Shown::Siblings(values) => {
                let list: Vec<String> = values.iter().map(Value::to_string).collect();
                write!(f, "siblings {}", list.join(" | "))
            }
        }
    }
}

/// Whether a leader is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    Up,
    Down,
}

/// The reader's buttons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The course's button: the two lowest-numbered running leaders receive conflicting writes to the record
    /// (the second [`Config::conflict_gap_ms`] after the first). Under [`Strategy::GCounter`], both count views.
    TriggerConflict,
    /// One client write on one leader.
    Write {
        leader: NodeId,
        op: Op,
    },
    KillLeader(NodeId),
    RestartLeader(NodeId),
    /// On-read resolution: a reader on `leader` picks sibling number `keep` (from 0), which is written back
    /// as a new version that replaces them all.
    ResolveSiblings {
        leader: NodeId,
        keep: usize,
    },
}

/// What kind of trouble an [`Anomaly`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnomalyKind {
    /// Conflict resolution threw away a write the client was told had succeeded.
    WriteDiscarded,
    /// Last-write-wins kept the write that really happened first: clock skew picked the winner.
    WrongWinner,
    /// A delete lost to a create or update, so a leader keeps a record someone deleted.
    DeleteIgnored,
    /// A leader that showed the record as deleted shows it again.
    Resurrected,
}

/// Something the book wants the reader to notice, as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anomaly {
    pub at: Time,
    /// The leader where it was noticed.
    pub leader: NodeId,
    pub kind: AnomalyKind,
    /// The write that was lost or ignored.
    pub write: WriteId,
    /// One sentence, present tense, with numbers.
    pub text: String,
}

/// Counts over the whole run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    pub writes_accepted: u64,
    pub writes_refused: u64,
    /// Changes applied on a leader other than their origin.
    pub changes_applied: u64,
    /// Messages that reached a crashed leader and were lost.
    pub messages_lost: u64,
    /// Times a leader found an incoming change concurrent with what it held.
    pub conflicts_detected: u64,
    /// Distinct writes conflict resolution threw away.
    pub writes_discarded: u64,
    pub wrong_winners: u64,
    pub deletes_ignored: u64,
    pub resurrections: u64,
    /// Changes held back because something they depend on had not arrived yet.
    pub changes_held: u64,
    /// Changes dropped because a bound was reached (pending buffer, log, event queue); zero in any sane run.
    pub dropped_at_bounds: u64,
}

/// One entry of a leader's log, as the table lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntryView {
    pub id: WriteId,
    pub value: Value,
    /// The origin's wall clock when it accepted the write, in Unix milliseconds.
    pub stamp_ms: u64,
    /// When this leader applied it.
    pub applied_at: Time,
}

/// A leader as the widgets draw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderView {
    pub id: NodeId,
    pub name: String,
    pub short: String,
    pub health: Health,
    pub clock_skew_ms: i64,
    /// What this leader's clock reads now, in Unix milliseconds.
    pub clock_ms: u64,
    pub priority: u8,
    /// The last LSN of this leader's own writes.
    pub last_lsn: Lsn,
    /// For every leader, the last of its LSNs this leader has applied (its version vector).
    pub seen: Vec<(NodeId, Lsn)>,
    /// What a read on this leader returns.
    pub shown: Shown,
    /// The most recent [`LOG_VIEW_MAX`] entries applied here, oldest first.
    pub log: Vec<LogEntryView>,
    pub log_len: usize,
    /// Changes received but held back until what they depend on arrives.
    pub pending: usize,
}

/// What a message on the wire is, for drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    /// Replication of changes as they are applied.
    Change,
    /// Changes re-sent to a leader that restarted.
    CatchUp,
    /// A restarted leader telling a neighbour what it holds.
    Resync,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageView {
    pub from: NodeId,
    pub to: NodeId,
    pub kind: MessageKind,
    /// The changes it carries (none for a resync request).
    pub changes: Vec<WriteId>,
    pub sent_at: Time,
    pub deliver_at: Time,
}

/// Whether a link of the topology can carry changes right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    Open,
    /// One end is down: whatever is sent over it is lost.
    Broken,
}

/// A directed link of the topology.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkView {
    pub from: NodeId,
    pub to: NodeId,
    pub state: LinkState,
}

/// Whether every leader shows the same thing and has applied the same writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agreement {
    Agree,
    Disagree,
}

/// How much of each leader's log a leader (or a write's author) had seen: leader → last LSN.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Vv(BTreeMap<NodeId, u64>);

impl Vv {
    fn get(&self, id: NodeId) -> u64 {
        self.0.get(&id).copied().unwrap_or(0)
    }

    fn set(&mut self, id: NodeId, lsn: u64) {
        self.0.insert(id, lsn);
    }

    fn covers(&self, id: WriteId) -> bool {
        self.get(id.origin) >= id.lsn.0
    }
}

/// One write as it travels and is stored. `id` is `None` for the initial value every leader starts with.
#[derive(Clone, Debug, PartialEq)]
struct Version {
    id: Option<WriteId>,
    value: Value,
    stamp_ms: u64,
    /// The true time it was accepted: the model knows it, the leaders do not.
    real_at: Time,
    /// One more than the highest revision its author held: a causally later write always has a higher one.
    rev: u64,
    /// Its origin's priority when written.
    priority: u8,
    /// What its author had applied, including this write itself.
    vv: Vv,
}

impl Version {
    fn is_delete(&self) -> u8 {
        u8::from(self.value == Value::Deleted)
    }
}

/// `a` was written by a leader that had already applied `b`.
fn dominates(a: &Version, b: &Version) -> bool {
    match (a.id, b.id) {
        (Some(_), None) => true,
        (Some(_), Some(bid)) => a.id != b.id && a.vv.covers(bid),
        (None, _) => false,
    }
}

fn concurrent(a: &Version, b: &Version) -> bool {
    a.id.is_some() && b.id.is_some() && a.id != b.id && !dominates(a, b) && !dominates(b, a)
}

/// Last-write-wins order by timestamp: the stamp, then a delete beats a write, then the higher write id.
fn stamp_key(v: &Version) -> (u64, u8, Option<WriteId>) {
    (v.stamp_ms, v.is_delete(), v.id)
}

/// The same order with exact clocks: what last-write-wins would pick if every clock told the true time.
fn true_key(v: &Version) -> (Time, u8, Option<WriteId>) {
    (v.real_at, v.is_delete(), v.id)
}

fn priority_key(v: &Version) -> (u64, u8, u64, u8, Option<WriteId>) {
    (v.rev, v.priority, v.stamp_ms, v.is_delete(), v.id)
}

#[derive(Clone, Debug, PartialEq)]
struct Applied {
    version: Version,
    at: Time,
}

#[derive(Clone, Debug, PartialEq)]
struct Leader {
    id: NodeId,
    name: String,
    short: String,
    skew_ms: i64,
    priority: u8,
    lsn_before: u64,
    health: Health,
    /// Durable: survives a crash.
    vv: Vv,
    log: Vec<Applied>,
    /// Volatile: lost in a crash (the neighbours re-send it after the restart).
    pending: Vec<Version>,
    /// The concurrent versions this leader holds: every applied write no other applied write has seen.
    siblings: Vec<Version>,
    /// The last-write-wins winner among everything applied (both last-write-wins strategies).
    winner: Option<Version>,
    counter: GCounter,
}

impl Leader {
    fn own_writes(&self) -> u64 {
        self.vv.get(self.id).saturating_sub(self.lsn_before)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reply {
    Wanted,
    NotWanted,
}

#[derive(Clone, Debug, PartialEq)]
enum Msg {
    Changes {
        changes: Vec<Version>,
        kind: MessageKind,
    },
    /// "Here is what I hold": the receiver sends back what it would have forwarded and the sender lacks.
    Resync {
        seen: Vv,
        reply: Reply,
    },
}

#[derive(Clone, Debug, PartialEq)]
enum Event {
    Deliver {
        from: NodeId,
        to: NodeId,
        sent_at: Time,
        msg: Msg,
    },
    /// The second write of a triggered conflict with a gap.
    Write {
        leader: NodeId,
        op: Op,
    },
}

/// Whether a leader can apply a received change now.
enum Readiness {
    Apply,
    Duplicate,
    /// Something it depends on has not been applied: the first such write.
    Wait(WriteId),
}

fn readiness(vv: &Vv, v: &Version) -> Readiness {
    let Some(id) = v.id else { return Readiness::Duplicate };
    if vv.covers(id) {
        return Readiness::Duplicate;
    }
    if vv.get(id.origin) + 1 != id.lsn.0 {
        return Readiness::Wait(WriteId { origin: id.origin, lsn: Lsn(vv.get(id.origin) + 1) });
    }
    for (&origin, &lsn) in &v.vv.0 {
        if origin != id.origin && vv.get(origin) < lsn {
            return Readiness::Wait(WriteId { origin, lsn: Lsn(vv.get(origin) + 1) });
        }
    }
    Readiness::Apply
}

/// Values a triggered conflict writes, round after round: the course's addresses first.
const ADDRESS_ROUNDS: [(&str, &str); 3] = [
    ("456 Oak Ave, NYC", "123 Main Street, NYC"),
    ("9 Elm St, Boston", "456 Oak Avenue, NYC"),
    ("77 Pine Rd, Austin", "9 Elm Street, Boston"),
];
/// Page views a triggered conflict counts: the course's 5 and 3, then the chapter checkpoint's 2 and 4.
const COUNT_ROUNDS: [(u64, u64); 2] = [(5, 3), (2, 4)];

/// The simulation: leaders, network, pending events, anomalies and the trace.
#[derive(Clone, Debug, PartialEq)]
pub struct MultiLeader {
    config: Config,
    now: Time,
    rng: Rng,
    net: Network<NodeId>,
    queue: EventQueue<Event>,
    /// When the last message on each directed link arrives: links are FIFO.
    link_busy_until: BTreeMap<(NodeId, NodeId), Time>,
    leaders: Vec<Leader>,
    anomalies: Vec<Anomaly>,
    metrics: Metrics,
    trace: Trace,
    rounds: u64,
}

impl MultiLeader {
    /// A run with every leader up and agreeing on the initial value. `config` is clamped first.
    pub fn new(seed: u64, config: Config) -> MultiLeader {
        let config = config.clamped();
        let mut net = Network::new(Link { latency: config.default_latency.clone(), loss: 0.0 });
        for l in &config.link_latency {
            net.set_link(l.a, l.b, Link { latency: l.latency.clone(), loss: 0.0 });
            net.set_link(l.b, l.a, Link { latency: l.latency.clone(), loss: 0.0 });
        }
        let n = config.leaders.len();
        let ids: Vec<NodeId> = (1..=n as u8).map(NodeId).collect();
        let start = Vv(ids.iter().zip(&config.leaders).map(|(id, l)| (*id, l.lsn_before)).collect());
        let base = match (&config.initial_value, config.strategy.is_counter()) {
            (Some(text), false) => Some(Version {
                id: None,
                value: Value::Text(text.clone()),
                stamp_ms: 0,
                real_at: Time::ZERO,
                rev: 0,
                priority: 0,
                vv: start.clone(),
            }),
            _ => None,
        };
        let leaders = ids
            .iter()
            .zip(&config.leaders)
            .map(|(&id, l)| Leader {
                id,
                name: l.name.clone(),
                short: l.short.clone(),
                skew_ms: l.clock_skew_ms,
                priority: l.priority,
                lsn_before: l.lsn_before,
                health: Health::Up,
                vv: start.clone(),
                log: Vec::new(),
                pending: Vec::new(),
                siblings: base.iter().cloned().collect(),
                winner: base.clone(),
                counter: GCounter::new(n),
            })
            .collect();
        let mut model = MultiLeader {
            now: Time::ZERO,
            rng: Rng::new(seed),
            net,
            queue: EventQueue::default(),
            link_busy_until: BTreeMap::new(),
            leaders,
            anomalies: Vec::new(),
            metrics: Metrics::default(),
            trace: Trace::default(),
            rounds: 0,
            config,
        };
        let names: Vec<String> = model.leaders.iter().map(|l| l.name.clone()).collect();
        let start_text = match (&model.config.initial_value, model.config.strategy.is_counter()) {
            (_, true) => format!("page_views is a G-Counter at {}", model.leaders[0].counter),
            (Some(text), false) => format!("all agree that {} = \"{text}\"", model.config.record),
            (None, false) => format!("{} does not exist yet", model.config.record),
        };
        let topology = match model.config.topology {
            Topology::Circular => "around a ring".to_owned(),
            Topology::Star { hub } => format!("through {} as the hub", model.name(hub)),
            Topology::AllToAll => "all-to-all".to_owned(),
        };
        let rule = model.config.strategy.rule();
        model.note(
            Salience::Key,
            format!("{n} leaders ({}) replicate {topology}; {start_text}; {rule}.", names.join(", ")),
        );
        model
    }

    /// The settings the run uses (after clamping).
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn metrics(&self) -> Metrics {
        self.metrics
    }

    /// Every anomaly so far, oldest first (at most [`ANOMALIES_MAX`]).
    pub fn anomalies(&self) -> &[Anomaly] {
        &self.anomalies
    }

    /// The record's name in the narration.
    pub fn record(&self) -> &str {
        if self.config.strategy.is_counter() {
            "page_views"
        } else {
            &self.config.record
        }
    }

    pub fn leader_ids(&self) -> Vec<NodeId> {
        self.leaders.iter().map(|l| l.id).collect()
    }

    pub fn leaders(&self) -> Vec<LeaderView> {
        (0..self.leaders.len()).map(|i| self.view(i)).collect()
    }

    pub fn leader(&self, id: NodeId) -> Option<LeaderView> {
        self.index(id).map(|i| self.view(i))
    }

    /// What a read on `id` returns now.
    pub fn shown(&self, id: NodeId) -> Option<Shown> {
        self.index(id).map(|i| self.shown_at(i))
    }

    /// Whether leader `id` has applied write `write`.
    pub fn has_applied(&self, id: NodeId, write: WriteId) -> bool {
        self.index(id).is_some_and(|i| self.leaders[i].vv.covers(write))
    }

    /// Whether every leader, running or not, shows the same thing and has applied the same writes.
    pub fn agreement(&self) -> Agreement {
        let first = &self.leaders[0];
        let same =
            self.leaders.iter().enumerate().all(|(i, l)| l.vv == first.vv && self.shown_at(i) == self.shown_at(0));
        if same {
            Agreement::Agree
        } else {
            Agreement::Disagree
        }
    }

    /// Messages on the wire, soonest first.
    pub fn messages(&self) -> Vec<MessageView> {
        self.queue
            .iter()
            .filter_map(|(at, event)| match event {
                Event::Deliver { from, to, sent_at, msg } => {
                    let (kind, changes) = match msg {
                        Msg::Changes { changes, kind } => (*kind, changes.iter().filter_map(|v| v.id).collect()),
                        Msg::Resync { .. } => (MessageKind::Resync, Vec::new()),
                    };
                    Some(MessageView { from: *from, to: *to, kind, changes, sent_at: *sent_at, deliver_at: at })
                }
                Event::Write { .. } => None,
            })
            .collect()
    }

    /// The directed links of the topology, and whether each can carry changes now.
    pub fn links(&self) -> Vec<LinkView> {
        let mut links = Vec::new();
        for a in &self.leaders {
            for b in &self.leaders {
                if self.linked(a.id, b.id) {
                    let state = if a.health == Health::Up && b.health == Health::Up {
                        LinkState::Open
                    } else {
                        LinkState::Broken
                    };
                    links.push(LinkView { from: a.id, to: b.id, state });
                }
            }
        }
        links
    }

    /// Whether `action` would do something now (for enabling buttons).
    pub fn can(&self, action: &Action) -> bool {
        let up = |id: &NodeId| self.index(*id).is_some_and(|i| self.leaders[i].health == Health::Up);
        match action {
            Action::TriggerConflict => self.leaders.iter().filter(|l| l.health == Health::Up).count() >= 2,
            Action::Write { leader, op } => {
                up(leader) && matches!(op, Op::Increment(_)) == self.config.strategy.is_counter()
            }
            Action::KillLeader(id) => up(id),
            Action::RestartLeader(id) => self.index(*id).is_some() && !up(id),
            Action::ResolveSiblings { leader, keep } => {
                up(leader)
                    && self.config.strategy == Strategy::KeepSiblings
                    && matches!(self.shown(*leader), Some(Shown::Siblings(v)) if *keep < v.len())
            }
        }
    }

    /// One line per leader and a line of metrics, for snapshot tests and the debug panel.
    pub fn render_state(&self) -> String {
        let mut out = String::new();
        for l in self.leaders() {
            let health = if l.health == Health::Up { "up" } else { "DOWN" };
            let seen: Vec<String> = l
                .seen
                .iter()
                .map(|(id, lsn)| {
                    let short = self.index(*id).map_or_else(|| id.to_string(), |i| self.leaders[i].short.clone());
                    format!("{short}:{}", lsn.0)
                })
                .collect();
            out.push_str(&format!(
                "{} {} {health} clock {:+} ms {} seen [{}] pending {} shows {}\n",
                l.id,
                l.short,
                l.clock_skew_ms,
                l.last_lsn,
                seen.join(" "),
                l.pending,
                l.shown
            ));
        }
        let m = self.metrics;
        out.push_str(&format!(
            "writes {} refused {} applied {} lost-messages {} conflicts {} discarded {} wrong-winners {} deletes-ignored {} resurrections {}\n",
            m.writes_accepted,
            m.writes_refused,
            m.changes_applied,
            m.messages_lost,
            m.conflicts_detected,
            m.writes_discarded,
            m.wrong_winners,
            m.deletes_ignored,
            m.resurrections
        ));
        out
    }

    fn index(&self, id: NodeId) -> Option<usize> {
        let i = usize::from(id.0).checked_sub(1)?;
        (i < self.leaders.len()).then_some(i)
    }

    fn view(&self, i: usize) -> LeaderView {
        let l = &self.leaders[i];
        let skip = l.log.len().saturating_sub(LOG_VIEW_MAX);
        LeaderView {
            id: l.id,
            name: l.name.clone(),
            short: l.short.clone(),
            health: l.health,
            clock_skew_ms: l.skew_ms,
            clock_ms: self.clock_ms(i),
            priority: l.priority,
            last_lsn: Lsn(l.vv.get(l.id)),
            seen: l.vv.0.iter().map(|(id, lsn)| (*id, Lsn(*lsn))).collect(),
            shown: self.shown_at(i),
            log: l
                .log
                .iter()
                .skip(skip)
                .filter_map(|a| {
                    a.version.id.map(|id| LogEntryView {
                        id,
                        value: a.version.value.clone(),
                        stamp_ms: a.version.stamp_ms,
                        applied_at: a.at,
                    })
                })
                .collect(),
            log_len: l.log.len(),
            pending: l.pending.len(),
        }
    }

    fn shown_at(&self, i: usize) -> Shown {
        let l = &self.leaders[i];
        match self.config.strategy {
            Strategy::GCounter => Shown::One(Value::Count(l.counter.clone())),
            Strategy::LastWriteWinsTimestamp | Strategy::LastWriteWinsPriority => {
                l.winner.as_ref().map_or(Shown::Absent, |v| Shown::One(v.value.clone()))
            }
            Strategy::MergeValues => merged(&l.siblings),
            Strategy::KeepSiblings => match l.siblings.as_slice() {
                [] => Shown::Absent,
                [one] => Shown::One(one.value.clone()),
                many => Shown::Siblings(many.iter().map(|v| v.value.clone()).collect()),
            },
        }
    }

    /// What leader `i`'s wall clock reads now.
    fn clock_ms(&self, i: usize) -> u64 {
        let t = i128::from(self.config.wall_clock_start_ms)
            + i128::from(self.now.as_ms())
            + i128::from(self.leaders[i].skew_ms);
        t.clamp(0, i128::from(u64::MAX)) as u64
    }

    fn note(&mut self, salience: Salience, text: impl Into<String>) {
        self.trace.push(self.now, salience, text);
    }

    fn schedule(&mut self, at: Time, event: Event) {
        if self.queue.push(at, event).is_err() {
            self.metrics.dropped_at_bounds += 1;
            self.note(Salience::Key, "The event queue is full; an event is dropped.");
        }
    }

    /// Sends over a FIFO link: a message never overtakes the one sent before it on the same link.
    fn send(&mut self, from: NodeId, to: NodeId, msg: Msg) {
        let Some(delay_ms) = self.net.transit_ms(from, to, &mut self.rng) else {
            return;
        };
        let earliest = self.link_busy_until.get(&(from, to)).copied().unwrap_or(Time::ZERO);
        let at = (self.now + delay_ms).max(earliest);
        self.link_busy_until.insert((from, to), at);
        let sent_at = self.now;
        self.schedule(at, Event::Deliver { from, to, sent_at, msg });
    }

    fn next_of(&self, id: NodeId) -> NodeId {
        NodeId(id.0 % self.leaders.len() as u8 + 1)
    }

    /// Whether `from` passes a change that originated at `origin` on to `to`, in this topology.
    fn forwards(&self, from: NodeId, to: NodeId, origin: NodeId) -> bool {
        if from == to || origin == to {
            return false;
        }
        match self.config.topology {
            Topology::AllToAll => origin == from,
            Topology::Circular => to == self.next_of(from),
            Topology::Star { hub } => from == hub || (to == hub && origin == from),
        }
    }

    /// Whether the topology has a link from `from` to `to`.
    fn linked(&self, from: NodeId, to: NodeId) -> bool {
        self.forwards(from, to, from)
    }

    fn name(&self, id: NodeId) -> String {
        self.index(id).map_or_else(|| id.to_string(), |i| self.leaders[i].name.clone())
    }

    fn write_label(&self, id: Option<WriteId>) -> String {
        match id {
            Some(id) => {
                let short =
                    self.index(id.origin).map_or_else(|| id.origin.to_string(), |i| self.leaders[i].short.clone());
                format!("{short} {}", id.lsn)
            }
            None => "the initial value".to_owned(),
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Deliver { from, to, msg, .. } => self.deliver(from, to, msg),
            Event::Write { leader, op } => self.client_write(leader, op),
        }
    }

    fn deliver(&mut self, from: NodeId, to: NodeId, msg: Msg) {
        let Some(i) = self.index(to) else { return };
        if self.leaders[i].health == Health::Down {
            self.metrics.messages_lost += 1;
            let what = match &msg {
                Msg::Changes { changes, .. } => {
                    let ids: Vec<String> = changes.iter().map(|v| self.write_label(v.id)).collect();
                    format!("{} from {}", ids.join(", "), self.name(from))
                }
                Msg::Resync { .. } => format!("{}'s resync request", self.name(from)),
            };
            let to_name = self.name(to);
            self.note(Salience::Routine, format!("{what} reaches {to_name}, which is down: it is lost."));
            return;
        }
        match msg {
            Msg::Changes { changes, .. } => {
                for v in changes {
                    self.receive(i, v);
                }
            }
            Msg::Resync { seen, reply } => self.answer_resync(i, from, &seen, reply),
        }
    }

    fn receive(&mut self, i: usize, v: Version) {
        match readiness(&self.leaders[i].vv, &v) {
            Readiness::Duplicate => {}
            Readiness::Wait(missing) => {
                let leader = &mut self.leaders[i];
                if leader.pending.iter().any(|p| p.id == v.id) {
                    return;
                }
                if leader.pending.len() >= PENDING_MAX {
                    self.metrics.dropped_at_bounds += 1;
                    return;
                }
                leader.pending.push(v.clone());
                self.metrics.changes_held += 1;
                let text = format!(
                    "{} holds back {} until it has applied {}, which its author had already seen.",
                    self.leaders[i].name,
                    self.write_label(v.id),
                    self.write_label(Some(missing))
                );
                self.note(Salience::Routine, text);
            }
            Readiness::Apply => {
                self.apply_change(i, v, false);
                self.drain(i);
            }
        }
    }

    /// Applies every held-back change that has become applicable, in arrival order.
    fn drain(&mut self, i: usize) {
        for _ in 0..=PENDING_MAX {
            let leader = &mut self.leaders[i];
            leader.pending.retain(|p| !matches!(readiness(&leader.vv, p), Readiness::Duplicate));
            let Some(k) = leader.pending.iter().position(|p| matches!(readiness(&leader.vv, p), Readiness::Apply))
            else {
                return;
            };
            let v = leader.pending.remove(k);
            self.apply_change(i, v, false);
        }
    }

    /// A client write on leader `id`.
    fn client_write(&mut self, id: NodeId, op: Op) {
        let Some(i) = self.index(id) else {
            self.metrics.writes_refused += 1;
            self.note(Salience::Key, format!("There is no leader {id}; the write goes nowhere."));
            return;
        };
        let name = self.leaders[i].name.clone();
        let record = self.record().to_owned();
        if self.leaders[i].health == Health::Down {
            self.metrics.writes_refused += 1;
            self.note(Salience::Key, format!("{name} is down and cannot accept the write to {record}."));
            return;
        }
        if matches!(op, Op::Increment(_)) != self.config.strategy.is_counter() {
            self.metrics.writes_refused += 1;
            let why = if self.config.strategy.is_counter() {
                format!("{name} refuses the write: {record} is a counter and can only grow.")
            } else {
                format!("{name} refuses the increment: {record} holds text, not a count.")
            };
            self.note(Salience::Key, why);
            return;
        }
        if self.leaders[i].own_writes() >= OWN_WRITES_MAX {
            self.metrics.writes_refused += 1;
            self.note(Salience::Key, format!("{name}'s log is full ({OWN_WRITES_MAX} writes); it refuses the write."));
            return;
        }
        let stamp_ms = self.clock_ms(i);
        let leader = &self.leaders[i];
        let lsn = Lsn(leader.vv.get(id) + 1);
        let mut vv = leader.vv.clone();
        vv.set(id, lsn.0);
        let rev = leader.siblings.iter().map(|s| s.rev).max().unwrap_or(0) + 1;
        let stamped = stamp(stamp_ms);
        let (value, said) = match op {
            Op::Set(text) => {
                let text = cut(&text, VALUE_CHARS_MAX);
                let said = format!("{name} accepts \"{text}\" for {record} at {lsn}, stamped {stamped}.");
                (Value::Text(text), said)
            }
            Op::Delete => (Value::Deleted, format!("{name} accepts a delete of {record} at {lsn}, stamped {stamped}.")),
            Op::Increment(by) => {
                let by = by.clamp(1, INCREMENT_MAX);
                let mut counter = leader.counter.clone();
                counter.increment(i, by);
                let said = format!("{name} counts {by} page views in its own slot at {lsn}: {counter}.");
                (Value::Count(counter), said)
            }
        };
        let v = Version {
            id: Some(WriteId { origin: id, lsn }),
            value,
            stamp_ms,
            real_at: self.now,
            rev,
            priority: leader.priority,
            vv,
        };
        self.metrics.writes_accepted += 1;
        self.note(Salience::Key, said);
        self.apply_change(i, v, true);
        self.drain(i);
    }

    /// Applies `v` on leader `i`, resolves any conflict, narrates it, and forwards the change.
    fn apply_change(&mut self, i: usize, v: Version, local: bool) {
        let Some(id) = v.id else { return };
        let before = self.shown_at(i);
        let leader = &self.leaders[i];
        let held: Vec<Version> = leader.siblings.iter().filter(|s| concurrent(s, &v)).cloned().collect();
        let obsolete = leader.siblings.iter().any(|s| dominates(s, &v));
        let prev_winner = leader.winner.clone();
        let strategy = self.config.strategy;

        let now = self.now;
        let leader = &mut self.leaders[i];
        leader.vv.set(id.origin, id.lsn.0);
        if leader.log.len() < LOG_ENTRIES_MAX {
            leader.log.push(Applied { version: v.clone(), at: now });
        } else {
            self.metrics.dropped_at_bounds += 1;
        }
        if !obsolete {
            leader.siblings.retain(|s| !dominates(&v, s));
            leader.siblings.push(v.clone());
            leader.siblings.sort_by_key(|s| s.id);
        }
        if let Value::Count(counter) = &v.value {
            leader.counter.merge(counter);
        }
        let new_winner = match strategy {
            Strategy::LastWriteWinsTimestamp => {
                Some(prev_winner.clone().filter(|w| stamp_key(w) > stamp_key(&v)).unwrap_or_else(|| v.clone()))
            }
            Strategy::LastWriteWinsPriority => {
                Some(prev_winner.clone().filter(|w| priority_key(w) > priority_key(&v)).unwrap_or_else(|| v.clone()))
            }
            _ => None,
        };
        if new_winner.is_some() {
            leader.winner = new_winner.clone();
        }
        if !local {
            self.metrics.changes_applied += 1;
        }

        match strategy {
            Strategy::LastWriteWinsTimestamp | Strategy::LastWriteWinsPriority => {
                self.narrate_lww(i, &v, prev_winner, new_winner, local, &before);
            }
            Strategy::MergeValues | Strategy::KeepSiblings | Strategy::GCounter => {
                self.narrate_merge(i, &v, &held, obsolete, local);
            }
        }
        self.forward(i, &v);
    }

    fn forward(&mut self, i: usize, v: &Version) {
        let Some(id) = v.id else { return };
        let me = self.leaders[i].id;
        let targets: Vec<NodeId> =
            self.leader_ids().into_iter().filter(|to| self.forwards(me, *to, id.origin)).collect();
        for to in targets {
            self.send(me, to, Msg::Changes { changes: vec![v.clone()], kind: MessageKind::Change });
        }
    }

    fn narrate_lww(
        &mut self,
        i: usize,
        v: &Version,
        prev: Option<Version>,
        winner: Option<Version>,
        local: bool,
        before: &Shown,
    ) {
        let name = self.leaders[i].name.clone();
        let origin = v.id.map_or_else(String::new, |id| self.name(id.origin));
        let label = self.write_label(v.id);
        let Some(prev) = prev.filter(|p| p.id.is_some()) else {
            if !local {
                self.note(Salience::Routine, format!("{name} applies {origin}'s change {label}: {}.", v.value));
            }
            return;
        };
        let Some(winner) = winner else { return };
        let v_won = winner.id == v.id;
        if v_won && dominates(v, &prev) {
            if !local {
                self.note(Salience::Routine, format!("{name} applies {origin}'s change {label}: {}.", v.value));
            }
            return;
        }
        let (kept, lost) = if v_won { (v.clone(), prev.clone()) } else { (prev.clone(), v.clone()) };
        let record = self.record().to_owned();
        if dominates(v, &prev) {
            // The newer write loses: its clock is behind the stamp it overwrote.
            let text = if local {
                format!(
                    "{name}'s clock reads {}, behind the {} on the {} it holds: last-write-wins ignores its own new write.",
                    stamp(v.stamp_ms),
                    stamp(prev.stamp_ms),
                    prev.value
                )
            } else {
                format!(
                    "{name} ignores {origin}'s {} ({label}): it was written after {} but is stamped {}, not later than {}.",
                    v.value,
                    prev.value,
                    stamp(v.stamp_ms),
                    stamp(prev.stamp_ms)
                )
            };
            self.note(Salience::Key, text);
        } else {
            self.metrics.conflicts_detected += 1;
            self.note(
                Salience::Key,
                format!(
                    "{name} detects a conflict on {record}: it holds {} ({}), {origin} sends {} ({}).",
                    prev.value,
                    stamp(prev.stamp_ms),
                    v.value,
                    stamp(v.stamp_ms)
                ),
            );
            let reason = self.why_kept(&kept, &lost);
            let lost_label = self.write_label(lost.id);
            let rule = if self.config.strategy == Strategy::LastWriteWinsTimestamp {
                "Last-write-wins"
            } else {
                "Replica priority"
            };
            self.note(
                Salience::Key,
                format!("{rule} keeps {} ({reason}) and silently discards {} ({lost_label}).", kept.value, lost.value),
            );
        }
        self.report_loss(i, &kept, &lost, before);
    }

    /// Why last-write-wins ordered `kept` above `lost`, in numbers.
    fn why_kept(&self, kept: &Version, lost: &Version) -> String {
        let tie = |kept: &Version| {
            if kept.is_delete() > 0 {
                "the tie goes to the delete".to_owned()
            } else {
                format!("the tie goes to {}", self.write_label(kept.id))
            }
        };
        match self.config.strategy {
            Strategy::LastWriteWinsPriority => {
                if kept.rev != lost.rev {
                    format!("it had seen more changes: revision {} over {}", kept.rev, lost.rev)
                } else if kept.priority != lost.priority {
                    let short = kept.id.map_or_else(String::new, |id| self.name(id.origin));
                    format!("{short} has priority {} over {}", kept.priority, lost.priority)
                } else if kept.stamp_ms != lost.stamp_ms {
                    format!("equal priority; {} > {}", stamp(kept.stamp_ms), stamp(lost.stamp_ms))
                } else {
                    tie(kept)
                }
            }
            _ => {
                if kept.stamp_ms != lost.stamp_ms {
                    format!("{} > {}", stamp(kept.stamp_ms), stamp(lost.stamp_ms))
                } else {
                    format!("both {}; {}", stamp(kept.stamp_ms), tie(kept))
                }
            }
        }
    }

    /// Records what last-write-wins cost: the discarded write, a wrong winner, an ignored delete, a resurrection.
    fn report_loss(&mut self, i: usize, kept: &Version, lost: &Version, before: &Shown) {
        let Some(lost_id) = lost.id else { return };
        let leader_id = self.leaders[i].id;
        let name = self.leaders[i].name.clone();
        let lost_label = self.write_label(lost.id);
        let lost_origin = self.name(lost_id.origin);
        let kept_origin = kept.id.map_or_else(String::new, |id| self.name(id.origin));
        let record = self.record().to_owned();
        let first_loss = !self.anomalies.iter().any(|a| a.kind == AnomalyKind::WriteDiscarded && a.write == lost_id);
        if first_loss {
            self.metrics.writes_discarded += 1;
            let text = format!(
                "{lost_origin}'s write {} ({lost_label}) is silently lost, although the client that made it was told it succeeded.",
                lost.value
            );
            self.anomaly(leader_id, AnomalyKind::WriteDiscarded, lost_id, text);
            let wrong = self.config.strategy == Strategy::LastWriteWinsTimestamp
                && kept.id.is_some()
                && kept.real_at < lost.real_at;
            if wrong {
                self.metrics.wrong_winners += 1;
                let text = format!(
                    "Wrong winner: {lost_origin}'s write really happened {} ms after {kept_origin}'s, but its clock stamps it {} against {}; last-write-wins keeps the write that happened first.",
                    lost.real_at.ms_since(kept.real_at),
                    stamp(lost.stamp_ms),
                    stamp(kept.stamp_ms)
                );
                self.anomaly(leader_id, AnomalyKind::WrongWinner, lost_id, text);
            } else if self.config.strategy == Strategy::LastWriteWinsTimestamp
                && true_key(lost) > true_key(kept)
                && kept.id.is_some()
            {
                // Not a wrong order of real events (they were simultaneous), but still decided by the clocks.
                let text = format!(
                    "{lost_origin}'s and {kept_origin}'s writes happened at the same instant, so the clocks alone decided: exact clocks would have kept {lost_origin}'s.",
                );
                self.note(Salience::Key, text);
            }
        }
        if let (Value::Deleted, Value::Text(_)) = (&lost.value, &kept.value) {
            let was_deleted = matches!(before, Shown::One(Value::Deleted) | Shown::Absent);
            if was_deleted {
                self.metrics.resurrections += 1;
                let text = format!(
                    "{record} comes back on {name}: {kept_origin}'s {} stamped {} beats the delete stamped {}.",
                    kept.value,
                    stamp(kept.stamp_ms),
                    stamp(lost.stamp_ms)
                );
                self.anomaly(leader_id, AnomalyKind::Resurrected, lost_id, text);
            } else {
                self.metrics.deletes_ignored += 1;
                let text = format!(
                    "{name} ignores {lost_origin}'s delete of {record} (stamped {}): it keeps {} stamped {}, so the deleted record stays.",
                    stamp(lost.stamp_ms),
                    kept.value,
                    stamp(kept.stamp_ms)
                );
                self.anomaly(leader_id, AnomalyKind::DeleteIgnored, lost_id, text);
            }
        }
    }

    fn anomaly(&mut self, leader: NodeId, kind: AnomalyKind, write: WriteId, text: String) {
        self.note(Salience::Key, text.clone());
        if self.anomalies.len() < ANOMALIES_MAX {
            self.anomalies.push(Anomaly { at: self.now, leader, kind, write, text });
        }
    }

    fn narrate_merge(&mut self, i: usize, v: &Version, held: &[Version], obsolete: bool, local: bool) {
        let name = self.leaders[i].name.clone();
        let origin = v.id.map_or_else(String::new, |id| self.name(id.origin));
        let label = self.write_label(v.id);
        let record = self.record().to_owned();
        if held.is_empty() {
            if local {
                return;
            }
            let text = match (&v.value, obsolete) {
                (Value::Count(counter), _) => {
                    format!("{name} merges {origin}'s count {counter}: it now reads {}.", self.leaders[i].counter)
                }
                (_, true) => {
                    format!("{name} applies {origin}'s change {label}, which a write it holds already replaced.")
                }
                (value, false) => format!("{name} applies {origin}'s change {label}: {value}."),
            };
            self.note(Salience::Routine, text);
            return;
        }
        self.metrics.conflicts_detected += 1;
        let held_list: Vec<String> = held.iter().map(|h| h.value.to_string()).collect();
        let text = match (&v.value, self.config.strategy) {
            (Value::Count(counter), _) => format!(
                "{name} merges {origin}'s concurrent count {counter} slot by slot: {}; concurrent increments need no resolution.",
                self.leaders[i].counter
            ),
            (_, Strategy::MergeValues) => format!(
                "{name} detects a conflict on {record}: it holds {}, {origin} sends {}; merging keeps both: {}.",
                held_list.join(" and "),
                v.value,
                self.shown_at(i)
            ),
            _ => format!(
                "{name} detects a conflict on {record}: it holds {}, {origin} sends {}; it keeps all {} as siblings until a reader picks one.",
                held_list.join(" and "),
                v.value,
                self.leaders[i].siblings.len()
            ),
        };
        self.note(Salience::Key, text);
    }

    /// A restarted leader's neighbour sends back what it would have forwarded and the restarted leader lacks.
    fn answer_resync(&mut self, i: usize, asker: NodeId, seen: &Vv, reply: Reply) {
        let me = self.leaders[i].id;
        let missing: Vec<Version> = self.leaders[i]
            .log
            .iter()
            .map(|a| &a.version)
            .filter(|v| v.id.is_some_and(|id| !seen.covers(id) && self.forwards(me, asker, id.origin)))
            .cloned()
            .collect();
        if !missing.is_empty() {
            let (name, asker_name) = (self.leaders[i].name.clone(), self.name(asker));
            self.note(Salience::Routine, format!("{name} re-sends {} change(s) {asker_name} missed.", missing.len()));
        }
        for batch in missing.chunks(CATCH_UP_BATCH_MAX) {
            self.send(me, asker, Msg::Changes { changes: batch.to_vec(), kind: MessageKind::CatchUp });
        }
        if reply == Reply::Wanted && self.linked(asker, me) {
            let seen = self.leaders[i].vv.clone();
            self.send(me, asker, Msg::Resync { seen, reply: Reply::NotWanted });
        }
    }

    fn trigger_conflict(&mut self) {
        let up: Vec<NodeId> = self.leaders.iter().filter(|l| l.health == Health::Up).map(|l| l.id).collect();
        let [a, b, ..] = up[..] else {
            let count = up.len();
            self.note(Salience::Key, format!("A conflict needs two running leaders; {count} is up."));
            return;
        };
        let round = self.rounds;
        self.rounds += 1;
        let (op_a, op_b) = if self.config.strategy.is_counter() {
            let (x, y) = COUNT_ROUNDS[(round % COUNT_ROUNDS.len() as u64) as usize];
            (Op::Increment(x), Op::Increment(y))
        } else {
            let (x, y) = ADDRESS_ROUNDS[(round % ADDRESS_ROUNDS.len() as u64) as usize];
            (Op::Set(x.to_owned()), Op::Set(y.to_owned()))
        };
        let gap = self.config.conflict_gap_ms;
        let when = if gap == 0 { "at the same moment".to_owned() } else { format!("{gap} ms apart") };
        let (a_name, b_name, record) = (self.name(a), self.name(b), self.record().to_owned());
        let text = if self.config.strategy.is_counter() {
            format!("{a_name} and {b_name} both count page views {when}.")
        } else {
            format!("{a_name} and {b_name} receive conflicting writes to {record} {when}.")
        };
        self.note(Salience::Key, text);
        self.client_write(a, op_a);
        if gap == 0 {
            self.client_write(b, op_b);
        } else {
            self.schedule(self.now + gap, Event::Write { leader: b, op: op_b });
        }
    }

    fn kill(&mut self, id: NodeId) {
        let Some(i) = self.index(id) else {
            self.note(Salience::Key, format!("There is no leader {id} to kill."));
            return;
        };
        let leader = &mut self.leaders[i];
        let name = leader.name.clone();
        if leader.health == Health::Down {
            self.note(Salience::Key, format!("{name} is already down."));
            return;
        }
        leader.health = Health::Down;
        let held = leader.pending.len();
        leader.pending.clear();
        let held_text = if held == 0 { String::new() } else { format!(" and {held} held-back change(s)") };
        let topology = self.config.topology;
        let consequence = match topology {
            Topology::Circular => "; the ring is broken, so changes stop at it",
            Topology::Star { hub } if hub == id => "; it is the hub, so no leader hears from any other",
            Topology::Star { .. } => "; the others still exchange changes through the hub",
            Topology::AllToAll => "; the others still exchange changes directly",
        };
        self.note(Salience::Key, format!("{name} crashes, losing nothing from its log{held_text}{consequence}."));
    }

    fn restart(&mut self, id: NodeId) {
        let Some(i) = self.index(id) else {
            self.note(Salience::Key, format!("There is no leader {id} to restart."));
            return;
        };
        let name = self.leaders[i].name.clone();
        if self.leaders[i].health == Health::Up {
            self.note(Salience::Key, format!("{name} is already running."));
            return;
        }
        self.leaders[i].health = Health::Up;
        let neighbours: Vec<NodeId> =
            self.leader_ids().into_iter().filter(|n| self.linked(id, *n) || self.linked(*n, id)).collect();
        let names: Vec<String> = neighbours.iter().map(|n| self.name(*n)).collect();
        self.note(
            Salience::Key,
            format!("{name} restarts with its log on disk and asks {} for what it missed.", names.join(", ")),
        );
        let seen = self.leaders[i].vv.clone();
        for n in neighbours {
            self.send(id, n, Msg::Resync { seen: seen.clone(), reply: Reply::Wanted });
        }
    }

    fn resolve_siblings(&mut self, id: NodeId, keep: usize) {
        let Some(i) = self.index(id) else {
            self.note(Salience::Key, format!("There is no leader {id}."));
            return;
        };
        let name = self.leaders[i].name.clone();
        if self.config.strategy != Strategy::KeepSiblings {
            self.note(Salience::Key, "Only on-read resolution leaves siblings for a reader to pick from.");
            return;
        }
        let siblings: Vec<Value> = self.leaders[i].siblings.iter().map(|s| s.value.clone()).collect();
        if siblings.len() < 2 {
            self.note(Salience::Key, format!("{name} holds no conflicting versions to choose between."));
            return;
        }
        let Some(value) = siblings.get(keep).cloned() else {
            let count = siblings.len();
            self.note(Salience::Key, format!("{name} holds {count} siblings; there is no number {keep}."));
            return;
        };
        self.note(Salience::Key, format!("A reader on {name} sees {} versions and picks {value}.", siblings.len()));
        let op = match value {
            Value::Text(text) => Op::Set(text),
            _ => Op::Delete,
        };
        self.client_write(id, op);
    }
}

/// Every text the concurrent versions hold, joined with `/` in leader order; tombstones add nothing.
fn merged(siblings: &[Version]) -> Shown {
    let mut texts: Vec<&str> = Vec::new();
    for s in siblings {
        if let Value::Text(text) = &s.value {
            if !texts.contains(&text.as_str()) {
                texts.push(text);
            }
        }
    }
    match (siblings.is_empty(), texts.is_empty()) {
        (true, _) => Shown::Absent,
        (false, true) => Shown::One(Value::Deleted),
        (false, false) => Shown::One(Value::Text(texts.join("/"))),
    }
}

/// A wall-clock reading in seconds with milliseconds, as the course writes timestamps: `1705312000.001`.
pub fn stamp(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

impl Model for MultiLeader {
    type Action = Action;

    fn now(&self) -> Time {
        self.now
    }

    fn next_event_at(&self) -> Option<Time> {
        self.queue.next_at()
    }

    fn process_next(&mut self) -> bool {
        let Some((at, event)) = self.queue.pop() else {
            return false;
        };
        self.now = self.now.max(at);
        self.handle(event);
        true
    }

    fn advance_clock(&mut self, to: Time) {
        self.now = self.now.max(to);
    }

    fn apply(&mut self, action: &Action) {
        match action {
            Action::TriggerConflict => self.trigger_conflict(),
            Action::Write { leader, op } => self.client_write(*leader, op.clone()),
            Action::KillLeader(id) => self.kill(*id),
            Action::RestartLeader(id) => self.restart(*id),
            Action::ResolveSiblings { leader, keep } => self.resolve_siblings(*leader, *keep),
        }
    }

    fn trace(&self) -> &Trace {
        &self.trace
    }
}

/// One single-character edit to a text, at a position counted in characters from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextOp {
    Insert {
        pos: usize,
        ch: char,
    },
    Delete {
        pos: usize,
    },
    /// Does nothing: what a delete becomes when a concurrent delete already removed the same character.
    Nothing,
}

/// Why a text operation could not be applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtError {
    /// The position is past the end of the text (`len` characters).
    OutOfRange { pos: usize, len: usize },
    /// The text would be longer than [`TEXT_CHARS_MAX`] characters.
    TooLong { len: usize },
}

impl fmt::Display for OtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OtError::OutOfRange { pos, len } => write!(f, "position {pos} is outside a text of {len} characters"),
            OtError::TooLong { len } => write!(f, "a text of {len} characters is longer than {TEXT_CHARS_MAX}"),
        }
    }
}

impl std::error::Error for OtError {}

/// The course's transform T(op, prior): rewrites `op` so that it keeps its author's intent once `prior`, a
/// concurrent operation, has been applied first. If `prior` inserted before `op`'s position, the position
/// moves right by one; if it deleted before it, left by one. Two inserts at the same position are ordered by
/// character, so both sites pick the same order; a delete of a character `prior` already deleted becomes
/// [`TextOp::Nothing`].
pub fn transform(op: TextOp, prior: TextOp) -> TextOp {
    match (op, prior) {
        (TextOp::Nothing, _) | (_, TextOp::Nothing) => op,
        (TextOp::Insert { pos, ch }, TextOp::Insert { pos: p, ch: c }) => {
            let shift = p < pos || (p == pos && c <= ch);
            TextOp::Insert { pos: if shift { pos + 1 } else { pos }, ch }
        }
        (TextOp::Insert { pos, ch }, TextOp::Delete { pos: p }) => {
            TextOp::Insert { pos: if p < pos { pos - 1 } else { pos }, ch }
        }
        (TextOp::Delete { pos }, TextOp::Insert { pos: p, .. }) => {
            TextOp::Delete { pos: if p <= pos { pos + 1 } else { pos } }
        }
        (TextOp::Delete { pos }, TextOp::Delete { pos: p }) => match p.cmp(&pos) {
            std::cmp::Ordering::Less => TextOp::Delete { pos: pos - 1 },
            std::cmp::Ordering::Equal => TextOp::Nothing,
            std::cmp::Ordering::Greater => TextOp::Delete { pos },
        },
    }
}

/// Applies one operation to `text` exactly as given, without any transformation.
pub fn apply_text_op(text: &str, op: TextOp) -> Result<String, OtError> {
    let mut chars: Vec<char> = text.chars().collect();
    let len = chars.len();
    if len > TEXT_CHARS_MAX {
        return Err(OtError::TooLong { len });
    }
    match op {
        TextOp::Insert { pos, ch } => {
            if pos > len {
                return Err(OtError::OutOfRange { pos, len });
            }
            if len + 1 > TEXT_CHARS_MAX {
                return Err(OtError::TooLong { len: len + 1 });
            }
            chars.insert(pos, ch);
        }
        TextOp::Delete { pos } => {
            if pos >= len {
                return Err(OtError::OutOfRange { pos, len });
            }
            chars.remove(pos);
        }
        TextOp::Nothing => {}
    }
    Ok(chars.into_iter().collect())
}

/// Two concurrent edits of `text` as one replica applies them: `first` as it was made, then `second`
/// transformed against `first`. Either order gives the same text.
pub fn apply_concurrent(text: &str, first: TextOp, second: TextOp) -> Result<String, OtError> {
    apply_text_op(&apply_text_op(text, first)?, transform(second, first))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(origin: u8, lsn: u64, seen: &[(u8, u64)]) -> Version {
        let mut vv = Vv(seen.iter().map(|&(o, l)| (NodeId(o), l)).collect());
        vv.set(NodeId(origin), lsn);
        Version {
            id: Some(WriteId { origin: NodeId(origin), lsn: Lsn(lsn) }),
            value: Value::Deleted,
            stamp_ms: 0,
            real_at: Time::ZERO,
            rev: 1,
            priority: 0,
            vv,
        }
    }

    #[test]
    fn dominance_follows_what_the_author_had_seen() {
        let a = version(1, 1, &[]);
        let b = version(2, 1, &[(1, 1)]);
        let c = version(3, 1, &[]);
        assert!(dominates(&b, &a));
        assert!(!dominates(&a, &b));
        assert!(concurrent(&a, &c) && concurrent(&b, &c));
        assert!(!concurrent(&a, &a));
    }

    #[test]
    fn a_change_waits_for_what_it_depends_on() {
        let vv = Vv(BTreeMap::from([(NodeId(1), 0), (NodeId(2), 0)]));
        assert!(matches!(readiness(&vv, &version(2, 1, &[(1, 1)])), Readiness::Wait(w) if w.origin == NodeId(1)));
        assert!(matches!(readiness(&vv, &version(1, 2, &[])), Readiness::Wait(w) if w.lsn == Lsn(1)));
        assert!(matches!(readiness(&vv, &version(1, 1, &[])), Readiness::Apply));
        let seen = Vv(BTreeMap::from([(NodeId(1), 1)]));
        assert!(matches!(readiness(&seen, &version(1, 1, &[])), Readiness::Duplicate));
    }

    #[test]
    fn config_is_clamped() {
        let config = Config {
            leaders: Vec::new(),
            topology: Topology::Star { hub: NodeId(9) },
            conflict_gap_ms: u64::MAX,
            default_latency: Latency::Exponential { floor_ms: u64::MAX, mean_ms: f64::INFINITY },
            ..Config::default()
        }
        .clamped();
        assert_eq!(config.leaders.len(), LEADERS_MIN);
        assert_eq!(config.topology, Topology::Star { hub: NodeId(1) });
        assert_eq!(config.conflict_gap_ms, CONFLICT_GAP_MS_MAX);
        assert!(config.link_latency.iter().all(|l| l.a.0 <= 2 && l.b.0 <= 2));
    }
}
