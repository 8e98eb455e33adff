//! A replicated service under load — the model behind chapter 0's "Single node vs replicated system".
//!
//! One primary and up to three asynchronous replicas hold a write-ahead log of numbered entries (LSNs). A client
//! sends a steady mix of reads and writes through its router: writes to the primary, reads round-robin over every
//! healthy copy. A monitor collects heartbeats; when the primary has been silent for the detection timeout it
//! promotes the most up-to-date replica and tells everyone. Every entry carries the *epoch* (promotion count) of
//! the primary that wrote it, so a returning old primary can find where its log diverged and throw away the
//! writes nobody else ever received — exactly how acknowledged writes are lost under asynchronous replication.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::net::{EventQueue, Latency, Link, Network};
use crate::replay::Model;
use crate::rng::Rng;
use crate::time::Time;
use crate::trace::{Salience, Trace};

pub use crate::ids::{Lsn, NodeId};

/// Everyone who sends or receives messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Addr {
    Client,
    Monitor,
    Node(NodeId),
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Client => f.write_str("client"),
            Addr::Monitor => f.write_str("monitor"),
            Addr::Node(id) => id.fmt(f),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Primary,
    Replica,
    /// Just (re)started or just added: waits for the monitor to say whom to follow, or to be promoted.
    Recovering,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Primary => "primary",
            Role::Replica => "replica",
            Role::Recovering => "recovering",
        })
    }
}

/// Fixed settings of a run. The defaults are the book's; tests vary them.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub request_interval_ms: u64,
    /// Share of requests that are writes, in [0, 1].
    pub write_fraction: f64,
    pub request_timeout_ms: u64,
    pub heartbeat_interval_ms: u64,
    /// Silence after which the monitor declares a node down.
    pub detection_timeout_ms: u64,
    pub client_latency: Latency,
    pub replication_latency: Latency,
    pub control_latency: Latency,
    /// Distinct keys the workload reads and writes.
    pub keys: u32,
    /// The primary ships new log entries to its replicas in batches at this interval. A write acknowledged to
    /// the client but not yet shipped dies with the primary: the window in which async replication loses data.
    pub wal_ship_interval_ms: u64,
    /// Entries per replication message.
    pub catch_up_batch: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            request_interval_ms: 150,
            write_fraction: 0.3,
            request_timeout_ms: 400,
            heartbeat_interval_ms: 200,
            detection_timeout_ms: 1000,
            client_latency: Latency::Uniform { min_ms: 30, max_ms: 60 },
            replication_latency: Latency::Uniform { min_ms: 40, max_ms: 90 },
            control_latency: Latency::Uniform { min_ms: 10, max_ms: 20 },
            keys: 8,
            wal_ship_interval_ms: 100,
            catch_up_batch: 64,
        }
    }
}

/// The most nodes a run can have: a primary and three replicas, as in the chapter.
pub const NODES_MAX: usize = 4;
/// Entries a node's log may hold. A 60-second run at the default rate writes about 120.
pub const LOG_ENTRIES_MAX: usize = 100_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub lsn: Lsn,
    pub epoch: u32,
    pub key: u32,
    /// The id of the request that wrote it, which is also the value written.
    pub value: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Read { key: u32 },
    Write { key: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Wrote { lsn: Lsn, epoch: u32 },
    Read { value: Option<u64>, lsn: Lsn },
    NotPrimary,
    NotReady,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    Request {
        id: u64,
        op: Op,
    },
    Reply {
        id: u64,
        outcome: Outcome,
    },
    Replicate {
        /// Set when the receiver must first drop every entry after this LSN (its log diverged).
        truncate_to: Option<Lsn>,
        prev: Lsn,
        entries: Vec<Entry>,
        primary_last: Lsn,
    },
    Fetch {
        last: Lsn,
        last_epoch: u32,
    },
    Heartbeat {
        role: Role,
        last: Lsn,
        epoch: u32,
        synced: bool,
    },
    Promote {
        epoch: u32,
    },
    Follow {
        primary: NodeId,
    },
    Route {
        primary: Option<NodeId>,
        readers: Vec<NodeId>,
    },
}

/// What a message is, for drawing and counting: its colour and shape come from this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    ReadRequest,
    WriteRequest,
    ReplyOk,
    ReplyError,
    Replication,
    Heartbeat,
    Control,
}

impl Msg {
    pub fn kind(&self) -> MessageKind {
        match self {
            Msg::Request { op: Op::Read { .. }, .. } => MessageKind::ReadRequest,
            Msg::Request { op: Op::Write { .. }, .. } => MessageKind::WriteRequest,
            Msg::Reply { outcome: Outcome::Wrote { .. } | Outcome::Read { .. }, .. } => MessageKind::ReplyOk,
            Msg::Reply { .. } => MessageKind::ReplyError,
            Msg::Replicate { .. } | Msg::Fetch { .. } => MessageKind::Replication,
            Msg::Heartbeat { .. } => MessageKind::Heartbeat,
            Msg::Promote { .. } | Msg::Follow { .. } | Msg::Route { .. } => MessageKind::Control,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Event {
    Deliver { from: Addr, to: Addr, sent_at: Time, msg: Msg },
    ClientTick,
    RequestTimeout { id: u64 },
    HeartbeatTick { node: NodeId },
    ShipWal { node: NodeId },
    MonitorCheck,
}

/// The reader's buttons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    KillPrimary,
    AddReplica,
    /// Restarts the lowest-numbered crashed node.
    RestartCrashed,
}

#[derive(Clone, Debug, PartialEq)]
struct Node {
    id: NodeId,
    up: bool,
    role: Role,
    /// Durable: survives a crash.
    log: Vec<Entry>,
    /// Epoch this node acts in (as primary: the epoch it writes with).
    epoch: u32,
    /// Has held a complete copy at some point (so it may be promoted).
    synced: bool,
    following: Option<NodeId>,
    /// As primary: each replica that asked for the log, and the last LSN shipped to it.
    replicas: BTreeMap<NodeId, Lsn>,
    fetching: bool,
    reads_served: u64,
    writes_served: u64,
}

impl Node {
    fn new(id: NodeId, role: Role) -> Node {
        Node {
            id,
            up: true,
            role,
            log: Vec::new(),
            epoch: 1,
            synced: role == Role::Primary,
            following: None,
            replicas: BTreeMap::new(),
            fetching: false,
            reads_served: 0,
            writes_served: 0,
        }
    }

    fn last(&self) -> Lsn {
        self.log.last().map_or(Lsn(0), |e| e.lsn)
    }

    fn last_epoch(&self) -> u32 {
        self.log.last().map_or(0, |e| e.epoch)
    }

    fn value_of(&self, key: u32) -> Option<u64> {
        self.log.iter().rev().find(|e| e.key == key).map(|e| e.value)
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Pending {
    op: Op,
    to: NodeId,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Client {
    next_id: u64,
    in_flight: BTreeMap<u64, Pending>,
    primary: Option<NodeId>,
    readers: Vec<NodeId>,
    next_reader: usize,
    /// Writes the client was told succeeded: request id → (LSN, epoch). The consistency checker's ground truth.
    acked: BTreeMap<u64, (Lsn, u32)>,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Monitor {
    primary: Option<NodeId>,
    promoting: Option<NodeId>,
    epoch: u32,
    /// Last heartbeat per node: when, and what it said.
    heard: BTreeMap<NodeId, Heard>,
    down: BTreeSet<NodeId>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Heard {
    at: Time,
    role: Role,
    last: Lsn,
    epoch: u32,
    synced: bool,
}

/// Counters a reader (and the tests) read off the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    pub reads_ok: u64,
    pub reads_failed: u64,
    pub writes_ok: u64,
    pub writes_failed: u64,
    /// Writes the client was told succeeded that no longer exist on the current primary.
    pub acked_writes_lost: u64,
    /// Time during which the client's router had no live primary to send writes to.
    pub write_outage_ms: u64,
    /// Time during which no live node could serve a read either.
    pub full_outage_ms: u64,
    pub failovers: u64,
}

impl Metrics {
    pub fn requests_done(&self) -> u64 {
        self.reads_ok + self.reads_failed + self.writes_ok + self.writes_failed
    }

    /// Share of finished requests that succeeded, or `None` before any finished.
    pub fn availability(&self) -> Option<f64> {
        let done = self.requests_done();
        (done > 0).then(|| (self.reads_ok + self.writes_ok) as f64 / done as f64)
    }
}

/// A node as the widgets draw it and the table lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeView {
    pub id: NodeId,
    pub up: bool,
    pub role: Role,
    pub last: Lsn,
    pub epoch: u32,
    /// Entries behind the live primary (0 for the primary itself, or when there is none).
    pub behind: u64,
    pub reads_served: u64,
    pub writes_served: u64,
    /// Whether the client's router currently sends reads here.
    pub in_rotation: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MessageView {
    pub from: Addr,
    pub to: Addr,
    pub kind: MessageKind,
    pub sent_at: Time,
    pub deliver_at: Time,
}

/// The simulation: state, network, pending events and the trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    config: Config,
    now: Time,
    rng: Rng,
    net: Network<Addr>,
    queue: EventQueue<Event>,
    nodes: Vec<Node>,
    client: Client,
    monitor: Monitor,
    metrics: Metrics,
    trace: Trace,
}

impl Service {
    /// A single primary `n1` under load; replicas are added by the reader.
    pub fn new(seed: u64, config: Config) -> Service {
        let mut net = Network::new(Link { latency: config.client_latency.clone(), loss: 0.0 });
        // Node-to-node links carry replication; everything touching the monitor is control traffic.
        for a in 1..=NODES_MAX as u8 {
            for b in 1..=NODES_MAX as u8 {
                let link = Link { latency: config.replication_latency.clone(), loss: 0.0 };
                net.set_link(Addr::Node(NodeId(a)), Addr::Node(NodeId(b)), link);
            }
            for (x, y) in [(Addr::Monitor, Addr::Node(NodeId(a))), (Addr::Node(NodeId(a)), Addr::Monitor)] {
                let link = Link { latency: config.control_latency.clone(), loss: 0.0 };
                net.set_link(x, y, link);
            }
        }
        let control = Link { latency: config.control_latency.clone(), loss: 0.0 };
        net.set_link(Addr::Monitor, Addr::Client, control);

        let n1 = NodeId(1);
        let mut service = Service {
            now: Time::ZERO,
            rng: Rng::new(seed),
            net,
            queue: EventQueue::default(),
            nodes: vec![Node::new(n1, Role::Primary)],
            client: Client { primary: Some(n1), readers: vec![n1], ..Client::default() },
            monitor: Monitor {
                primary: Some(n1),
                epoch: 1,
                // The monitor is configured with the initial primary, as if it had just heard from it.
                heard: BTreeMap::from([(
                    n1,
                    Heard { at: Time::ZERO, role: Role::Primary, last: Lsn(0), epoch: 1, synced: true },
                )]),
                ..Monitor::default()
            },
            metrics: Metrics::default(),
            trace: Trace::default(),
            config,
        };
        service.schedule(Time::ZERO, Event::ClientTick);
        service.schedule(Time::ZERO, Event::HeartbeatTick { node: n1 });
        let first_ship = Time::ZERO + service.config.wal_ship_interval_ms;
        service.schedule(first_ship, Event::ShipWal { node: n1 });
        let first_check = Time::ZERO + service.config.heartbeat_interval_ms;
        service.schedule(first_check, Event::MonitorCheck);
        service
            .note(Salience::Key, "n1 is the only database node and the primary; the client starts sending requests.");
        service
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn metrics(&self) -> Metrics {
        self.metrics
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The node currently acting as primary and alive, if any.
    pub fn live_primary(&self) -> Option<NodeId> {
        let believed = self.monitor.primary.filter(|p| self.node(*p).is_some_and(|n| n.up && n.role == Role::Primary));
        believed.or_else(|| self.nodes.iter().find(|n| n.up && n.role == Role::Primary).map(|n| n.id))
    }

    pub fn can(&self, action: Action) -> bool {
        match action {
            Action::KillPrimary => self.live_primary().is_some(),
            Action::AddReplica => self.nodes.len() < NODES_MAX,
            Action::RestartCrashed => self.nodes.iter().any(|n| !n.up),
        }
    }

    pub fn nodes(&self) -> Vec<NodeView> {
        let primary_last = self.live_primary().and_then(|p| self.node(p)).map(|n| n.last());
        self.nodes
            .iter()
            .map(|n| NodeView {
                id: n.id,
                up: n.up,
                role: n.role,
                last: n.last(),
                epoch: n.last_epoch(),
                behind: primary_last.map_or(0, |p| p.0.saturating_sub(n.last().0)),
                reads_served: n.reads_served,
                writes_served: n.writes_served,
                in_rotation: self.client.readers.contains(&n.id),
            })
            .collect()
    }

    /// Messages on the wire, oldest first.
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

    /// Acknowledged writes that the live primary still holds (the consistency checker's count).
    pub fn acknowledged_writes_held(&self) -> u64 {
        let Some(primary) = self.live_primary().and_then(|p| self.node(p)) else {
            return 0;
        };
        let held: BTreeSet<(Lsn, u32)> = primary.log.iter().map(|e| (e.lsn, e.epoch)).collect();
        self.client.acked.values().filter(|at| held.contains(at)).count() as u64
    }

    pub fn requests_in_flight(&self) -> usize {
        self.client.in_flight.len()
    }

    /// One line per node, for snapshot tests and debugging: `n1 primary up LSN 12 (epoch 1) reads 30`.
    pub fn render_state(&self) -> String {
        let mut out = String::new();
        for n in self.nodes() {
            let state = if n.up { "up" } else { "DOWN" };
            out.push_str(&format!(
                "{} {} {} {} (epoch {}) behind {} reads {} writes {}\n",
                n.id, n.role, state, n.last, n.epoch, n.behind, n.reads_served, n.writes_served
            ));
        }
        let m = self.metrics;
        out.push_str(&format!(
            "reads {}/{} writes {}/{} lost {} write-outage {} ms full-outage {} ms failovers {}\n",
            m.reads_ok,
            m.reads_ok + m.reads_failed,
            m.writes_ok,
            m.writes_ok + m.writes_failed,
            m.acked_writes_lost,
            m.write_outage_ms,
            m.full_outage_ms,
            m.failovers
        ));
        out
    }

    fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(usize::from(id.0).wrapping_sub(1))
    }

    fn node_mut(&mut self, id: NodeId) -> Option<&mut Node> {
        self.nodes.get_mut(usize::from(id.0).wrapping_sub(1))
    }

    fn note(&mut self, salience: Salience, text: impl Into<String>) {
        self.trace.push(self.now, salience, text);
    }

    fn schedule(&mut self, at: Time, event: Event) {
        if self.queue.push(at, event).is_err() {
            self.trace.push(self.now, Salience::Key, "The event queue is full; an event was dropped.");
        }
    }

    fn send(&mut self, from: Addr, to: Addr, msg: Msg) {
        match self.net.transit_ms(from, to, &mut self.rng) {
            Some(delay_ms) => {
                let sent_at = self.now;
                self.schedule(self.now + delay_ms, Event::Deliver { from, to, sent_at, msg });
            }
            None => self.note(Salience::Routine, format!("A message from {from} to {to} is lost in the network.")),
        }
    }

    /// Adds the time since the last accounting to the outage counters, judged by the state during that time.
    fn account_until(&mut self, t: Time) {
        let dt = t.ms_since(self.now);
        if dt == 0 {
            return;
        }
        let writable = self.client.primary.and_then(|p| self.node(p)).is_some_and(|n| n.up && n.role == Role::Primary);
        let readable =
            self.client.readers.iter().any(|r| self.node(*r).is_some_and(|n| n.up && n.role != Role::Recovering));
        if !writable {
            self.metrics.write_outage_ms += dt;
        }
        if !writable && !readable {
            self.metrics.full_outage_ms += dt;
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::ClientTick => self.client_tick(),
            Event::RequestTimeout { id } => {
                if let Some(pending) = self.client.in_flight.remove(&id) {
                    self.count_failure(pending.op);
                    let what = op_name(pending.op);
                    self.note(
                        Salience::Key,
                        format!(
                            "The {what} #{id} to {} gets no answer in {} ms and fails.",
                            pending.to, self.config.request_timeout_ms
                        ),
                    );
                }
            }
            Event::HeartbeatTick { node } => {
                let Some(n) = self.node(node) else { return };
                if !n.up {
                    return;
                }
                self.send_heartbeat(node);
                let next = self.now + self.config.heartbeat_interval_ms;
                self.schedule(next, Event::HeartbeatTick { node });
            }
            Event::ShipWal { node } => {
                if !self.node(node).is_some_and(|n| n.up && n.role == Role::Primary) {
                    return;
                }
                self.ship_wal(node);
                let next = self.now + self.config.wal_ship_interval_ms;
                self.schedule(next, Event::ShipWal { node });
            }
            Event::MonitorCheck => {
                self.monitor_check();
                let next = self.now + self.config.heartbeat_interval_ms;
                self.schedule(next, Event::MonitorCheck);
            }
            Event::Deliver { from, to, msg, .. } => self.deliver(from, to, msg),
        }
    }

    fn count_failure(&mut self, op: Op) {
        match op {
            Op::Read { .. } => self.metrics.reads_failed += 1,
            Op::Write { .. } => self.metrics.writes_failed += 1,
        }
    }

    fn client_tick(&mut self) {
        let next = self.now + self.config.request_interval_ms;
        self.schedule(next, Event::ClientTick);
        let id = self.client.next_id + 1;
        self.client.next_id = id;
        let key = self.rng.range_inclusive(1, u64::from(self.config.keys.max(1))) as u32;
        let op = if self.rng.chance(self.config.write_fraction) { Op::Write { key } } else { Op::Read { key } };
        let target = match op {
            Op::Write { .. } => self.client.primary,
            Op::Read { .. } => {
                let readers = &self.client.readers;
                (!readers.is_empty()).then(|| {
                    let pick = readers[self.client.next_reader % readers.len()];
                    self.client.next_reader = self.client.next_reader.wrapping_add(1);
                    pick
                })
            }
        };
        let what = op_name(op);
        match target {
            None => {
                self.count_failure(op);
                let reason = match op {
                    Op::Write { .. } => "no primary is known",
                    Op::Read { .. } => "no node is known to be up",
                };
                self.note(Salience::Key, format!("The {what} #{id} fails at once: {reason}."));
            }
            Some(to) => {
                self.client.in_flight.insert(id, Pending { op, to });
                self.send(Addr::Client, Addr::Node(to), Msg::Request { id, op });
                let deadline = self.now + self.config.request_timeout_ms;
                self.schedule(deadline, Event::RequestTimeout { id });
                self.note(Salience::Routine, format!("The client sends {what} #{id} (key {key}) to {to}."));
            }
        }
    }

    fn send_heartbeat(&mut self, node: NodeId) {
        let Some(n) = self.node(node) else { return };
        let msg = Msg::Heartbeat { role: n.role, last: n.last(), epoch: n.epoch, synced: n.synced };
        self.send(Addr::Node(node), Addr::Monitor, msg);
    }

    fn deliver(&mut self, from: Addr, to: Addr, msg: Msg) {
        match to {
            Addr::Client => self.client_receive(msg),
            Addr::Monitor => {
                if let (Addr::Node(node), Msg::Heartbeat { role, last, epoch, synced }) = (from, msg) {
                    self.monitor_heartbeat(node, Heard { at: self.now, role, last, epoch, synced });
                }
            }
            Addr::Node(id) => {
                if !self.node(id).is_some_and(|n| n.up) {
                    self.note(
                        Salience::Routine,
                        format!("A message from {from} reaches {id}, which is down; it is lost."),
                    );
                    return;
                }
                self.node_receive(id, from, msg);
            }
        }
    }

    fn client_receive(&mut self, msg: Msg) {
        match msg {
            Msg::Reply { id, outcome } => {
                let Some(pending) = self.client.in_flight.remove(&id) else {
                    self.note(
                        Salience::Routine,
                        format!("A late reply to request #{id} arrives after its timeout; ignored."),
                    );
                    return;
                };
                match outcome {
                    Outcome::Wrote { lsn, epoch } => {
                        self.metrics.writes_ok += 1;
                        self.client.acked.insert(id, (lsn, epoch));
                        self.note(Salience::Routine, format!("{} confirms write #{id} at {lsn}.", pending.to));
                    }
                    Outcome::Read { lsn, .. } => {
                        self.metrics.reads_ok += 1;
                        self.note(
                            Salience::Routine,
                            format!("{} answers read #{id} (its log is at {lsn}).", pending.to),
                        );
                    }
                    Outcome::NotPrimary | Outcome::NotReady => {
                        self.count_failure(pending.op);
                        self.note(
                            Salience::Key,
                            format!("{} refuses {} #{id}: it is not the primary.", pending.to, op_name(pending.op)),
                        );
                    }
                }
            }
            Msg::Route { primary, readers } => {
                let changed = self.client.primary != primary || self.client.readers != readers;
                self.client.primary = primary;
                self.client.readers = readers;
                if changed {
                    let p = primary.map_or("none".to_owned(), |p| p.to_string());
                    let r = list(&self.client.readers);
                    self.note(Salience::Key, format!("The client's router updates: writes go to {p}; reads to {r}."));
                }
            }
            _ => {}
        }
    }

    fn node_receive(&mut self, id: NodeId, from: Addr, msg: Msg) {
        match msg {
            Msg::Request { id: req, op } => self.serve(id, req, op),
            Msg::Replicate { truncate_to, prev, entries, primary_last } => {
                let Addr::Node(sender) = from else { return };
                self.apply_replication(id, sender, truncate_to, prev, entries, primary_last);
            }
            Msg::Fetch { last, last_epoch } => {
                let Addr::Node(replica) = from else { return };
                self.answer_fetch(id, replica, last, last_epoch);
            }
            Msg::Promote { epoch } => {
                let n = self.node_mut(id).expect("delivered to an existing node");
                n.role = Role::Primary;
                n.epoch = epoch;
                n.following = None;
                n.replicas.clear();
                n.synced = true;
                let last = n.last();
                self.note(Salience::Key, format!("{id} is promoted to primary (epoch {epoch}) at {last}."));
                self.count_lost_writes(id);
                self.send_heartbeat(id);
                let next = self.now + self.config.wal_ship_interval_ms;
                self.schedule(next, Event::ShipWal { node: id });
            }
            Msg::Follow { primary } => {
                let n = self.node_mut(id).expect("delivered to an existing node");
                let was = n.role;
                n.role = Role::Replica;
                n.following = Some(primary);
                n.replicas.clear();
                n.fetching = true;
                let (last, last_epoch) = (n.last(), n.last_epoch());
                if was == Role::Primary {
                    self.note(Salience::Key, format!("{id} steps down: {primary} is the primary now."));
                } else {
                    self.note(Salience::Routine, format!("{id} follows {primary} and asks for its log after {last}."));
                }
                self.send(Addr::Node(id), Addr::Node(primary), Msg::Fetch { last, last_epoch });
                self.send_heartbeat(id);
            }
            _ => {}
        }
    }

    fn serve(&mut self, id: NodeId, req: u64, op: Op) {
        let now = self.now;
        let n = self.node_mut(id).expect("delivered to an existing node");
        let outcome = match (op, n.role) {
            (Op::Write { key }, Role::Primary) => {
                if n.log.len() >= LOG_ENTRIES_MAX {
                    Outcome::NotReady
                } else {
                    let entry = Entry { lsn: Lsn(n.last().0 + 1), epoch: n.epoch, key, value: req };
                    n.log.push(entry);
                    n.writes_served += 1;
                    Outcome::Wrote { lsn: entry.lsn, epoch: entry.epoch }
                }
            }
            (Op::Write { .. }, _) => Outcome::NotPrimary,
            (Op::Read { key }, Role::Primary | Role::Replica) => {
                n.reads_served += 1;
                Outcome::Read { value: n.value_of(key), lsn: n.last() }
            }
            (Op::Read { .. }, Role::Recovering) => Outcome::NotReady,
        };
        if let Outcome::Wrote { lsn, .. } = outcome {
            self.trace.push(now, Salience::Routine, format!("{id} appends write #{req} at {lsn} and confirms it."));
        }
        self.send(Addr::Node(id), Addr::Client, Msg::Reply { id: req, outcome });
    }

    fn answer_fetch(&mut self, id: NodeId, replica: NodeId, last: Lsn, last_epoch: u32) {
        let n = self.node_mut(id).expect("delivered to an existing node");
        if n.role != Role::Primary {
            return;
        }
        // The replica's log matches ours up to the last entry we hold from its last epoch or earlier; anything
        // it has beyond that was written by a primary whose writes we never received.
        let agreed = n.log.iter().rev().find(|e| e.epoch <= last_epoch).map_or(Lsn(0), |e| e.lsn);
        let truncate_to = (last > agreed).then_some(agreed);
        n.replicas.insert(replica, last.min(agreed));
        self.ship_to(id, replica, truncate_to);
    }

    /// Sends every replica the entries it has not been sent yet (one batch each).
    fn ship_wal(&mut self, id: NodeId) {
        let Some(n) = self.node(id) else { return };
        let behind: Vec<NodeId> =
            n.replicas.iter().filter(|(_, shipped)| **shipped < n.last()).map(|(r, _)| *r).collect();
        for replica in behind {
            self.ship_to(id, replica, None);
        }
    }

    fn ship_to(&mut self, id: NodeId, replica: NodeId, truncate_to: Option<Lsn>) {
        let batch = self.config.catch_up_batch.max(1);
        let n = self.node_mut(id).expect("shipping from an existing node");
        let prev = n.replicas.get(&replica).copied().unwrap_or_default();
        let entries: Vec<Entry> = n.log.iter().skip(prev.0 as usize).take(batch).copied().collect();
        let primary_last = n.last();
        if let Some(last_sent) = entries.last() {
            n.replicas.insert(replica, last_sent.lsn);
        }
        let msg = Msg::Replicate { truncate_to, prev, entries, primary_last };
        self.send(Addr::Node(id), Addr::Node(replica), msg);
    }

    fn apply_replication(
        &mut self,
        id: NodeId,
        sender: NodeId,
        truncate_to: Option<Lsn>,
        prev: Lsn,
        entries: Vec<Entry>,
        primary_last: Lsn,
    ) {
        let n = self.node_mut(id).expect("delivered to an existing node");
        if n.role != Role::Replica || n.following != Some(sender) {
            return;
        }
        let mut discarded = None;
        if let Some(to) = truncate_to {
            let keep = to.0 as usize;
            if n.log.len() > keep {
                let first = n.log[keep].lsn;
                let dropped = n.log.len() - keep;
                n.log.truncate(keep);
                discarded = Some((first, dropped));
            }
        }
        let mut gap = false;
        if prev > n.last() {
            gap = true;
        } else {
            for e in entries {
                if e.lsn.0 == n.last().0 + 1 && n.log.len() < LOG_ENTRIES_MAX {
                    n.log.push(e);
                }
            }
        }
        let (last, last_epoch) = (n.last(), n.last_epoch());
        // A gap means an earlier batch is still on the wire or was lost: ask once for everything after our last.
        let fetch = gap && !n.fetching;
        if fetch {
            n.fetching = true;
        } else if !gap {
            n.fetching = false;
        }
        if last >= primary_last {
            n.synced = true;
        }
        if let Some((first, dropped)) = discarded {
            self.note(
                Salience::Key,
                format!("{id} discards {dropped} entries from {first} on: the new primary never received them."),
            );
        }
        if fetch {
            self.send(Addr::Node(id), Addr::Node(sender), Msg::Fetch { last, last_epoch });
        }
    }

    /// After a promotion: acknowledged writes the new primary does not hold are gone for good.
    fn count_lost_writes(&mut self, new_primary: NodeId) {
        let Some(n) = self.node(new_primary) else { return };
        let held: BTreeSet<(Lsn, u32)> = n.log.iter().map(|e| (e.lsn, e.epoch)).collect();
        let lost: Vec<u64> = self.client.acked.iter().filter(|(_, at)| !held.contains(at)).map(|(id, _)| *id).collect();
        if lost.is_empty() {
            return;
        }
        for id in &lost {
            self.client.acked.remove(id);
        }
        self.metrics.acked_writes_lost += lost.len() as u64;
        let count = lost.len();
        self.note(
            Salience::Key,
            format!("{count} acknowledged write(s) never reached {new_primary} and are lost: the client was told they succeeded."),
        );
    }

    fn monitor_heartbeat(&mut self, node: NodeId, heard: Heard) {
        self.monitor.heard.insert(node, heard);
        if self.monitor.down.remove(&node) {
            self.note(Salience::Key, format!("The monitor hears from {node} again."));
        }
        match (heard.role, self.monitor.primary) {
            // The promoted node confirms: it becomes the primary everyone follows.
            (Role::Primary, None) if self.monitor.promoting == Some(node) => {
                self.monitor.primary = Some(node);
                self.monitor.promoting = None;
                self.metrics.failovers += 1;
                let others: Vec<NodeId> = self.healthy().into_iter().filter(|n| *n != node).collect();
                for other in others {
                    self.send(Addr::Monitor, Addr::Node(other), Msg::Follow { primary: node });
                }
                self.push_route();
            }
            // A node that believes it is primary but is not (an old primary returning) is told to step down.
            (Role::Primary, Some(p)) if p != node => {
                self.send(Addr::Monitor, Addr::Node(node), Msg::Follow { primary: p });
            }
            (Role::Recovering, Some(p)) if p != node => {
                self.send(Addr::Monitor, Addr::Node(node), Msg::Follow { primary: p });
            }
            // The primary restarted before the monitor noticed it was gone: choose again (it is the natural pick).
            (Role::Recovering, Some(_)) => {
                self.monitor.primary = None;
                self.try_promote();
                self.push_route();
            }
            (Role::Replica, Some(_)) => self.push_route(),
            (Role::Recovering | Role::Replica, None) if self.monitor.promoting.is_none() => self.try_promote(),
            _ => {}
        }
    }

    fn healthy(&self) -> Vec<NodeId> {
        self.monitor.heard.keys().copied().filter(|n| !self.monitor.down.contains(n)).collect()
    }

    /// Sends the client's router the current primary and the nodes it may read from, when they changed.
    fn push_route(&mut self) {
        let primary = self.monitor.primary;
        let readers: Vec<NodeId> = self
            .healthy()
            .into_iter()
            .filter(|n| {
                let h = self.monitor.heard[n];
                Some(*n) == primary || (h.role == Role::Replica && h.synced)
            })
            .collect();
        if self.client.primary == primary && self.client.readers == readers {
            return;
        }
        self.send(Addr::Monitor, Addr::Client, Msg::Route { primary, readers });
    }

    fn monitor_check(&mut self) {
        let timeout = self.config.detection_timeout_ms;
        let silent: Vec<NodeId> = self
            .monitor
            .heard
            .iter()
            .filter(|(n, h)| !self.monitor.down.contains(n) && self.now.ms_since(h.at) >= timeout)
            .map(|(n, _)| *n)
            .collect();
        for node in silent {
            self.monitor.down.insert(node);
            self.note(
                Salience::Key,
                format!("The monitor has heard nothing from {node} for {timeout} ms and declares it down."),
            );
            if self.monitor.primary == Some(node) {
                self.monitor.primary = None;
                self.try_promote();
            }
            if self.monitor.promoting == Some(node) {
                self.monitor.promoting = None;
                self.try_promote();
            }
        }
        self.push_route();
    }

    /// Picks the most up-to-date healthy node that has held a full copy, and promotes it.
    fn try_promote(&mut self) {
        if self.monitor.primary.is_some() || self.monitor.promoting.is_some() {
            return;
        }
        let candidate = self
            .healthy()
            .into_iter()
            .filter(|n| self.monitor.heard[n].synced)
            // Highest (epoch, LSN) wins; ties go to the lowest id, so the choice is deterministic.
            .max_by_key(|n| {
                let h = self.monitor.heard[n];
                (h.epoch, h.last, std::cmp::Reverse(*n))
            });
        match candidate {
            Some(node) => {
                self.monitor.epoch += 1;
                self.monitor.promoting = Some(node);
                let epoch = self.monitor.epoch;
                let last = self.monitor.heard[&node].last;
                self.note(Salience::Key, format!("The monitor promotes {node}, the most up-to-date copy ({last})."));
                self.send(Addr::Monitor, Addr::Node(node), Msg::Promote { epoch });
            }
            None => {
                self.note(Salience::Key, "No healthy node has a full copy to promote: writes fail until one returns.")
            }
        }
    }

    fn kill_primary(&mut self) {
        let Some(id) = self.live_primary() else {
            self.note(Salience::Key, "There is no running primary to kill.");
            return;
        };
        let in_flight = self.client.in_flight.values().filter(|p| p.to == id).count();
        let n = self.node_mut(id).expect("live primary exists");
        n.up = false;
        // Volatile state is gone; the log on disk survives.
        n.replicas.clear();
        n.fetching = false;
        n.following = None;
        self.queue.retain(|e| !matches!(e, Event::HeartbeatTick { node } | Event::ShipWal { node } if *node == id));
        let unanswered = match in_flight {
            0 => String::new(),
            1 => "; 1 request already sent to it will go unanswered".to_owned(),
            k => format!("; {k} requests already sent to it will go unanswered"),
        };
        self.note(Salience::Key, format!("{id}, the primary, crashes{unanswered}."));
    }

    fn add_replica(&mut self) {
        if self.nodes.len() >= NODES_MAX {
            self.note(Salience::Key, format!("The cluster already has {NODES_MAX} nodes."));
            return;
        }
        let id = NodeId(self.nodes.len() as u8 + 1);
        self.nodes.push(Node::new(id, Role::Recovering));
        self.schedule(self.now, Event::HeartbeatTick { node: id });
        self.note(Salience::Key, format!("A new node {id} starts, empty, and will copy the primary's log."));
    }

    fn restart_crashed(&mut self) {
        let Some(id) = self.nodes.iter().find(|n| !n.up).map(|n| n.id) else {
            self.note(Salience::Key, "No node is down.");
            return;
        };
        let n = self.node_mut(id).expect("found above");
        n.up = true;
        n.role = Role::Recovering;
        let last = n.last();
        self.schedule(self.now, Event::HeartbeatTick { node: id });
        self.note(
            Salience::Key,
            format!("{id} restarts with its log on disk ({last}) and asks the monitor what to do."),
        );
    }
}

impl Model for Service {
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
        self.now = at;
        self.handle(event);
        true
    }

    fn advance_clock(&mut self, to: Time) {
        self.account_until(to);
        self.now = self.now.max(to);
    }

    fn apply(&mut self, action: &Action) {
        match action {
            Action::KillPrimary => self.kill_primary(),
            Action::AddReplica => self.add_replica(),
            Action::RestartCrashed => self.restart_crashed(),
        }
    }

    fn trace(&self) -> &Trace {
        &self.trace
    }
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Read { .. } => "read",
        Op::Write { .. } => "write",
    }
}

fn list(nodes: &[NodeId]) -> String {
    if nodes.is_empty() {
        return "nowhere".to_owned();
    }
    nodes.iter().map(NodeId::to_string).collect::<Vec<_>>().join(", ")
}
