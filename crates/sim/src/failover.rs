//! Leader failure and failover — the model behind chapter 2's "Failover simulation".
//!
//! A leader `L` and two to four followers (`F1`…`F4`) keep a write-ahead log of numbered entries (LSNs). Clients
//! send a steady stream of writes; each write inserts one row, so each entry also hands out the next
//! autoincrement id. The leader ships every entry to every follower, and each follower runs a fixed number of
//! entries behind (its *lag*: at 10 writes/s, a lag of 10 entries is one second). The leader sends heartbeats.
//! When the followers have heard nothing for the detection timeout, they hold an election, promote the most
//! up-to-date eligible follower, and then spend the reconfiguration time repointing the other followers and the
//! clients. Each phase (detection, election, reconfiguration) is recorded with its start and end, so a widget
//! can draw it to scale.
//!
//! Everything that goes wrong is reported as data: acknowledged writes the new leader never had, with their LSN
//! range; writes rejected while nobody leads, and the write downtime; an old leader that comes back unfenced and
//! keeps taking writes from clients that still point at it (split brain); and autoincrement ids handed out twice.
//!
//! The default is the course's worked example. L is at LSN 5000, F1 at 4990 and F2 at 4970, and the detection
//! timeout is 30 s. Kill L at t = 0, and the followers declare it dead at 30 s. The election takes 1 s and
//! promotes F1, reconfiguration takes another 1 s, and at 32 s F1 accepts writes from LSN 4991. L's entries
//! 4991–5000 (10 acknowledged writes) are lost, and writes are down for exactly 32,000 ms.
//!
//! ```
//! use sim::failover::{Action, Config, Failover, NodeId};
//! use sim::{Replay, Time};
//!
//! let mut run = Replay::new(Failover::new(1, Config::default()), Time::from_ms(60_000));
//! run.act(Action::StartWrites);
//! run.act(Action::KillLeader);
//! run.seek(Time::from_ms(40_000));
//! let failover = &run.model().failovers()[0];
//! assert_eq!(failover.new_leader, Some(NodeId(2))); // F1
//! let lost = failover.lost.expect("async replication loses L's unreplicated tail");
//! assert_eq!((lost.first.0, lost.last.0, lost.acknowledged), (4991, 5000, 10));
//! assert_eq!(run.model().metrics().write_downtime_ms, 32_000);
//! ```
//!
//! What is simplified, and why:
//! - **Lag is a fixed delay per follower.** A follower applies each entry `lag × write interval` ms after the
//!   leader wrote it, over a first-in-first-out link. While writes flow steadily, that delay is exactly `lag`
//!   positions behind the leader, which is how the course states it. When writes stop, followers catch up.
//!   Entries still on their way when the leader crashes are lost with it, because they were still in its send
//!   buffer.
//! - **The followers detect and elect as one.** They all get each heartbeat at the same moment, so their timeouts
//!   expire together. The election takes its configured time, and its votes are not modelled message by
//!   message. Eligibility is judged against the last position the leader reported in a heartbeat, as Patroni
//!   does.
//! - **Synchronous means "any one follower".** The leader confirms a write once any follower has applied it
//!   (PostgreSQL's `ANY 1`). Only a follower holding every confirmed write may be promoted (Patroni's
//!   synchronous mode). Acknowledgements travel back instantly.
//! - **One row per write.** Each write inserts a row, so a history's autoincrement counter advances with its LSN,
//!   and the row id of LSN `n` is `n` minus a fixed offset (5000 ↔ 1010 by default). A new leader therefore
//!   hands out the ids that its predecessor's lost writes had already used.
//! - **Only leaders fail.** The reader kills a leader and may restart it; follower catch-up shows when a replaced
//!   leader rejoins as a follower and fetches what it lacks (or, too far behind the leader's kept log, is rebuilt
//!   from a snapshot). Clients either follow service discovery (they are repointed at the end of
//!   reconfiguration) or have the first leader's address fixed in their configuration (the "stale" clients that
//!   feed split brain).
//! - **The only randomness is heartbeat latency**, drawn from the seeded generator and capped at half the
//!   heartbeat interval. The detection timeout is at least two intervals, so a live leader is never declared
//!   dead: every failover here follows a real crash.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use crate::net::{EventQueue, Latency};
use crate::replay::Model;
use crate::rng::Rng;
use crate::time::Time;
use crate::trace::{Salience, Trace};

pub use crate::ids::{Lsn, NodeId};

/// Followers in a run: the course's cluster has two; the chapter's figures go up to four.
pub const FOLLOWERS_MIN: u8 = 2;
pub const FOLLOWERS_MAX: u8 = 4;
/// The leader plus the most followers.
pub const NODES_MAX: usize = 1 + FOLLOWERS_MAX as usize;
/// Application servers sending writes.
pub const CLIENTS_MAX: u8 = 4;
pub const WRITES_PER_SEC_MAX: u32 = 50;
/// The most entries a follower may be configured to trail by.
pub const LAG_ENTRIES_MAX: u64 = 1_000;
pub const HEARTBEAT_INTERVAL_MS_MIN: u64 = 100;
pub const HEARTBEAT_INTERVAL_MS_MAX: u64 = 10_000;
pub const DETECTION_TIMEOUT_MS_MAX: u64 = 300_000;
/// The longest an election or a reconfiguration may be set to take.
pub const PHASE_MS_MAX: u64 = 120_000;
/// The highest LSN the run may start at.
pub const START_LSN_MAX: u64 = 1_000_000_000;
/// Entries each node keeps in full; older ones are summarised by their epoch. Far more than any failover loses.
pub const LOG_TAIL_MAX: usize = 2_048;
/// Epoch changes a log remembers (one per failover that reached it).
pub const EPOCH_RUNS_MAX: usize = 256;
/// Writes a leader may hold while it waits for a synchronous follower; beyond this it refuses new ones.
pub const WAITING_WRITES_MAX: usize = 1_000;
/// Entries in one replication message.
pub const REPLICATION_BATCH_MAX: usize = 512;
/// Failover records kept (oldest dropped first).
pub const FAILOVERS_KEPT_MAX: usize = 64;
/// Id collisions kept in detail; the count in [`Metrics`] goes on.
pub const COLLISIONS_KEPT_MAX: usize = 1_000;
/// Row ids remembered with who handed them out, to recognise reuse. The newest are kept.
pub const ID_REGISTRY_MAX: usize = 4_096;
/// Lost writes remembered (by LSN and epoch), so that copies of one write on several nodes count once.
pub const LOST_TRACKED_MAX: usize = 8_192;

/// How the leader confirms a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replication {
    /// "OK" as soon as the leader has written it; followers get it later.
    Async,
    /// "OK" only once at least one follower has applied it.
    Sync,
}

/// What happens to a leader that has been replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fencing {
    /// Nothing: if it comes back, it still believes it leads.
    Off,
    /// "Shoot The Other Node In The Head": it is powered off before the new leader is promoted, and on return it
    /// may only rejoin as a follower.
    Stonith,
}

/// The run's settings. The defaults are the course's worked example; every field is clamped to its range.
/// `followers`, `start_lsn` and `start_row_id` shape the starting cluster and are fixed once a run begins.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Followers besides the leader, 2..=4.
    pub followers: u8,
    /// Writes per second while writes run, 1..=50. At 10 per second a write goes out every 100 ms.
    pub writes_per_sec: u32,
    /// Entries each node trails its leader by while it follows one: index 0 is L (it applies once L has rejoined
    /// as a follower), then F1…F4. Each entry arrives `lag × write interval` ms after it was written.
    pub lag_entries: [u64; NODES_MAX],
    pub heartbeat_interval_ms: u64,
    /// How long a heartbeat takes; samples are capped at half the heartbeat interval.
    pub heartbeat_latency: Latency,
    /// Silence after which the followers declare the leader dead; at least two heartbeat intervals.
    pub detection_timeout_ms: u64,
    /// How long the followers take to agree on a new leader.
    pub election_ms: u64,
    /// How long repointing the followers and clients takes once the new leader is promoted.
    pub reconfiguration_ms: u64,
    /// Refuse to promote a follower more than this many entries behind the leader's last reported position.
    /// `None` promotes the freshest follower however far behind it is.
    pub max_lag_for_promotion: Option<u64>,
    pub fencing: Fencing,
    pub replication: Replication,
    /// Application servers taking turns to send writes, 1..=4.
    pub clients: u8,
    /// How many of those (the last ones) have L's address fixed in their configuration and never follow
    /// service discovery: the clients that keep writing to an old leader.
    pub stale_clients: u8,
    /// L's last LSN when the run starts; the followers start `lag` entries behind it.
    pub start_lsn: Lsn,
    /// The autoincrement id of L's last row when the run starts.
    pub start_row_id: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            followers: 2,
            writes_per_sec: 10,
            lag_entries: [10, 10, 30, 20, 40],
            heartbeat_interval_ms: 1_000,
            heartbeat_latency: Latency::Constant { ms: 5 },
            detection_timeout_ms: 30_000,
            election_ms: 1_000,
            reconfiguration_ms: 1_000,
            max_lag_for_promotion: None,
            fencing: Fencing::Stonith,
            replication: Replication::Async,
            clients: 2,
            stale_clients: 0,
            start_lsn: Lsn(5_000),
            start_row_id: 1_010,
        }
    }
}

impl Config {
    /// The same settings, each brought into its range.
    pub fn clamped(&self) -> Config {
        let heartbeat_interval_ms =
            self.heartbeat_interval_ms.clamp(HEARTBEAT_INTERVAL_MS_MIN, HEARTBEAT_INTERVAL_MS_MAX);
        let clients = self.clients.clamp(1, CLIENTS_MAX);
        let start_lsn = Lsn(self.start_lsn.0.min(START_LSN_MAX));
        Config {
            followers: self.followers.clamp(FOLLOWERS_MIN, FOLLOWERS_MAX),
            writes_per_sec: self.writes_per_sec.clamp(1, WRITES_PER_SEC_MAX),
            lag_entries: self.lag_entries.map(|lag| lag.min(LAG_ENTRIES_MAX)),
            heartbeat_interval_ms,
            heartbeat_latency: clamp_latency(&self.heartbeat_latency, heartbeat_interval_ms / 2),
            detection_timeout_ms: self.detection_timeout_ms.clamp(2 * heartbeat_interval_ms, DETECTION_TIMEOUT_MS_MAX),
            election_ms: self.election_ms.min(PHASE_MS_MAX),
            reconfiguration_ms: self.reconfiguration_ms.min(PHASE_MS_MAX),
            max_lag_for_promotion: self.max_lag_for_promotion,
            fencing: self.fencing,
            replication: self.replication,
            clients,
            stale_clients: self.stale_clients.min(clients),
            start_lsn,
            start_row_id: self.start_row_id.min(start_lsn.0),
        }
    }

    /// Milliseconds between two writes.
    pub fn write_interval_ms(&self) -> u64 {
        1_000 / u64::from(self.writes_per_sec.max(1))
    }

    fn nodes(&self) -> usize {
        1 + usize::from(self.followers)
    }
}

/// The name the course gives a node: `L` for the first leader, then `F1`…`F4`. Names stay with the machine, so
/// after a failover "F1" is the leader, as in the course.
pub fn node_name(id: NodeId) -> &'static str {
    match id.0 {
        1 => "L",
        2 => "F1",
        3 => "F2",
        4 => "F3",
        5 => "F4",
        _ => "?",
    }
}

/// Whether a machine is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Running,
    Crashed,
    /// Powered off by fencing: it may come back only as a follower.
    Fenced,
}

/// What a node does, as the widgets draw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Leader,
    /// Believes it leads, but the cluster has promoted someone else since: split brain if it takes writes.
    DeposedLeader,
    Follower,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Leader => "leader",
            Role::DeposedLeader => "deposed-leader",
            Role::Follower => "follower",
        })
    }
}

/// Where the followers' failure handling stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Listening for the leader's heartbeats (this includes the detection phase: nobody knows yet).
    Watching,
    Electing,
    /// A new leader is promoted; followers and clients are being repointed.
    Reconfiguring,
    /// The last election found no eligible follower: nobody leads until the old leader returns or a setting
    /// changes.
    Stalled,
}

/// The three phases of a failover, drawn as bands on a time axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Detection,
    Election,
    Reconfiguration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhaseSpan {
    pub phase: Phase,
    pub start: Time,
    /// `None` while the phase is still under way (or never ended).
    pub end: Option<Time>,
}

impl PhaseSpan {
    pub fn duration_ms(&self) -> Option<u64> {
        self.end.map(|end| end.ms_since(self.start))
    }
}

/// Why a follower could or could not be promoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eligibility {
    Eligible,
    /// More than `max_lag_for_promotion` entries behind the leader's last reported position.
    TooFarBehind,
    /// Synchronous replication: it lacks writes the leader had already confirmed.
    MissingConfirmedWrites,
}

/// A follower as the election saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub node: NodeId,
    pub last: Lsn,
    /// Entries behind the leader's last reported position.
    pub behind: u64,
    pub eligibility: Eligibility,
}

/// How a failover ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    InProgress,
    /// A follower was promoted and clients write to it.
    Completed,
    /// The old leader came back before anyone replaced it: nothing lost.
    LeaderReturned,
    /// No follower qualified; the cluster waits without a leader.
    NoEligibleCandidate,
    /// The leader had no running follower to notice it was gone.
    Unnoticed,
    /// The new leader crashed before clients were repointed to it.
    Interrupted,
}

/// Acknowledged or not, the entries of the old leader that the new history does not contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LostWrites {
    pub first: Lsn,
    pub last: Lsn,
    pub count: u64,
    /// Of those, writes whose clients had been told "OK".
    pub acknowledged: u64,
    /// The autoincrement ids those rows had, which the new leader will hand out again.
    pub first_row_id: u64,
    pub last_row_id: u64,
}

/// One leader crash and what followed, for the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct FailoverRecord {
    pub old_leader: NodeId,
    pub crashed_at: Time,
    /// The old leader's last LSN when it crashed.
    pub old_leader_last: Lsn,
    /// Detection, then election (more than once if a setting changed while stalled), then reconfiguration.
    pub phases: Vec<PhaseSpan>,
    /// The followers the (last) election compared.
    pub candidates: Vec<Candidate>,
    pub new_leader: Option<NodeId>,
    pub new_epoch: Option<u32>,
    pub outcome: Outcome,
    pub lost: Option<LostWrites>,
    /// When clients could write again (to the new leader, or to the old one back from the dead).
    pub writes_resumed_at: Option<Time>,
}

impl FailoverRecord {
    /// From the crash until clients could write again.
    pub fn write_downtime_ms(&self) -> Option<u64> {
        self.writes_resumed_at.map(|t| t.ms_since(self.crashed_at))
    }

    pub fn phase(&self, phase: Phase) -> Option<PhaseSpan> {
        self.phases.iter().rev().find(|span| span.phase == phase).copied()
    }

    fn is_open(&self) -> bool {
        matches!(self.outcome, Outcome::InProgress | Outcome::Unnoticed | Outcome::NoEligibleCandidate)
    }

    fn end_phase(&mut self, phase: Phase, at: Time) {
        if let Some(span) = self.phases.iter_mut().rev().find(|s| s.phase == phase && s.end.is_none()) {
            span.end = Some(at);
        }
    }

    fn start_phase(&mut self, phase: Phase, at: Time) {
        self.phases.push(PhaseSpan { phase, start: at, end: None });
    }
}

/// One autoincrement id handed out for two different rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdCollision {
    pub at: Time,
    pub row_id: u64,
    /// The node that just handed it out again, at this LSN and epoch.
    pub by: NodeId,
    pub lsn: Lsn,
    pub epoch: u32,
    /// Who had handed it out first.
    pub earlier_by: NodeId,
    pub earlier_lsn: Lsn,
    pub earlier_epoch: u32,
}

/// Counters a reader (and the tests) read off the run. Client counters cover writes sent during the run;
/// `acknowledged_writes_lost` also counts writes confirmed before it began (the worked example's ten).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    pub writes_sent: u64,
    pub writes_acknowledged: u64,
    /// Refused at once: the node the client writes to is down or is not a leader, or it has too many writes
    /// waiting for a synchronous follower.
    pub writes_rejected: u64,
    /// Accepted, but the leader crashed before any follower confirmed them (synchronous replication).
    pub writes_failed: u64,
    /// Writes whose clients were told "OK" and which are no longer part of the cluster's history.
    pub acknowledged_writes_lost: u64,
    /// Time during which the write endpoint that clients follow had no running leader behind it.
    pub write_downtime_ms: u64,
    /// Promotions.
    pub failovers: u64,
    /// Time during which two or more running nodes acted as leader.
    pub split_brain_ms: u64,
    /// Writes accepted by a deposed leader.
    pub split_brain_writes: u64,
    pub id_collisions: u64,
}

/// An epoch-coloured stretch of a node's log, for drawing logs side by side on an LSN axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogSegment {
    pub epoch: u32,
    pub first: Lsn,
    pub last: Lsn,
}

/// A node as the widgets draw it and the table lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeView {
    pub id: NodeId,
    pub name: &'static str,
    pub status: Status,
    pub role: Role,
    /// As leader: the epoch it writes in. As follower: the epoch of the leader it follows.
    pub epoch: u32,
    pub last: Lsn,
    pub last_row_id: u64,
    /// Entries behind the leader it follows (0 for a leader).
    pub behind: u64,
    pub following: Option<NodeId>,
    /// Its configured lag while following.
    pub lag_entries: u64,
    pub writes_accepted: u64,
    /// Writes it holds while waiting for a synchronous follower.
    pub writes_waiting: usize,
    /// Its log from LSN 1, one segment per epoch.
    pub log: Vec<LogSegment>,
}

/// What a message is, for drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    Heartbeat,
    Replication,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageView {
    pub from: NodeId,
    pub to: NodeId,
    pub kind: MessageKind,
    pub sent_at: Time,
    pub deliver_at: Time,
    /// For replication: the entries carried.
    pub first: Option<Lsn>,
    pub last: Option<Lsn>,
}

/// How a client finds the leader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addressing {
    /// Follows the published write endpoint, which reconfiguration updates.
    Discovery,
    /// Has L's address written into its configuration.
    Fixed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientView {
    /// 1-based: `c1`, `c2`, …
    pub number: u8,
    pub addressing: Addressing,
    /// The node its next write goes to.
    pub target: NodeId,
}

/// The followers' shared view of the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClusterView {
    /// The leader of the newest epoch.
    pub leader: NodeId,
    pub epoch: u32,
    /// Where clients that follow discovery send writes.
    pub published: NodeId,
    pub stage: Stage,
    pub last_heard: Time,
    /// When the followers will declare the leader dead if they hear nothing more (while watching).
    pub detection_deadline: Option<Time>,
    /// The leader's position as last reported in a heartbeat.
    pub reported_last: Lsn,
}

/// The reader's buttons.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    StartWrites,
    StopWrites,
    /// Crashes the current leader (or, if it is already down, a deposed leader that is still running).
    KillLeader,
    /// Restarts the lowest-numbered node that is down.
    RestartOldLeader,
    /// New settings; out-of-range values are clamped, and the starting shape of the cluster stays as it was.
    Configure(Config),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ack {
    Confirmed,
    Waiting,
    /// The leader crashed before any follower confirmed it; the client got an error.
    Failed,
}

/// Who wrote an entry: the cluster's leader of the time, or a leader the cluster had already replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    Current,
    Deposed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    lsn: Lsn,
    epoch: u32,
    /// The client write it records; `None` for writes made before the run began.
    write: Option<u64>,
    ack: Ack,
    origin: Origin,
}

/// A node's log: every LSN's epoch (as runs), and the newest entries in full.
///
/// Two logs hold the same entry at an LSN exactly when their epochs there agree, because each epoch has one
/// writer and followers only ever copy a prefix of their leader's log. So two logs can be compared by their
/// epoch runs alone, even where the entries themselves are no longer kept.
#[derive(Clone, Debug, PartialEq)]
struct Log {
    last: Lsn,
    /// (epoch, first LSN), ascending.
    runs: Vec<(u32, Lsn)>,
    /// Entries `last - tail.len() + 1 ..= last`.
    tail: VecDeque<Entry>,
}

impl Log {
    /// A history written in epoch 1 up to `last`, with entries after `kept_after` kept in full.
    fn history(last: Lsn, kept_after: Lsn, ack: impl Fn(Lsn) -> Ack) -> Log {
        let mut log = Log { last: Lsn(0), runs: Vec::new(), tail: VecDeque::new() };
        if last.0 == 0 {
            return log;
        }
        log.runs.push((1, Lsn(1)));
        let from = kept_after.0.max(last.0.saturating_sub(LOG_TAIL_MAX as u64));
        log.last = Lsn(from);
        for n in from + 1..=last.0 {
            log.append(Entry { lsn: Lsn(n), epoch: 1, write: None, ack: ack(Lsn(n)), origin: Origin::Current });
        }
        log
    }

    /// The lowest LSN kept in full.
    fn first_kept(&self) -> Lsn {
        Lsn(self.last.0 + 1 - self.tail.len() as u64)
    }

    fn epoch_at(&self, lsn: Lsn) -> Option<u32> {
        if lsn.0 == 0 || lsn > self.last {
            return None;
        }
        self.runs.iter().rev().find(|(_, first)| *first <= lsn).map(|(epoch, _)| *epoch)
    }

    fn entry(&self, lsn: Lsn) -> Option<&Entry> {
        let first = self.first_kept();
        if lsn < first || lsn > self.last {
            return None;
        }
        self.tail.get((lsn.0 - first.0) as usize)
    }

    fn entry_mut(&mut self, lsn: Lsn) -> Option<&mut Entry> {
        let first = self.first_kept();
        if lsn < first || lsn > self.last {
            return None;
        }
        self.tail.get_mut((lsn.0 - first.0) as usize)
    }

    /// Appends the next entry (callers pass `last + 1`), summarising the oldest kept one if the tail is full.
    fn append(&mut self, entry: Entry) {
        if self.runs.last().is_none_or(|(epoch, _)| *epoch != entry.epoch) {
            self.runs.push((entry.epoch, entry.lsn));
            if self.runs.len() > EPOCH_RUNS_MAX {
                // Forget the oldest change of epoch: positions that old are never compared in a run of the book.
                self.runs.remove(1);
            }
        }
        self.last = entry.lsn;
        self.tail.push_back(entry);
        if self.tail.len() > LOG_TAIL_MAX {
            self.tail.pop_front();
        }
    }

    /// Drops everything after `lsn`; returns the dropped entries that were kept in full, oldest first.
    fn truncate_after(&mut self, lsn: Lsn) -> Vec<Entry> {
        if lsn >= self.last {
            return Vec::new();
        }
        let first = self.first_kept();
        let keep = lsn.0.saturating_sub(first.0 - 1) as usize;
        let dropped: Vec<Entry> = self.tail.drain(keep.min(self.tail.len())..).collect();
        self.last = lsn;
        self.runs.retain(|(_, first)| *first <= lsn);
        dropped
    }

    /// The last LSN up to which this log and `other` hold the same entries.
    fn agreed_with(&self, other: &Log) -> Lsn {
        // Agreement holds for a prefix, so binary search for its end.
        let (mut lo, mut hi) = (0u64, self.last.min(other.last).0);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if self.epoch_at(Lsn(mid)) == other.epoch_at(Lsn(mid)) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Lsn(lo)
    }

    fn segments(&self) -> Vec<LogSegment> {
        let mut out = Vec::with_capacity(self.runs.len());
        for (i, (epoch, first)) in self.runs.iter().enumerate() {
            let last = self.runs.get(i + 1).map_or(self.last, |(_, next)| Lsn(next.0 - 1));
            out.push(LogSegment { epoch: *epoch, first: *first, last });
        }
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Acting {
    Leader,
    Follower,
}

#[derive(Clone, Debug, PartialEq)]
struct Node {
    id: NodeId,
    status: Status,
    acting: Acting,
    epoch: u32,
    following: Option<NodeId>,
    log: Log,
    /// As leader: per follower, the last LSN handed to the link, and when the link is next free (FIFO).
    sent: BTreeMap<NodeId, Lsn>,
    link_free_at: BTreeMap<NodeId, Time>,
    /// As leader under synchronous replication: writes waiting for a follower, by LSN.
    waiting: BTreeMap<Lsn, Option<u64>>,
    writes_accepted: u64,
}

impl Node {
    fn running(&self) -> bool {
        self.status == Status::Running
    }

    fn is_running_leader(&self) -> bool {
        self.running() && self.acting == Acting::Leader
    }

    /// The last LSN every write up to which the leader has confirmed (under sync, just before the first waiting
    /// one).
    fn confirmed_through(&self) -> Lsn {
        self.waiting.keys().next().map_or(self.log.last, |first| Lsn(first.0 - 1))
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Controller {
    /// The leader of the newest epoch.
    leader: NodeId,
    epoch: u32,
    /// The write endpoint in service discovery.
    published: NodeId,
    stage: Stage,
    /// Bumped on every stage change, so timers of an abandoned stage are ignored.
    round: u64,
    last_heard: Time,
    reported_last: Lsn,
    reported_confirmed: Lsn,
    /// Only the newest detection check counts.
    check: u64,
    /// Whether a detection check is pending.
    armed: Arming,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arming {
    Armed,
    Idle,
}

#[derive(Clone, Debug, PartialEq)]
enum Msg {
    Heartbeat { epoch: u32, last: Lsn, confirmed: Lsn },
    Replicate { entries: Vec<Entry> },
}

#[derive(Clone, Debug, PartialEq)]
enum Event {
    WriteTick,
    Heartbeat { node: NodeId },
    Deliver { from: NodeId, to: NodeId, sent_at: Time, msg: Msg },
    DetectionCheck { check: u64 },
    ElectionEnd { round: u64 },
    ReconfigurationEnd { round: u64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Writes {
    Running,
    Stopped,
}

/// How a client's last write went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Streak {
    Accepted,
    Rejected,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct IdHolder {
    by: NodeId,
    lsn: Lsn,
    epoch: u32,
}

/// The simulation: nodes, clients, the followers' failure handling, pending events, and the trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Failover {
    config: Config,
    now: Time,
    rng: Rng,
    queue: EventQueue<Event>,
    nodes: Vec<Node>,
    controller: Controller,
    writes: Writes,
    next_write: u64,
    next_client: u8,
    streaks: [Streak; CLIENTS_MAX as usize],
    /// Row id of LSN `n` is `n - row_offset` in every history (one row per write).
    row_offset: u64,
    ids: BTreeMap<u64, IdHolder>,
    /// Confirmed writes already counted as lost, by (LSN, epoch): the same write can sit on several nodes.
    counted_lost: BTreeSet<(Lsn, u32)>,
    collisions: Vec<IdCollision>,
    failovers: VecDeque<FailoverRecord>,
    metrics: Metrics,
    trace: Trace,
}

impl Failover {
    /// The course's cluster: L at `start_lsn`, each follower `lag` entries behind it with those entries still
    /// on their way, and writes stopped until the reader starts them.
    pub fn new(seed: u64, config: Config) -> Failover {
        let config = config.clamped();
        let start = config.start_lsn;
        let interval = config.write_interval_ms();
        let followers: Vec<NodeId> = (2..=config.nodes() as u8).map(NodeId).collect();
        let lags = config.lag_entries;
        let lag = |id: NodeId| lags[usize::from(id.0 - 1)];
        let deepest = followers.iter().map(|f| lag(*f)).max().unwrap_or(0);
        let kept_after = Lsn(start.0.saturating_sub(deepest));
        // Under sync, L has confirmed exactly what the freshest follower holds.
        let freshest = followers.iter().map(|f| start.0.saturating_sub(lag(*f))).max().unwrap_or(0);
        let replication = config.replication;
        let ack = |n: Lsn| match replication {
            Replication::Sync if n.0 > freshest => Ack::Waiting,
            _ => Ack::Confirmed,
        };
        let mut leader = Node {
            id: NodeId(1),
            status: Status::Running,
            acting: Acting::Leader,
            epoch: 1,
            following: None,
            log: Log::history(start, kept_after, ack),
            sent: BTreeMap::new(),
            link_free_at: BTreeMap::new(),
            waiting: BTreeMap::new(),
            writes_accepted: 0,
        };
        if config.replication == Replication::Sync {
            for n in freshest + 1..=start.0 {
                leader.waiting.insert(Lsn(n), None);
            }
        }
        let mut nodes = vec![leader];
        for &f in &followers {
            let last = Lsn(start.0.saturating_sub(lag(f)));
            nodes.push(Node {
                id: f,
                status: Status::Running,
                acting: Acting::Follower,
                epoch: 1,
                following: Some(NodeId(1)),
                log: Log::history(last, kept_after, |_| Ack::Confirmed),
                sent: BTreeMap::new(),
                link_free_at: BTreeMap::new(),
                waiting: BTreeMap::new(),
                writes_accepted: 0,
            });
        }
        let row_offset = start.0 - config.start_row_id;
        let mut model = Failover {
            now: Time::ZERO,
            rng: Rng::new(seed),
            queue: EventQueue::default(),
            controller: Controller {
                leader: NodeId(1),
                epoch: 1,
                published: NodeId(1),
                stage: Stage::Watching,
                round: 0,
                // As if the followers had just heard from L, with its current position.
                last_heard: Time::ZERO,
                reported_last: start,
                reported_confirmed: Lsn(freshest.max(if config.replication == Replication::Async {
                    start.0
                } else {
                    0
                })),
                check: 0,
                armed: Arming::Idle,
            },
            writes: Writes::Stopped,
            next_write: 1,
            next_client: 0,
            streaks: [Streak::Accepted; CLIENTS_MAX as usize],
            row_offset,
            ids: BTreeMap::new(),
            counted_lost: BTreeSet::new(),
            collisions: Vec::new(),
            failovers: VecDeque::new(),
            metrics: Metrics::default(),
            trace: Trace::default(),
            nodes,
            config,
        };
        for n in kept_after.0 + 1..=start.0 {
            model.ids.insert(n.saturating_sub(row_offset), IdHolder { by: NodeId(1), lsn: Lsn(n), epoch: 1 });
        }
        // The entries each follower is still missing are on their way: entry `start - k` was written k write
        // intervals ago and arrives one lag's delay after that.
        for &f in &followers {
            let have = model.nodes[usize::from(f.0 - 1)].log.last;
            let delay = lag(f) * interval;
            for n in have.0 + 1..=start.0 {
                let age = (start.0 - n) * interval;
                let at = Time::ZERO + delay.saturating_sub(age).max(1);
                let Some(entry) = model.nodes[0].log.entry(Lsn(n)).copied() else { continue };
                model.push_event(
                    at,
                    Event::Deliver {
                        from: NodeId(1),
                        to: f,
                        sent_at: Time::ZERO,
                        msg: Msg::Replicate { entries: vec![entry] },
                    },
                );
                model.nodes[0].link_free_at.insert(f, at);
            }
            model.nodes[0].sent.insert(f, start);
        }
        model.push_event(Time::ZERO + model.config.heartbeat_interval_ms, Event::Heartbeat { node: NodeId(1) });
        model.arm_detection(Time::ZERO + model.config.detection_timeout_ms);
        let positions: Vec<String> = model.nodes[1..]
            .iter()
            .map(|n| format!("{} at LSN {} ({} behind)", node_name(n.id), n.log.last.0, start.0 - n.log.last.0))
            .collect();
        let text = format!(
            "L leads at LSN {} (row id {}); {}. Replication is {}, fencing is {}, and the detection timeout is {} ms.",
            start.0,
            model.row_id(start),
            join_and(&positions),
            replication_name(model.config.replication),
            fencing_name(model.config.fencing),
            model.config.detection_timeout_ms
        );
        model.note(Salience::Key, text);
        model
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn metrics(&self) -> Metrics {
        self.metrics
    }

    /// Every failover so far, oldest first (at most [`FAILOVERS_KEPT_MAX`]).
    pub fn failovers(&self) -> Vec<FailoverRecord> {
        self.failovers.iter().cloned().collect()
    }

    /// Ids handed out twice, oldest first (at most [`COLLISIONS_KEPT_MAX`]).
    pub fn collisions(&self) -> &[IdCollision] {
        &self.collisions
    }

    pub fn writes_running(&self) -> bool {
        self.writes == Writes::Running
    }

    /// The autoincrement id of the row written at `lsn` (in any history).
    pub fn row_id(&self, lsn: Lsn) -> u64 {
        lsn.0.saturating_sub(self.row_offset)
    }

    pub fn cluster(&self) -> ClusterView {
        let c = &self.controller;
        ClusterView {
            leader: c.leader,
            epoch: c.epoch,
            published: c.published,
            stage: c.stage,
            last_heard: c.last_heard,
            detection_deadline: (c.stage == Stage::Watching && c.armed == Arming::Armed)
                .then(|| c.last_heard + self.config.detection_timeout_ms),
            reported_last: c.reported_last,
        }
    }

    pub fn nodes(&self) -> Vec<NodeView> {
        self.nodes
            .iter()
            .map(|n| {
                let behind = n
                    .following
                    .filter(|_| n.acting == Acting::Follower)
                    .and_then(|l| self.node(l))
                    .map_or(0, |l| l.log.last.0.saturating_sub(n.log.last.0));
                NodeView {
                    id: n.id,
                    name: node_name(n.id),
                    status: n.status,
                    role: self.role_of(n),
                    epoch: n.epoch,
                    last: n.log.last,
                    last_row_id: self.row_id(n.log.last),
                    behind,
                    following: n.following.filter(|_| n.acting == Acting::Follower),
                    lag_entries: self.lag_of(n.id),
                    writes_accepted: n.writes_accepted,
                    writes_waiting: n.waiting.len(),
                    log: n.log.segments(),
                }
            })
            .collect()
    }

    pub fn clients(&self) -> Vec<ClientView> {
        (0..self.config.clients)
            .map(|c| ClientView { number: c + 1, addressing: self.addressing(c), target: self.target_of(c) })
            .collect()
    }

    /// Messages on the wire, soonest first.
    pub fn messages(&self) -> Vec<MessageView> {
        self.queue
            .iter()
            .filter_map(|(at, event)| match event {
                Event::Deliver { from, to, sent_at, msg } => {
                    let (kind, first, last) = match msg {
                        Msg::Heartbeat { .. } => (MessageKind::Heartbeat, None, None),
                        Msg::Replicate { entries } => {
                            (MessageKind::Replication, entries.first().map(|e| e.lsn), entries.last().map(|e| e.lsn))
                        }
                    };
                    Some(MessageView { from: *from, to: *to, kind, sent_at: *sent_at, deliver_at: at, first, last })
                }
                _ => None,
            })
            .collect()
    }

    /// Running nodes acting as leader right now (two or more is split brain).
    pub fn running_leaders(&self) -> Vec<NodeId> {
        self.nodes.iter().filter(|n| n.is_running_leader()).map(|n| n.id).collect()
    }

    /// Whether an action would do something now (for enabling buttons).
    pub fn can(&self, action: &Action) -> bool {
        match action {
            Action::StartWrites => self.writes == Writes::Stopped,
            Action::StopWrites => self.writes == Writes::Running,
            Action::KillLeader => self.kill_target().is_some(),
            Action::RestartOldLeader => self.nodes.iter().any(|n| !n.running()),
            Action::Configure(_) => true,
        }
    }

    /// One line per node and a line of counters, for snapshot tests and debugging.
    pub fn render_state(&self) -> String {
        let mut out = String::new();
        for n in self.nodes() {
            let status = match n.status {
                Status::Running => "up",
                Status::Crashed => "DOWN",
                Status::Fenced => "FENCED",
            };
            out.push_str(&format!(
                "{} {} {} epoch {} LSN {} (row id {}) behind {} accepted {}\n",
                n.name, n.role, status, n.epoch, n.last.0, n.last_row_id, n.behind, n.writes_accepted
            ));
        }
        let m = self.metrics;
        out.push_str(&format!(
            "writes sent {} ok {} rejected {} failed {} lost {} downtime {} ms failovers {} split-brain {} ms / {} writes collisions {}\n",
            m.writes_sent,
            m.writes_acknowledged,
            m.writes_rejected,
            m.writes_failed,
            m.acknowledged_writes_lost,
            m.write_downtime_ms,
            m.failovers,
            m.split_brain_ms,
            m.split_brain_writes,
            m.id_collisions
        ));
        out
    }

    // ----- small helpers -----

    fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(usize::from(id.0).wrapping_sub(1))
    }

    fn node_mut(&mut self, id: NodeId) -> Option<&mut Node> {
        self.nodes.get_mut(usize::from(id.0).wrapping_sub(1))
    }

    fn lag_of(&self, id: NodeId) -> u64 {
        self.config.lag_entries.get(usize::from(id.0).wrapping_sub(1)).copied().unwrap_or(0)
    }

    fn role_of(&self, n: &Node) -> Role {
        match n.acting {
            Acting::Follower => Role::Follower,
            Acting::Leader if n.epoch < self.controller.epoch => Role::DeposedLeader,
            Acting::Leader => Role::Leader,
        }
    }

    fn addressing(&self, client: u8) -> Addressing {
        if client >= self.config.clients.saturating_sub(self.config.stale_clients) {
            Addressing::Fixed
        } else {
            Addressing::Discovery
        }
    }

    fn target_of(&self, client: u8) -> NodeId {
        match self.addressing(client) {
            Addressing::Fixed => NodeId(1),
            Addressing::Discovery => self.controller.published,
        }
    }

    fn note(&mut self, salience: Salience, text: impl Into<String>) {
        self.trace.push(self.now, salience, text);
    }

    fn push_event(&mut self, at: Time, event: Event) {
        if self.queue.push(at, event).is_err() {
            self.trace.push(self.now, Salience::Key, "The event queue is full; an event is dropped.");
        }
    }

    fn arm_detection(&mut self, at: Time) {
        self.controller.check += 1;
        self.controller.armed = Arming::Armed;
        let check = self.controller.check;
        self.push_event(at.max(self.now), Event::DetectionCheck { check });
    }

    fn record_mut(&mut self) -> Option<&mut FailoverRecord> {
        self.failovers.back_mut()
    }

    fn push_record(&mut self, record: FailoverRecord) {
        self.failovers.push_back(record);
        if self.failovers.len() > FAILOVERS_KEPT_MAX {
            self.failovers.pop_front();
        }
    }

    /// Running followers of the current leader: the nodes that would notice its silence.
    fn watchers(&self) -> Vec<NodeId> {
        let leader = self.controller.leader;
        self.nodes
            .iter()
            .filter(|n| n.running() && n.acting == Acting::Follower && n.following == Some(leader))
            .map(|n| n.id)
            .collect()
    }

    fn kill_target(&self) -> Option<NodeId> {
        let current = self.controller.leader;
        if self.node(current).is_some_and(Node::is_running_leader) {
            return Some(current);
        }
        self.nodes.iter().find(|n| n.is_running_leader()).map(|n| n.id)
    }

    /// Adds the time since the last accounting to the downtime and split-brain counters.
    fn account_until(&mut self, t: Time) {
        let dt = t.ms_since(self.now);
        if dt == 0 {
            return;
        }
        if !self.node(self.controller.published).is_some_and(Node::is_running_leader) {
            self.metrics.write_downtime_ms += dt;
        }
        if self.nodes.iter().filter(|n| n.is_running_leader()).count() >= 2 {
            self.metrics.split_brain_ms += dt;
        }
    }

    // ----- events -----

    fn handle(&mut self, event: Event) {
        match event {
            Event::WriteTick => self.write_tick(),
            Event::Heartbeat { node } => self.heartbeat(node),
            Event::Deliver { from, to, msg, .. } => self.deliver(from, to, msg),
            Event::DetectionCheck { check } => {
                if check == self.controller.check {
                    self.detection_check();
                }
            }
            Event::ElectionEnd { round } => {
                if round == self.controller.round && self.controller.stage == Stage::Electing {
                    self.end_election();
                }
            }
            Event::ReconfigurationEnd { round } => {
                if round == self.controller.round && self.controller.stage == Stage::Reconfiguring {
                    self.end_reconfiguration();
                }
            }
        }
    }

    fn write_tick(&mut self) {
        if self.writes == Writes::Stopped {
            return;
        }
        let next = self.now + self.config.write_interval_ms();
        self.push_event(next, Event::WriteTick);
        let client = self.next_client % self.config.clients.max(1);
        self.next_client = (client + 1) % self.config.clients.max(1);
        let write = self.next_write;
        self.next_write += 1;
        self.metrics.writes_sent += 1;
        let target = self.target_of(client);
        let who = format!("c{}", client + 1);
        let Some(t) = self.node(target) else { return };
        let name = node_name(target);
        let refusal = if !t.running() {
            Some(format!("{who}'s write #{write} is rejected: {name}, where it sends writes, is down."))
        } else if t.acting == Acting::Follower {
            Some(format!("{who}'s write #{write} is rejected: {name} is a follower and refuses writes."))
        } else if self.config.replication == Replication::Sync && t.waiting.len() >= WAITING_WRITES_MAX {
            Some(format!(
                "{who}'s write #{write} is rejected: {name} already holds {WAITING_WRITES_MAX} writes waiting for a follower."
            ))
        } else {
            None
        };
        let slot = usize::from(client).min(CLIENTS_MAX as usize - 1);
        let was = std::mem::replace(
            &mut self.streaks[slot],
            if refusal.is_some() { Streak::Rejected } else { Streak::Accepted },
        );
        if let Some(text) = refusal {
            self.metrics.writes_rejected += 1;
            // The first refusal a client meets is news; the ones after it are the same story.
            let salience = if was == Streak::Accepted { Salience::Key } else { Salience::Routine };
            self.note(salience, text);
            return;
        }
        self.accept_write(target, &who, write);
    }

    fn accept_write(&mut self, leader: NodeId, who: &str, write: u64) {
        let cluster_epoch = self.controller.epoch;
        let sync = self.config.replication == Replication::Sync;
        let row_offset = self.row_offset;
        let Some(n) = self.node_mut(leader) else { return };
        let lsn = Lsn(n.log.last.0 + 1);
        let epoch = n.epoch;
        let origin = if epoch < cluster_epoch { Origin::Deposed } else { Origin::Current };
        let ack = if sync { Ack::Waiting } else { Ack::Confirmed };
        n.log.append(Entry { lsn, epoch, write: Some(write), ack, origin });
        n.writes_accepted += 1;
        if sync {
            n.waiting.insert(lsn, Some(write));
        }
        let row = lsn.0.saturating_sub(row_offset);
        let name = node_name(leader);
        if sync {
            self.note(
                Salience::Routine,
                format!(
                    "{who}'s write #{write} is written by {name} at LSN {} (row id {row}) and waits for a follower.",
                    lsn.0
                ),
            );
        } else {
            self.metrics.writes_acknowledged += 1;
            self.note(
                Salience::Routine,
                format!("{who}'s write #{write} is written by {name} at LSN {} (row id {row}) and confirmed.", lsn.0),
            );
        }
        if origin == Origin::Deposed {
            self.metrics.split_brain_writes += 1;
            let salience = if self.metrics.split_brain_writes == 1 { Salience::Key } else { Salience::Routine };
            let current = node_name(self.controller.leader);
            self.note(
                salience,
                format!(
                    "Split brain: {name} (epoch {epoch}) takes write #{write} at LSN {} while {current} leads epoch {cluster_epoch}; {} such writes so far.",
                    lsn.0, self.metrics.split_brain_writes
                ),
            );
        }
        self.register_id(leader, lsn, epoch);
        let followers: Vec<NodeId> = self
            .nodes
            .iter()
            .filter(|f| f.running() && f.acting == Acting::Follower && f.following == Some(leader))
            .map(|f| f.id)
            .collect();
        for f in followers {
            self.ship(leader, f);
        }
    }

    /// Remembers who handed out the row id of `lsn`, and reports it if someone else already had.
    fn register_id(&mut self, by: NodeId, lsn: Lsn, epoch: u32) {
        let row_id = self.row_id(lsn);
        match self.ids.get(&row_id).copied() {
            Some(earlier) if earlier.epoch != epoch => {
                self.metrics.id_collisions += 1;
                let collision = IdCollision {
                    at: self.now,
                    row_id,
                    by,
                    lsn,
                    epoch,
                    earlier_by: earlier.by,
                    earlier_lsn: earlier.lsn,
                    earlier_epoch: earlier.epoch,
                };
                let first_of_its_kind =
                    !self.collisions.iter().any(|c| c.by == by && c.epoch == epoch && c.earlier_epoch == earlier.epoch);
                if self.collisions.len() < COLLISIONS_KEPT_MAX {
                    self.collisions.push(collision);
                }
                let salience = if first_of_its_kind { Salience::Key } else { Salience::Routine };
                self.note(
                    salience,
                    format!(
                        "{} hands out row id {row_id} again: {} gave it to a different row at LSN {} in epoch {}. Anything keyed by id (a cache, a search index) now mixes the two up.",
                        node_name(by),
                        node_name(earlier.by),
                        earlier.lsn.0,
                        earlier.epoch
                    ),
                );
            }
            Some(_) => {}
            None => {
                self.ids.insert(row_id, IdHolder { by, lsn, epoch });
                if self.ids.len() > ID_REGISTRY_MAX {
                    self.ids.pop_first();
                }
            }
        }
    }

    /// Records a confirmed write as lost; false if it already was (another copy of the same write).
    fn count_lost(&mut self, lsn: Lsn, epoch: u32) -> bool {
        let fresh = self.counted_lost.insert((lsn, epoch));
        if self.counted_lost.len() > LOST_TRACKED_MAX {
            self.counted_lost.pop_first();
        }
        fresh
    }

    /// Sends a follower everything it has not been sent yet, on the FIFO link that models its lag.
    fn ship(&mut self, leader: NodeId, follower: NodeId) {
        let delay = self.lag_of(follower) * self.config.write_interval_ms();
        let now = self.now;
        let Some(l) = self.node(leader) else { return };
        if !l.is_running_leader() {
            return;
        }
        let sent = l.sent.get(&follower).copied().unwrap_or(l.log.last);
        if sent >= l.log.last {
            return;
        }
        if sent.0 + 1 < l.log.first_kept().0 {
            // The leader no longer keeps the entries this follower needs: it gets a fresh copy instead.
            let mut copy = l.log.clone();
            let last = copy.last;
            for e in copy.tail.iter_mut().filter(|e| e.ack == Ack::Waiting) {
                e.ack = Ack::Confirmed;
            }
            if let Some(f) = self.node_mut(follower) {
                f.log = copy;
            }
            if let Some(l) = self.node_mut(leader) {
                l.sent.insert(follower, last);
            }
            self.note(
                Salience::Key,
                format!(
                    "{} is too far behind for {}'s kept log and is rebuilt from a snapshot at LSN {}.",
                    node_name(follower),
                    node_name(leader),
                    last.0
                ),
            );
            self.confirm_waiting(leader, last);
            return;
        }
        let mut from = sent;
        // Bounded: the kept log holds at most LOG_TAIL_MAX entries.
        for _ in 0..LOG_TAIL_MAX.div_ceil(REPLICATION_BATCH_MAX) + 1 {
            let Some(l) = self.node(leader) else { return };
            if from >= l.log.last {
                break;
            }
            let entries: Vec<Entry> = (from.0 + 1..=l.log.last.0)
                .take(REPLICATION_BATCH_MAX)
                .filter_map(|n| l.log.entry(Lsn(n)).copied())
                .collect();
            let Some(last) = entries.last().map(|e| e.lsn) else { break };
            let free = l.link_free_at.get(&follower).copied().unwrap_or(now);
            let at = (now + delay).max(free);
            if let Some(l) = self.node_mut(leader) {
                l.sent.insert(follower, last);
                l.link_free_at.insert(follower, at);
            }
            self.push_event(
                at,
                Event::Deliver { from: leader, to: follower, sent_at: now, msg: Msg::Replicate { entries } },
            );
            from = last;
        }
    }

    fn heartbeat(&mut self, node: NodeId) {
        let Some(n) = self.node(node) else { return };
        if !n.is_running_leader() {
            return;
        }
        let msg = Msg::Heartbeat { epoch: n.epoch, last: n.log.last, confirmed: n.confirmed_through() };
        let followers: Vec<NodeId> = self
            .nodes
            .iter()
            .filter(|f| f.acting == Acting::Follower && f.following == Some(node))
            .map(|f| f.id)
            .collect();
        let cap = self.config.heartbeat_interval_ms / 2;
        for f in followers {
            let latency = self.config.heartbeat_latency.sample(&mut self.rng).min(cap);
            let sent_at = self.now;
            self.push_event(self.now + latency, Event::Deliver { from: node, to: f, sent_at, msg: msg.clone() });
        }
        let next = self.now + self.config.heartbeat_interval_ms;
        self.push_event(next, Event::Heartbeat { node });
    }

    fn deliver(&mut self, from: NodeId, to: NodeId, msg: Msg) {
        let Some(n) = self.node(to) else { return };
        if !n.running() {
            self.note(
                Salience::Routine,
                format!("A message from {} reaches {}, which is down; it is lost.", node_name(from), node_name(to)),
            );
            return;
        }
        if n.acting != Acting::Follower || n.following != Some(from) {
            self.note(
                Salience::Routine,
                format!("{} ignores a message from {}, which it does not follow.", node_name(to), node_name(from)),
            );
            return;
        }
        match msg {
            Msg::Heartbeat { last, confirmed, .. } => {
                if from == self.controller.leader {
                    self.controller.last_heard = self.now;
                    self.controller.reported_last = last;
                    self.controller.reported_confirmed = confirmed;
                }
            }
            Msg::Replicate { entries } => self.apply_entries(from, to, entries),
        }
    }

    fn apply_entries(&mut self, leader: NodeId, follower: NodeId, entries: Vec<Entry>) {
        let batch = entries.len();
        let Some(f) = self.node_mut(follower) else { return };
        let mut gap = false;
        for mut e in entries {
            if e.lsn <= f.log.last {
                continue;
            }
            if e.lsn.0 != f.log.last.0 + 1 {
                gap = true;
                break;
            }
            if e.ack == Ack::Waiting {
                // The leader confirms a waiting write the moment a follower has it.
                e.ack = Ack::Confirmed;
            }
            f.log.append(e);
        }
        let have = f.log.last;
        if gap {
            // Only after a leader restart can an older batch be missing: ask again from what we have.
            if let Some(l) = self.node_mut(leader) {
                l.sent.insert(follower, have);
            }
            self.ship(leader, follower);
        }
        if batch > 1 {
            self.note(
                Salience::Routine,
                format!(
                    "{} applies {batch} entries of {}'s log, up to LSN {}.",
                    node_name(follower),
                    node_name(leader),
                    have.0
                ),
            );
        }
        self.confirm_waiting(leader, have);
    }

    /// Synchronous replication: every waiting write up to `through` is now on a follower, so its client hears OK.
    fn confirm_waiting(&mut self, leader: NodeId, through: Lsn) {
        let Some(l) = self.node_mut(leader) else { return };
        if !l.is_running_leader() || l.waiting.is_empty() {
            return;
        }
        let later = l.waiting.split_off(&Lsn(through.0 + 1));
        let done = std::mem::replace(&mut l.waiting, later);
        let mut in_run = 0;
        for (lsn, write) in &done {
            if let Some(e) = l.log.entry_mut(*lsn) {
                e.ack = Ack::Confirmed;
            }
            if write.is_some() {
                in_run += 1;
            }
        }
        self.metrics.writes_acknowledged += in_run;
        if let (Some((first, _)), Some((last, _))) = (done.first_key_value(), done.last_key_value()) {
            self.note(
                Salience::Routine,
                format!("{} confirms LSN {}–{} now that a follower has them.", node_name(leader), first.0, last.0),
            );
        }
    }

    fn detection_check(&mut self) {
        if self.controller.stage != Stage::Watching {
            self.controller.armed = Arming::Idle;
            return;
        }
        let timeout = self.config.detection_timeout_ms;
        let deadline = self.controller.last_heard + timeout;
        if self.now < deadline {
            self.arm_detection(deadline);
            return;
        }
        self.controller.armed = Arming::Idle;
        let leader = self.controller.leader;
        let watchers = self.watchers();
        if watchers.is_empty() {
            if let Some(r) = self.record_mut() {
                if r.is_open() && r.old_leader == leader {
                    r.outcome = Outcome::Unnoticed;
                }
            }
            self.note(
                Salience::Key,
                format!("No running follower is left to notice that {} is gone: nobody takes over.", node_name(leader)),
            );
            return;
        }
        let silent = self.now.ms_since(self.controller.last_heard);
        let names: Vec<String> = watchers
            .iter()
            .filter_map(|w| self.node(*w))
            .map(|w| format!("{} at LSN {}", node_name(w.id), w.log.last.0))
            .collect();
        self.note(
            Salience::Key,
            format!(
                "{} has sent no heartbeat for {silent} ms: the followers declare it dead and start an election ({}).",
                node_name(leader),
                join_and(&names)
            ),
        );
        let now = self.now;
        if let Some(r) = self.record_mut() {
            r.end_phase(Phase::Detection, now);
        }
        self.start_election();
    }

    fn start_election(&mut self) {
        self.controller.stage = Stage::Electing;
        self.controller.round += 1;
        let now = self.now;
        if let Some(r) = self.record_mut() {
            r.start_phase(Phase::Election, now);
            r.outcome = Outcome::InProgress;
        }
        let round = self.controller.round;
        self.push_event(self.now + self.config.election_ms, Event::ElectionEnd { round });
    }

    fn candidates(&self) -> Vec<Candidate> {
        let reported = self.controller.reported_last;
        let confirmed = self.controller.reported_confirmed;
        self.nodes
            .iter()
            .filter(|n| n.running() && n.acting == Acting::Follower)
            .map(|n| {
                let behind = reported.0.saturating_sub(n.log.last.0);
                let eligibility = if self.config.max_lag_for_promotion.is_some_and(|max| behind > max) {
                    Eligibility::TooFarBehind
                } else if self.config.replication == Replication::Sync && n.log.last < confirmed {
                    Eligibility::MissingConfirmedWrites
                } else {
                    Eligibility::Eligible
                };
                Candidate { node: n.id, last: n.log.last, behind, eligibility }
            })
            .collect()
    }

    fn end_election(&mut self) {
        let candidates = self.candidates();
        // Highest LSN wins; ties go to the lowest id, so the choice is deterministic.
        let winner = candidates
            .iter()
            .filter(|c| c.eligibility == Eligibility::Eligible)
            .max_by_key(|c| (c.last, std::cmp::Reverse(c.node)))
            .copied();
        let now = self.now;
        if let Some(r) = self.record_mut() {
            r.end_phase(Phase::Election, now);
            r.candidates = candidates.clone();
        }
        let old = self.controller.leader;
        let Some(winner) = winner else {
            self.controller.stage = Stage::Stalled;
            self.controller.round += 1;
            if let Some(r) = self.record_mut() {
                r.outcome = Outcome::NoEligibleCandidate;
            }
            let why: Vec<String> = candidates
                .iter()
                .map(|c| {
                    let reason = match c.eligibility {
                        Eligibility::MissingConfirmedWrites => "lacks confirmed writes",
                        _ => "too far behind",
                    };
                    format!("{} is {} behind ({reason})", node_name(c.node), c.behind)
                })
                .collect();
            let why = if why.is_empty() { "no follower is running".to_owned() } else { join_and(&why) };
            self.note(
                Salience::Key,
                format!(
                    "No follower qualifies for promotion ({why}; {} last reported LSN {}): nobody is promoted, and writes stay down until {} returns or a setting changes.",
                    node_name(old),
                    self.controller.reported_last.0,
                    node_name(old)
                ),
            );
            return;
        };
        let others: Vec<String> = candidates
            .iter()
            .filter(|c| c.node != winner.node)
            .map(|c| format!("{} has LSN {}", node_name(c.node), c.last.0))
            .collect();
        let versus = if others.is_empty() { String::new() } else { format!(" ({})", join_and(&others)) };
        self.note(
            Salience::Key,
            format!(
                "{} wins the election with the most up-to-date log, LSN {}{versus}.",
                node_name(winner.node),
                winner.last.0
            ),
        );
        if self.config.fencing == Fencing::Stonith {
            self.fence(old, winner.node);
        }
        self.promote(old, winner.node);
    }

    /// STONITH: the replaced leader is powered off (or kept off) before anyone else is promoted.
    fn fence(&mut self, old: NodeId, by: NodeId) {
        let Some(n) = self.node(old) else { return };
        let was_running = n.running();
        if was_running {
            self.crash(old);
        }
        if let Some(n) = self.node_mut(old) {
            n.status = Status::Fenced;
        }
        let text = if was_running {
            format!("{} is fenced (STONITH): it is powered off before {} is promoted.", node_name(old), node_name(by))
        } else {
            format!(
                "{} is fenced (STONITH): it stays powered off, and if it returns it may only follow {}.",
                node_name(old),
                node_name(by)
            )
        };
        self.note(Salience::Key, text);
    }

    fn promote(&mut self, old: NodeId, winner: NodeId) {
        let epoch = self.controller.epoch + 1;
        // What the new history lacks of the old leader's log is gone.
        let (old_log, new_log) = match (self.node(old), self.node(winner)) {
            (Some(o), Some(w)) => (o.log.clone(), w.log.clone()),
            _ => return,
        };
        let agreed = old_log.agreed_with(&new_log);
        let lost = (old_log.last > agreed).then(|| {
            let mut acknowledged = 0;
            for n in agreed.0 + 1..=old_log.last.0 {
                let confirmed = old_log.entry(Lsn(n)).is_none_or(|e| e.ack == Ack::Confirmed);
                let epoch = old_log.epoch_at(Lsn(n)).unwrap_or(0);
                if confirmed && self.count_lost(Lsn(n), epoch) {
                    acknowledged += 1;
                }
            }
            LostWrites {
                first: Lsn(agreed.0 + 1),
                last: old_log.last,
                count: old_log.last.0 - agreed.0,
                acknowledged,
                first_row_id: self.row_id(Lsn(agreed.0 + 1)),
                last_row_id: self.row_id(old_log.last),
            }
        });
        self.controller.leader = winner;
        self.controller.epoch = epoch;
        self.controller.stage = Stage::Reconfiguring;
        self.controller.round += 1;
        self.controller.last_heard = self.now;
        self.controller.reported_last = new_log.last;
        self.metrics.failovers += 1;
        if let Some(w) = self.node_mut(winner) {
            w.acting = Acting::Leader;
            w.epoch = epoch;
            w.following = None;
            w.sent.clear();
            w.link_free_at.clear();
            w.waiting.clear();
        }
        let confirmed = self.node(winner).map_or(Lsn(0), Node::confirmed_through);
        self.controller.reported_confirmed = confirmed;
        let now = self.now;
        if let Some(r) = self.record_mut() {
            r.new_leader = Some(winner);
            r.new_epoch = Some(epoch);
            r.lost = lost;
            r.start_phase(Phase::Reconfiguration, now);
        }
        let next_row = self.row_id(Lsn(new_log.last.0 + 1));
        self.note(
            Salience::Key,
            format!(
                "{} is promoted to leader of epoch {epoch} at LSN {}; its next write will be LSN {} (row id {next_row}).",
                node_name(winner),
                new_log.last.0,
                new_log.last.0 + 1
            ),
        );
        if let Some(lost) = lost {
            self.metrics.acknowledged_writes_lost += lost.acknowledged;
            let confirmed_part = match lost.acknowledged {
                0 => "none of them had been confirmed to a client".to_owned(),
                k if k == lost.count => format!("all {k} had been confirmed to clients"),
                k => format!("{k} of them had been confirmed to clients"),
            };
            self.note(
                Salience::Key,
                format!(
                    "LSN {}–{} (row ids {}–{}) exist only on {}: {} writes are lost, and {confirmed_part}.",
                    lost.first.0,
                    lost.last.0,
                    lost.first_row_id,
                    lost.last_row_id,
                    node_name(old),
                    lost.count
                ),
            );
        }
        // The other followers switch to the new leader now; clients at the end of reconfiguration.
        let others: Vec<NodeId> = self
            .nodes
            .iter()
            .filter(|n| n.id != winner && n.running() && n.acting == Acting::Follower)
            .map(|n| n.id)
            .collect();
        for f in others {
            self.follow(f, winner);
        }
        self.push_event(now, Event::Heartbeat { node: winner });
        self.arm_detection(now + self.config.detection_timeout_ms);
        if self.node(old).is_some_and(Node::is_running_leader) {
            self.note(
                Salience::Key,
                format!(
                    "{} is still running and still believes it leads epoch {}: nobody fenced it.",
                    node_name(old),
                    self.node(old).map_or(0, |n| n.epoch)
                ),
            );
        }
        let round = self.controller.round;
        self.push_event(now + self.config.reconfiguration_ms, Event::ReconfigurationEnd { round });
    }

    /// Makes `f` follow `leader`: it throws away whatever its log has that the leader's does not, then catches up.
    fn follow(&mut self, f: NodeId, leader: NodeId) {
        let (leader_log, leader_epoch) = match self.node(leader) {
            Some(l) => (l.log.clone(), if l.acting == Acting::Leader { l.epoch } else { self.controller.epoch }),
            None => return,
        };
        let Some(n) = self.node_mut(f) else { return };
        let agreed = n.log.agreed_with(&leader_log);
        let before = n.log.last;
        let dropped = n.log.truncate_after(agreed);
        n.acting = Acting::Follower;
        n.following = Some(leader);
        n.epoch = leader_epoch;
        n.sent.clear();
        n.link_free_at.clear();
        n.waiting.clear();
        let have = n.log.last;
        if before > agreed {
            // Confirmed writes not already counted at a promotion (a deposed leader's, mostly) are lost only now,
            // as the history that held them is thrown away.
            let newly_lost: Vec<&Entry> =
                dropped.iter().filter(|e| e.ack == Ack::Confirmed && self.count_lost(e.lsn, e.epoch)).collect();
            self.metrics.acknowledged_writes_lost += newly_lost.len() as u64;
            let split = newly_lost.iter().filter(|e| e.origin == Origin::Deposed).count();
            let extra = match (newly_lost.len(), split) {
                (0, _) => String::new(),
                (k, s) if k == s => format!(" {k} of them are split-brain writes its clients were told had succeeded."),
                (k, _) => format!(" {k} of them are writes its clients were told had succeeded, lost only now."),
            };
            self.note(
                Salience::Key,
                format!(
                    "{} discards LSN {}–{} ({} entries) that {}'s history does not have, and follows {}.{extra}",
                    node_name(f),
                    agreed.0 + 1,
                    before.0,
                    before.0 - agreed.0,
                    node_name(leader),
                    node_name(leader)
                ),
            );
        } else {
            self.note(
                Salience::Key,
                format!("{} now follows {} from LSN {}.", node_name(f), node_name(leader), have.0),
            );
        }
        if let Some(l) = self.node_mut(leader) {
            l.sent.insert(f, have);
        }
        self.ship(leader, f);
    }

    fn end_reconfiguration(&mut self) {
        let leader = self.controller.leader;
        self.controller.stage = Stage::Watching;
        self.controller.round += 1;
        let now = self.now;
        let up = self.node(leader).is_some_and(Node::is_running_leader);
        if up {
            self.controller.published = leader;
        }
        if let Some(r) = self.record_mut() {
            r.end_phase(Phase::Reconfiguration, now);
            if r.outcome == Outcome::InProgress {
                r.outcome = Outcome::Completed;
            }
            if up && r.writes_resumed_at.is_none() {
                r.writes_resumed_at = Some(now);
            }
        }
        if self.controller.armed == Arming::Idle {
            let deadline = self.controller.last_heard + self.config.detection_timeout_ms;
            self.arm_detection(deadline);
        }
        let fixed: Vec<String> = (0..self.config.clients)
            .filter(|c| self.addressing(*c) == Addressing::Fixed)
            .map(|c| format!("c{}", c + 1))
            .collect();
        let unreached = match fixed.len() {
            0 => String::new(),
            1 => format!("; {} has L's address fixed and keeps writing to L", fixed[0]),
            _ => format!("; {} have L's address fixed and keep writing to L", join_and(&fixed)),
        };
        if let Some(l) = self.node(leader) {
            let next = Lsn(l.log.last.0 + 1);
            let text = if up {
                format!(
                    "Clients are repointed to {}, which accepts writes from LSN {} (row id {}){unreached}.",
                    node_name(leader),
                    next.0,
                    self.row_id(next)
                )
            } else {
                format!("Reconfiguration ends, but {} is down: clients keep their old leader.", node_name(leader))
            };
            self.note(Salience::Key, text);
        }
    }

    // ----- reader actions -----

    fn start_writes(&mut self) {
        if self.writes == Writes::Running {
            self.note(Salience::Key, "Writes are already running.");
            return;
        }
        self.writes = Writes::Running;
        let interval = self.config.write_interval_ms();
        self.push_event(self.now + interval, Event::WriteTick);
        self.note(
            Salience::Key,
            format!(
                "Clients start writing: {} writes per second, one every {interval} ms.",
                self.config.writes_per_sec
            ),
        );
    }

    fn stop_writes(&mut self) {
        if self.writes == Writes::Stopped {
            self.note(Salience::Key, "Writes are already stopped.");
            return;
        }
        self.writes = Writes::Stopped;
        self.queue.retain(|e| !matches!(e, Event::WriteTick));
        self.note(Salience::Key, "Clients stop writing.");
    }

    /// The machine stops: its volatile state and its send buffer are gone; its log on disk survives.
    fn crash(&mut self, id: NodeId) {
        let Some(n) = self.node_mut(id) else { return };
        n.status = Status::Crashed;
        n.sent.clear();
        n.link_free_at.clear();
        let waiting = std::mem::take(&mut n.waiting);
        for lsn in waiting.keys() {
            if let Some(e) = n.log.entry_mut(*lsn) {
                e.ack = Ack::Failed;
            }
        }
        let failed = waiting.values().filter(|w| w.is_some()).count() as u64;
        self.metrics.writes_failed += failed;
        let mut dropped = 0;
        self.queue.retain(|e| match e {
            Event::Heartbeat { node } => *node != id,
            Event::Deliver { from, msg: Msg::Replicate { entries }, .. } if *from == id => {
                dropped += entries.len();
                false
            }
            Event::Deliver { from, .. } => *from != id,
            _ => true,
        });
        if !waiting.is_empty() {
            self.note(
                Salience::Key,
                format!(
                    "{} writes {} held for a follower's confirmation fail with it; their clients get errors, not OK.",
                    waiting.len(),
                    node_name(id)
                ),
            );
        }
        if dropped > 0 {
            self.note(
                Salience::Routine,
                format!("{dropped} entries still in {}'s send buffer are lost with it.", node_name(id)),
            );
        }
    }

    fn kill_leader(&mut self) {
        let Some(id) = self.kill_target() else {
            self.note(Salience::Key, "No leader is running, so there is none to kill.");
            return;
        };
        let Some(n) = self.node(id) else { return };
        let last = n.log.last;
        let followers: Vec<String> = self
            .nodes
            .iter()
            .filter(|f| f.running() && f.acting == Acting::Follower && f.following == Some(id))
            .map(|f| format!("{} has LSN {}", node_name(f.id), f.log.last.0))
            .collect();
        let followers = if followers.is_empty() { String::new() } else { format!("; {}", join_and(&followers)) };
        self.note(
            Salience::Key,
            format!("{} crashes at LSN {} (row id {}){followers}.", node_name(id), last.0, self.row_id(last)),
        );
        self.crash(id);
        if id != self.controller.leader {
            return;
        }
        let now = self.now;
        // A new leader that dies before clients reach it ends that failover without writes resuming.
        if self.controller.stage == Stage::Reconfiguring {
            self.controller.stage = Stage::Watching;
            self.controller.round += 1;
            if let Some(r) = self.record_mut() {
                r.end_phase(Phase::Reconfiguration, now);
                r.outcome = Outcome::Interrupted;
            }
        }
        let reopen = self.failovers.back().is_some_and(|r| r.is_open() && r.old_leader == id);
        if !reopen {
            self.push_record(FailoverRecord {
                old_leader: id,
                crashed_at: now,
                old_leader_last: last,
                phases: vec![PhaseSpan { phase: Phase::Detection, start: now, end: None }],
                candidates: Vec::new(),
                new_leader: None,
                new_epoch: None,
                outcome: Outcome::InProgress,
                lost: None,
                writes_resumed_at: None,
            });
        }
        if self.controller.stage == Stage::Watching && self.controller.armed == Arming::Idle {
            let deadline = self.controller.last_heard + self.config.detection_timeout_ms;
            self.arm_detection(deadline);
        }
    }

    fn restart(&mut self) {
        let Some(id) = self.nodes.iter().find(|n| !n.running()).map(|n| n.id) else {
            self.note(Salience::Key, "Every node is running; there is nothing to restart.");
            return;
        };
        let Some(n) = self.node(id) else { return };
        let (status, last, epoch) = (n.status, n.log.last, n.epoch);
        let current = self.controller.leader;
        let now = self.now;
        if id == current {
            // Nobody has replaced it: it simply leads again.
            if let Some(n) = self.node_mut(id) {
                n.status = Status::Running;
                n.acting = Acting::Leader;
            }
            self.controller.last_heard = now;
            self.controller.reported_last = last;
            let confirmed = self.node(id).map_or(last, Node::confirmed_through);
            self.controller.reported_confirmed = confirmed;
            let resumed = self.controller.published == id;
            let stage = self.controller.stage;
            let mut lost_nothing = false;
            if let Some(r) = self.failovers.back_mut() {
                if r.old_leader == id && r.is_open() && stage != Stage::Electing {
                    r.end_phase(Phase::Detection, now);
                    r.outcome = Outcome::LeaderReturned;
                    lost_nothing = true;
                    if resumed {
                        r.writes_resumed_at = Some(now);
                    }
                }
            }
            let text = if stage == Stage::Electing {
                format!(
                    "{} restarts at LSN {} and leads again, but the followers have already declared it dead and are electing a replacement.",
                    node_name(id),
                    last.0
                )
            } else if lost_nothing {
                format!(
                    "{} restarts at LSN {} and leads again: nobody replaced it, so nothing is lost.",
                    node_name(id),
                    last.0
                )
            } else {
                format!("{} restarts at LSN {} and leads again.", node_name(id), last.0)
            };
            self.note(Salience::Key, text);
            if stage == Stage::Stalled {
                self.controller.stage = Stage::Watching;
                self.controller.round += 1;
            }
            if !resumed && self.controller.stage == Stage::Watching {
                // It was promoted but died before clients were repointed: that reconfiguration runs again.
                self.controller.stage = Stage::Reconfiguring;
                self.controller.round += 1;
                if let Some(r) = self.record_mut() {
                    r.start_phase(Phase::Reconfiguration, now);
                }
                let round = self.controller.round;
                self.push_event(now + self.config.reconfiguration_ms, Event::ReconfigurationEnd { round });
            }
            let followers: Vec<NodeId> = self
                .nodes
                .iter()
                .filter(|f| f.running() && f.acting == Acting::Follower && f.following == Some(id))
                .map(|f| f.id)
                .collect();
            for f in followers {
                let have = self.node(f).map_or(Lsn(0), |f| f.log.last);
                if let Some(n) = self.node_mut(id) {
                    n.sent.insert(f, have);
                }
                self.ship(id, f);
            }
            self.push_event(now, Event::Heartbeat { node: id });
            if self.controller.stage == Stage::Watching {
                self.arm_detection(now + self.config.detection_timeout_ms);
            }
            return;
        }
        if status == Status::Fenced {
            let had_watchers = !self.watchers().is_empty();
            if let Some(n) = self.node_mut(id) {
                n.status = Status::Running;
            }
            self.note(
                Salience::Key,
                format!(
                    "{} restarts at LSN {}; fencing keeps it from leading, so it rejoins as a follower of {} (epoch {}).",
                    node_name(id),
                    last.0,
                    node_name(current),
                    self.controller.epoch
                ),
            );
            self.follow(id, current);
            let leader_down = !self.node(current).is_some_and(Node::is_running_leader);
            if !had_watchers && leader_down && self.controller.stage == Stage::Watching {
                // It is the only one left to notice the leader's silence: it waits out a full timeout first.
                self.controller.last_heard = now;
                self.arm_detection(now + self.config.detection_timeout_ms);
            }
            return;
        }
        if let Some(n) = self.node_mut(id) {
            n.status = Status::Running;
            n.acting = Acting::Leader;
        }
        self.push_event(now, Event::Heartbeat { node: id });
        self.note(
            Salience::Key,
            format!(
                "{} restarts at LSN {} still believing it leads epoch {epoch}: nobody fenced it, and {} leads epoch {} now. Two nodes act as leader.",
                node_name(id),
                last.0,
                node_name(current),
                self.controller.epoch
            ),
        );
    }

    fn configure(&mut self, wanted: &Config) {
        let mut next = wanted.clamped();
        // The starting shape of the cluster cannot change mid-run.
        next.followers = self.config.followers;
        next.start_lsn = self.config.start_lsn;
        next.start_row_id = self.config.start_row_id;
        let old = std::mem::replace(&mut self.config, next);
        let new = self.config.clone();
        let mut changes = Vec::new();
        if wanted.clamped() != *wanted {
            changes.push("out-of-range values are clamped".to_owned());
        }
        if old.writes_per_sec != new.writes_per_sec {
            changes.push(format!("{} writes per second", new.writes_per_sec));
            if self.writes == Writes::Running {
                self.queue.retain(|e| !matches!(e, Event::WriteTick));
                self.push_event(self.now + new.write_interval_ms(), Event::WriteTick);
            }
        }
        if old.lag_entries != new.lag_entries {
            let lags: Vec<String> = (1..=self.nodes.len() as u8)
                .map(|i| format!("{} {}", node_name(NodeId(i)), self.lag_of(NodeId(i))))
                .collect();
            changes.push(format!("lags {}", lags.join(", ")));
        }
        if old.heartbeat_interval_ms != new.heartbeat_interval_ms || old.heartbeat_latency != new.heartbeat_latency {
            changes.push(format!("heartbeats every {} ms", new.heartbeat_interval_ms));
        }
        if old.detection_timeout_ms != new.detection_timeout_ms {
            changes.push(format!("detection timeout {} ms", new.detection_timeout_ms));
            if self.controller.stage == Stage::Watching {
                let deadline = self.controller.last_heard + new.detection_timeout_ms;
                self.arm_detection(deadline);
            }
        }
        if old.election_ms != new.election_ms || old.reconfiguration_ms != new.reconfiguration_ms {
            changes.push(format!("election {} ms, reconfiguration {} ms", new.election_ms, new.reconfiguration_ms));
        }
        if old.max_lag_for_promotion != new.max_lag_for_promotion {
            changes.push(match new.max_lag_for_promotion {
                Some(max) => format!("promote only within {max} entries"),
                None => "promote however far behind".to_owned(),
            });
        }
        if old.clients != new.clients || old.stale_clients != new.stale_clients {
            changes.push(format!("{} clients, {} with L's address fixed", new.clients, new.stale_clients));
        }
        if old.replication != new.replication {
            changes.push(format!("{} replication", replication_name(new.replication)));
        }
        if old.fencing != new.fencing {
            changes.push(format!("fencing {}", fencing_name(new.fencing)));
        }
        let text = if changes.is_empty() {
            "Settings are applied; nothing changes.".to_owned()
        } else {
            format!("Settings change: {}.", changes.join("; "))
        };
        self.note(Salience::Key, text);
        if old.replication == Replication::Sync && new.replication == Replication::Async {
            // Turning sync off releases every waiting write, as PostgreSQL does when no standby is required.
            let leaders: Vec<NodeId> = self.nodes.iter().filter(|n| n.is_running_leader()).map(|n| n.id).collect();
            for l in leaders {
                let through = self.node(l).map_or(Lsn(0), |n| n.log.last);
                self.confirm_waiting(l, through);
            }
        }
        if new.fencing == Fencing::Stonith {
            // Fencing now also reaches leaders the cluster has already replaced.
            let epoch = self.controller.epoch;
            let deposed: Vec<NodeId> = self
                .nodes
                .iter()
                .filter(|n| n.acting == Acting::Leader && n.epoch < epoch && n.status != Status::Fenced)
                .map(|n| n.id)
                .collect();
            let current = self.controller.leader;
            for d in deposed {
                self.fence(d, current);
            }
        }
        if self.controller.stage == Stage::Stalled && old != self.config {
            self.note(Salience::Key, "With the new settings the followers hold the election again.");
            self.start_election();
        }
    }
}

impl Model for Failover {
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
        self.account_until(at);
        self.now = self.now.max(at);
        self.handle(event);
        true
    }

    fn advance_clock(&mut self, to: Time) {
        self.account_until(to);
        self.now = self.now.max(to);
    }

    fn apply(&mut self, action: &Action) {
        match action {
            Action::StartWrites => self.start_writes(),
            Action::StopWrites => self.stop_writes(),
            Action::KillLeader => self.kill_leader(),
            Action::RestartOldLeader => self.restart(),
            Action::Configure(config) => self.configure(config),
        }
    }

    fn trace(&self) -> &Trace {
        &self.trace
    }
}

fn replication_name(r: Replication) -> &'static str {
    match r {
        Replication::Async => "asynchronous",
        Replication::Sync => "synchronous",
    }
}

fn fencing_name(f: Fencing) -> &'static str {
    match f {
        Fencing::Off => "off",
        Fencing::Stonith => "on (STONITH)",
    }
}

/// A latency whose every parameter is at most `max_ms` (and whose mean is a number).
fn clamp_latency(latency: &Latency, max_ms: u64) -> Latency {
    match *latency {
        Latency::Constant { ms } => Latency::Constant { ms: ms.min(max_ms) },
        Latency::Uniform { min_ms, max_ms: hi } => {
            Latency::Uniform { min_ms: min_ms.min(max_ms), max_ms: hi.min(max_ms) }
        }
        Latency::Exponential { floor_ms, mean_ms } => Latency::Exponential {
            floor_ms: floor_ms.min(max_ms),
            mean_ms: if mean_ms.is_finite() { mean_ms.clamp(0.0, max_ms as f64) } else { 0.0 },
        },
    }
}

/// "a", "a and b", "a, b and c".
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Acknowledged writes of the run that the current leader holds.
    fn held(model: &Failover) -> u64 {
        let leader = &model.nodes[usize::from(model.controller.leader.0 - 1)];
        leader.log.tail.iter().filter(|e| e.write.is_some() && e.ack == Ack::Confirmed).count() as u64
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, .. ProptestConfig::default() })]

        /// Once every node is back, fenced leaders have rejoined and writes have drained, each write a client was
        /// told had succeeded is either on the leader or counted as lost: the loss accounting misses nothing and
        /// counts nothing twice. (The run starts empty, so no write predates it.)
        #[test]
        fn every_acknowledged_write_is_held_or_counted_lost(
            seed in any::<u64>(),
            rate in 1u32..15,
            lags in prop::array::uniform5(0u64..40),
            sync in any::<bool>(),
            fenced in any::<bool>(),
            (followers, stale, phase_ms) in (2u8..5, 0u8..3, 0u64..4_000),
            script in prop::collection::vec((0u64..80_000, 0u8..6), 0..12),
        ) {
            let config = Config {
                followers,
                writes_per_sec: rate,
                lag_entries: lags,
                detection_timeout_ms: 5_000,
                election_ms: phase_ms,
                reconfiguration_ms: 4_000 - phase_ms,
                fencing: if fenced { Fencing::Stonith } else { Fencing::Off },
                replication: if sync { Replication::Sync } else { Replication::Async },
                stale_clients: stale,
                start_lsn: Lsn(0),
                start_row_id: 0,
                ..Config::default()
            };
            let mut script = script;
            script.sort_by_key(|(t, _)| *t);
            let mut replay = crate::Replay::new(Failover::new(seed, config.clone()), Time::from_ms(200_000));
            replay.act(Action::StartWrites);
            for (t, what) in script {
                replay.seek(Time::from_ms(t));
                let action = match what {
                    0 | 1 => Action::KillLeader,
                    2 | 3 => Action::RestartOldLeader,
                    4 => Action::Configure(Config { fencing: Fencing::Stonith, max_lag_for_promotion: Some(3), ..config.clone() }),
                    _ => Action::Configure(Config { replication: Replication::Async, ..config.clone() }),
                };
                replay.act(action);
            }
            replay.seek(Time::from_ms(90_000));
            replay.act(Action::StopWrites);
            replay.act(Action::Configure(Config { fencing: Fencing::Stonith, replication: Replication::Async, ..config }));
            for _ in 0..NODES_MAX {
                replay.act(Action::RestartOldLeader);
            }
            replay.seek(Time::from_ms(200_000));
            let model = replay.model();
            let m = model.metrics;
            prop_assert!(model.running_leaders().len() <= 1, "{}", model.render_state());
            prop_assert_eq!(m.writes_acknowledged, held(model) + m.acknowledged_writes_lost, "{}", model.render_state());
        }
    }
}
