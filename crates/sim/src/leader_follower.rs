//! Leader-follower replication with synchronous, asynchronous and semi-synchronous modes — the model behind
//! chapter 1's "Leader-follower replication" and its worked example "Tracing a Write".
//!
//! One leader and two to five followers share a write-ahead log (WAL) of numbered records (LSNs). The reader's
//! client sends one write at a time; the trace follows it from the client to the leader's WAL, out to the
//! followers, back as acknowledgements (ACKs), and finally to the client as "OK". The [`Durability`] mode decides
//! when the leader may say OK: at once after its own WAL write (asynchronous), after every follower has applied
//! the change (synchronous), or after the first `k` followers in priority order have (semi-synchronous, the
//! course's default with `k = 1`, like PostgreSQL's `synchronous_standby_names = 'first 1 (…)'`). Followers can
//! crash and restart (catching up from their last LSN), a new follower can join from a consistent snapshot, and
//! the leader can be killed — after which the model reports, write by write, which acknowledged writes survive
//! on some follower and which are lost.
//!
//! What it simplifies, and why:
//! - There is no failover: when the leader dies, writes stop. Chapter 2's model elects a new leader; this one
//!   isolates the question of *what a leader's death can cost* under each mode.
//! - Links have a fixed one-way latency plus optional uniform jitter, and deliver in order (like TCP). Followers
//!   apply records one at a time, each taking their apply delay, so a burst of writes builds real lag.
//! - A follower's WAL survives its crash (only volatile state is lost); a record counts as *held* by a node once
//!   it is in that node's WAL. Followers acknowledge after applying, as in the course's example.
//! - The leader learns of a follower's crash at once (its replication connection drops), where a real one waits
//!   for a TCP or `wal_sender_timeout`. Messages still on their way to a crashed node are lost with its connection.
//! - When the leader dies, everything it had sent that has not arrived yet is lost too. That is the pessimistic
//!   reading, and it makes the asynchronous loss window visible: an acknowledged write that no follower has
//!   received yet is gone.
//! - Writes carry no real data: write number `n` is the course's `INSERT INTO users (name) VALUES (…)` with a
//!   name from a fixed list, so the narration can read like the book.
//!
//! The default [`Config`] reproduces the course's worked example exactly: the client sends at t=0 ms, the leader
//! writes LSN 1042 to its WAL at t=1, sends it to both followers at t=2, F1 (synchronous) applies and
//! acknowledges at t=5, the client gets OK at t=6, and F2 (asynchronous) applies at t=12.
//!
//! ```
//! use sim::leader_follower::{Action, Addr, Config, FollowerId, LeaderFollower, WriteStatus};
//! use sim::{Replay, Time};
//!
//! # fn main() -> Result<(), sim::leader_follower::ConfigError> {
//! let config = Config::default();
//! config.validate()?;
//! let mut replay = Replay::new(LeaderFollower::new(1, config), Time::from_ms(1_000));
//! replay.act(Action::SendWrite);
//! replay.seek(Time::from_ms(20));
//! let write = &replay.model().writes()[0];
//! assert_eq!(write.status, WriteStatus::Acknowledged);
//! assert_eq!(write.wait_ms, Some(6));
//! assert_eq!(write.held_at_ok, vec![Addr::Leader, Addr::Follower(FollowerId(1))]);
//! # Ok(())
//! # }
//! ```
//!
//! The read-scaling and data-at-risk arithmetic of the chapter are pure functions at the end of the module:
//! [`ReadScaling`], [`data_at_risk`] and [`rpo_ms`].

use std::collections::BTreeMap;
use std::fmt;

use crate::net::EventQueue;
use crate::replay::Model;
use crate::rng::Rng;
use crate::time::Time;
use crate::trace::{Salience, Trace};

pub use crate::ids::Lsn;

/// The fewest followers a run has: one synchronous and one asynchronous, as in the course's example.
pub const FOLLOWERS_MIN: usize = 2;
/// The most followers a run has, including ones the reader adds.
pub const FOLLOWERS_MAX: usize = 5;
/// The largest latency, jitter or delay a setting may take, in ms.
pub const SETTING_MS_MAX: u64 = 10_000;
/// Writes a run keeps; the client refuses to send more (a reader clicking once a second needs almost 3 hours).
pub const WRITES_MAX: usize = 10_000;
/// WAL records per catch-up message; a follower further behind asks again after each batch.
pub const CATCH_UP_BATCH_MAX: usize = 64;
/// The largest LSN a run may start from, far below `u64::MAX` so that adding writes can never overflow.
pub const INITIAL_LSN_MAX: u64 = 1 << 48;

/// Names the client's writes insert, in turn; the first is the course's.
const NAMES: [&str; 10] = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy"];

/// A follower, numbered from 1 as the figures label them (`F1`). A follower's number is also its priority for
/// becoming synchronous: lower numbers first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FollowerId(pub u8);

impl fmt::Display for FollowerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "F{}", self.0)
    }
}

/// One write the client sent, numbered from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WriteId(pub u64);

impl fmt::Display for WriteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "write #{}", self.0)
    }
}

/// Everyone who sends or receives messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Addr {
    Client,
    Leader,
    Follower(FollowerId),
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Client => f.write_str("the client"),
            Addr::Leader => f.write_str("the leader"),
            Addr::Follower(id) => id.fmt(f),
        }
    }
}

/// When the leader may tell the client "OK".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// After every follower has applied the write. One follower that is down blocks every write.
    Synchronous,
    /// Right after the leader's own WAL write; followers get the change in the background.
    Asynchronous,
    /// After the first `sync_count` followers, in priority order among those streaming, have applied it; the
    /// rest are asynchronous. If a synchronous follower drops out, the next streaming one takes its place.
    SemiSynchronous { sync_count: u8 },
}

impl fmt::Display for Durability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Durability::Synchronous => f.write_str("synchronous"),
            Durability::Asynchronous => f.write_str("asynchronous"),
            Durability::SemiSynchronous { sync_count } => write!(f, "semi-synchronous (first {sync_count})"),
        }
    }
}

/// The settings of one follower's link to the leader and of its replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowerConfig {
    /// One-way latency between the leader and this follower, each way.
    pub link_latency_ms: u64,
    /// Extra latency drawn uniformly from `0..=link_jitter_ms` per message (0: none, and the seed does not matter).
    pub link_jitter_ms: u64,
    /// Time to write and apply one received record before acknowledging it. Records apply one after another.
    pub apply_delay_ms: u64,
}

/// Everything a run is built from. Change a setting by building a new run from a changed `Config`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub durability: Durability,
    /// The followers at the start, F1 first: 2 to 5 of them.
    pub followers: Vec<FollowerConfig>,
    /// One-way latency between the client and the leader.
    pub client_latency_ms: u64,
    /// Time for the leader to write one record durably to its WAL. Writes are written one after another.
    pub wal_write_ms: u64,
    /// Time from a record being durable to the leader's WAL sender putting it on the wire.
    pub wal_send_delay_ms: u64,
    /// The last LSN every node already holds when the run starts (the cluster has a history).
    pub initial_lsn: Lsn,
    /// Time to copy and restore a snapshot on a new follower, on top of its link latency.
    pub snapshot_copy_ms: u64,
    /// The settings of a follower the reader adds.
    pub added_follower: FollowerConfig,
}

impl Default for Config {
    /// The course's worked example: semi-synchronous with one synchronous follower; F1 is 1 ms away, F2 8 ms;
    /// both apply a record in 2 ms; the next LSN is 1042.
    fn default() -> Self {
        Config {
            durability: Durability::SemiSynchronous { sync_count: 1 },
            followers: vec![
                FollowerConfig { link_latency_ms: 1, link_jitter_ms: 0, apply_delay_ms: 2 },
                FollowerConfig { link_latency_ms: 8, link_jitter_ms: 0, apply_delay_ms: 2 },
            ],
            client_latency_ms: 0,
            wal_write_ms: 1,
            wal_send_delay_ms: 1,
            initial_lsn: Lsn(1041),
            snapshot_copy_ms: 50,
            added_follower: FollowerConfig { link_latency_ms: 2, link_jitter_ms: 0, apply_delay_ms: 2 },
        }
    }
}

/// Which part of a follower's settings a [`Setting`] names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowerPart {
    LinkLatency,
    LinkJitter,
    ApplyDelay,
}

/// A duration setting of [`Config`], for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    ClientLatency,
    WalWrite,
    WalSendDelay,
    SnapshotCopy,
    Follower(FollowerId, FollowerPart),
    AddedFollower(FollowerPart),
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let part = |p: &FollowerPart| match p {
            FollowerPart::LinkLatency => "link latency",
            FollowerPart::LinkJitter => "link jitter",
            FollowerPart::ApplyDelay => "apply delay",
        };
        match self {
            Setting::ClientLatency => f.write_str("client latency"),
            Setting::WalWrite => f.write_str("WAL write time"),
            Setting::WalSendDelay => f.write_str("WAL send delay"),
            Setting::SnapshotCopy => f.write_str("snapshot copy time"),
            Setting::Follower(id, p) => write!(f, "{id} {}", part(p)),
            Setting::AddedFollower(p) => write!(f, "added follower {}", part(p)),
        }
    }
}

/// What is wrong with a [`Config`]. [`LeaderFollower::new`] clamps each of these instead of failing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    TooFewFollowers {
        given: usize,
    },
    TooManyFollowers {
        given: usize,
    },
    SettingTooLarge {
        setting: Setting,
        given_ms: u64,
    },
    /// Semi-synchronous needs between 1 and the number of followers synchronous ones.
    SyncCountOutOfRange {
        given: u8,
        followers: usize,
    },
    InitialLsnTooLarge {
        given: u64,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::TooFewFollowers { given } => {
                write!(f, "{given} follower(s) is fewer than {FOLLOWERS_MIN}; using {FOLLOWERS_MIN}")
            }
            ConfigError::TooManyFollowers { given } => {
                write!(f, "{given} followers is more than {FOLLOWERS_MAX}; using {FOLLOWERS_MAX}")
            }
            ConfigError::SettingTooLarge { setting, given_ms } => {
                write!(f, "{setting} of {given_ms} ms is more than {SETTING_MS_MAX} ms; using {SETTING_MS_MAX} ms")
            }
            ConfigError::SyncCountOutOfRange { given, followers } => {
                let used = (*given).clamp(1, (*followers).clamp(1, 255) as u8);
                write!(f, "{given} synchronous follower(s) is outside 1 to {followers}; using {used}")
            }
            ConfigError::InitialLsnTooLarge { given } => {
                write!(f, "initial LSN {given} is more than {INITIAL_LSN_MAX}; using {INITIAL_LSN_MAX}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Every problem with these settings, in the order the fields are declared; empty when valid.
    pub fn problems(&self) -> Vec<ConfigError> {
        let mut out = Vec::new();
        let n = self.followers.len();
        if n < FOLLOWERS_MIN {
            out.push(ConfigError::TooFewFollowers { given: n });
        }
        if n > FOLLOWERS_MAX {
            out.push(ConfigError::TooManyFollowers { given: n });
        }
        if let Durability::SemiSynchronous { sync_count } = self.durability {
            let followers = n.clamp(FOLLOWERS_MIN, FOLLOWERS_MAX);
            if sync_count == 0 || usize::from(sync_count) > followers {
                out.push(ConfigError::SyncCountOutOfRange { given: sync_count, followers });
            }
        }
        for (setting, given_ms) in self.durations() {
            if given_ms > SETTING_MS_MAX {
                out.push(ConfigError::SettingTooLarge { setting, given_ms });
            }
        }
        if self.initial_lsn.0 > INITIAL_LSN_MAX {
            out.push(ConfigError::InitialLsnTooLarge { given: self.initial_lsn.0 });
        }
        out
    }

    /// `Ok` when the settings are in range, else the first problem.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self.problems().first() {
            Some(problem) => Err(*problem),
            None => Ok(()),
        }
    }

    /// The nearest valid settings: follower count padded with copies of the last follower (or the default
    /// follower) or cut to the maximum, durations cut to [`SETTING_MS_MAX`], the sync count brought in range.
    pub fn clamped(&self) -> Config {
        let mut c = self.clone();
        c.followers.truncate(FOLLOWERS_MAX);
        let pad = c.followers.last().copied().unwrap_or(Config::default().followers[0]);
        while c.followers.len() < FOLLOWERS_MIN {
            c.followers.push(pad);
        }
        let clamp = |fc: &mut FollowerConfig| {
            fc.link_latency_ms = fc.link_latency_ms.min(SETTING_MS_MAX);
            fc.link_jitter_ms = fc.link_jitter_ms.min(SETTING_MS_MAX);
            fc.apply_delay_ms = fc.apply_delay_ms.min(SETTING_MS_MAX);
        };
        c.followers.iter_mut().for_each(clamp);
        clamp(&mut c.added_follower);
        c.client_latency_ms = c.client_latency_ms.min(SETTING_MS_MAX);
        c.wal_write_ms = c.wal_write_ms.min(SETTING_MS_MAX);
        c.wal_send_delay_ms = c.wal_send_delay_ms.min(SETTING_MS_MAX);
        c.snapshot_copy_ms = c.snapshot_copy_ms.min(SETTING_MS_MAX);
        c.initial_lsn = Lsn(c.initial_lsn.0.min(INITIAL_LSN_MAX));
        if let Durability::SemiSynchronous { sync_count } = c.durability {
            c.durability = Durability::SemiSynchronous { sync_count: sync_count.clamp(1, c.followers.len() as u8) };
        }
        c
    }

    fn durations(&self) -> Vec<(Setting, u64)> {
        let mut out = vec![
            (Setting::ClientLatency, self.client_latency_ms),
            (Setting::WalWrite, self.wal_write_ms),
            (Setting::WalSendDelay, self.wal_send_delay_ms),
            (Setting::SnapshotCopy, self.snapshot_copy_ms),
        ];
        let parts = |fc: &FollowerConfig| {
            [
                (FollowerPart::LinkLatency, fc.link_latency_ms),
                (FollowerPart::LinkJitter, fc.link_jitter_ms),
                (FollowerPart::ApplyDelay, fc.apply_delay_ms),
            ]
        };
        for (i, fc) in self.followers.iter().enumerate().take(FOLLOWERS_MAX) {
            let id = FollowerId(i as u8 + 1);
            out.extend(parts(fc).into_iter().map(|(p, ms)| (Setting::Follower(id, p), ms)));
        }
        out.extend(parts(&self.added_follower).into_iter().map(|(p, ms)| (Setting::AddedFollower(p), ms)));
        out
    }
}

/// The reader's buttons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The client sends one write to the leader.
    SendWrite,
    KillLeader,
    CrashFollower(FollowerId),
    /// Restarts a crashed follower, which replays its WAL and catches up from its last LSN.
    RestartFollower(FollowerId),
    /// A new follower joins: a consistent snapshot at an LSN, then catch-up, then streaming.
    AddFollower,
}

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Leader,
    Follower,
}

/// What a node is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The leader, up and taking writes.
    Leading,
    /// A follower receiving each change as the leader sends it.
    Streaming,
    /// A follower asking the leader for the changes it missed.
    CatchingUp,
    /// A new follower waiting for its snapshot to arrive and be restored.
    RestoringSnapshot,
    Down,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Leading => "leading",
            Phase::Streaming => "streaming",
            Phase::CatchingUp => "catching-up",
            Phase::RestoringSnapshot => "restoring-snapshot",
            Phase::Down => "DOWN",
        })
    }
}

/// How the leader treats a follower at this moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replication {
    /// The leader waits for this follower's ACK before saying OK.
    Synchronous,
    /// The leader sends it changes but waits for nobody's ACK from it.
    Asynchronous,
}

impl fmt::Display for Replication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Replication::Synchronous => "synchronous",
            Replication::Asynchronous => "asynchronous",
        })
    }
}

/// A node as the widgets draw it and the table lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeView {
    pub addr: Addr,
    pub role: Role,
    pub phase: Phase,
    /// For followers: whether the leader currently waits for it. `None` for the leader.
    pub replication: Option<Replication>,
    /// The last LSN in this node's WAL (durable: it survives a crash).
    pub last_lsn: Lsn,
    /// The last LSN this node has applied (for the leader, the same as `last_lsn`).
    pub applied_lsn: Lsn,
    /// Records the leader has written that this node has not applied yet.
    pub behind_records: u64,
    /// How long ago the oldest record this node has not applied was written on the leader (0 when caught up).
    pub lag_ms: u64,
}

impl NodeView {
    pub fn is_up(&self) -> bool {
        self.phase != Phase::Down
    }
}

/// What a message is, for drawing and counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    /// A write from the client to the leader.
    Write,
    /// The leader's "OK" to the client.
    Ok,
    /// WAL records from the leader to a follower.
    Replicate,
    /// A follower's acknowledgement of everything up to an LSN.
    Ack,
    /// A follower asking for everything after an LSN.
    CatchUpRequest,
    /// A consistent snapshot of the leader's data, copied to a new follower.
    Snapshot,
}

/// A message on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageView {
    pub from: Addr,
    pub to: Addr,
    pub kind: MessageKind,
    /// The LSN the message is about, for its label: the write's LSN, the last record shipped, the LSN acknowledged.
    pub lsn: Option<Lsn>,
    pub sent_at: Time,
    pub deliver_at: Time,
}

/// Where a write stands from the client's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteStatus {
    /// Sent; the client waits for the leader's answer.
    Waiting,
    /// The client got OK.
    Acknowledged,
    /// The leader died before answering; the client never hears back.
    Unanswered,
}

/// What became of a write once the leader died.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    /// At least one follower holds it in its WAL.
    Survives { on: Vec<FollowerId> },
    /// Only the dead leader had it (or not even the leader's WAL).
    Lost,
}

/// One write, as the widgets list it and the narration reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteView {
    pub id: WriteId,
    /// What the write does, in SQL: `INSERT INTO users (name) VALUES ('Alice')`.
    pub statement: String,
    pub sent_at: Time,
    /// The LSN the leader gave it, once the leader received it.
    pub lsn: Option<Lsn>,
    pub status: WriteStatus,
    /// When the client got OK.
    pub ok_at: Option<Time>,
    /// How long the client waited for OK.
    pub wait_ms: Option<u64>,
    /// The nodes whose WAL held the write at the moment the client got OK, leader first.
    pub held_at_ok: Vec<Addr>,
    /// After the leader died: whether the write survives on some follower. `None` while the leader lives, or
    /// for a write the leader never received.
    pub fate: Option<Fate>,
}

/// The account of a leader's death: which acknowledged writes survive and which are lost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LossReport {
    pub at: Time,
    /// The leader's last LSN when it died.
    pub leader_last_lsn: Lsn,
    /// Acknowledged writes at least one follower holds, with the followers that hold them.
    pub survived: Vec<(WriteId, Lsn, Vec<FollowerId>)>,
    /// Acknowledged writes no follower holds: the client was told they succeeded, and they are gone.
    pub lost: Vec<(WriteId, Lsn)>,
    /// Writes still waiting for an answer, which the client will never get.
    pub unanswered: Vec<WriteId>,
}

/// Counters a reader (and the tests) read off the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    pub writes_sent: u64,
    pub writes_acknowledged: u64,
    pub writes_unanswered: u64,
    /// Sum of every acknowledged write's wait, for the mean.
    pub total_wait_ms: u64,
    pub max_wait_ms: u64,
    pub acked_writes_lost: u64,
    pub acked_writes_survived: u64,
}

impl Metrics {
    /// Mean time from sending a write to its OK, or `None` before the first OK.
    pub fn mean_wait_ms(&self) -> Option<f64> {
        (self.writes_acknowledged > 0).then(|| self.total_wait_ms as f64 / self.writes_acknowledged as f64)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Record {
    lsn: Lsn,
    write: WriteId,
    written_at: Time,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StreamKind {
    Stream,
    CatchUp { done: bool },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Msg {
    Write { write: WriteId },
    Ok { write: WriteId, lsn: Lsn },
    Replicate { records: Vec<Record>, kind: StreamKind },
    Ack { applied: Lsn },
    CatchUpRequest { after: Lsn },
    Snapshot { at: Lsn },
}

impl Msg {
    fn kind(&self) -> MessageKind {
        match self {
            Msg::Write { .. } => MessageKind::Write,
            Msg::Ok { .. } => MessageKind::Ok,
            Msg::Replicate { .. } => MessageKind::Replicate,
            Msg::Ack { .. } => MessageKind::Ack,
            Msg::CatchUpRequest { .. } => MessageKind::CatchUpRequest,
            Msg::Snapshot { .. } => MessageKind::Snapshot,
        }
    }

    fn lsn(&self) -> Option<Lsn> {
        match self {
            Msg::Write { .. } => None,
            Msg::Ok { lsn, .. } => Some(*lsn),
            Msg::Replicate { records, .. } => records.last().map(|r| r.lsn),
            Msg::Ack { applied } => Some(*applied),
            Msg::CatchUpRequest { after } => Some(*after),
            Msg::Snapshot { at } => Some(*at),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Event {
    Deliver {
        from: Addr,
        to: Addr,
        sent_at: Time,
        msg: Msg,
    },
    /// The leader's WAL write of this record is durable.
    WalWritten {
        lsn: Lsn,
        write: WriteId,
    },
    /// The leader's WAL sender ships everything up to this LSN to streaming followers.
    Ship {
        lsn: Lsn,
    },
    /// A follower finished applying this record.
    Applied {
        follower: FollowerId,
        lsn: Lsn,
    },
}

/// The leader's view of one follower's replication connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Conn {
    Down,
    Restoring,
    CatchingUp,
    Streaming,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Peer {
    conn: Conn,
    /// The last LSN sent to it.
    sent: Lsn,
    /// The highest LSN it has acknowledged (applied; durable on its disk).
    acked: Lsn,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Leader {
    up: bool,
    /// Durable records after the initial LSN, in LSN order.
    wal: Vec<Record>,
    /// The last LSN given to a write (its WAL write may still be under way).
    assigned: Lsn,
    wal_busy_until: Time,
    peers: BTreeMap<FollowerId, Peer>,
    /// Durable writes not yet confirmed to the client, by LSN.
    waiting: BTreeMap<Lsn, WriteId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Follower {
    id: FollowerId,
    config: FollowerConfig,
    phase: Phase,
    last: Lsn,
    applied: Lsn,
    apply_busy_until: Time,
}

/// The simulation: state, pending events and the trace.
#[derive(Clone, Debug, PartialEq)]
pub struct LeaderFollower {
    config: Config,
    now: Time,
    rng: Rng,
    queue: EventQueue<Event>,
    /// The latest delivery time per directed link, so every link delivers in order.
    link_clock: BTreeMap<(Addr, Addr), Time>,
    leader: Leader,
    followers: Vec<Follower>,
    writes: Vec<WriteView>,
    loss: Option<LossReport>,
    metrics: Metrics,
    trace: Trace,
}

impl LeaderFollower {
    /// A leader and its followers, all holding the same log up to `config.initial_lsn`, with every follower
    /// streaming. Out-of-range settings are clamped, and the trace says which.
    pub fn new(seed: u64, config: Config) -> LeaderFollower {
        let problems = config.problems();
        let config = config.clamped();
        let initial = config.initial_lsn;
        let followers: Vec<Follower> = config
            .followers
            .iter()
            .enumerate()
            .map(|(i, fc)| Follower {
                id: FollowerId(i as u8 + 1),
                config: *fc,
                phase: Phase::Streaming,
                last: initial,
                applied: initial,
                apply_busy_until: Time::ZERO,
            })
            .collect();
        let peers =
            followers.iter().map(|f| (f.id, Peer { conn: Conn::Streaming, sent: initial, acked: initial })).collect();
        let mut model = LeaderFollower {
            now: Time::ZERO,
            rng: Rng::new(seed),
            queue: EventQueue::default(),
            link_clock: BTreeMap::new(),
            leader: Leader {
                up: true,
                wal: Vec::new(),
                assigned: initial,
                wal_busy_until: Time::ZERO,
                peers,
                waiting: BTreeMap::new(),
            },
            followers,
            writes: Vec::new(),
            loss: None,
            metrics: Metrics::default(),
            trace: Trace::default(),
            config,
        };
        for problem in problems {
            model.note(Salience::Key, format!("Setting adjusted: {problem}."));
        }
        let names: Vec<String> =
            model.followers.iter().map(|f| format!("{} ({} ms away)", f.id, f.config.link_latency_ms)).collect();
        let sync = model.sync_set();
        let sync_text = match model.config.durability {
            Durability::Asynchronous => "the leader waits for no follower".to_owned(),
            Durability::Synchronous => "the leader waits for every follower".to_owned(),
            Durability::SemiSynchronous { .. } => format!("the leader waits for {}", list(&sync)),
        };
        model.note(
            Salience::Key,
            format!(
                "A leader and {} followers hold the same log up to {initial}; replication is {}: {sync_text}.",
                model.followers.len(),
                model.config.durability,
            ),
        );
        model.note(Salience::Routine, format!("The followers: {}.", names.join(", ")));
        model
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn metrics(&self) -> Metrics {
        self.metrics
    }

    /// Every write the client sent, oldest first.
    pub fn writes(&self) -> &[WriteView] {
        &self.writes
    }

    /// After the leader was killed: which acknowledged writes survive and which are lost.
    pub fn loss_report(&self) -> Option<&LossReport> {
        self.loss.as_ref()
    }

    pub fn leader_is_up(&self) -> bool {
        self.leader.up
    }

    pub fn follower_count(&self) -> usize {
        self.followers.len()
    }

    /// The followers whose ACK the leader currently waits for, in priority order.
    pub fn synchronous_followers(&self) -> Vec<FollowerId> {
        self.sync_set()
    }

    /// Whether an action would do something now (the widgets grey out the others).
    pub fn can(&self, action: Action) -> bool {
        match action {
            Action::SendWrite => self.writes.len() < WRITES_MAX,
            Action::KillLeader => self.leader.up,
            Action::CrashFollower(id) => self.follower(id).is_some_and(|f| f.phase != Phase::Down),
            Action::RestartFollower(id) => self.follower(id).is_some_and(|f| f.phase == Phase::Down),
            Action::AddFollower => self.leader.up && self.followers.len() < FOLLOWERS_MAX,
        }
    }

    /// The leader first, then the followers in order.
    pub fn nodes(&self) -> Vec<NodeView> {
        let leader_last = self.leader_last();
        let mut out = vec![NodeView {
            addr: Addr::Leader,
            role: Role::Leader,
            phase: if self.leader.up { Phase::Leading } else { Phase::Down },
            replication: None,
            last_lsn: leader_last,
            applied_lsn: leader_last,
            behind_records: 0,
            lag_ms: 0,
        }];
        let sync = self.sync_set();
        for f in &self.followers {
            let lag_ms = self.record(Lsn(f.applied.0 + 1)).map_or(0, |r| self.now.ms_since(r.written_at));
            let replication = if sync.contains(&f.id) { Replication::Synchronous } else { Replication::Asynchronous };
            out.push(NodeView {
                addr: Addr::Follower(f.id),
                role: Role::Follower,
                phase: f.phase,
                replication: Some(replication),
                last_lsn: f.last,
                applied_lsn: f.applied,
                behind_records: leader_last.0.saturating_sub(f.applied.0),
                lag_ms,
            });
        }
        out
    }

    /// Messages on the wire, in delivery order.
    pub fn messages(&self) -> Vec<MessageView> {
        self.queue
            .iter()
            .filter_map(|(at, event)| match event {
                Event::Deliver { from, to, sent_at, msg } => Some(MessageView {
                    from: *from,
                    to: *to,
                    kind: msg.kind(),
                    lsn: msg.lsn(),
                    sent_at: *sent_at,
                    deliver_at: at,
                }),
                _ => None,
            })
            .collect()
    }

    /// One line per node, then the counters, for snapshot tests and debugging.
    pub fn render_state(&self) -> String {
        let mut out = String::new();
        for n in self.nodes() {
            let name = match n.addr {
                Addr::Follower(id) => id.to_string(),
                _ => "L".to_owned(),
            };
            let replication = n.replication.map_or(String::new(), |r| format!(" {r}"));
            out.push_str(&format!(
                "{name} {}{replication} last {} applied {} behind {} lag {} ms\n",
                n.phase, n.last_lsn, n.applied_lsn, n.behind_records, n.lag_ms
            ));
        }
        let m = self.metrics;
        out.push_str(&format!(
            "writes sent {} acknowledged {} unanswered {} max-wait {} ms lost {} survived {}\n",
            m.writes_sent,
            m.writes_acknowledged,
            m.writes_unanswered,
            m.max_wait_ms,
            m.acked_writes_lost,
            m.acked_writes_survived
        ));
        out
    }

    fn leader_last(&self) -> Lsn {
        self.leader.wal.last().map_or(self.config.initial_lsn, |r| r.lsn)
    }

    fn record(&self, lsn: Lsn) -> Option<&Record> {
        let index = lsn.0.checked_sub(self.config.initial_lsn.0 + 1)?;
        self.leader.wal.get(usize::try_from(index).ok()?)
    }

    fn follower(&self, id: FollowerId) -> Option<&Follower> {
        self.followers.get(usize::from(id.0).wrapping_sub(1))
    }

    fn follower_mut(&mut self, id: FollowerId) -> Option<&mut Follower> {
        self.followers.get_mut(usize::from(id.0).wrapping_sub(1))
    }

    fn write(&self, id: WriteId) -> Option<&WriteView> {
        self.writes.get(usize::try_from(id.0).ok()?.wrapping_sub(1))
    }

    fn write_mut(&mut self, id: WriteId) -> Option<&mut WriteView> {
        self.writes.get_mut(usize::try_from(id.0).ok()?.wrapping_sub(1))
    }

    fn note(&mut self, salience: Salience, text: impl Into<String>) {
        self.trace.push(self.now, salience, text);
    }

    fn schedule(&mut self, at: Time, event: Event) {
        if self.queue.push(at, event).is_err() {
            self.trace.push(self.now, Salience::Key, "The event queue is full; an event was dropped.");
        }
    }

    fn link_ms(&mut self, from: Addr, to: Addr) -> u64 {
        let follower = match (from, to) {
            (Addr::Follower(id), _) | (_, Addr::Follower(id)) => Some(id),
            _ => None,
        };
        match follower.and_then(|id| self.follower(id)).map(|f| f.config) {
            Some(fc) => {
                let jitter = if fc.link_jitter_ms > 0 { self.rng.range_inclusive(0, fc.link_jitter_ms) } else { 0 };
                fc.link_latency_ms + jitter
            }
            None => self.config.client_latency_ms,
        }
    }

    /// Puts a message on the wire; it arrives after the link's latency plus `extra_ms`, never before an earlier
    /// message on the same link.
    fn send(&mut self, from: Addr, to: Addr, msg: Msg, extra_ms: u64) {
        let delay_ms = self.link_ms(from, to) + extra_ms;
        let earliest = self.link_clock.get(&(from, to)).copied().unwrap_or(Time::ZERO);
        let at = (self.now + delay_ms).max(earliest);
        self.link_clock.insert((from, to), at);
        let sent_at = self.now;
        self.schedule(at, Event::Deliver { from, to, sent_at, msg });
    }

    /// The followers whose ACK the leader waits for: all of them (synchronous), none (asynchronous), or the
    /// first `k` streaming ones by priority (semi-synchronous).
    fn sync_set(&self) -> Vec<FollowerId> {
        match self.config.durability {
            Durability::Asynchronous => Vec::new(),
            Durability::Synchronous => self.followers.iter().map(|f| f.id).collect(),
            Durability::SemiSynchronous { sync_count } => self
                .leader
                .peers
                .iter()
                .filter(|(_, p)| p.conn == Conn::Streaming)
                .map(|(id, _)| *id)
                .take(usize::from(sync_count))
                .collect(),
        }
    }

    /// How many followers must be in the sync set for any write to be confirmed.
    fn sync_needed(&self) -> usize {
        match self.config.durability {
            Durability::Asynchronous => 0,
            Durability::Synchronous => self.followers.len(),
            Durability::SemiSynchronous { sync_count } => usize::from(sync_count),
        }
    }

    fn committable(&self, lsn: Lsn, sync: &[FollowerId]) -> bool {
        sync.len() >= self.sync_needed()
            && sync.iter().all(|id| self.leader.peers.get(id).is_some_and(|p| p.acked >= lsn))
    }

    /// Confirms to the client every waiting write the current ACKs allow, in LSN order.
    fn try_commit(&mut self) {
        if !self.leader.up {
            return;
        }
        let sync = self.sync_set();
        while let Some((&lsn, &write)) = self.leader.waiting.first_key_value() {
            if !self.committable(lsn, &sync) {
                break;
            }
            self.leader.waiting.remove(&lsn);
            let text = match self.config.durability {
                Durability::Asynchronous => format!(
                    "The leader tells the client OK for {lsn} right after its own WAL write: \
                     asynchronous replication waits for no follower."
                ),
                Durability::Synchronous => format!(
                    "The leader has ACKs for {lsn} from all {} followers ({}) and tells the client OK: \
                     write committed.",
                    sync.len(),
                    list(&sync)
                ),
                Durability::SemiSynchronous { .. } => format!(
                    "The leader has {} synchronous ACK{} for {lsn} ({}) and tells the client OK: write committed.",
                    sync.len(),
                    if sync.len() == 1 { "" } else { "s" },
                    list(&sync)
                ),
            };
            self.note(Salience::Key, text);
            self.send(Addr::Leader, Addr::Client, Msg::Ok { write, lsn }, 0);
        }
    }

    /// Runs `change`, then says so if it changed which followers are synchronous, and confirms what it can.
    fn with_sync_watch(&mut self, change: impl FnOnce(&mut Self)) {
        let before = self.sync_set();
        change(self);
        let after = self.sync_set();
        if before != after && self.leader.up && self.config.durability != Durability::Synchronous {
            let needed = self.sync_needed();
            let short =
                if after.len() < needed { format!("; {needed} are needed, so writes wait") } else { String::new() };
            self.note(
                Salience::Key,
                format!("The synchronous follower set changes from {} to {}{short}.", list(&before), list(&after)),
            );
        }
        self.try_commit();
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Deliver { from, to, msg, .. } => self.deliver(from, to, msg),
            Event::WalWritten { lsn, write } => self.wal_written(lsn, write),
            Event::Ship { lsn } => self.ship(lsn),
            Event::Applied { follower, lsn } => self.applied(follower, lsn),
        }
    }

    fn deliver(&mut self, from: Addr, to: Addr, msg: Msg) {
        match to {
            Addr::Client => {
                if let Msg::Ok { write, lsn } = msg {
                    self.client_ok(write, lsn);
                }
            }
            Addr::Leader => {
                if !self.leader.up {
                    if let Msg::Write { write } = msg {
                        self.mark_unanswered(write);
                        self.note(
                            Salience::Key,
                            format!(
                                "Write #{} reaches the leader, which is down: the client never gets an answer.",
                                write.0
                            ),
                        );
                    } else {
                        self.note(Salience::Routine, format!("A message from {from} reaches the dead leader; lost."));
                    }
                    return;
                }
                match (from, msg) {
                    (Addr::Client, Msg::Write { write }) => self.leader_receive_write(write),
                    (Addr::Follower(id), Msg::Ack { applied }) => self.leader_receive_ack(id, applied),
                    (Addr::Follower(id), Msg::CatchUpRequest { after }) => self.answer_catch_up(id, after),
                    _ => {}
                }
            }
            Addr::Follower(id) => {
                if !self.follower(id).is_some_and(|f| f.phase != Phase::Down) {
                    self.note(Salience::Routine, format!("A message from {from} reaches {id}, which is down; lost."));
                    return;
                }
                match msg {
                    Msg::Replicate { records, kind } => self.follower_receive(id, records, kind),
                    Msg::Snapshot { at } => self.restore_snapshot(id, at),
                    _ => {}
                }
            }
        }
    }

    fn send_write(&mut self) {
        if self.writes.len() >= WRITES_MAX {
            self.note(Salience::Key, format!("The client has already sent {WRITES_MAX} writes, the most a run keeps."));
            return;
        }
        let id = WriteId(self.writes.len() as u64 + 1);
        let name = NAMES[(self.writes.len()) % NAMES.len()];
        let statement = format!("INSERT INTO users (name) VALUES ('{name}')");
        self.note(Salience::Key, format!("The client sends {id} to the leader: {statement}."));
        self.writes.push(WriteView {
            id,
            statement,
            sent_at: self.now,
            lsn: None,
            status: WriteStatus::Waiting,
            ok_at: None,
            wait_ms: None,
            held_at_ok: Vec::new(),
            fate: None,
        });
        self.metrics.writes_sent += 1;
        self.send(Addr::Client, Addr::Leader, Msg::Write { write: id }, 0);
    }

    fn leader_receive_write(&mut self, write: WriteId) {
        // The client sends at most WRITES_MAX writes, so the WAL cannot outgrow them; this guards the bound anyway.
        if self.leader.assigned.0 - self.config.initial_lsn.0 >= WRITES_MAX as u64 {
            self.mark_unanswered(write);
            self.note(Salience::Key, format!("The leader's WAL is full ({WRITES_MAX} records); {write} is dropped."));
            return;
        }
        let lsn = Lsn(self.leader.assigned.0 + 1);
        self.leader.assigned = lsn;
        let done = self.now.max(self.leader.wal_busy_until) + self.config.wal_write_ms;
        self.leader.wal_busy_until = done;
        if let Some(w) = self.write_mut(write) {
            w.lsn = Some(lsn);
        }
        self.note(Salience::Routine, format!("The leader receives {write} and starts writing it to its WAL as {lsn}."));
        self.schedule(done, Event::WalWritten { lsn, write });
    }

    fn wal_written(&mut self, lsn: Lsn, write: WriteId) {
        if !self.leader.up {
            return;
        }
        self.leader.wal.push(Record { lsn, write, written_at: self.now });
        self.leader.waiting.insert(lsn, write);
        let what = self.short_statement(write);
        self.note(Salience::Key, format!("The leader writes {what} to its WAL at {lsn}."));
        let ship_at = self.now + self.config.wal_send_delay_ms;
        self.schedule(ship_at, Event::Ship { lsn });
        self.try_commit();
        if self.leader.waiting.contains_key(&lsn) {
            self.explain_block(lsn);
        }
    }

    /// Says why a write cannot be confirmed yet when the followers it needs are missing, not merely slow.
    fn explain_block(&mut self, lsn: Lsn) {
        match self.config.durability {
            Durability::Synchronous => {
                let down: Vec<FollowerId> =
                    self.followers.iter().filter(|f| f.phase == Phase::Down).map(|f| f.id).collect();
                if !down.is_empty() {
                    self.note(
                        Salience::Key,
                        format!(
                            "{lsn} cannot be confirmed while {} {} down: synchronous replication waits for every \
                             follower, so writes block.",
                            list(&down),
                            if down.len() == 1 { "is" } else { "are" }
                        ),
                    );
                }
            }
            Durability::SemiSynchronous { sync_count } => {
                let have = self.sync_set().len();
                if have < usize::from(sync_count) {
                    self.note(
                        Salience::Key,
                        format!(
                            "{lsn} cannot be confirmed: only {have} follower(s) are streaming and {sync_count} must \
                             acknowledge, so writes block."
                        ),
                    );
                }
            }
            Durability::Asynchronous => {}
        }
    }

    fn ship(&mut self, lsn: Lsn) {
        if !self.leader.up {
            return;
        }
        let sync = self.sync_set();
        let targets: Vec<FollowerId> = self
            .leader
            .peers
            .iter()
            .filter(|(_, p)| p.conn == Conn::Streaming && p.sent < lsn)
            .map(|(id, _)| *id)
            .collect();
        let mut named = Vec::new();
        for id in &targets {
            let Some(peer) = self.leader.peers.get(id).copied() else { continue };
            let records: Vec<Record> = (peer.sent.0 + 1..=lsn.0)
                .take(CATCH_UP_BATCH_MAX)
                .filter_map(|n| self.record(Lsn(n)).copied())
                .collect();
            let Some(last) = records.last().map(|r| r.lsn) else { continue };
            if let Some(p) = self.leader.peers.get_mut(id) {
                p.sent = last;
            }
            let how = if sync.contains(id) { Replication::Synchronous } else { Replication::Asynchronous };
            named.push(format!("{id} ({how})"));
            self.send(Addr::Leader, Addr::Follower(*id), Msg::Replicate { records, kind: StreamKind::Stream }, 0);
        }
        if named.is_empty() {
            self.note(Salience::Key, format!("The leader has no streaming follower to send {lsn} to."));
        } else {
            self.note(Salience::Key, format!("The leader sends {lsn} to {}.", join_and(&named)));
        }
    }

    fn follower_receive(&mut self, id: FollowerId, records: Vec<Record>, kind: StreamKind) {
        let now = self.now;
        let Some(f) = self.follower_mut(id) else { return };
        if f.phase == Phase::RestoringSnapshot {
            return;
        }
        let gap = records.first().is_some_and(|r| r.lsn.0 > f.last.0 + 1);
        let mut received = Vec::new();
        if !gap {
            for r in &records {
                if r.lsn.0 == f.last.0 + 1 {
                    f.last = r.lsn;
                    let done = now.max(f.apply_busy_until) + f.config.apply_delay_ms;
                    f.apply_busy_until = done;
                    received.push((r.lsn, done));
                }
            }
        }
        let last = f.last;
        match kind {
            StreamKind::Stream if gap => {
                f.phase = Phase::CatchingUp;
                self.note(Salience::Routine, format!("{id} sees a gap after {last} and asks the leader to catch up."));
                self.send(Addr::Follower(id), Addr::Leader, Msg::CatchUpRequest { after: last }, 0);
            }
            StreamKind::Stream => {
                if let [(lsn, _)] = received[..] {
                    self.note(Salience::Routine, format!("{id} receives {lsn} and writes it to its WAL."));
                }
            }
            StreamKind::CatchUp { done } => {
                match received[..] {
                    [] => {}
                    [(lsn, _)] => self.note(Salience::Routine, format!("{id} receives {lsn} to catch up.")),
                    [(first, _), .., (end, _)] => {
                        let n = received.len();
                        self.note(
                            Salience::Routine,
                            format!("{id} receives {n} records, {first} to {end}, to catch up."),
                        );
                    }
                }
                if done && !gap {
                    if let Some(f) = self.follower_mut(id) {
                        f.phase = Phase::Streaming;
                    }
                    self.note(
                        Salience::Key,
                        format!("{id} has caught up to {last} and now streams changes as the leader writes them."),
                    );
                } else {
                    self.send(Addr::Follower(id), Addr::Leader, Msg::CatchUpRequest { after: last }, 0);
                }
            }
        }
        for (lsn, done) in received {
            self.schedule(done, Event::Applied { follower: id, lsn });
        }
    }

    fn applied(&mut self, id: FollowerId, lsn: Lsn) {
        let Some(f) = self.follower_mut(id) else { return };
        if f.phase == Phase::Down {
            return;
        }
        f.applied = f.applied.max(lsn);
        let streaming = f.phase == Phase::Streaming;
        let waited = self.leader.up && self.leader.waiting.contains_key(&lsn) && self.sync_set().contains(&id);
        if !streaming {
            self.note(Salience::Routine, format!("{id} applies {lsn} and acknowledges it."));
        } else if waited {
            self.note(Salience::Key, format!("{id} applies {lsn} and sends an ACK to the leader, which waits for it."));
        } else {
            let write = self.record(lsn).map(|r| r.write);
            let ok_at = write.and_then(|w| self.write(w)).and_then(|w| w.ok_at);
            let after_ok = match ok_at {
                Some(t) => format!(", {} ms after the client's OK", self.now.ms_since(t)),
                None => String::new(),
            };
            self.note(Salience::Key, format!("{id} applies {lsn}; no one was waiting for it{after_ok}."));
        }
        self.send(Addr::Follower(id), Addr::Leader, Msg::Ack { applied: lsn }, 0);
    }

    fn leader_receive_ack(&mut self, id: FollowerId, applied: Lsn) {
        if let Some(p) = self.leader.peers.get_mut(&id) {
            p.acked = p.acked.max(applied);
        }
        self.note(Salience::Routine, format!("The leader records {id}'s ACK for {applied}."));
        self.try_commit();
    }

    fn answer_catch_up(&mut self, id: FollowerId, after: Lsn) {
        let leader_last = self.leader_last();
        let after = after.min(leader_last);
        let records: Vec<Record> = (after.0 + 1..=leader_last.0)
            .take(CATCH_UP_BATCH_MAX)
            .filter_map(|n| self.record(Lsn(n)).copied())
            .collect();
        let end = records.last().map_or(after, |r| r.lsn);
        let done = end == leader_last;
        self.with_sync_watch(|m| {
            let peer = m.leader.peers.entry(id).or_insert(Peer { conn: Conn::CatchingUp, sent: after, acked: after });
            peer.sent = end;
            peer.conn = if done { Conn::Streaming } else { Conn::CatchingUp };
            let text = match (records.first(), records.last()) {
                (Some(first), Some(last)) if first.lsn == last.lsn => {
                    format!("The leader sends {id} {} to catch up", first.lsn)
                }
                (Some(first), Some(last)) => {
                    format!(
                        "The leader sends {id} {} records, {} to {}, to catch up",
                        records.len(),
                        first.lsn,
                        last.lsn
                    )
                }
                _ => format!("The leader tells {id} it has nothing after {after}"),
            };
            let more = if done { "" } else { "; more follow" };
            m.note(Salience::Routine, format!("{text}{more}."));
            m.send(Addr::Leader, Addr::Follower(id), Msg::Replicate { records, kind: StreamKind::CatchUp { done } }, 0);
        });
    }

    fn restore_snapshot(&mut self, id: FollowerId, at: Lsn) {
        let now = self.now;
        let Some(f) = self.follower_mut(id) else { return };
        if f.phase != Phase::RestoringSnapshot {
            return;
        }
        f.last = at;
        f.applied = at;
        f.apply_busy_until = now;
        f.phase = Phase::CatchingUp;
        self.note(
            Salience::Key,
            format!("{id} restores the snapshot taken at {at} and asks the leader for every change after it."),
        );
        self.send(Addr::Follower(id), Addr::Leader, Msg::Ack { applied: at }, 0);
        self.send(Addr::Follower(id), Addr::Leader, Msg::CatchUpRequest { after: at }, 0);
    }

    fn client_ok(&mut self, write: WriteId, lsn: Lsn) {
        let now = self.now;
        let mut held = vec![Addr::Leader];
        held.extend(self.followers.iter().filter(|f| f.last >= lsn).map(|f| Addr::Follower(f.id)));
        let Some(w) = self.write_mut(write) else { return };
        if w.status != WriteStatus::Waiting {
            return;
        }
        let wait_ms = now.ms_since(w.sent_at);
        w.status = WriteStatus::Acknowledged;
        w.ok_at = Some(now);
        w.wait_ms = Some(wait_ms);
        w.held_at_ok = held.clone();
        self.metrics.writes_acknowledged += 1;
        self.metrics.total_wait_ms += wait_ms;
        self.metrics.max_wait_ms = self.metrics.max_wait_ms.max(wait_ms);
        let names: Vec<String> = held.iter().map(Addr::to_string).collect();
        self.note(
            Salience::Key,
            format!("The client gets OK for {write} after {wait_ms} ms; {lsn} is on {}.", join_and(&names)),
        );
    }

    fn mark_unanswered(&mut self, write: WriteId) {
        if let Some(w) = self.write_mut(write) {
            if w.status == WriteStatus::Waiting {
                w.status = WriteStatus::Unanswered;
                self.metrics.writes_unanswered += 1;
            }
        }
    }

    /// The statement in the course's short form: `INSERT users ('Alice')`.
    fn short_statement(&self, write: WriteId) -> String {
        let index = usize::try_from(write.0).unwrap_or(1).wrapping_sub(1);
        format!("INSERT users ('{}')", NAMES[index % NAMES.len()])
    }

    fn kill_leader(&mut self) {
        if !self.leader.up {
            self.note(Salience::Key, "The leader is already down.");
            return;
        }
        self.leader.up = false;
        self.leader.waiting.clear();
        // Its pending work dies with it, and so does everything it had sent that has not arrived yet.
        self.queue.retain(|e| match e {
            Event::WalWritten { .. } | Event::Ship { .. } => false,
            Event::Deliver { from, .. } => *from != Addr::Leader,
            Event::Applied { .. } => true,
        });
        let leader_last = self.leader_last();
        let mut survived = Vec::new();
        let mut lost = Vec::new();
        let mut unanswered = Vec::new();
        let holders =
            |lsn: Lsn| -> Vec<FollowerId> { self.followers.iter().filter(|f| f.last >= lsn).map(|f| f.id).collect() };
        let mut fates = Vec::new();
        for w in &self.writes {
            if w.status == WriteStatus::Waiting && w.lsn.is_some() {
                unanswered.push(w.id);
            }
            let Some(lsn) = w.lsn else { continue };
            let on = if lsn <= leader_last { holders(lsn) } else { Vec::new() };
            let fate = if on.is_empty() { Fate::Lost } else { Fate::Survives { on: on.clone() } };
            if w.status == WriteStatus::Acknowledged {
                if on.is_empty() {
                    lost.push((w.id, lsn));
                } else {
                    survived.push((w.id, lsn, on));
                }
            }
            fates.push((w.id, fate));
        }
        for (id, fate) in fates {
            if let Some(w) = self.write_mut(id) {
                w.fate = Some(fate);
            }
        }
        for id in &unanswered {
            self.mark_unanswered(*id);
        }
        self.metrics.acked_writes_lost += lost.len() as u64;
        self.metrics.acked_writes_survived += survived.len() as u64;
        let summary = match (survived.len(), lost.len()) {
            (0, 0) => "no write had been acknowledged yet".to_owned(),
            (s, 0) => format!("every acknowledged write ({s}) is on at least one follower, so none is lost"),
            (0, l) => format!(
                "{l} acknowledged write(s) reached no follower: lost, although the client was told they succeeded"
            ),
            (s, l) => format!(
                "{s} acknowledged write(s) survive on a follower and {l} reached none: lost, although the client \
                 was told they succeeded"
            ),
        };
        self.note(Salience::Key, format!("The leader crashes with its WAL at {leader_last}; {summary}."));
        for (id, lsn) in &lost {
            let ok_ago = self
                .write(*id)
                .and_then(|w| w.ok_at)
                .map_or(String::new(), |t| format!(" {} ms ago", self.now.ms_since(t)));
            self.note(
                Salience::Key,
                format!(
                    "Write #{} ({lsn}) was confirmed to the client{ok_ago} but reached no follower: it is lost.",
                    id.0
                ),
            );
        }
        if !unanswered.is_empty() {
            self.note(
                Salience::Key,
                format!(
                    "{} write(s) still waiting for OK ({}) will never get an answer.",
                    unanswered.len(),
                    unanswered.iter().map(|w| format!("#{}", w.0)).collect::<Vec<_>>().join(", ")
                ),
            );
        }
        self.loss = Some(LossReport { at: self.now, leader_last_lsn: leader_last, survived, lost, unanswered });
    }

    fn crash_follower(&mut self, id: FollowerId) {
        let Some(f) = self.follower(id) else {
            self.note(Salience::Key, format!("There is no {id}."));
            return;
        };
        if f.phase == Phase::Down {
            self.note(Salience::Key, format!("{id} is already down."));
            return;
        }
        let (last, applied) = (f.last, f.applied);
        self.with_sync_watch(|m| {
            if let Some(f) = m.follower_mut(id) {
                f.phase = Phase::Down;
            }
            if let Some(p) = m.leader.peers.get_mut(&id) {
                p.conn = Conn::Down;
            }
            // Its connection is gone: whatever was on its way to it is lost, and it applies nothing more.
            let to = Addr::Follower(id);
            m.queue.retain(|e| match e {
                Event::Deliver { to: t, .. } => *t != to,
                Event::Applied { follower, .. } => *follower != id,
                _ => true,
            });
            let unapplied = last.0.saturating_sub(applied.0);
            let pending = if unapplied > 0 { format!(" ({unapplied} not yet applied)") } else { String::new() };
            m.note(Salience::Key, format!("{id} crashes; its WAL on disk keeps everything up to {last}{pending}."));
        });
    }

    fn restart_follower(&mut self, id: FollowerId) {
        let Some(f) = self.follower(id) else {
            self.note(Salience::Key, format!("There is no {id}."));
            return;
        };
        if f.phase != Phase::Down {
            self.note(Salience::Key, format!("{id} is already running."));
            return;
        }
        if f.last < self.config.initial_lsn {
            // It crashed before its snapshot was restored: it holds nothing and must start over from a new one.
            if !self.leader.up {
                self.note(Salience::Key, format!("{id} has no data and there is no leader to copy a snapshot from."));
                return;
            }
            if let Some(f) = self.follower_mut(id) {
                f.phase = Phase::RestoringSnapshot;
            }
            self.note(Salience::Key, format!("{id} restarts with no data and needs a new snapshot."));
            self.take_snapshot_for(id);
            return;
        }
        let now = self.now;
        let Some(f) = self.follower_mut(id) else { return };
        f.phase = Phase::CatchingUp;
        f.apply_busy_until = now;
        let (last, applied) = (f.last, f.applied);
        // Replay what is in its WAL but was not applied before the crash.
        let mut replay = Vec::new();
        for n in applied.0 + 1..=last.0 {
            let done = f.apply_busy_until + f.config.apply_delay_ms;
            f.apply_busy_until = done;
            replay.push((Lsn(n), done));
        }
        for (lsn, done) in replay {
            self.schedule(done, Event::Applied { follower: id, lsn });
        }
        let leader = if self.leader.up { "" } else { "; the leader is down, so no one will answer" };
        self.note(
            Salience::Key,
            format!("{id} restarts with its WAL at {last} and asks the leader for every change after it{leader}."),
        );
        self.send(Addr::Follower(id), Addr::Leader, Msg::CatchUpRequest { after: last }, 0);
    }

    fn add_follower(&mut self) {
        if self.followers.len() >= FOLLOWERS_MAX {
            self.note(
                Salience::Key,
                format!("The cluster already has {FOLLOWERS_MAX} followers, the most it can have."),
            );
            return;
        }
        if !self.leader.up {
            self.note(Salience::Key, "There is no leader to take a snapshot from, so no follower can be added.");
            return;
        }
        let id = FollowerId(self.followers.len() as u8 + 1);
        self.with_sync_watch(|m| {
            m.followers.push(Follower {
                id,
                config: m.config.added_follower,
                phase: Phase::RestoringSnapshot,
                last: Lsn(0),
                applied: Lsn(0),
                apply_busy_until: m.now,
            });
            m.take_snapshot_for(id);
        });
        if self.config.durability == Durability::Synchronous {
            self.note(Salience::Key, format!("Synchronous replication now also waits for {id} on every write."));
        }
    }

    /// Records a consistent snapshot at the leader's last durable LSN and starts copying it to `id`.
    fn take_snapshot_for(&mut self, id: FollowerId) {
        let at = self.leader_last();
        self.leader.peers.insert(id, Peer { conn: Conn::Restoring, sent: at, acked: Lsn(0) });
        self.note(
            Salience::Key,
            format!(
                "The leader takes a consistent snapshot at {at} without stopping writes and copies it to {id} \
                 ({} ms to copy and restore).",
                self.config.snapshot_copy_ms
            ),
        );
        let extra = self.config.snapshot_copy_ms;
        self.send(Addr::Leader, Addr::Follower(id), Msg::Snapshot { at }, extra);
    }
}

impl Model for LeaderFollower {
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
        match *action {
            Action::SendWrite => self.send_write(),
            Action::KillLeader => self.kill_leader(),
            Action::CrashFollower(id) => self.crash_follower(id),
            Action::RestartFollower(id) => self.restart_follower(id),
            Action::AddFollower => self.add_follower(),
        }
    }

    fn trace(&self) -> &Trace {
        &self.trace
    }
}

fn list(ids: &[FollowerId]) -> String {
    if ids.is_empty() {
        return "none".to_owned();
    }
    ids.iter().map(FollowerId::to_string).collect::<Vec<_>>().join(", ")
}

/// "a", "a and b", "a, b and c".
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The chapter's arithmetic.

/// Beyond this many followers the course advises cascading replication (followers feeding followers): each
/// replication stream costs the leader CPU, and past ~15-20 of them it eats into the leader's own capacity.
pub const CASCADING_ADVISED_ABOVE_FOLLOWERS: u32 = 15;
/// The most followers the read-scaling functions consider; larger counts are clamped.
pub const SCALING_FOLLOWERS_MAX: u32 = 1_000;

/// Read capacity of one leader and `F` followers: every node can serve `node_reads_per_s` when idle, the leader
/// spends part of its CPU on writes, and every follower spends part of its CPU replaying those same writes.
///
/// ```
/// use sim::leader_follower::ReadScaling;
/// let course = ReadScaling::default();
/// assert_eq!(course.total_reads_per_s(3), 130_000);
/// assert_eq!(course.improvement(3), 5.2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadScaling {
    pub node_reads_per_s: u64,
    /// Share of the leader's CPU taken by writes, 0 to 100.
    pub leader_write_cpu_percent: u32,
    /// Share of each follower's CPU taken by replaying the leader's writes, 0 to 100.
    pub follower_replay_cpu_percent: u32,
    /// Share of the leader's CPU, in thousandths, that each follower's replication stream costs. The course's
    /// table leaves it at 0; a small value shows the diminishing returns of adding ever more followers.
    pub leader_cpu_permille_per_follower: u32,
}

impl Default for ReadScaling {
    /// The course's numbers: 50K reads/s per node, the leader 50 % busy with writes, followers 30 % with replay.
    fn default() -> Self {
        ReadScaling {
            node_reads_per_s: 50_000,
            leader_write_cpu_percent: 50,
            follower_replay_cpu_percent: 30,
            leader_cpu_permille_per_follower: 0,
        }
    }
}

/// One row of the read-scaling table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReadScalingRow {
    pub followers: u32,
    pub leader_reads_per_s: u64,
    pub follower_reads_per_s: u64,
    pub total_reads_per_s: u64,
    /// Total over the leader alone (the F=0 row): 2.4 means 2.4x.
    pub improvement: f64,
}

impl ReadScaling {
    /// Reads per second the leader has left after writes and after serving `followers` replication streams.
    pub fn leader_reads_per_s(&self, followers: u32) -> u64 {
        let free_permille = 1_000u64.saturating_sub(self.leader_cpu_permille_used(followers));
        mul_div(self.node_reads_per_s, free_permille, 1_000)
    }

    /// Reads per second one follower has left after replaying the leader's writes.
    pub fn follower_reads_per_s(&self) -> u64 {
        let free_percent = 100 - u64::from(self.follower_replay_cpu_percent.min(100));
        mul_div(self.node_reads_per_s, free_percent, 100)
    }

    /// Total read capacity = leader reads after writes + F x follower reads after replay.
    pub fn total_reads_per_s(&self, followers: u32) -> u64 {
        let f = followers.min(SCALING_FOLLOWERS_MAX);
        self.leader_reads_per_s(f).saturating_add(self.follower_reads_per_s().saturating_mul(u64::from(f)))
    }

    /// Total capacity with `followers` over the leader alone, or 0 when the leader alone serves nothing.
    pub fn improvement(&self, followers: u32) -> f64 {
        let alone = self.total_reads_per_s(0);
        if alone == 0 {
            return 0.0;
        }
        self.total_reads_per_s(followers) as f64 / alone as f64
    }

    pub fn row(&self, followers: u32) -> ReadScalingRow {
        let f = followers.min(SCALING_FOLLOWERS_MAX);
        ReadScalingRow {
            followers: f,
            leader_reads_per_s: self.leader_reads_per_s(f),
            follower_reads_per_s: self.follower_reads_per_s(),
            total_reads_per_s: self.total_reads_per_s(f),
            improvement: self.improvement(f),
        }
    }

    /// Reads gained by adding the `followers`-th follower (0 for `followers == 0`): the reads it serves minus
    /// what its replication stream costs the leader — less than a fresh node's full capacity, always.
    pub fn marginal_reads_per_s(&self, followers: u32) -> i64 {
        if followers == 0 {
            return 0;
        }
        self.total_reads_per_s(followers) as i64 - self.total_reads_per_s(followers - 1) as i64
    }

    /// The share of the leader's CPU, in thousandths, that writes and `followers` replication streams take
    /// together; at 1,000 or more it has nothing left for reads and starts falling behind on writes.
    pub fn leader_cpu_permille_used(&self, followers: u32) -> u64 {
        let followers = u64::from(followers.min(SCALING_FOLLOWERS_MAX));
        u64::from(self.leader_write_cpu_percent.min(100)) * 10
            + followers * u64::from(self.leader_cpu_permille_per_follower)
    }

    /// The fewest followers whose replication streams leave the leader no CPU for reads, or `None` when streams
    /// cost nothing (the course's table). This is where the course's "use cascading replication" advice bites.
    pub fn leader_saturated_at_followers(&self) -> Option<u32> {
        let per = u64::from(self.leader_cpu_permille_per_follower);
        if per == 0 {
            return None;
        }
        let free = 1_000u64.saturating_sub(u64::from(self.leader_write_cpu_percent.min(100)) * 10);
        Some(u32::try_from(free.div_ceil(per)).unwrap_or(u32::MAX))
    }

    /// Whether the course would advise cascading replication at this many followers.
    pub fn cascading_advised(followers: u32) -> bool {
        followers > CASCADING_ADVISED_ABOVE_FOLLOWERS
    }
}

/// `a * b / c` without overflow, rounded down; 0 when `c` is 0.
fn mul_div(a: u64, b: u64, c: u64) -> u64 {
    if c == 0 {
        return 0;
    }
    u64::try_from(u128::from(a) * u128::from(b) / u128::from(c)).unwrap_or(u64::MAX)
}

/// How much data an asynchronous leader's failure can cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataAtRisk {
    /// Bytes written per second: write throughput x bytes per write.
    pub bytes_per_s: u64,
    /// Bytes written during the lag, which no follower has yet.
    pub bytes: u64,
    /// Writes made during the lag.
    pub writes: u64,
}

/// Data at risk = write throughput x replication lag. With the course's 1,000 writes/s of 500 bytes and a 2 s
/// lag that is 1 MB; a 10 s lag spike puts 5 MB, about 10,000 writes, at risk.
///
/// ```
/// use sim::leader_follower::data_at_risk;
/// let normal = data_at_risk(1_000, 500, 2_000);
/// assert_eq!((normal.bytes_per_s, normal.bytes), (500_000, 1_000_000));
/// ```
pub fn data_at_risk(writes_per_s: u64, bytes_per_write: u64, lag_ms: u64) -> DataAtRisk {
    let bytes_per_s = writes_per_s.saturating_mul(bytes_per_write);
    DataAtRisk { bytes_per_s, bytes: mul_div(bytes_per_s, lag_ms, 1_000), writes: mul_div(writes_per_s, lag_ms, 1_000) }
}

/// The recovery point objective a mode gives: the most recent data a leader failure can lose, in ms. Zero for
/// synchronous and semi-synchronous replication (a synchronous follower holds every confirmed write), the
/// replication lag for asynchronous.
pub fn rpo_ms(durability: Durability, replication_lag_ms: u64) -> u64 {
    match durability {
        Durability::Synchronous | Durability::SemiSynchronous { .. } => 0,
        Durability::Asynchronous => replication_lag_ms,
    }
}
