//! Leaderless replication — the model behind chapter 6: quorum writes and reads, read repair, anti-entropy, and
//! sloppy quorums with hinted handoff.
//!
//! A store of N replicas (lettered A, B, C, … as the chapter names them) holds, per key, one value with a
//! version. There is no leader and no coordinator: a client sends each write to every home replica and calls it
//! successful once W of them acknowledge; it sends each read to every home replica, waits for R replies, and
//! returns the value with the highest version. When some replies are older, the client writes the winner back
//! to those replicas (read repair). In the background, pairs of replicas compare everything they hold and copy
//! what the other lacks (anti-entropy). With a sloppy quorum, a write whose home replica is down is sent to a
//! spare node instead, which keeps it as a *hint* and hands it to the home replica when it returns.
//!
//! Nodes can crash, recover and turn slow — by the reader's hand or, with [`Faults`], at random from the seed.
//! Anomalies are data: a read that returns something older than a write already acknowledged is counted and
//! narrated as a stale read, a write that gets fewer than W acks is reported as failed while the replicas that
//! took it keep it (nothing rolls it back), and [`Leaderless::history`] gives the run to the consistency checker.
//!
//! Simplifications, and why:
//! - Every key lives on the same N home replicas, and spare nodes after them stand in for any of them: the ring
//!   that spreads keys over more nodes is another chapter's subject, and one placement keeps the picture still.
//! - Versions are plain numbers: a writer stamps its write with the next version of the key, as if it had read
//!   the latest version first. Concurrent writes therefore get distinct versions and the higher one wins
//!   (last-write-wins); detecting concurrency with version vectors is chapter 7's subject.
//! - Clients know which nodes are up (as gossip would tell them) when they pick sloppy-quorum stand-ins, and
//!   hint holders know when a home replica is back.
//! - Anti-entropy exchanges whole stores instead of Merkle-tree digests: the stores here are small, and the
//!   outcome — every difference repaired, newest version winning — is the same.
//! - A crashed node keeps its data and hints (they are on disk); it only stops answering.
//!
//! ```
//! use sim::leaderless::{Action, ClientId, Config, Leaderless, Preload, Version};
//! use sim::{Replay, Time};
//!
//! let config = Config { preload: vec![Preload::new("user:42", "Bob", 1)], ..Config::default() };
//! // Background timers (hinted handoff) never stop, so a run is played up to a time, here by the shared player.
//! let mut run = Replay::new(Leaderless::new(1, config), Time::from_ms(10_000));
//! run.act(Action::write(ClientId(1), "user:42", "Alice"));
//! run.seek(Time::from_ms(1_000));
//! run.act(Action::read(ClientId(2), "user:42"));
//! run.seek(Time::from_ms(2_000));
//! let read = run.model().reads().last().cloned().expect("one read");
//! assert_eq!(read.chosen().map(|s| (s.version, s.value.as_str())), Some((Version(2), "Alice")));
//! assert_eq!(run.model().metrics().stale_reads, 0);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A request's id, the same as its operation's id in [`Leaderless::history`]. Shown as `#3`.
pub use crate::checker::OpId;
use crate::checker::{self, Operation, Response};
use crate::ids::Lsn;
use crate::net::{EventQueue, Latency, Link, Network};
use crate::replay::Model;
use crate::rng::Rng;
use crate::time::Time;
use crate::trace::{Salience, Trace};

/// N, the replication factor, is at most 9 (replicas A to I).
pub const REPLICAS_MAX: u8 = 9;
/// Spare nodes that can stand in for home replicas under a sloppy quorum.
pub const SPARES_MAX: u8 = 3;
/// Clients that can issue requests.
pub const CLIENTS_MAX: u8 = 4;
/// Keys one node stores; a write of a further key is refused (not acknowledged).
pub const KEYS_MAX: usize = 256;
/// Hints one node holds for others; a hinted write beyond it is refused.
pub const HINTS_MAX: usize = 256;
/// Requests in flight at once; a request beyond it fails at once.
pub const OPS_IN_FLIGHT_MAX: usize = 64;
/// Finished reads and writes kept for the views (the history keeps everything up to [`HISTORY_MAX`]).
pub const OPS_KEPT: usize = 64;
/// Operations the history records, as many as the checker accepts.
pub const HISTORY_MAX: usize = checker::HISTORY_MAX;
/// No timer interval is shorter than this, so a run cannot spin on zero-length ticks.
pub const INTERVAL_MS_MIN: u64 = 10;

/// A node, lettered as the chapter names them: A, B, C. Home replicas come first, then spares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplicaId(pub u8);

impl fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", char::from(b'A' + self.0.min(25)))
    }
}

/// A client, numbered from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId(pub u8);

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "client {}", self.0)
    }
}

/// A key's version: higher is newer. Shown as `v2`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u64);

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

/// Everyone who sends or receives messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Addr {
    Client(ClientId),
    Replica(ReplicaId),
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Client(c) => c.fmt(f),
            Addr::Replica(r) => r.fmt(f),
        }
    }
}

/// A value with its version. Ordered by version, then value, so "the highest" is always well defined.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stored {
    pub version: Version,
    pub value: String,
}

impl fmt::Display for Stored {
    /// `"Alice" (v2)`, as the chapter writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\" ({})", self.value, self.version)
    }
}

/// Whether writes may land on stand-ins when home replicas are down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuorumMode {
    /// Only home replicas count; with more than N − W of them down, writes fail.
    Strict,
    /// Down home replicas are replaced by spare nodes, which keep the write as a hint and hand it off later.
    Sloppy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadRepair {
    On,
    Off,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AntiEntropy {
    Off,
    /// Every interval, two random live home replicas exchange and merge their stores.
    Every {
        interval_ms: u64,
    },
}

/// Which replicas a request goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fanout {
    /// All N home replicas (with a sloppy quorum, live stand-ins for the down ones).
    All,
    /// Only W (for a write) or R (for a read) home replicas, picked at random from the seed.
    Random,
    /// Exactly these nodes, as in the chapter's "the read goes to A and C".
    Only(Vec<ReplicaId>),
}

/// Random trouble, rolled from the seed every `tick_ms` (0: never).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Faults {
    pub tick_ms: u64,
    /// Chance per tick that a live node crashes.
    pub crash_chance: f64,
    /// Chance per tick that a crashed node comes back.
    pub recover_chance: f64,
    /// Chance per tick that a node turns slow, or a slow node recovers its speed.
    pub slow_chance: f64,
}

impl Faults {
    pub const NONE: Faults = Faults { tick_ms: 0, crash_chance: 0.0, recover_chance: 0.0, slow_chance: 0.0 };
}

/// Background requests, so a run has something to do without the reader.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Workload {
    Off,
    /// Every `interval_ms`, a random client reads or writes a random key `user:1` … `user:{keys}`; a write's
    /// value names its request (`"write 6"`), so every value is distinct.
    Random {
        interval_ms: u64,
        write_fraction: f64,
        keys: u32,
        clients: u8,
    },
}

/// A value every home replica holds before the run starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preload {
    pub key: String,
    pub value: String,
    pub version: Version,
}

impl Preload {
    pub fn new(key: &str, value: &str, version: u64) -> Preload {
        Preload { key: key.to_owned(), value: value.to_owned(), version: Version(version) }
    }
}

/// Everything fixed about a run. Out-of-range numbers are clamped by [`Leaderless::new`].
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Replication factor N: home replicas per key, 1..=9.
    pub n: u8,
    /// Acks a write needs, 1..=N.
    pub w: u8,
    /// Replies a read needs, 1..=N.
    pub r: u8,
    /// Spare nodes after the home replicas, 0..=3, used only by a sloppy quorum.
    pub spares: u8,
    pub quorum: QuorumMode,
    pub read_repair: ReadRepair,
    pub anti_entropy: AntiEntropy,
    /// How often hint holders try to hand their hints off.
    pub handoff_interval_ms: u64,
    /// A request not complete after this long fails.
    pub request_timeout_ms: u64,
    /// Every link's latency, unless set otherwise with [`Action::SetLatency`].
    pub latency: Latency,
    /// Added to every message to or from a slow node.
    pub slow_extra_ms: u64,
    /// Probability in [0, 1] that any message is lost.
    pub loss: f64,
    pub faults: Faults,
    pub workload: Workload,
    pub preload: Vec<Preload>,
}

impl Default for Config {
    /// The chapter's balanced configuration: N=3, W=2, R=2, strict, with read repair.
    fn default() -> Self {
        Config {
            n: 3,
            w: 2,
            r: 2,
            spares: 0,
            quorum: QuorumMode::Strict,
            read_repair: ReadRepair::On,
            anti_entropy: AntiEntropy::Off,
            handoff_interval_ms: 500,
            request_timeout_ms: 1_000,
            latency: Latency::Uniform { min_ms: 5, max_ms: 25 },
            slow_extra_ms: 300,
            loss: 0.0,
            faults: Faults::NONE,
            workload: Workload::Off,
            preload: Vec::new(),
        }
    }
}

/// The arithmetic of the chapter's quorum calculator for one choice of N, W and R (clamped like a run's).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuorumMath {
    pub n: u8,
    pub w: u8,
    pub r: u8,
    /// W + R > N: every read set shares at least one replica with every write set.
    pub strict: bool,
    /// The fewest replicas any write set and read set share (W + R − N, or 0).
    pub min_overlap: u8,
    /// Replicas that can be down with writes still succeeding: N − W.
    pub write_failures_tolerated: u8,
    /// Replicas that can be down with reads still succeeding: N − R.
    pub read_failures_tolerated: u8,
    /// Chance that R replicas picked at random include none of a given W: C(N−W, R) / C(N, R).
    pub miss_chance: f64,
}

impl QuorumMath {
    pub fn new(n: u8, w: u8, r: u8) -> QuorumMath {
        let n = n.clamp(1, REPLICAS_MAX);
        let (w, r) = (w.clamp(1, n), r.clamp(1, n));
        let miss_chance = binomial(u64::from(n - w), u64::from(r)) / binomial(u64::from(n), u64::from(r));
        QuorumMath {
            n,
            w,
            r,
            strict: w + r > n,
            min_overlap: (w + r).saturating_sub(n),
            write_failures_tolerated: n - w,
            read_failures_tolerated: n - r,
            miss_chance,
        }
    }

    /// The smallest R that makes a strict quorum with this N and W: N − W + 1.
    pub fn min_read_quorum(n: u8, w: u8) -> u8 {
        let n = n.clamp(1, REPLICAS_MAX);
        n - w.clamp(1, n) + 1
    }
}

/// `n` choose `k`, exactly for the small numbers here (n ≤ 9).
fn binomial(n: u64, k: u64) -> f64 {
    if k > n {
        return 0.0;
    }
    let k = k.min(n - k);
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    Up,
    Down,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speed {
    Normal,
    Slow,
}

/// The reader's controls.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Write {
        client: ClientId,
        key: String,
        value: String,
        fanout: Fanout,
    },
    Read {
        client: ClientId,
        key: String,
        fanout: Fanout,
    },
    Crash(ReplicaId),
    Recover(ReplicaId),
    SetSpeed(ReplicaId, Speed),
    /// Sets the latency of one direction of one link, as in "the write to C is delayed".
    SetLatency {
        from: Addr,
        to: Addr,
        latency: Latency,
    },
}

impl Action {
    /// A write to every home replica.
    pub fn write(client: ClientId, key: &str, value: &str) -> Action {
        Action::Write { client, key: key.to_owned(), value: value.to_owned(), fanout: Fanout::All }
    }

    /// A read from every home replica.
    pub fn read(client: ClientId, key: &str) -> Action {
        Action::Read { client, key: key.to_owned(), fanout: Fanout::All }
    }
}

/// Whether a node is one of the N home replicas or a spare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    Home,
    Spare,
}

/// A write a node keeps for a home replica that was down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    pub for_replica: ReplicaId,
    pub key: String,
    pub stored: Stored,
}

/// A node as the widgets draw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaView {
    pub id: ReplicaId,
    pub placement: Placement,
    pub health: Health,
    pub speed: Speed,
    /// Every key it holds, in key order.
    pub store: Vec<(String, Stored)>,
    pub hints: Vec<Hint>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    Write,
    WriteAck,
    Read,
    ReadReply,
    Repair,
    Handoff,
    HandoffAck,
    AntiEntropy,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageView {
    pub from: Addr,
    pub to: Addr,
    pub kind: MessageKind,
    pub sent_at: Time,
    pub deliver_at: Time,
}

/// Where one copy of a write was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub replica: ReplicaId,
    /// Set when `replica` is a stand-in holding the write for this home replica.
    pub hint_for: Option<ReplicaId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    Pending,
    /// W acks arrived by this time.
    Acknowledged {
        at: Time,
    },
    /// Fewer than W acks by the timeout. Replicas that took the write keep it.
    Failed {
        at: Time,
    },
}

/// One write as the widgets show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteView {
    pub id: OpId,
    pub client: ClientId,
    pub key: String,
    pub stored: Stored,
    pub sent_to: Vec<Target>,
    /// Every ack, in arrival order (late ones after the W-th too).
    pub acks: Vec<(ReplicaId, Time)>,
    pub invoked_at: Time,
    pub outcome: WriteOutcome,
}

/// Whether a reply was among the first R.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyTiming {
    Counted,
    /// Arrived after the read had returned; still used for read repair.
    Late,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyView {
    pub replica: ReplicaId,
    /// What the replica holds for the key (`None`: nothing).
    pub stored: Option<Stored>,
    pub at: Time,
    pub timing: ReplyTiming,
}

/// Whether a returned value was the newest acknowledged one when the read began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    /// A write of `latest` had been acknowledged before the read began, and the read returned something older.
    Stale {
        latest: Version,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    Pending,
    /// R replies arrived; `chosen` is the highest version among them (`None`: no replica had the key).
    Returned {
        at: Time,
        chosen: Option<Stored>,
        freshness: Freshness,
    },
    /// Fewer than R replies by the timeout.
    Failed {
        at: Time,
    },
}

/// One read as the widgets show it: its replies and the version it chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadView {
    pub id: OpId,
    pub client: ClientId,
    pub key: String,
    pub sent_to: Vec<ReplicaId>,
    pub replies: Vec<ReplyView>,
    pub invoked_at: Time,
    pub outcome: ReadOutcome,
    /// Home replicas the client sent the chosen value back to (stand-ins are never repaired).
    pub repaired: Vec<ReplicaId>,
}

impl ReadView {
    /// The value the read returned, if it returned one.
    pub fn chosen(&self) -> Option<&Stored> {
        match &self.outcome {
            ReadOutcome::Returned { chosen, .. } => chosen.as_ref(),
            _ => None,
        }
    }
}

/// Counters a reader (and the tests) read off the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    pub writes_ok: u64,
    pub writes_failed: u64,
    pub reads_ok: u64,
    pub reads_failed: u64,
    /// Reads that returned an older version than one acknowledged before they began.
    pub stale_reads: u64,
    pub repairs_sent: u64,
    /// Repairs that replaced an older value.
    pub repairs_applied: u64,
    pub hints_stored: u64,
    /// Hints whose home replica took them in.
    pub hints_handed_off: u64,
    /// Keys anti-entropy brought up to date.
    pub anti_entropy_updates: u64,
    /// Messages lost in the network or sent to a crashed node.
    pub messages_lost: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Msg {
    Write { op: OpId, key: String, stored: Stored, hint_for: Option<ReplicaId> },
    WriteAck { op: OpId },
    Read { op: OpId, key: String },
    ReadReply { op: OpId, stored: Option<Stored> },
    Repair { key: String, stored: Stored },
    Handoff { hint: Hint },
    HandoffAck { hint: Hint },
    Sync { entries: Vec<(String, Stored)>, stage: SyncStage },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SyncStage {
    /// The initiator's store; the receiver answers with its own.
    Offer,
    Answer,
}

impl Msg {
    fn kind(&self) -> MessageKind {
        match self {
            Msg::Write { .. } => MessageKind::Write,
            Msg::WriteAck { .. } => MessageKind::WriteAck,
            Msg::Read { .. } => MessageKind::Read,
            Msg::ReadReply { .. } => MessageKind::ReadReply,
            Msg::Repair { .. } => MessageKind::Repair,
            Msg::Handoff { .. } => MessageKind::Handoff,
            Msg::HandoffAck { .. } => MessageKind::HandoffAck,
            Msg::Sync { .. } => MessageKind::AntiEntropy,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Event {
    Deliver { from: Addr, to: Addr, sent_at: Time, msg: Msg },
    WriteTimeout { op: OpId },
    ReadTimeout { op: OpId },
    HandoffTick,
    AntiEntropyTick,
    FaultTick,
    WorkloadTick,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Node {
    health: Health,
    speed: Speed,
    store: BTreeMap<String, Stored>,
    hints: Vec<Hint>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct WriteOp {
    view: WriteView,
    history: Option<usize>,
    /// Past its timeout: acks no longer change anything.
    closed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct ReadOp {
    view: ReadView,
    history: Option<usize>,
    /// The newest version acknowledged for the key when the read began: the stale-read yardstick.
    baseline: Option<Version>,
    closed: bool,
}

/// The simulation: nodes, clients' requests, the network, pending events and the trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Leaderless {
    config: Config,
    now: Time,
    rng: Rng,
    net: Network<Addr>,
    queue: EventQueue<Event>,
    nodes: Vec<Node>,
    writes: BTreeMap<OpId, WriteOp>,
    reads: BTreeMap<OpId, ReadOp>,
    next_op: u64,
    /// The highest version handed out per key.
    versions: BTreeMap<String, Version>,
    /// The highest acknowledged version per key.
    acked: BTreeMap<String, Version>,
    history: Vec<Operation>,
    history_full: bool,
    metrics: Metrics,
    trace: Trace,
}

impl Leaderless {
    /// A store with `config` (clamped into range), its preload on every home replica, all nodes up.
    pub fn new(seed: u64, mut config: Config) -> Leaderless {
        config.n = config.n.clamp(1, REPLICAS_MAX);
        config.w = config.w.clamp(1, config.n);
        config.r = config.r.clamp(1, config.n);
        config.spares = config.spares.min(SPARES_MAX);
        config.handoff_interval_ms = config.handoff_interval_ms.max(INTERVAL_MS_MIN);
        config.request_timeout_ms = config.request_timeout_ms.max(1);
        config.loss = config.loss.clamp(0.0, 1.0);
        if let AntiEntropy::Every { interval_ms } = &mut config.anti_entropy {
            *interval_ms = (*interval_ms).max(INTERVAL_MS_MIN);
        }
        if config.faults.tick_ms > 0 {
            config.faults.tick_ms = config.faults.tick_ms.max(INTERVAL_MS_MIN);
        }
        if let Workload::Random { interval_ms, write_fraction, keys, clients } = &mut config.workload {
            *interval_ms = (*interval_ms).max(INTERVAL_MS_MIN);
            *write_fraction = write_fraction.clamp(0.0, 1.0);
            *keys = (*keys).clamp(1, KEYS_MAX as u32);
            *clients = (*clients).clamp(1, CLIENTS_MAX);
        }
        config.preload.truncate(KEYS_MAX);

        let total = usize::from(config.n + config.spares);
        let mut home_store = BTreeMap::new();
        let mut versions = BTreeMap::new();
        for p in &config.preload {
            let stored = Stored { version: p.version, value: p.value.clone() };
            let slot = home_store.entry(p.key.clone()).or_insert_with(|| stored.clone());
            if stored > *slot {
                *slot = stored;
            }
            let v = versions.entry(p.key.clone()).or_insert(p.version);
            *v = (*v).max(p.version);
        }
        let nodes = (0..total)
            .map(|i| Node {
                health: Health::Up,
                speed: Speed::Normal,
                store: if i < usize::from(config.n) { home_store.clone() } else { BTreeMap::new() },
                hints: Vec::new(),
            })
            .collect();
        let net = Network::new(Link { latency: config.latency.clone(), loss: config.loss });
        let mut store = Leaderless {
            now: Time::ZERO,
            rng: Rng::new(seed),
            net,
            queue: EventQueue::default(),
            nodes,
            writes: BTreeMap::new(),
            reads: BTreeMap::new(),
            next_op: 1,
            acked: versions.clone(),
            versions,
            history: Vec::new(),
            history_full: false,
            metrics: Metrics::default(),
            trace: Trace::default(),
            config,
        };
        let handoff = Time::ZERO + store.config.handoff_interval_ms;
        store.schedule(handoff, Event::HandoffTick);
        if let AntiEntropy::Every { interval_ms } = store.config.anti_entropy {
            store.schedule(Time::ZERO + interval_ms, Event::AntiEntropyTick);
        }
        if store.config.faults.tick_ms > 0 {
            store.schedule(Time::ZERO + store.config.faults.tick_ms, Event::FaultTick);
        }
        if let Workload::Random { interval_ms, .. } = store.config.workload {
            store.schedule(Time::ZERO + interval_ms, Event::WorkloadTick);
        }
        let c = &store.config;
        let math = QuorumMath::new(c.n, c.w, c.r);
        let homes = list(&store.homes());
        let verdict = if math.strict {
            format!("W + R = {} > N: every read overlaps every write", c.w + c.r)
        } else {
            format!("W + R = {} ≤ N: a read can miss the latest write", c.w + c.r)
        };
        let spares = match c.spares {
            0 => String::new(),
            s => format!(" {s} spare node(s) stand by."),
        };
        let preload = match store.config.preload.len() {
            0 => String::new(),
            _ => {
                let items: Vec<String> = home_store.iter().map(|(k, s)| format!("{k} = {s}")).collect();
                format!(" Every replica holds {}.", items.join(", "))
            }
        };
        let text = format!(
            "Replicas {homes} hold every key (N={}, W={}, R={}); {verdict}.{spares}{preload}",
            store.config.n, store.config.w, store.config.r
        );
        store.note(Salience::Key, text);
        store
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn metrics(&self) -> Metrics {
        self.metrics
    }

    pub fn quorum_math(&self) -> QuorumMath {
        QuorumMath::new(self.config.n, self.config.w, self.config.r)
    }

    /// The N home replicas, A first.
    pub fn homes(&self) -> Vec<ReplicaId> {
        (0..self.config.n).map(ReplicaId).collect()
    }

    pub fn replicas(&self) -> Vec<ReplicaView> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| ReplicaView {
                id: ReplicaId(i as u8),
                placement: if i < usize::from(self.config.n) { Placement::Home } else { Placement::Spare },
                health: n.health,
                speed: n.speed,
                store: n.store.iter().map(|(k, s)| (k.clone(), s.clone())).collect(),
                hints: n.hints.clone(),
            })
            .collect()
    }

    /// What one node holds for `key`.
    pub fn stored(&self, replica: ReplicaId, key: &str) -> Option<&Stored> {
        self.nodes.get(usize::from(replica.0)).and_then(|n| n.store.get(key))
    }

    /// Messages on the wire, in delivery order.
    pub fn messages(&self) -> Vec<MessageView> {
        self.queue
            .iter()
            .filter_map(|(at, event)| match event {
                Event::Deliver { from, to, sent_at, msg } => {
                    Some(MessageView { from: *from, to: *to, kind: msg.kind(), sent_at: *sent_at, deliver_at: at })
                }
                _ => None,
            })
            .collect()
    }

    /// Recent writes (in flight and the last finished ones), oldest first.
    pub fn writes(&self) -> Vec<WriteView> {
        self.writes.values().map(|w| w.view.clone()).collect()
    }

    /// Recent reads (in flight and the last finished ones), oldest first.
    pub fn reads(&self) -> Vec<ReadView> {
        self.reads.values().map(|r| r.view.clone()).collect()
    }

    /// Every request so far as the clients saw it, for [`crate::checker::check`]. A write's LSN is its version.
    pub fn history(&self) -> &[Operation] {
        &self.history
    }

    /// One line per node and one for the counters, for snapshot tests.
    pub fn render_state(&self) -> String {
        let mut out = String::new();
        for r in self.replicas() {
            let health = match r.health {
                Health::Up => "up",
                Health::Down => "DOWN",
            };
            let speed = match r.speed {
                Speed::Normal => "",
                Speed::Slow => " slow",
            };
            let role = match r.placement {
                Placement::Home => "home",
                Placement::Spare => "spare",
            };
            let store: Vec<String> = r.store.iter().map(|(k, s)| format!("{k}={s}")).collect();
            let hints: Vec<String> =
                r.hints.iter().map(|h| format!("{}={} for {}", h.key, h.stored, h.for_replica)).collect();
            out.push_str(&format!("{} {role} {health}{speed}: {}", r.id, store.join(" ")));
            if !hints.is_empty() {
                out.push_str(&format!(" | hints: {}", hints.join(" ")));
            }
            out.push('\n');
        }
        let m = self.metrics;
        out.push_str(&format!(
            "writes {}/{} reads {}/{} stale {} repairs {}/{} hints {}/{} anti-entropy {}\n",
            m.writes_ok,
            m.writes_ok + m.writes_failed,
            m.reads_ok,
            m.reads_ok + m.reads_failed,
            m.stale_reads,
            m.repairs_applied,
            m.repairs_sent,
            m.hints_handed_off,
            m.hints_stored,
            m.anti_entropy_updates,
        ));
        out
    }

    /// Pushes a line, capitalised: narration often begins with a client (`client 2 reads …`).
    fn note(&mut self, salience: Salience, text: impl Into<String>) {
        let text: String = text.into();
        let mut chars = text.chars();
        let line: String = match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => text,
        };
        self.trace.push(self.now, salience, line);
    }

    fn schedule(&mut self, at: Time, event: Event) {
        if self.queue.push(at, event).is_err() {
            self.trace.push(self.now, Salience::Key, "The event queue is full; an event was dropped.");
        }
    }

    fn node(&self, id: ReplicaId) -> Option<&Node> {
        self.nodes.get(usize::from(id.0))
    }

    fn node_mut(&mut self, id: ReplicaId) -> Option<&mut Node> {
        self.nodes.get_mut(usize::from(id.0))
    }

    fn is_up(&self, id: ReplicaId) -> bool {
        self.node(id).is_some_and(|n| n.health == Health::Up)
    }

    fn is_slow(&self, addr: Addr) -> bool {
        match addr {
            Addr::Replica(r) => self.node(r).is_some_and(|n| n.speed == Speed::Slow),
            Addr::Client(_) => false,
        }
    }

    fn send(&mut self, from: Addr, to: Addr, msg: Msg) {
        match self.net.transit_ms(from, to, &mut self.rng) {
            Some(mut delay_ms) => {
                if self.is_slow(from) || self.is_slow(to) {
                    delay_ms += self.config.slow_extra_ms;
                }
                let sent_at = self.now;
                self.schedule(self.now + delay_ms, Event::Deliver { from, to, sent_at, msg });
            }
            None => {
                self.metrics.messages_lost += 1;
                self.note(Salience::Routine, format!("A message from {from} to {to} is lost in the network."));
            }
        }
    }

    fn record(&mut self, op: Operation) -> Option<usize> {
        if self.history.len() >= HISTORY_MAX {
            if !self.history_full {
                self.history_full = true;
                self.note(
                    Salience::Key,
                    format!("The history holds {HISTORY_MAX} requests; later ones are not recorded."),
                );
            }
            return None;
        }
        self.history.push(op);
        Some(self.history.len() - 1)
    }

    fn in_flight(&self) -> usize {
        self.writes.values().filter(|w| !w.closed).count() + self.reads.values().filter(|r| !r.closed).count()
    }

    /// Drops the oldest finished requests beyond [`OPS_KEPT`] from the views.
    fn prune(&mut self) {
        while self.writes.values().filter(|w| w.closed).count() > OPS_KEPT {
            let Some(id) = self.writes.iter().find(|(_, w)| w.closed).map(|(id, _)| *id) else { break };
            self.writes.remove(&id);
        }
        while self.reads.values().filter(|r| r.closed).count() > OPS_KEPT {
            let Some(id) = self.reads.iter().find(|(_, r)| r.closed).map(|(id, _)| *id) else { break };
            self.reads.remove(&id);
        }
    }

    /// `count` distinct home replicas picked at random, in id order.
    fn random_homes(&mut self, count: u8) -> Vec<ReplicaId> {
        let mut pool = self.homes();
        let take = usize::from(count).min(pool.len());
        for i in 0..take {
            let j = self.rng.range_inclusive(i as u64, (pool.len() - 1) as u64) as usize;
            pool.swap(i, j);
        }
        pool.truncate(take);
        pool.sort();
        pool
    }

    /// Where a request goes. With a sloppy quorum, each down home replica is replaced by the next live spare.
    fn targets(&mut self, fanout: &Fanout, quorum_size: u8) -> Vec<Target> {
        let chosen = match fanout {
            Fanout::All => self.homes(),
            Fanout::Random => self.random_homes(quorum_size),
            Fanout::Only(list) => {
                let total = self.nodes.len() as u8;
                let unique: BTreeSet<ReplicaId> = list.iter().copied().filter(|r| r.0 < total).collect();
                return unique.into_iter().map(|replica| Target { replica, hint_for: None }).collect();
            }
        };
        if self.config.quorum == QuorumMode::Strict {
            return chosen.into_iter().map(|replica| Target { replica, hint_for: None }).collect();
        }
        let mut spares = (self.config.n..self.config.n + self.config.spares).map(ReplicaId).filter(|s| self.is_up(*s));
        let mut out = Vec::new();
        for home in chosen {
            if self.is_up(home) {
                out.push(Target { replica: home, hint_for: None });
            } else if let Some(spare) = spares.next() {
                out.push(Target { replica: spare, hint_for: Some(home) });
            }
        }
        out
    }

    fn client_ok(&mut self, client: ClientId, what: &str) -> bool {
        if client.0 == 0 || client.0 > CLIENTS_MAX {
            self.note(Salience::Key, format!("There is no {client}: clients are numbered 1 to {CLIENTS_MAX}."));
            return false;
        }
        if self.in_flight() >= OPS_IN_FLIGHT_MAX {
            self.note(
                Salience::Key,
                format!("{client}'s {what} is refused: {OPS_IN_FLIGHT_MAX} requests are already in flight."),
            );
            return false;
        }
        true
    }

    fn start_write(&mut self, client: ClientId, key: &str, value: &str, fanout: &Fanout) {
        if !self.client_ok(client, "write") {
            return;
        }
        if self.versions.len() >= KEYS_MAX && !self.versions.contains_key(key) {
            self.note(Salience::Key, format!("{client}'s write of {key} is refused: the store holds {KEYS_MAX} keys."));
            return;
        }
        let id = OpId(self.next_op);
        self.next_op += 1;
        let version = Version(self.versions.get(key).map_or(1, |v| v.0 + 1));
        self.versions.insert(key.to_owned(), version);
        let stored = Stored { version, value: value.to_owned() };
        let sent_to = self.targets(fanout, self.config.w);
        let mut op = Operation::write(id.0, &client.to_string(), key, value, self.now.as_ms(), self.now.as_ms());
        op.response = Response::Missing;
        op.lsn = Some(Lsn(version.0));
        let history = self.record(op);
        let w = self.config.w;
        let mut parts: Vec<String> = Vec::new();
        for t in &sent_to {
            parts.push(match t.hint_for {
                Some(home) => format!("{} (standing in for {home})", t.replica),
                None => t.replica.to_string(),
            });
        }
        let to = if parts.is_empty() { "no replica".to_owned() } else { join(&parts) };
        self.note(Salience::Key, format!("{client} writes {key} = {stored}, sending it to {to}; it needs W={w} acks."));
        let view = WriteView {
            id,
            client,
            key: key.to_owned(),
            stored: stored.clone(),
            sent_to: sent_to.clone(),
            acks: Vec::new(),
            invoked_at: self.now,
            outcome: WriteOutcome::Pending,
        };
        self.writes.insert(id, WriteOp { view, history, closed: false });
        for t in sent_to {
            let msg = Msg::Write { op: id, key: key.to_owned(), stored: stored.clone(), hint_for: t.hint_for };
            self.send(Addr::Client(client), Addr::Replica(t.replica), msg);
        }
        let deadline = self.now + self.config.request_timeout_ms;
        self.schedule(deadline, Event::WriteTimeout { op: id });
    }

    fn start_read(&mut self, client: ClientId, key: &str, fanout: &Fanout) {
        if !self.client_ok(client, "read") {
            return;
        }
        let id = OpId(self.next_op);
        self.next_op += 1;
        let targets = self.targets(fanout, self.config.r);
        // A sloppy read asks the first N live nodes; a stand-in answers from its own store, where hints are not.
        let sent_to: Vec<ReplicaId> = targets.iter().map(|t| t.replica).collect();
        let mut op = Operation::read(id.0, &client.to_string(), key, None, self.now.as_ms(), self.now.as_ms());
        op.response = Response::Missing;
        let history = self.record(op);
        let r = self.config.r;
        let to = if sent_to.is_empty() { "no replica".to_owned() } else { list(&sent_to) };
        self.note(Salience::Key, format!("{client} reads {key} from {to}; it needs R={r} replies."));
        let view = ReadView {
            id,
            client,
            key: key.to_owned(),
            sent_to: sent_to.clone(),
            replies: Vec::new(),
            invoked_at: self.now,
            outcome: ReadOutcome::Pending,
            repaired: Vec::new(),
        };
        let baseline = self.acked.get(key).copied();
        self.reads.insert(id, ReadOp { view, history, baseline, closed: false });
        for replica in sent_to {
            self.send(Addr::Client(client), Addr::Replica(replica), Msg::Read { op: id, key: key.to_owned() });
        }
        let deadline = self.now + self.config.request_timeout_ms;
        self.schedule(deadline, Event::ReadTimeout { op: id });
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Deliver { from, to, msg, .. } => self.deliver(from, to, msg),
            Event::WriteTimeout { op } => self.write_timeout(op),
            Event::ReadTimeout { op } => self.read_timeout(op),
            Event::HandoffTick => {
                self.hand_off();
                let next = self.now + self.config.handoff_interval_ms;
                self.schedule(next, Event::HandoffTick);
            }
            Event::AntiEntropyTick => {
                if let AntiEntropy::Every { interval_ms } = self.config.anti_entropy {
                    self.anti_entropy();
                    self.schedule(self.now + interval_ms, Event::AntiEntropyTick);
                }
            }
            Event::FaultTick => {
                self.roll_faults();
                let next = self.now + self.config.faults.tick_ms;
                self.schedule(next, Event::FaultTick);
            }
            Event::WorkloadTick => {
                if let Workload::Random { interval_ms, write_fraction, keys, clients } = self.config.workload {
                    let client = ClientId(self.rng.range_inclusive(1, u64::from(clients)) as u8);
                    let key = format!("user:{}", self.rng.range_inclusive(1, u64::from(keys)));
                    if self.rng.chance(write_fraction) {
                        let value = format!("write {}", self.next_op);
                        self.start_write(client, &key, &value, &Fanout::All);
                    } else {
                        self.start_read(client, &key, &Fanout::All);
                    }
                    self.schedule(self.now + interval_ms, Event::WorkloadTick);
                }
            }
        }
    }

    fn deliver(&mut self, from: Addr, to: Addr, msg: Msg) {
        match to {
            Addr::Client(client) => self.client_receive(client, from, msg),
            Addr::Replica(id) => {
                if !self.is_up(id) {
                    self.metrics.messages_lost += 1;
                    self.note(
                        Salience::Routine,
                        format!("A message from {from} reaches {id}, which is down; it is lost."),
                    );
                    return;
                }
                self.replica_receive(id, from, msg);
            }
        }
    }

    fn replica_receive(&mut self, id: ReplicaId, from: Addr, msg: Msg) {
        match msg {
            Msg::Write { op, key, stored, hint_for: None } => {
                let before = self.node(id).and_then(|n| n.store.get(&key)).cloned();
                match self.store(id, &key, &stored) {
                    StoreOutcome::Refused => {
                        self.note(Salience::Key, format!("{id} holds {KEYS_MAX} keys and refuses {key}."));
                        return;
                    }
                    StoreOutcome::Replaced => {
                        let was = before.map_or(String::new(), |b| format!(", replacing {b},"));
                        self.note(Salience::Routine, format!("{id} stores {key} = {stored}{was} and acks."));
                    }
                    StoreOutcome::Kept => {
                        let has = before.map_or(String::new(), |b| b.to_string());
                        self.note(
                            Salience::Routine,
                            format!(
                                "{id} already holds {key} = {has}; the write of {stored} changes nothing, but it acks."
                            ),
                        );
                    }
                }
                self.send(Addr::Replica(id), from, Msg::WriteAck { op });
            }
            Msg::Write { op, key, stored, hint_for: Some(home) } => {
                let Some(node) = self.node_mut(id) else { return };
                if let Some(h) = node.hints.iter_mut().find(|h| h.for_replica == home && h.key == key) {
                    if stored > h.stored {
                        h.stored = stored.clone();
                    }
                } else if node.hints.len() >= HINTS_MAX {
                    self.note(Salience::Key, format!("{id} holds {HINTS_MAX} hints and refuses another."));
                    return;
                } else {
                    node.hints.push(Hint { for_replica: home, key: key.clone(), stored: stored.clone() });
                }
                self.metrics.hints_stored += 1;
                self.note(
                    Salience::Key,
                    format!("{id} keeps {key} = {stored} as a hint for {home}, which is down, and acks."),
                );
                self.send(Addr::Replica(id), from, Msg::WriteAck { op });
            }
            Msg::Read { op, key } => {
                let stored = self.node(id).and_then(|n| n.store.get(&key)).cloned();
                self.send(Addr::Replica(id), from, Msg::ReadReply { op, stored });
            }
            Msg::Repair { key, stored } => {
                let before = self.node(id).and_then(|n| n.store.get(&key)).cloned();
                if self.store(id, &key, &stored) == StoreOutcome::Replaced {
                    self.metrics.repairs_applied += 1;
                    let was = before.map_or("nothing".to_owned(), |b| b.to_string());
                    self.note(Salience::Key, format!("{id} applies the repair: {key} = {stored}, replacing {was}."));
                } else {
                    self.note(Salience::Routine, format!("{id} already has {key} at {} or newer.", stored.version));
                }
            }
            Msg::Handoff { hint } => {
                let Addr::Replica(holder) = from else { return };
                let before = self.node(id).and_then(|n| n.store.get(&hint.key)).cloned();
                match self.store(id, &hint.key, &hint.stored) {
                    StoreOutcome::Replaced => {
                        self.metrics.hints_handed_off += 1;
                        let was = before.map_or("nothing".to_owned(), |b| b.to_string());
                        self.note(
                            Salience::Key,
                            format!(
                                "{holder} hands off its hint: {id} takes {} = {}, replacing {was}.",
                                hint.key, hint.stored
                            ),
                        );
                    }
                    StoreOutcome::Kept => {
                        self.metrics.hints_handed_off += 1;
                        self.note(
                            Salience::Routine,
                            format!("{holder} hands off {} = {}; {id} already has it.", hint.key, hint.stored),
                        );
                    }
                    StoreOutcome::Refused => return,
                }
                self.send(Addr::Replica(id), from, Msg::HandoffAck { hint });
            }
            Msg::HandoffAck { hint } => {
                let Some(node) = self.node_mut(id) else { return };
                node.hints
                    .retain(|h| !(h.for_replica == hint.for_replica && h.key == hint.key && h.stored <= hint.stored));
            }
            Msg::Sync { entries, stage } => {
                let Addr::Replica(peer) = from else { return };
                let mut learned = Vec::new();
                for (key, stored) in &entries {
                    let before = self.node(id).and_then(|n| n.store.get(key)).cloned();
                    if self.store(id, key, stored) == StoreOutcome::Replaced {
                        let was = before.map_or("nothing".to_owned(), |b| b.to_string());
                        learned.push(format!("{key} = {stored} (had {was})"));
                    }
                }
                if !learned.is_empty() {
                    self.metrics.anti_entropy_updates += learned.len() as u64;
                    self.note(Salience::Key, format!("Anti-entropy: {id} learns {} from {peer}.", learned.join(", ")));
                }
                if stage == SyncStage::Offer {
                    let mine = self.node(id).map(|n| n.store.iter().map(|(k, s)| (k.clone(), s.clone())).collect());
                    let entries = mine.unwrap_or_default();
                    self.send(Addr::Replica(id), from, Msg::Sync { entries, stage: SyncStage::Answer });
                }
            }
            Msg::WriteAck { .. } | Msg::ReadReply { .. } => {}
        }
    }

    /// Keeps `stored` for `key` on node `id` if it is newer than what the node has.
    fn store(&mut self, id: ReplicaId, key: &str, stored: &Stored) -> StoreOutcome {
        let Some(node) = self.node_mut(id) else { return StoreOutcome::Refused };
        let full = node.store.len() >= KEYS_MAX;
        match node.store.get_mut(key) {
            Some(have) if *have >= *stored => StoreOutcome::Kept,
            Some(have) => {
                *have = stored.clone();
                StoreOutcome::Replaced
            }
            None if full => StoreOutcome::Refused,
            None => {
                node.store.insert(key.to_owned(), stored.clone());
                StoreOutcome::Replaced
            }
        }
    }

    fn client_receive(&mut self, client: ClientId, from: Addr, msg: Msg) {
        let Addr::Replica(replica) = from else { return };
        match msg {
            Msg::WriteAck { op } => self.write_ack(op, replica),
            Msg::ReadReply { op, stored } => self.read_reply(client, op, replica, stored),
            _ => {}
        }
    }

    fn write_ack(&mut self, id: OpId, replica: ReplicaId) {
        let now = self.now;
        let w = usize::from(self.config.w);
        let Some(op) = self.writes.get_mut(&id) else { return };
        if op.closed {
            self.note(Salience::Routine, format!("{replica}'s ack of write {id} arrives after its timeout; ignored."));
            return;
        }
        op.view.acks.push((replica, now));
        let count = op.view.acks.len();
        let (client, key, stored) = (op.view.client, op.view.key.clone(), op.view.stored.clone());
        match op.view.outcome {
            WriteOutcome::Pending if count >= w => {
                op.view.outcome = WriteOutcome::Acknowledged { at: now };
                let history = op.history;
                let ackers: Vec<ReplicaId> = op.view.acks.iter().map(|(r, _)| *r).collect();
                if let Some(i) = history {
                    self.history[i].response = Response::Ok { at: now };
                }
                self.metrics.writes_ok += 1;
                let latest = self.acked.entry(key.clone()).or_insert(stored.version);
                *latest = (*latest).max(stored.version);
                self.note(
                    Salience::Key,
                    format!(
                        "{replica} acks write {id} ({count} acks from {}): W={w} is met, so {client}'s write of {key} = {stored} succeeds.",
                        list(&ackers)
                    ),
                );
            }
            WriteOutcome::Pending => {
                self.note(Salience::Routine, format!("{replica} acks write {id} ({count} of W={w})."));
            }
            _ => {
                self.note(Salience::Routine, format!("{replica} acks write {id} late ({count} acks in all)."));
            }
        }
    }

    fn read_reply(&mut self, client: ClientId, id: OpId, replica: ReplicaId, stored: Option<Stored>) {
        let now = self.now;
        let r = usize::from(self.config.r);
        let repair = self.config.read_repair == ReadRepair::On;
        let Some(op) = self.reads.get_mut(&id) else { return };
        if op.closed {
            self.note(Salience::Routine, format!("{replica}'s reply to read {id} arrives after its timeout; ignored."));
            return;
        }
        let pending = op.view.outcome == ReadOutcome::Pending;
        let timing = if pending { ReplyTiming::Counted } else { ReplyTiming::Late };
        op.view.replies.push(ReplyView { replica, stored: stored.clone(), at: now, timing });
        let key = op.view.key.clone();
        let shown = show(stored.as_ref());
        if !pending {
            // A late reply: too late to change the answer, not too late to repair the replica.
            let chosen = op.view.chosen().cloned();
            self.note(Salience::Routine, format!("{replica} replies {shown} to read {id}, after it returned."));
            if let Some(best) = chosen {
                if repair && stored.as_ref().is_none_or(|s| *s < best) {
                    self.send_repair(client, id, replica, &key, &best, stored.as_ref());
                }
            }
            return;
        }
        let count = op.view.replies.len();
        if count < r {
            self.note(Salience::Routine, format!("{replica} replies {shown} to read {id} ({count} of R={r})."));
            return;
        }
        let chosen = op.view.replies.iter().filter_map(|rep| rep.stored.clone()).max();
        let freshness = match (op.baseline, &chosen) {
            (Some(latest), Some(c)) if c.version < latest => Freshness::Stale { latest },
            (Some(latest), None) => Freshness::Stale { latest },
            _ => Freshness::Fresh,
        };
        op.view.outcome = ReadOutcome::Returned { at: now, chosen: chosen.clone(), freshness };
        let replies: Vec<(ReplicaId, Option<Stored>)> =
            op.view.replies.iter().map(|rep| (rep.replica, rep.stored.clone())).collect();
        let history = op.history;
        if let Some(i) = history {
            self.history[i].kind = checker::Kind::Read { value: chosen.as_ref().map(|s| s.value.clone()) };
            self.history[i].response = Response::Ok { at: now };
        }
        self.metrics.reads_ok += 1;
        let said: Vec<String> = replies.iter().map(|(rep, s)| format!("{rep}: {}", show(s.as_ref()))).collect();
        let picked = match &chosen {
            Some(c) if replies.iter().any(|(_, s)| s.as_ref() != Some(c)) => format!("the highest version, {c}"),
            Some(c) => format!("{c}, which they agree on"),
            None => "nothing: no replica has the key".to_owned(),
        };
        self.note(
            Salience::Key,
            format!("{client}'s read {id} has R={r} replies ({}) and returns {picked}.", said.join(", ")),
        );
        if let Freshness::Stale { latest } = freshness {
            self.metrics.stale_reads += 1;
            self.note(
                Salience::Key,
                format!(
                    "Stale read: {latest} of {key} was acknowledged before read {id} began, but none of the {r} replicas that answered has it."
                ),
            );
        }
        if let (true, Some(best)) = (repair, chosen) {
            for (rep, s) in replies {
                if s.as_ref().is_none_or(|s| *s < best) {
                    self.send_repair(client, id, rep, &key, &best, s.as_ref());
                }
            }
        }
    }

    fn send_repair(
        &mut self,
        client: ClientId,
        id: OpId,
        replica: ReplicaId,
        key: &str,
        best: &Stored,
        had: Option<&Stored>,
    ) {
        // A stand-in answers from its own store, which does not own the key: only home replicas are repaired.
        if replica.0 >= self.config.n {
            return;
        }
        let Some(op) = self.reads.get_mut(&id) else { return };
        if op.view.repaired.contains(&replica) {
            return;
        }
        op.view.repaired.push(replica);
        self.metrics.repairs_sent += 1;
        self.note(
            Salience::Key,
            format!("Read repair: {client} writes {best} back to {replica}, which answered {}.", show(had)),
        );
        let msg = Msg::Repair { key: key.to_owned(), stored: best.clone() };
        self.send(Addr::Client(client), Addr::Replica(replica), msg);
    }

    fn write_timeout(&mut self, id: OpId) {
        let now = self.now;
        let w = self.config.w;
        let Some(op) = self.writes.get_mut(&id) else { return };
        op.closed = true;
        if op.view.outcome == WriteOutcome::Pending {
            op.view.outcome = WriteOutcome::Failed { at: now };
            let (client, key, stored) = (op.view.client, op.view.key.clone(), op.view.stored.clone());
            let ackers: Vec<ReplicaId> = op.view.acks.iter().map(|(r, _)| *r).collect();
            if let Some(i) = op.history {
                self.history[i].response = Response::Failed { at: now };
            }
            self.metrics.writes_failed += 1;
            let kept = if ackers.is_empty() {
                String::new()
            } else {
                format!("; {} keep(s) it anyway, since nothing rolls a write back", list(&ackers))
            };
            self.note(
                Salience::Key,
                format!(
                    "{client}'s write {id} of {key} = {stored} gets {} of W={w} acks in {} ms and fails{kept}.",
                    ackers.len(),
                    self.config.request_timeout_ms
                ),
            );
        }
        self.prune();
    }

    fn read_timeout(&mut self, id: OpId) {
        let now = self.now;
        let r = self.config.r;
        let Some(op) = self.reads.get_mut(&id) else { return };
        op.closed = true;
        if op.view.outcome == ReadOutcome::Pending {
            op.view.outcome = ReadOutcome::Failed { at: now };
            let (client, key, got) = (op.view.client, op.view.key.clone(), op.view.replies.len());
            if let Some(i) = op.history {
                self.history[i].response = Response::Failed { at: now };
            }
            self.metrics.reads_failed += 1;
            self.note(
                Salience::Key,
                format!(
                    "{client}'s read {id} of {key} gets {got} of R={r} replies in {} ms and fails.",
                    self.config.request_timeout_ms
                ),
            );
        }
        self.prune();
    }

    /// Every live hint holder offers each hint whose home replica is up again.
    fn hand_off(&mut self) {
        let mut sends = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            if node.health != Health::Up {
                continue;
            }
            for hint in &node.hints {
                if self.is_up(hint.for_replica) {
                    sends.push((ReplicaId(i as u8), hint.clone()));
                }
            }
        }
        for (holder, hint) in sends {
            let to = hint.for_replica;
            self.send(Addr::Replica(holder), Addr::Replica(to), Msg::Handoff { hint });
        }
    }

    /// Two random live home replicas exchange their stores.
    fn anti_entropy(&mut self) {
        let live: Vec<ReplicaId> = self.homes().into_iter().filter(|r| self.is_up(*r)).collect();
        if live.len() < 2 {
            return;
        }
        let a = self.rng.range_inclusive(0, (live.len() - 1) as u64) as usize;
        let b = (a + 1 + self.rng.range_inclusive(0, (live.len() - 2) as u64) as usize) % live.len();
        let (a, b) = (live[a], live[b]);
        let entries: Vec<(String, Stored)> =
            self.node(a).map(|n| n.store.iter().map(|(k, s)| (k.clone(), s.clone())).collect()).unwrap_or_default();
        self.note(Salience::Routine, format!("Anti-entropy: {a} and {b} compare their {} key(s).", entries.len()));
        self.send(Addr::Replica(a), Addr::Replica(b), Msg::Sync { entries, stage: SyncStage::Offer });
    }

    fn roll_faults(&mut self) {
        let faults = self.config.faults;
        for i in 0..self.nodes.len() {
            let id = ReplicaId(i as u8);
            match self.nodes[i].health {
                Health::Up if self.rng.chance(faults.crash_chance) => self.crash(id),
                Health::Down if self.rng.chance(faults.recover_chance) => self.recover(id),
                _ => {}
            }
            if faults.slow_chance > 0.0 && self.rng.chance(faults.slow_chance) {
                let speed = match self.nodes[i].speed {
                    Speed::Normal => Speed::Slow,
                    Speed::Slow => Speed::Normal,
                };
                self.set_speed(id, speed);
            }
        }
    }

    fn crash(&mut self, id: ReplicaId) {
        let Some(node) = self.node_mut(id) else {
            self.note(Salience::Key, format!("There is no node {id}."));
            return;
        };
        if node.health == Health::Down {
            self.note(Salience::Key, format!("{id} is already down."));
            return;
        }
        node.health = Health::Down;
        self.note(Salience::Key, format!("{id} crashes; its data stays on disk, but it answers nothing."));
    }

    fn recover(&mut self, id: ReplicaId) {
        let Some(node) = self.node_mut(id) else {
            self.note(Salience::Key, format!("There is no node {id}."));
            return;
        };
        if node.health == Health::Up {
            self.note(Salience::Key, format!("{id} is already up."));
            return;
        }
        node.health = Health::Up;
        let keys = node.store.len();
        self.note(Salience::Key, format!("{id} comes back with the {keys} key(s) it had."));
    }

    fn set_speed(&mut self, id: ReplicaId, speed: Speed) {
        let extra = self.config.slow_extra_ms;
        let Some(node) = self.node_mut(id) else {
            self.note(Salience::Key, format!("There is no node {id}."));
            return;
        };
        node.speed = speed;
        let text = match speed {
            Speed::Slow => format!("{id} turns slow: its messages take {extra} ms longer."),
            Speed::Normal => format!("{id} is back to normal speed."),
        };
        self.note(Salience::Key, text);
    }

    fn set_latency(&mut self, from: Addr, to: Addr, latency: &Latency) {
        let link = Link { latency: latency.clone(), loss: self.config.loss };
        self.net.set_link(from, to, link);
        let text = match latency {
            Latency::Constant { ms } => format!("{ms} ms"),
            Latency::Uniform { min_ms, max_ms } => format!("{min_ms}-{max_ms} ms"),
            Latency::Exponential { floor_ms, mean_ms } => format!("{floor_ms} ms plus about {mean_ms:.0} ms"),
        };
        self.note(Salience::Key, format!("Messages from {from} to {to} now take {text}."));
    }
}

/// What [`Leaderless::store`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StoreOutcome {
    Replaced,
    Kept,
    Refused,
}

impl Model for Leaderless {
    type Action = Action;

    fn now(&self) -> Time {
        self.now
    }

    fn next_event_at(&self) -> Option<Time> {
        self.queue.next_at()
    }

    fn process_next(&mut self) -> bool {
        let Some((at, event)) = self.queue.pop() else { return false };
        self.now = self.now.max(at);
        self.handle(event);
        true
    }

    fn advance_clock(&mut self, to: Time) {
        self.now = self.now.max(to);
    }

    fn apply(&mut self, action: &Action) {
        match action {
            Action::Write { client, key, value, fanout } => self.start_write(*client, key, value, fanout),
            Action::Read { client, key, fanout } => self.start_read(*client, key, fanout),
            Action::Crash(id) => self.crash(*id),
            Action::Recover(id) => self.recover(*id),
            Action::SetSpeed(id, speed) => self.set_speed(*id, *speed),
            Action::SetLatency { from, to, latency } => self.set_latency(*from, *to, latency),
        }
    }

    fn trace(&self) -> &Trace {
        &self.trace
    }
}

fn show(stored: Option<&Stored>) -> String {
    stored.map_or("nothing".to_owned(), Stored::to_string)
}

/// `A`, `A and C`, `A, B and C`.
fn list(ids: &[ReplicaId]) -> String {
    let parts: Vec<String> = ids.iter().map(ReplicaId::to_string).collect();
    join(&parts)
}

fn join(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
