//! A consistency checker over a client history: which guarantees did the clients actually get?
//!
//! A *history* is what the clients saw: every read and write with who issued it, the key, the value written or
//! returned, when it was invoked and when (if ever) it was answered, which replica answered, and the log
//! position (LSN) when the system reports one. [`check`] reads such a history and reports, as data, each
//! violation of the guarantees chapter 4 teaches — every finding names the operations involved and explains
//! itself in one sentence with the numbers:
//!
//! - **stale read**: a read returns something older than a write that was acknowledged before the read began;
//! - **read-your-writes**: the same, where that write was the reader's own;
//! - **monotonic reads**: a client's later read returns something older than its earlier read of the same key;
//! - **consistent prefix**: a client sees an effect (a write) but, at the same moment or later, not its cause;
//! - **lost write**: an acknowledged write is missing from a replica that has applied the log past it.
//!
//! How it decides, and what it simplifies:
//! - A read is matched to the write it observed by its value, so every write to a key should write a distinct
//!   value (the usual convention of history checkers, e.g. Jepsen's). A value no write in the history produced
//!   is initial data, older than every write; a read that returns nothing also observed the initial state.
//! - Two writes to one key are ordered by their LSNs when both have one (for a leaderless store, the per-key
//!   version plays that role); otherwise one is newer only if it began after the other was answered. Writes
//!   that overlap in time are concurrent, and the checker never calls a read of either one stale.
//! - Causality (for consistent prefix) is inferred from the history, one step deep: a write depends on the
//!   writer's own earlier writes and on what the writer had read before writing — the answer depends on the
//!   question its author read. Deeper chains are not followed.
//! - For a read, `lsn` is how far the replica that answered had applied its log. Without read LSNs the checker
//!   cannot tell a lost write from a replica that is merely behind, so it reports lost writes only with that
//!   evidence; a lost write is then left out of the stale-read baseline, so one loss is reported once.
//! - A read that misses the reader's own write is reported as a read-your-writes violation, not also as a stale
//!   read; it may still take part in a monotonic-reads or consistent-prefix finding.
//!
//! ```
//! use sim::checker::{check, FindingKind, Operation};
//!
//! let history = [
//!     Operation::write(1, "alice", "post:7/comment:alice", "Great write-up!", 0, 20).with_lsn(1),
//!     Operation::read(2, "alice", "post:7/comment:alice", None, 100, 120).with_replica("follower 1").with_lsn(0),
//! ];
//! let report = check(&history)?;
//! assert_eq!(report.count(FindingKind::ReadYourWrites), 1);
//! assert!(report.findings[0].text.starts_with("Alice's read #2"));
//! # Ok::<(), sim::checker::CheckError>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::ids::Lsn;
use crate::time::Time;

/// The longest history [`check`] accepts. The checks are quadratic in the worst case; this keeps one check well
/// under a second even in a debug build, and far above what a simulation in the book records.
pub const HISTORY_MAX: usize = 2_000;
/// Findings kept in one report; any further ones are counted in [`Report::findings_dropped`].
pub const FINDINGS_MAX: usize = 1_000;

/// An operation's id, unique within a history. Shown as `#7`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpId(pub u64);

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What an operation did, with its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Write {
        value: String,
    },
    /// `None`: the key was not found.
    Read {
        value: Option<String>,
    },
}

/// Whether and when the system answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    /// Succeeded (a write was acknowledged) at this time.
    Ok { at: Time },
    /// The system said it failed at this time. A failed write may still be visible later (nothing rolls it back).
    Failed { at: Time },
    /// No answer by the end of the history: the outcome is unknown.
    Missing,
}

impl Response {
    fn ok_at(self) -> Option<Time> {
        match self {
            Response::Ok { at } => Some(at),
            _ => None,
        }
    }

    fn answered_at(self) -> Option<Time> {
        match self {
            Response::Ok { at } | Response::Failed { at } => Some(at),
            Response::Missing => None,
        }
    }
}

/// One client operation as the client saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    pub id: OpId,
    /// Who issued it: a user or client name, `"alice"`.
    pub client: String,
    pub kind: Kind,
    pub key: String,
    pub invoked_at: Time,
    pub response: Response,
    /// The replica that served it, if known: `"follower 1"`.
    pub replica: Option<String>,
    /// For a write: the log position it was stored at. For a read: how far the answering replica had applied its
    /// log. `None` when the system does not say.
    pub lsn: Option<Lsn>,
}

impl Operation {
    /// A write acknowledged at `acked_ms`.
    pub fn write(id: u64, client: &str, key: &str, value: &str, invoked_ms: u64, acked_ms: u64) -> Operation {
        Operation {
            id: OpId(id),
            client: client.to_owned(),
            kind: Kind::Write { value: value.to_owned() },
            key: key.to_owned(),
            invoked_at: Time::from_ms(invoked_ms),
            response: Response::Ok { at: Time::from_ms(acked_ms) },
            replica: None,
            lsn: None,
        }
    }

    /// A read answered at `answered_ms` with `value` (`None`: not found).
    pub fn read(id: u64, client: &str, key: &str, value: Option<&str>, invoked_ms: u64, answered_ms: u64) -> Operation {
        Operation {
            id: OpId(id),
            client: client.to_owned(),
            kind: Kind::Read { value: value.map(str::to_owned) },
            key: key.to_owned(),
            invoked_at: Time::from_ms(invoked_ms),
            response: Response::Ok { at: Time::from_ms(answered_ms) },
            replica: None,
            lsn: None,
        }
    }

    pub fn with_replica(mut self, replica: &str) -> Operation {
        self.replica = Some(replica.to_owned());
        self
    }

    pub fn with_lsn(mut self, lsn: u64) -> Operation {
        self.lsn = Some(Lsn(lsn));
        self
    }

    /// The same operation, answered with a failure at the same time.
    pub fn failed(mut self) -> Operation {
        if let Some(at) = self.response.answered_at() {
            self.response = Response::Failed { at };
        }
        self
    }

    /// The same operation, never answered.
    pub fn unanswered(mut self) -> Operation {
        self.response = Response::Missing;
        self
    }

    fn is_write(&self) -> bool {
        matches!(self.kind, Kind::Write { .. })
    }

    fn value(&self) -> Option<&str> {
        match &self.kind {
            Kind::Write { value } => Some(value),
            Kind::Read { value } => value.as_deref(),
        }
    }
}

/// The kinds of violation the checker reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    StaleRead,
    ReadYourWrites,
    MonotonicReads,
    ConsistentPrefix,
    LostWrite,
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FindingKind::StaleRead => "stale read",
            FindingKind::ReadYourWrites => "read-your-writes violation",
            FindingKind::MonotonicReads => "monotonic-reads violation",
            FindingKind::ConsistentPrefix => "consistent-prefix violation",
            FindingKind::LostWrite => "lost write",
        })
    }
}

/// One violation: what kind, which operations, when it became visible, and why, in one sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub kind: FindingKind,
    /// The operations involved, in the order the sentence names them.
    pub ops: Vec<OpId>,
    /// When the violation became visible: the answer to the last read involved.
    pub at: Time,
    pub text: String,
}

/// Everything [`check`] found, ordered by the time each finding became visible, then by the operations named.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// Findings beyond [`FINDINGS_MAX`] that were not kept.
    pub findings_dropped: usize,
}

impl Report {
    pub fn count(&self, kind: FindingKind) -> usize {
        self.findings.iter().filter(|f| f.kind == kind).count()
    }

    pub fn is_clean(&self) -> bool {
        self.findings.is_empty() && self.findings_dropped == 0
    }

    /// One finding per line, for snapshot tests: `stale read [#5, #1]: …`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            let ops: Vec<String> = f.ops.iter().map(OpId::to_string).collect();
            out.push_str(&format!("{} [{}]: {}\n", f.kind, ops.join(", "), f.text));
        }
        if self.findings_dropped > 0 {
            out.push_str(&format!("({} more findings not kept)\n", self.findings_dropped));
        }
        out
    }
}

/// Why a history could not be checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckError {
    TooManyOperations { len: usize, max: usize },
    DuplicateId(OpId),
    ResponseBeforeInvocation(OpId),
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::TooManyOperations { len, max } => {
                write!(f, "the history has {len} operations; the checker takes at most {max}")
            }
            CheckError::DuplicateId(id) => write!(f, "operation {id} appears more than once"),
            CheckError::ResponseBeforeInvocation(id) => write!(f, "operation {id} is answered before it is invoked"),
        }
    }
}

impl std::error::Error for CheckError {}

/// What state of a key a read observed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Observed {
    /// Nothing, or a value no write in the history produced: the state before every write.
    Initial,
    /// The value of this write (an index into the history).
    Write(usize),
}

/// Checks a history; see the module docs for what is reported and how.
pub fn check(history: &[Operation]) -> Result<Report, CheckError> {
    if history.len() > HISTORY_MAX {
        return Err(CheckError::TooManyOperations { len: history.len(), max: HISTORY_MAX });
    }
    let mut ids = BTreeSet::new();
    for op in history {
        if !ids.insert(op.id) {
            return Err(CheckError::DuplicateId(op.id));
        }
        if op.response.answered_at().is_some_and(|at| at < op.invoked_at) {
            return Err(CheckError::ResponseBeforeInvocation(op.id));
        }
    }
    let checker = Checker::new(history);
    let mut findings = Vec::new();
    let lost = checker.lost_writes(&mut findings);
    checker.stale_reads(&lost, &mut findings);
    checker.monotonic_reads(&mut findings);
    checker.consistent_prefix(&mut findings);
    for finding in &mut findings {
        finding.text = sentence(&finding.text);
    }
    findings.sort_by(|a, b| (a.at, &a.ops, a.kind).cmp(&(b.at, &b.ops, b.kind)));
    let findings_dropped = findings.len().saturating_sub(FINDINGS_MAX);
    findings.truncate(FINDINGS_MAX);
    Ok(Report { findings, findings_dropped })
}

struct Checker<'a> {
    ops: &'a [Operation],
    /// Per key, the indices of its writes, in history order.
    writes: BTreeMap<&'a str, Vec<usize>>,
    /// Indices of successful reads, each with what it observed, in order of invocation (then id).
    reads: Vec<(usize, Observed)>,
}

impl<'a> Checker<'a> {
    fn new(ops: &'a [Operation]) -> Checker<'a> {
        let mut writes: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, op) in ops.iter().enumerate() {
            if op.is_write() {
                writes.entry(op.key.as_str()).or_default().push(i);
            }
        }
        let mut checker = Checker { ops, writes, reads: Vec::new() };
        let mut reads: Vec<(usize, Observed)> = ops
            .iter()
            .enumerate()
            .filter(|(_, op)| !op.is_write() && op.response.ok_at().is_some())
            .map(|(i, _)| (i, checker.observed(i)))
            .collect();
        reads.sort_by_key(|&(i, _)| (ops[i].invoked_at, ops[i].id));
        checker.reads = reads;
        checker
    }

    /// The write whose value read `r` returned: among writes of that value to the key that had begun by the time
    /// the read was answered, the one begun last.
    fn observed(&self, r: usize) -> Observed {
        let read = &self.ops[r];
        let Some(value) = read.value() else { return Observed::Initial };
        let answered = read.response.answered_at().unwrap_or(read.invoked_at);
        self.writes_to(&read.key)
            .iter()
            .copied()
            .filter(|&w| self.ops[w].value() == Some(value) && self.ops[w].invoked_at <= answered)
            .max_by_key(|&w| (self.ops[w].invoked_at, self.ops[w].id))
            .map_or(Observed::Initial, Observed::Write)
    }

    fn writes_to(&self, key: &str) -> &[usize] {
        self.writes.get(key).map_or(&[], Vec::as_slice)
    }

    /// True if write `a` is definitely newer than write `b` (same key): by LSN when both have one, otherwise
    /// because `a` began after `b` was answered.
    fn newer(&self, a: usize, b: usize) -> bool {
        if a == b {
            return false;
        }
        let (a, b) = (&self.ops[a], &self.ops[b]);
        match (a.lsn, b.lsn) {
            (Some(x), Some(y)) => x > y,
            _ => b.response.answered_at().is_some_and(|t| a.invoked_at > t),
        }
    }

    /// True if the observed state definitely predates write `w`.
    fn older(&self, observed: Observed, w: usize) -> bool {
        match observed {
            Observed::Initial => true,
            Observed::Write(x) => self.newer(w, x),
        }
    }

    fn answered(&self, i: usize) -> Time {
        self.ops[i].response.answered_at().unwrap_or(self.ops[i].invoked_at)
    }

    /// The later of two writes by acknowledgement time (then LSN, then id), for naming the most telling witness.
    fn latest(&self, a: usize, b: usize) -> usize {
        let rank = |i: usize| (self.answered(i), self.ops[i].lsn, self.ops[i].id);
        if rank(b) > rank(a) {
            b
        } else {
            a
        }
    }

    fn lost_writes(&self, findings: &mut Vec<Finding>) -> BTreeSet<usize> {
        let mut lost = BTreeSet::new();
        for (&key, writes) in &self.writes {
            for &w in writes {
                let (Some(acked), Some(lsn)) = (self.ops[w].response.ok_at(), self.ops[w].lsn) else { continue };
                let evidence = self.reads.iter().copied().find(|&(r, obs)| {
                    let read = &self.ops[r];
                    read.key == key
                        && read.invoked_at > acked
                        && read.lsn.is_some_and(|applied| applied >= lsn)
                        && self.older(obs, w)
                });
                if let Some((r, _)) = evidence {
                    lost.insert(w);
                    let read = &self.ops[r];
                    let applied = read.lsn.unwrap_or_default();
                    findings.push(Finding {
                        kind: FindingKind::LostWrite,
                        ops: vec![self.ops[w].id, read.id],
                        at: self.answered(r),
                        text: format!(
                            "{} was acknowledged at {acked}, but {}{}, which has applied up to {applied}, returns {} \
                             instead: the acknowledged write is lost.",
                            self.write_name(w),
                            self.read_name(r),
                            at_replica(read),
                            quoted(read.value()),
                        ),
                    });
                }
            }
        }
        lost
    }

    fn stale_reads(&self, lost: &BTreeSet<usize>, findings: &mut Vec<Finding>) {
        for &(r, obs) in &self.reads {
            let read = &self.ops[r];
            let mut witness: Option<usize> = None;
            let mut own: Option<usize> = None;
            for &w in self.writes_to(&read.key) {
                let before = self.ops[w].response.ok_at().is_some_and(|t| t < read.invoked_at);
                if !before || lost.contains(&w) || !self.older(obs, w) {
                    continue;
                }
                witness = Some(witness.map_or(w, |x| self.latest(x, w)));
                if self.ops[w].client == read.client {
                    own = Some(own.map_or(w, |x| self.latest(x, w)));
                }
            }
            let acked = |w: usize| self.ops[w].response.ok_at().unwrap_or_default();
            let began = read.invoked_at;
            let (kind, w, text) = match (own, witness) {
                (Some(w), _) => (
                    FindingKind::ReadYourWrites,
                    w,
                    format!(
                        "{}{} returns {}, although {} own write {} ({}) was acknowledged at {}, before the read began \
                         at {began}.",
                        self.read_name(r),
                        at_replica(read),
                        quoted(read.value()),
                        possessive(&read.client),
                        self.ops[w].id,
                        self.write_details(w),
                        acked(w),
                    ),
                ),
                (None, Some(w)) => (
                    FindingKind::StaleRead,
                    w,
                    format!(
                        "{}{} returns {}, although {} was acknowledged at {}, before the read began at {began}.",
                        self.read_name(r),
                        at_replica(read),
                        quoted(read.value()),
                        self.write_name(w),
                        acked(w),
                    ),
                ),
                (None, None) => continue,
            };
            findings.push(Finding { kind, ops: vec![read.id, self.ops[w].id], at: self.answered(r), text });
        }
    }

    fn monotonic_reads(&self, findings: &mut Vec<Finding>) {
        for (n, &(r2, obs2)) in self.reads.iter().enumerate() {
            let second = &self.ops[r2];
            let earlier = self.reads[..n].iter().copied().filter(|&(r1, obs1)| {
                let first = &self.ops[r1];
                first.client == second.client
                    && first.key == second.key
                    && self.answered(r1) < second.invoked_at
                    && matches!(obs1, Observed::Write(x) if self.older(obs2, x))
            });
            let Some((r1, _)) = earlier.max_by_key(|&(r1, _)| (self.answered(r1), self.ops[r1].id)) else {
                continue;
            };
            let first = &self.ops[r1];
            findings.push(Finding {
                kind: FindingKind::MonotonicReads,
                ops: vec![first.id, second.id],
                at: self.answered(r2),
                text: format!(
                    "{}{} returns {}, older than the {} that {} read {}{} returned at {}: time goes backwards.",
                    self.read_name(r2),
                    at_replica(second),
                    quoted(second.value()),
                    quoted(first.value()),
                    possessive(&second.client),
                    first.id,
                    at_replica(first),
                    self.answered(r1),
                ),
            });
        }
    }

    /// The writes on other keys that write `x` depends on: the writer's own earlier writes and the writes the
    /// writer had read, each the latest per key.
    fn dependencies(&self, x: usize) -> Vec<usize> {
        let write = &self.ops[x];
        let mut per_key: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
        let mut latest_own: BTreeMap<&str, usize> = BTreeMap::new();
        for (w, op) in self.ops.iter().enumerate() {
            let done_before = op.response.ok_at().is_some_and(|t| t < write.invoked_at);
            if op.is_write() && op.client == write.client && op.key != write.key && done_before {
                let slot = latest_own.entry(op.key.as_str()).or_insert(w);
                *slot = self.latest(*slot, w);
            }
        }
        for (key, w) in latest_own {
            per_key.entry(key).or_default().insert(w);
        }
        let mut latest_read: BTreeMap<&str, (Time, usize)> = BTreeMap::new();
        for &(r, obs) in &self.reads {
            let read = &self.ops[r];
            let Observed::Write(seen) = obs else { continue };
            if read.client == write.client && read.key != write.key && self.answered(r) < write.invoked_at {
                let slot = latest_read.entry(read.key.as_str()).or_insert((self.answered(r), seen));
                if self.answered(r) >= slot.0 {
                    *slot = (self.answered(r), seen);
                }
            }
        }
        for (key, (_, w)) in latest_read {
            per_key.entry(key).or_default().insert(w);
        }
        per_key.into_values().flatten().collect()
    }

    fn consistent_prefix(&self, findings: &mut Vec<Finding>) {
        // Each client's reads per key (in invocation order), and each observed write's causes, computed once:
        // this keeps the check near-quadratic in the history's length rather than cubic.
        let mut reads_of: BTreeMap<(&str, &str), Vec<(usize, Observed)>> = BTreeMap::new();
        for &(r, obs) in &self.reads {
            reads_of.entry((self.ops[r].client.as_str(), self.ops[r].key.as_str())).or_default().push((r, obs));
        }
        let mut causes: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut reported: BTreeSet<(usize, usize)> = BTreeSet::new();
        for &(r_eff, obs_eff) in &self.reads {
            let Observed::Write(effect) = obs_eff else { continue };
            let observer = &self.ops[r_eff];
            let deps = causes.entry(effect).or_insert_with(|| self.dependencies(effect)).clone();
            for cause in deps {
                let candidates = reads_of
                    .get(&(observer.client.as_str(), self.ops[cause].key.as_str()))
                    .map_or(&[][..], Vec::as_slice);
                let missing = candidates
                    .iter()
                    .copied()
                    .find(|&(r, obs)| self.ops[r].invoked_at >= observer.invoked_at && self.older(obs, cause));
                let Some((r_cause, _)) = missing else { continue };
                if !reported.insert((r_cause, cause)) {
                    continue;
                }
                let blind = &self.ops[r_cause];
                let when = if blind.invoked_at == observer.invoked_at { "at the same moment" } else { "later" };
                findings.push(Finding {
                    kind: FindingKind::ConsistentPrefix,
                    ops: vec![observer.id, self.ops[effect].id, blind.id, self.ops[cause].id],
                    at: self.answered(r_eff).max(self.answered(r_cause)),
                    text: format!(
                        "{}{} sees {} (write {} by {}), but {} read {} of {}{} {when} returns {} instead of {} \
                         (write {} by {}), which it depends on: the effect appears before its cause.",
                        self.read_name(r_eff),
                        at_replica(observer),
                        quoted(self.ops[effect].value()),
                        self.ops[effect].id,
                        self.ops[effect].client,
                        possessive(&observer.client),
                        blind.id,
                        blind.key,
                        at_replica(blind),
                        quoted(blind.value()),
                        quoted(self.ops[cause].value()),
                        self.ops[cause].id,
                        self.ops[cause].client,
                    ),
                });
            }
        }
    }

    fn read_name(&self, r: usize) -> String {
        let read = &self.ops[r];
        format!("{} read {} of {}", possessive(&read.client), read.id, read.key)
    }

    /// `write #1 by alice ("Great write-up!", LSN 1)`.
    fn write_name(&self, w: usize) -> String {
        let write = &self.ops[w];
        format!("write {} by {} ({})", write.id, write.client, self.write_details(w))
    }

    fn write_details(&self, w: usize) -> String {
        let write = &self.ops[w];
        match write.lsn {
            Some(lsn) => format!("{}, {lsn}", quoted(write.value())),
            None => quoted(write.value()),
        }
    }
}

/// The text with its first letter capitalised, so every finding reads as a sentence.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn quoted(value: Option<&str>) -> String {
    match value {
        Some(v) => format!("\"{v}\""),
        None => "nothing".to_owned(),
    }
}

fn at_replica(op: &Operation) -> String {
    op.replica.as_deref().map_or(String::new(), |r| format!(" at {r}"))
}

/// `alice's`, `James'`: the reader's name as a possessive, for sentences about whose read or write it was.
fn possessive(name: &str) -> String {
    if name.ends_with('s') {
        format!("{name}'")
    } else {
        format!("{name}'s")
    }
}
