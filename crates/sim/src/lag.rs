//! Replication lag and the three anomalies it causes — the model behind chapter 4's "Replication lag anomalies".
//!
//! Each partition has a leader and two asynchronous followers. A write goes to the leader of its partition,
//! which appends it to its log (numbered by LSN) and ships it to each follower, where it is applied after that
//! follower's lag (a fixed delay plus a seeded jitter). Users read through a load balancer that sends each page
//! load to one follower per partition, round-robin. Three stories, each with a named user, show what goes wrong:
//!
//! - [`Story::ReadYourWrites`]: Alice posts a comment and reloads the page; the follower serving the reload has
//!   not applied it yet, so her comment vanishes.
//! - [`Story::MonotonicReads`]: Bob refreshes three times; follower 1 is nearly caught up, follower 2 is seconds
//!   behind, so the comment count he sees goes 10 → 9 → 10.
//! - [`Story::ConsistentPrefix`]: Alice's question lives on partition A, Bob's answer on partition B; B
//!   replicates faster, so Carol sees "It's $42." before "How much is the item?".
//!
//! Each anomaly has fixes the reader can toggle ([`Fix`]): reading from the leader for a window after one's own
//! write, reading only from a replica that has applied one's last write (LSN tracking), sticky sessions (one
//! follower per user), and keeping causally related writes — a conversation — on one partition. With the same
//! seed, a story shows its anomaly without the fix and not with it.
//!
//! Anomalies are found, not scripted: every answered request adds to a client history, and the consistency
//! checker ([`crate::checker`]) reports what the users actually saw; its findings are narrated in the trace.
//!
//! Simplifications, and why: followers never fail and never diverge (each holds a prefix of its leader's log),
//! because this chapter is about lag alone; failover is chapter 2's. The load balancer knows how far each
//! follower has applied (as a database's replay-position query would tell it), which LSN-tracked reads need.
//! Which partition a key lives on is decided by its first write and then never changes.
//!
//! ```
//! use sim::checker::FindingKind;
//! use sim::lag::{Config, Fix, Lag, Story};
//! use sim::{Model, Time};
//!
//! let mut run = Lag::new(7, Config::story(Story::ReadYourWrites));
//! while run.next_event_at().is_some_and(|t| t <= Time::from_ms(5_000)) {
//!     run.process_next();
//! }
//! assert_eq!(run.anomalies(FindingKind::ReadYourWrites), 1, "Alice's comment vanishes");
//!
//! let mut fixed = Lag::new(7, Config::story(Story::ReadYourWrites).with_fix(Fix::LsnTracking));
//! while fixed.process_next() {}
//! assert_eq!(fixed.anomalies(FindingKind::ReadYourWrites), 0);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::checker::{self, Finding, FindingKind, Kind, OpId, Operation, Response};
use crate::ids::Lsn;
use crate::net::EventQueue;
use crate::replay::Model;
use crate::rng::Rng;
use crate::time::Time;
use crate::trace::{Salience, Trace};

/// At most two partitions: enough to show two logs replicating independently.
pub const PARTITIONS_MAX: usize = 2;
/// Every partition has exactly this many followers.
pub const FOLLOWERS: usize = 2;
/// No follower lags more than a minute; larger settings are clamped.
pub const LAG_MS_MAX: u64 = 60_000;
/// Entries one partition's log may hold; a write beyond it fails.
pub const LOG_ENTRIES_MAX: usize = 10_000;
/// Operations the history records; later ones still run but are neither recorded nor checked.
pub const HISTORY_MAX: usize = 500;
/// Keys one page load may read.
pub const KEYS_PER_READ_MAX: usize = 16;
/// Distinct users a run tracks; requests from further users are refused.
pub const USERS_MAX: usize = 16;
/// Keys (and conversations) the partition directory remembers.
pub const DIRECTORY_MAX: usize = 1_000;
/// Scripted steps a story may have.
pub const SCRIPT_MAX: usize = 64;

/// A partition, lettered as the chapter names them: partition A, partition B.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionId(pub u8);

impl fmt::Display for PartitionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", char::from(b'A' + self.0.min(25)))
    }
}

/// Which copy of a partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Replica {
    Leader,
    /// Follower 0 or 1, shown as follower 1 and follower 2.
    Follower(u8),
}

/// One database node: a copy of one partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeRef {
    pub partition: PartitionId,
    pub replica: Replica,
}

/// The three stories of the chapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Story {
    ReadYourWrites,
    MonotonicReads,
    ConsistentPrefix,
}

impl Story {
    pub const ALL: [Story; 3] = [Story::ReadYourWrites, Story::MonotonicReads, Story::ConsistentPrefix];

    pub fn title(self) -> &'static str {
        match self {
            Story::ReadYourWrites => "The comment that vanishes",
            Story::MonotonicReads => "The count that goes 10 → 9 → 10",
            Story::ConsistentPrefix => "The answer before the question",
        }
    }

    /// The anomaly the story shows.
    pub fn anomaly(self) -> FindingKind {
        match self {
            Story::ReadYourWrites => FindingKind::ReadYourWrites,
            Story::MonotonicReads => FindingKind::MonotonicReads,
            Story::ConsistentPrefix => FindingKind::ConsistentPrefix,
        }
    }

    /// The fixes that prevent the story's anomaly.
    pub fn fixes(self) -> &'static [Fix] {
        match self {
            Story::ReadYourWrites => &[Fix::LeaderWindow, Fix::LsnTracking],
            Story::MonotonicReads => &[Fix::StickySessions],
            Story::ConsistentPrefix => &[Fix::SamePartition],
        }
    }
}

/// A fix the reader can switch on or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fix {
    /// For [`Config::leader_window_ms`] after a user's write is confirmed, that user's reads go to the leader.
    LeaderWindow,
    /// A user's reads go only to a replica that has applied the user's last write (by LSN), else to the leader.
    LsnTracking,
    /// Each user always reads from the same follower (chosen by a hash of the name).
    StickySessions,
    /// Every write of a conversation (the key up to its first `/`) goes to the partition the conversation began
    /// on, so one log orders cause before effect.
    SamePartition,
}

impl Fix {
    pub const ALL: [Fix; 4] = [Fix::LeaderWindow, Fix::LsnTracking, Fix::StickySessions, Fix::SamePartition];

    pub fn name(self) -> &'static str {
        match self {
            Fix::LeaderWindow => "Read from the leader after a write",
            Fix::LsnTracking => "LSN-tracked reads",
            Fix::StickySessions => "Sticky sessions",
            Fix::SamePartition => "Causally related writes on one partition",
        }
    }

    /// The anomaly this fix prevents.
    pub fn cures(self) -> FindingKind {
        match self {
            Fix::LeaderWindow | Fix::LsnTracking => FindingKind::ReadYourWrites,
            Fix::StickySessions => FindingKind::MonotonicReads,
            Fix::SamePartition => FindingKind::ConsistentPrefix,
        }
    }
}

/// How far behind its leader one follower applies the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowerLag {
    pub lag_ms: u64,
    /// Each shipment takes `lag_ms` plus a seeded draw from `0..=jitter_ms`.
    pub jitter_ms: u64,
}

/// A user and the partition that stores what they write (when conversations are not kept together).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub home: PartitionId,
}

/// Data present before the story starts, already on every follower.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preload {
    pub partition: PartitionId,
    pub key: String,
    pub value: String,
}

/// Something a user does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserOp {
    Write {
        user: String,
        key: String,
        value: String,
    },
    /// A page load: reads every key, from one replica per partition.
    Read {
        user: String,
        keys: Vec<String>,
    },
}

/// A step of a story's script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub at_ms: u64,
    pub op: UserOp,
}

/// Everything fixed about a run. [`Config::story`] gives the book's three.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// 1 or 2 (clamped).
    pub partitions: u8,
    /// Per partition, the lag of follower 1 and follower 2. Missing partitions get 100 ms, no jitter.
    pub lags: Vec<[FollowerLag; FOLLOWERS]>,
    /// One way between a user and any node.
    pub client_ms: u64,
    pub leader_window_ms: u64,
    pub fixes: BTreeSet<Fix>,
    pub users: Vec<User>,
    pub preload: Vec<Preload>,
    pub script: Vec<Step>,
}

fn lag(lag_ms: u64, jitter_ms: u64) -> FollowerLag {
    FollowerLag { lag_ms, jitter_ms }
}

fn user(name: &str, home: u8) -> User {
    User { name: name.to_owned(), home: PartitionId(home) }
}

fn write(at_ms: u64, user: &str, key: &str, value: &str) -> Step {
    Step { at_ms, op: UserOp::Write { user: user.to_owned(), key: key.to_owned(), value: value.to_owned() } }
}

fn read(at_ms: u64, user: &str, keys: &[&str]) -> Step {
    Step { at_ms, op: UserOp::Read { user: user.to_owned(), keys: keys.iter().map(|k| (*k).to_owned()).collect() } }
}

fn preload(partition: u8, key: &str, value: &str) -> Preload {
    Preload { partition: PartitionId(partition), key: key.to_owned(), value: value.to_owned() }
}

impl Config {
    /// The story as the chapter tells it, with no fix on.
    pub fn story(story: Story) -> Config {
        let base = Config {
            partitions: 1,
            lags: Vec::new(),
            client_ms: 10,
            leader_window_ms: 1_000,
            fixes: BTreeSet::new(),
            users: Vec::new(),
            preload: Vec::new(),
            script: Vec::new(),
        };
        match story {
            // Both followers are 300-600 ms behind: a reload 100 ms after posting cannot find the comment.
            Story::ReadYourWrites => Config {
                lags: vec![[lag(300, 100), lag(500, 100)]],
                users: vec![user("Alice", 0)],
                preload: vec![
                    preload(0, "post:7/comment:bob", "First!"),
                    preload(0, "post:7/comment:carol", "This helped, thanks."),
                ],
                script: vec![
                    write(0, "Alice", "post:7/comment:alice", "Great write-up!"),
                    read(100, "Alice", &["post:7/comment:alice"]),
                    read(1_500, "Alice", &["post:7/comment:alice"]),
                ],
                ..base
            },
            // Follower 1 is about 100 ms behind, follower 2 about 3 s: alternating between them goes back in time.
            Story::MonotonicReads => Config {
                lags: vec![[lag(100, 50), lag(3_000, 500)]],
                users: vec![user("Bob", 0), user("Dave", 0)],
                preload: vec![preload(0, "post:7/comment-count", "9")],
                script: vec![
                    write(0, "Dave", "post:7/comment-count", "10"),
                    read(500, "Bob", &["post:7/comment-count"]),
                    read(1_000, "Bob", &["post:7/comment-count"]),
                    read(1_500, "Bob", &["post:7/comment-count"]),
                ],
                ..base
            },
            // Partition A has one fast follower (Bob's reads) and one 2 s behind (Carol's); partition B is fast.
            Story::ConsistentPrefix => Config {
                partitions: 2,
                lags: vec![[lag(50, 20), lag(2_000, 200)], [lag(50, 20), lag(50, 20)]],
                users: vec![user("Alice", 0), user("Bob", 1), user("Carol", 0)],
                script: vec![
                    write(0, "Alice", "chat:1/question", "How much is the item?"),
                    read(200, "Bob", &["chat:1/question"]),
                    write(300, "Bob", "chat:1/answer", "It's $42."),
                    read(500, "Carol", &["chat:1/question", "chat:1/answer"]),
                    read(3_000, "Carol", &["chat:1/question", "chat:1/answer"]),
                ],
                ..base
            },
        }
    }

    /// The same configuration with one more fix on.
    pub fn with_fix(mut self, fix: Fix) -> Config {
        self.fixes.insert(fix);
        self
    }
}

/// The reader's controls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// A user writes or loads a page now.
    Do(UserOp),
    /// Switches a fix on if it is off, off if it is on; routing from now on follows.
    Toggle(Fix),
    /// Changes a follower's lag for shipments from now on (a leader has no lag; setting it is refused).
    SetLag { node: NodeRef, lag_ms: u64 },
}

/// A node as the widgets draw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeView {
    pub node: NodeRef,
    /// `the leader`, `follower 2`, or with two partitions `leader A`, `follower B1`.
    pub name: String,
    /// How far it has applied its partition's log.
    pub applied: Lsn,
    /// Entries its leader has that it has not applied.
    pub behind: u64,
    /// Its configured lag (0 for a leader).
    pub lag_ms: u64,
    /// Every key it can serve, with its value.
    pub data: Vec<(String, String)>,
}

/// What a message on the wire is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    ReadRequest,
    WriteRequest,
    Reply,
    Replication,
}

/// One end of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    User(String),
    Node(NodeRef),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageView {
    pub from: Endpoint,
    pub to: Endpoint,
    pub kind: MessageKind,
    pub sent_at: Time,
    pub deliver_at: Time,
}

/// What the router knows about a user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserView {
    pub name: String,
    pub home: PartitionId,
    /// When the user's last write was confirmed.
    pub last_write_at: Option<Time>,
    /// Per partition, the LSN of the user's last confirmed write there.
    pub last_write_lsn: Vec<(PartitionId, Lsn)>,
    /// The follower sticky sessions pin this user to.
    pub sticky_follower: u8,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    key: String,
    value: String,
    written_at: Time,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Partition {
    /// Entry i has LSN i + 1.
    log: Vec<Entry>,
    applied: [Lsn; FOLLOWERS],
    lags: [FollowerLag; FOLLOWERS],
    /// The follower the load balancer picks next.
    next_follower: usize,
}

impl Partition {
    fn last(&self) -> Lsn {
        Lsn(self.log.len() as u64)
    }

    fn applied(&self, replica: Replica) -> Lsn {
        match replica {
            Replica::Leader => self.last(),
            Replica::Follower(f) => self.applied[usize::from(f).min(FOLLOWERS - 1)],
        }
    }

    /// The value of `key` in the first `upto` entries.
    fn value_at(&self, key: &str, upto: Lsn) -> Option<String> {
        let upto = (upto.0 as usize).min(self.log.len());
        self.log[..upto].iter().rev().find(|e| e.key == key).map(|e| e.value.clone())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct UserState {
    last_write_at: Option<Time>,
    last_lsn: BTreeMap<PartitionId, Lsn>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Request {
    Write { key: String, value: String },
    Read { keys: Vec<String> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Answer {
    Pending,
    Wrote(Lsn),
    Refused,
    Read { applied: Lsn, values: Vec<Option<String>> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct InFlight {
    user: String,
    node: NodeRef,
    request: Request,
    /// Indices into the history of the operations this request carries (none once the history is full).
    ops: Vec<usize>,
    sent_at: Time,
    answered_at: Time,
    answer: Answer,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Event {
    Script(usize),
    Arrive { request: u64 },
    Reply { request: u64 },
    Apply { node: NodeRef, upto: Lsn, sent_at: Time },
}

/// The simulation: partitions, users, messages in flight, the client history and what the checker found.
#[derive(Clone, Debug, PartialEq)]
pub struct Lag {
    config: Config,
    now: Time,
    rng: Rng,
    queue: EventQueue<Event>,
    partitions: Vec<Partition>,
    users: BTreeMap<String, UserState>,
    /// Which partition each key lives on, fixed by its first write.
    key_home: BTreeMap<String, PartitionId>,
    /// Which partition each conversation began on.
    group_home: BTreeMap<String, PartitionId>,
    requests: BTreeMap<u64, InFlight>,
    next_request: u64,
    history: Vec<Operation>,
    history_full: bool,
    findings: Vec<Finding>,
    trace: Trace,
}

impl Lag {
    /// A run of `config`; out-of-range settings are clamped.
    pub fn new(seed: u64, mut config: Config) -> Lag {
        config.partitions = config.partitions.clamp(1, PARTITIONS_MAX as u8);
        let parts = usize::from(config.partitions);
        config.lags.resize(parts, [lag(100, 0); FOLLOWERS]);
        config.lags.truncate(parts);
        for lags in &mut config.lags {
            for l in lags.iter_mut() {
                l.lag_ms = l.lag_ms.min(LAG_MS_MAX);
                l.jitter_ms = l.jitter_ms.min(LAG_MS_MAX);
            }
        }
        config.client_ms = config.client_ms.min(LAG_MS_MAX);
        config.leader_window_ms = config.leader_window_ms.min(LAG_MS_MAX);
        config.script.truncate(SCRIPT_MAX);
        config.users.truncate(USERS_MAX);
        for u in &mut config.users {
            u.home = PartitionId(u.home.0.min(config.partitions - 1));
        }
        let mut partitions: Vec<Partition> = config
            .lags
            .iter()
            .map(|lags| Partition { log: Vec::new(), applied: [Lsn(0); FOLLOWERS], lags: *lags, next_follower: 0 })
            .collect();
        let mut key_home = BTreeMap::new();
        let mut group_home = BTreeMap::new();
        for p in config.preload.iter().take(LOG_ENTRIES_MAX) {
            let part = PartitionId(p.partition.0.min(config.partitions - 1));
            let partition = &mut partitions[usize::from(part.0)];
            partition.log.push(Entry { key: p.key.clone(), value: p.value.clone(), written_at: Time::ZERO });
            let last = partition.last();
            partition.applied = [last; FOLLOWERS];
            if key_home.len() < DIRECTORY_MAX {
                key_home.entry(p.key.clone()).or_insert(part);
                group_home.entry(group_of(&p.key).to_owned()).or_insert(part);
            }
        }
        let mut run = Lag {
            now: Time::ZERO,
            rng: Rng::new(seed),
            queue: EventQueue::default(),
            partitions,
            users: BTreeMap::new(),
            key_home,
            group_home,
            requests: BTreeMap::new(),
            next_request: 0,
            history: Vec::new(),
            history_full: false,
            findings: Vec::new(),
            trace: Trace::default(),
            config,
        };
        for (i, step) in run.config.script.clone().iter().enumerate() {
            run.schedule(Time::from_ms(step.at_ms), Event::Script(i));
        }
        let followers = if run.config.partitions == 1 {
            "one leader and two followers".to_owned()
        } else {
            format!("{} partitions, each with a leader and two followers", run.config.partitions)
        };
        let lags: Vec<String> = (0..run.partitions.len())
            .flat_map(|p| (0..FOLLOWERS).map(move |f| (p, f)))
            .map(|(p, f)| {
                let node = NodeRef { partition: PartitionId(p as u8), replica: Replica::Follower(f as u8) };
                format!("{} {} ms", run.name(node), run.partitions[p].lags[f].lag_ms)
            })
            .collect();
        let fixes = run.fixes_text();
        run.note(Salience::Key, format!("The database has {followers}; follower lag: {}. {fixes}", lags.join(", ")));
        run
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn fix_on(&self, fix: Fix) -> bool {
        self.config.fixes.contains(&fix)
    }

    /// The node's name as the narration says it: `the leader`, `follower 2`; with two partitions `leader A`,
    /// `follower B1`.
    pub fn name(&self, node: NodeRef) -> String {
        let single = self.config.partitions == 1;
        match (node.replica, single) {
            (Replica::Leader, true) => "the leader".to_owned(),
            (Replica::Leader, false) => format!("leader {}", node.partition),
            (Replica::Follower(f), true) => format!("follower {}", f + 1),
            (Replica::Follower(f), false) => format!("follower {}{}", node.partition, f + 1),
        }
    }

    pub fn nodes(&self) -> Vec<NodeView> {
        let mut out = Vec::new();
        for (p, partition) in self.partitions.iter().enumerate() {
            let replicas = std::iter::once(Replica::Leader).chain((0..FOLLOWERS as u8).map(Replica::Follower));
            for replica in replicas {
                let node = NodeRef { partition: PartitionId(p as u8), replica };
                let applied = partition.applied(replica);
                let mut data: BTreeMap<String, String> = BTreeMap::new();
                for e in &partition.log[..applied.0 as usize] {
                    data.insert(e.key.clone(), e.value.clone());
                }
                out.push(NodeView {
                    node,
                    name: self.name(node),
                    applied,
                    behind: partition.last().0 - applied.0,
                    lag_ms: match replica {
                        Replica::Leader => 0,
                        Replica::Follower(f) => partition.lags[usize::from(f)].lag_ms,
                    },
                    data: data.into_iter().collect(),
                });
            }
        }
        out
    }

    /// Messages on the wire, in delivery order.
    pub fn messages(&self) -> Vec<MessageView> {
        self.queue
            .iter()
            .filter_map(|(at, event)| match event {
                Event::Arrive { request } => self.requests.get(request).map(|r| MessageView {
                    from: Endpoint::User(r.user.clone()),
                    to: Endpoint::Node(r.node),
                    kind: match r.request {
                        Request::Write { .. } => MessageKind::WriteRequest,
                        Request::Read { .. } => MessageKind::ReadRequest,
                    },
                    sent_at: r.sent_at,
                    deliver_at: at,
                }),
                Event::Reply { request } => self.requests.get(request).map(|r| MessageView {
                    from: Endpoint::Node(r.node),
                    to: Endpoint::User(r.user.clone()),
                    kind: MessageKind::Reply,
                    sent_at: r.answered_at,
                    deliver_at: at,
                }),
                Event::Apply { node, sent_at, .. } => Some(MessageView {
                    from: Endpoint::Node(NodeRef { partition: node.partition, replica: Replica::Leader }),
                    to: Endpoint::Node(*node),
                    kind: MessageKind::Replication,
                    sent_at: *sent_at,
                    deliver_at: at,
                }),
                Event::Script(_) => None,
            })
            .collect()
    }

    pub fn users(&self) -> Vec<UserView> {
        let mut names: BTreeSet<&str> = self.config.users.iter().map(|u| u.name.as_str()).collect();
        names.extend(self.users.keys().map(String::as_str));
        names
            .into_iter()
            .map(|name| {
                let state = self.users.get(name).cloned().unwrap_or_default();
                UserView {
                    name: name.to_owned(),
                    home: self.home_of(name),
                    last_write_at: state.last_write_at,
                    last_write_lsn: state.last_lsn.into_iter().collect(),
                    sticky_follower: sticky_follower(name),
                }
            })
            .collect()
    }

    /// Every operation so far, as the users saw it: the input to the consistency checker.
    pub fn history(&self) -> &[Operation] {
        &self.history
    }

    /// What the consistency checker has found so far, in the order it became visible.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// How many anomalies of this kind the users have met.
    pub fn anomalies(&self, kind: FindingKind) -> usize {
        self.findings.iter().filter(|f| f.kind == kind).count()
    }

    /// One line per node and the findings, for snapshot tests.
    pub fn render_state(&self) -> String {
        let mut out = String::new();
        for n in self.nodes() {
            let data: Vec<String> = n.data.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
            out.push_str(&format!("{} at {} behind {}: {}\n", n.name, n.applied, n.behind, data.join(" ")));
        }
        out.push_str(&format!("fixes: {}\n", self.fixes_text()));
        for f in &self.findings {
            out.push_str(&format!("{}: {}\n", f.kind, f.text));
        }
        out
    }

    fn fixes_text(&self) -> String {
        if self.config.fixes.is_empty() {
            return "No fix is on.".to_owned();
        }
        let names: Vec<&str> = self.config.fixes.iter().map(|f| f.name()).collect();
        format!("On: {}.", names.join(", "))
    }

    /// Pushes a line, capitalised: narration often begins with a node's name (`leader A appends …`).
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

    fn home_of(&self, name: &str) -> PartitionId {
        self.config.users.iter().find(|u| u.name == name).map_or(PartitionId(0), |u| u.home)
    }

    fn partition(&self, id: PartitionId) -> &Partition {
        &self.partitions[usize::from(id.0).min(self.partitions.len() - 1)]
    }

    fn partition_mut(&mut self, id: PartitionId) -> &mut Partition {
        let last = self.partitions.len() - 1;
        &mut self.partitions[usize::from(id.0).min(last)]
    }

    /// Tracks a user; false if the run already tracks [`USERS_MAX`] others.
    fn admit(&mut self, name: &str) -> bool {
        if self.users.contains_key(name) {
            return true;
        }
        if self.users.len() >= USERS_MAX {
            self.note(Salience::Key, format!("{name} is turned away: the run already has {USERS_MAX} users."));
            return false;
        }
        self.users.insert(name.to_owned(), UserState::default());
        true
    }

    /// Where a write of `key` by `user` goes, remembering the choice.
    fn place_write(&mut self, user: &str, key: &str) -> PartitionId {
        if let Some(p) = self.key_home.get(key) {
            return *p;
        }
        let group = group_of(key);
        let p = match self.group_home.get(group) {
            Some(p) if self.fix_on(Fix::SamePartition) => *p,
            _ => self.home_of(user),
        };
        if self.key_home.len() < DIRECTORY_MAX {
            self.key_home.insert(key.to_owned(), p);
        }
        if self.group_home.len() < DIRECTORY_MAX {
            self.group_home.entry(group.to_owned()).or_insert(p);
        }
        p
    }

    /// Where a read of `key` goes: where it was written, else where its conversation began, else partition A.
    fn place_read(&self, key: &str) -> PartitionId {
        self.key_home.get(key).or_else(|| self.group_home.get(group_of(key))).copied().unwrap_or(PartitionId(0))
    }

    fn record(&mut self, op: Operation) -> Option<usize> {
        if self.history.len() >= HISTORY_MAX {
            if !self.history_full {
                self.history_full = true;
                self.note(
                    Salience::Key,
                    format!("The history holds {HISTORY_MAX} operations; later ones are not recorded or checked."),
                );
            }
            return None;
        }
        self.history.push(op);
        Some(self.history.len() - 1)
    }

    fn send(&mut self, user: &str, node: NodeRef, request: Request, ops: Vec<usize>) {
        let id = self.next_request;
        self.next_request += 1;
        let sent_at = self.now;
        let flight = InFlight {
            user: user.to_owned(),
            node,
            request,
            ops,
            sent_at,
            answered_at: sent_at,
            answer: Answer::Pending,
        };
        self.requests.insert(id, flight);
        let arrive = self.now + self.config.client_ms;
        self.schedule(arrive, Event::Arrive { request: id });
    }

    fn perform(&mut self, op: &UserOp) {
        match op {
            UserOp::Write { user, key, value } => self.start_write(user, key, value),
            UserOp::Read { user, keys } => self.start_read(user, keys),
        }
    }

    fn start_write(&mut self, user: &str, key: &str, value: &str) {
        if !self.admit(user) {
            return;
        }
        let partition = self.place_write(user, key);
        let node = NodeRef { partition, replica: Replica::Leader };
        let id = self.history.len() as u64 + 1;
        let mut op = Operation::write(id, user, key, value, self.now.as_ms(), self.now.as_ms()).unanswered();
        op.replica = Some(self.name(node));
        let ops = self.record(op).into_iter().collect();
        let name = self.name(node);
        self.note(Salience::Routine, format!("{user} writes {key} = \"{value}\"; the write goes to {name}."));
        let request = Request::Write { key: key.to_owned(), value: value.to_owned() };
        self.send(user, node, request, ops);
    }

    fn start_read(&mut self, user: &str, keys: &[String]) {
        if !self.admit(user) {
            return;
        }
        if keys.len() > KEYS_PER_READ_MAX {
            self.note(Salience::Key, format!("{user}'s page reads only its first {KEYS_PER_READ_MAX} keys."));
        }
        let mut by_partition: BTreeMap<PartitionId, Vec<String>> = BTreeMap::new();
        for key in keys.iter().take(KEYS_PER_READ_MAX) {
            by_partition.entry(self.place_read(key)).or_default().push(key.clone());
        }
        for (partition, keys) in by_partition {
            let node = self.route(user, partition);
            let name = self.name(node);
            let mut ops = Vec::new();
            for key in &keys {
                let id = self.history.len() as u64 + 1;
                let mut op = Operation::read(id, user, key, None, self.now.as_ms(), self.now.as_ms()).unanswered();
                op.replica = Some(name.clone());
                ops.extend(self.record(op));
            }
            self.note(Salience::Routine, format!("{user} loads {}; the read goes to {name}.", keys.join(" and ")));
            self.send(user, node, Request::Read { keys }, ops);
        }
    }

    /// Picks the replica that serves `user`'s read on `partition`, narrating when a fix decides it.
    fn route(&mut self, user: &str, partition: PartitionId) -> NodeRef {
        let leader = NodeRef { partition, replica: Replica::Leader };
        let state = self.users.get(user).cloned().unwrap_or_default();
        if self.fix_on(Fix::LeaderWindow) {
            if let Some(at) = state.last_write_at {
                let since_ms = self.now.ms_since(at);
                let window = self.config.leader_window_ms;
                if since_ms < window {
                    self.note(
                        Salience::Key,
                        format!(
                            "{user} wrote {since_ms} ms ago, within the {window} ms window: the read goes to the leader."
                        ),
                    );
                    return leader;
                }
            }
        }
        let first = if self.fix_on(Fix::StickySessions) {
            usize::from(sticky_follower(user))
        } else {
            let p = self.partition_mut(partition);
            let pick = p.next_follower % FOLLOWERS;
            p.next_follower = (pick + 1) % FOLLOWERS;
            pick
        };
        let follower = |f: usize| NodeRef { partition, replica: Replica::Follower(f as u8) };
        if self.fix_on(Fix::LsnTracking) {
            if let Some(&need) = state.last_lsn.get(&partition) {
                let other = (first + 1) % FOLLOWERS;
                let p = self.partition(partition);
                let (a, b) = (p.applied[first], p.applied[other]);
                if a >= need {
                    return follower(first);
                }
                let (name_a, name_b) = (self.name(follower(first)), self.name(follower(other)));
                if b >= need {
                    self.note(
                        Salience::Key,
                        format!("{name_a} is at {a}, behind {user}'s last write ({need}); {name_b} is at {b}, so it serves the read."),
                    );
                    return follower(other);
                }
                self.note(
                    Salience::Key,
                    format!("Both followers are behind {user}'s last write ({need}): the read goes to the leader."),
                );
                return leader;
            }
        }
        follower(first)
    }

    fn arrive(&mut self, id: u64) {
        let Some(flight) = self.requests.get(&id).cloned() else { return };
        let node = flight.node;
        let name = self.name(node);
        let answer = match &flight.request {
            Request::Write { key, value } => {
                let now = self.now;
                let p = self.partition_mut(node.partition);
                if p.log.len() >= LOG_ENTRIES_MAX {
                    self.note(
                        Salience::Key,
                        format!("{name}'s log is full ({LOG_ENTRIES_MAX} entries): the write fails."),
                    );
                    Answer::Refused
                } else {
                    p.log.push(Entry { key: key.clone(), value: value.clone(), written_at: now });
                    let lsn = p.last();
                    let lags = p.lags;
                    for (f, l) in lags.iter().enumerate() {
                        let delay_ms = l.lag_ms + self.rng.range_inclusive(0, l.jitter_ms);
                        let follower = NodeRef { partition: node.partition, replica: Replica::Follower(f as u8) };
                        self.schedule(now + delay_ms, Event::Apply { node: follower, upto: lsn, sent_at: now });
                    }
                    self.note(
                        Salience::Routine,
                        format!("{name} appends {key} = \"{value}\" at {lsn} and ships it to its followers."),
                    );
                    Answer::Wrote(lsn)
                }
            }
            Request::Read { keys } => {
                let p = self.partition(node.partition);
                let applied = p.applied(node.replica);
                let values = keys.iter().map(|k| p.value_at(k, applied)).collect();
                Answer::Read { applied, values }
            }
        };
        if let Some(flight) = self.requests.get_mut(&id) {
            flight.answer = answer;
            flight.answered_at = self.now;
        }
        let back = self.now + self.config.client_ms;
        self.schedule(back, Event::Reply { request: id });
    }

    fn reply(&mut self, id: u64) {
        let Some(flight) = self.requests.remove(&id) else { return };
        let now = self.now;
        let name = self.name(flight.node);
        let user = flight.user.clone();
        match (&flight.request, &flight.answer) {
            (Request::Write { key, .. }, Answer::Wrote(lsn)) => {
                for &i in &flight.ops {
                    self.history[i].response = Response::Ok { at: now };
                    self.history[i].lsn = Some(*lsn);
                }
                let state = self.users.entry(user.clone()).or_default();
                state.last_write_at = Some(now);
                state.last_lsn.insert(flight.node.partition, *lsn);
                self.note(Salience::Key, format!("{name} confirms {user}'s write of {key} at {lsn}."));
            }
            (Request::Write { key, .. }, _) => {
                for &i in &flight.ops {
                    self.history[i].response = Response::Failed { at: now };
                }
                self.note(Salience::Key, format!("{user}'s write of {key} fails."));
            }
            (Request::Read { keys }, Answer::Read { applied, values }) => {
                let mut seen = Vec::new();
                for (n, key) in keys.iter().enumerate() {
                    let value = values.get(n).cloned().flatten();
                    seen.push(match &value {
                        Some(v) => format!("{key} = \"{v}\""),
                        None => format!("no {key}"),
                    });
                    if let Some(&i) = flight.ops.get(n) {
                        self.history[i].kind = Kind::Read { value };
                        self.history[i].response = Response::Ok { at: now };
                        self.history[i].lsn = Some(*applied);
                    }
                }
                let last = self.partition(flight.node.partition).last();
                let position = if *applied < last {
                    format!("at {applied}, {} behind the leader", entries(last.0 - applied.0))
                } else {
                    format!("at {applied}, up to date")
                };
                self.note(Salience::Key, format!("{user} sees {} from {name} ({position}).", seen.join(" and ")));
            }
            (Request::Read { .. }, _) => {}
        }
        self.check();
    }

    fn apply_log(&mut self, node: NodeRef, upto: Lsn, sent_at: Time) {
        let Replica::Follower(f) = node.replica else { return };
        let name = self.name(node);
        let now = self.now;
        let p = self.partition_mut(node.partition);
        let slot = usize::from(f).min(FOLLOWERS - 1);
        if upto <= p.applied[slot] {
            return;
        }
        p.applied[slot] = upto.min(p.last());
        let delay_ms = now.ms_since(sent_at);
        self.note(Salience::Routine, format!("{name} applies the log up to {upto}, {delay_ms} ms after the leader."));
    }

    /// Runs the consistency checker over the history and narrates what it newly finds.
    fn check(&mut self) {
        match checker::check(&self.history) {
            Ok(report) => {
                let known: BTreeSet<(FindingKind, Vec<OpId>)> =
                    self.findings.iter().map(|f| (f.kind, f.ops.clone())).collect();
                for finding in &report.findings {
                    if !known.contains(&(finding.kind, finding.ops.clone())) {
                        self.trace.push(self.now, Salience::Key, finding.text.clone());
                    }
                }
                self.findings = report.findings;
            }
            Err(error) => self.note(Salience::Key, format!("The history cannot be checked: {error}.")),
        }
    }

    fn toggle(&mut self, fix: Fix) {
        let state = if self.config.fixes.remove(&fix) {
            "off"
        } else {
            self.config.fixes.insert(fix);
            "on"
        };
        self.note(Salience::Key, format!("{} is now {state}.", fix.name()));
    }

    fn set_lag(&mut self, node: NodeRef, lag_ms: u64) {
        let name = self.name(node);
        let Replica::Follower(f) = node.replica else {
            self.note(Salience::Key, format!("{name} has no lag to set: a leader applies every write first."));
            return;
        };
        if usize::from(node.partition.0) >= self.partitions.len() || usize::from(f) >= FOLLOWERS {
            self.note(Salience::Key, "There is no such follower.");
            return;
        }
        let lag_ms = lag_ms.min(LAG_MS_MAX);
        self.partition_mut(node.partition).lags[usize::from(f)].lag_ms = lag_ms;
        self.note(Salience::Key, format!("{name} now applies the log {lag_ms} ms after the leader."));
    }
}

impl Model for Lag {
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
        match event {
            Event::Script(i) => {
                if let Some(step) = self.config.script.get(i).cloned() {
                    self.perform(&step.op);
                }
            }
            Event::Arrive { request } => self.arrive(request),
            Event::Reply { request } => self.reply(request),
            Event::Apply { node, upto, sent_at } => self.apply_log(node, upto, sent_at),
        }
        true
    }

    fn advance_clock(&mut self, to: Time) {
        self.now = self.now.max(to);
    }

    fn apply(&mut self, action: &Action) {
        match action {
            Action::Do(op) => self.perform(op),
            Action::Toggle(fix) => self.toggle(*fix),
            Action::SetLag { node, lag_ms } => self.set_lag(*node, *lag_ms),
        }
    }

    fn trace(&self) -> &Trace {
        &self.trace
    }
}

/// The conversation a key belongs to: everything before its first `/` (`chat:1/answer` → `chat:1`).
fn group_of(key: &str) -> &str {
    key.split('/').next().unwrap_or(key)
}

/// The follower sticky sessions give a user: FNV-1a of the name, so the choice never changes between runs.
fn sticky_follower(name: &str) -> u8 {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    (hash % FOLLOWERS as u64) as u8
}

fn entries(n: u64) -> String {
    if n == 1 {
        "1 entry".to_owned()
    } else {
        format!("{n} entries")
    }
}
