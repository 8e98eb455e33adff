//! Chapter 9's code drills, run on the real models: each drill builds a fresh cluster from a seed, does what the
//! interview question asks (a quorum write and a read with read repair, read-your-writes routing, a failover
//! monitor, a replication stream, a consistent-hash ring) and reports what happened in plain lines.
//!
//! The book shows these functions' own source next to their output: the build extracts each function between
//! its `// drill: NAME` and `// end drill` markers, so the code on the page is the code that ran. They are
//! written to be read: short, commented, and using only the models' public API.
//!
//! ```
//! use sim::drills::{run, Drill};
//!
//! let lines = run(Drill::Quorum, 42);
//! assert!(lines.iter().any(|l| l.contains("repaired C")));
//! ```

use crate::checker::{FindingKind, Kind, Response};
use crate::failover::{self, Failover};
use crate::lag::{self, Fix, Lag, Story};
use crate::leader_follower::{self, FollowerConfig, LeaderFollower};
use crate::leaderless::{self, ClientId, Fanout, Leaderless, Preload, ReplicaId};
use crate::replay::Model;
use crate::ring::Ring;
use crate::rng::Rng;
use crate::time::Time;

/// The five drills, in the chapter's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Drill {
    Quorum,
    ReadYourWrites,
    FailoverMonitor,
    ReplicationStream,
    HashRing,
}

impl Drill {
    pub const ALL: [Drill; 5] =
        [Drill::Quorum, Drill::ReadYourWrites, Drill::FailoverMonitor, Drill::ReplicationStream, Drill::HashRing];

    /// The marker name in this file, and the value of the widget's select.
    pub fn id(self) -> &'static str {
        match self {
            Drill::Quorum => "quorum",
            Drill::ReadYourWrites => "read-your-writes",
            Drill::FailoverMonitor => "failover-monitor",
            Drill::ReplicationStream => "replication-stream",
            Drill::HashRing => "hash-ring",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Drill::Quorum => "Quorum write, then a read with read repair",
            Drill::ReadYourWrites => "Read-your-writes routing",
            Drill::FailoverMonitor => "A failover monitor",
            Drill::ReplicationStream => "A replication stream",
            Drill::HashRing => "Consistent hashing for replica placement",
        }
    }

    pub fn from_id(id: &str) -> Option<Drill> {
        Drill::ALL.into_iter().find(|d| d.id() == id)
    }
}

/// Runs `drill` on a fresh cluster built from `seed` and returns its report, one line per fact.
pub fn run(drill: Drill, seed: u64) -> Vec<String> {
    match drill {
        Drill::Quorum => quorum_read_repair(seed),
        Drill::ReadYourWrites => read_your_writes(seed),
        Drill::FailoverMonitor => failover_monitor(seed),
        Drill::ReplicationStream => replication_stream(seed),
        Drill::HashRing => hash_ring(seed),
    }
}

/// Processes every event due by `until`, then moves the clock there.
fn run_until<M: Model>(model: &mut M, until: Time) {
    // Bounded: a drill's runs are seconds long, and every model schedules finitely many events per second.
    for _ in 0..1_000_000 {
        match model.next_event_at() {
            Some(t) if t <= until => {
                model.process_next();
            }
            _ => break,
        }
    }
    if model.now() < until {
        model.advance_clock(until);
    }
}

// drill: quorum
/// N=3, W=2, R=2. A write of "Alice" reaches only A and B; a read asks A and C, returns the newest version, and
/// writes it back to the replica that answered with an older one.
pub fn quorum_read_repair(seed: u64) -> Vec<String> {
    let config = leaderless::Config { preload: vec![Preload::new("user:42", "Bob", 1)], ..Default::default() };
    let mut store = Leaderless::new(seed, config);
    let (a, b, c) = (ReplicaId(0), ReplicaId(1), ReplicaId(2));
    let key = "user:42".to_owned();

    let write = leaderless::Action::Write {
        client: ClientId(1),
        key: key.clone(),
        value: "Alice".into(),
        fanout: Fanout::Only(vec![a, b]), // C never hears of it
    };
    store.apply(&write);
    run_until(&mut store, Time::from_ms(1_000));
    store.apply(&leaderless::Action::Read { client: ClientId(2), key: key.clone(), fanout: Fanout::Only(vec![a, c]) });
    run_until(&mut store, Time::from_ms(2_000));

    let mut out = Vec::new();
    for w in store.writes() {
        let acks: Vec<String> = w.acks.iter().map(|(r, t)| format!("{r} at {t}")).collect();
        let outcome = match w.outcome {
            leaderless::WriteOutcome::Acknowledged { at } => format!("acknowledged at {at} (W=2)"),
            leaderless::WriteOutcome::Failed { at } => format!("failed at {at}"),
            leaderless::WriteOutcome::Pending => "pending".to_owned(),
        };
        out.push(format!("write {} {}: acks from {}; {outcome}", w.key, w.stored, acks.join(", ")));
    }
    if let Some(read) = store.reads().last() {
        for reply in &read.replies {
            let held = reply.stored.as_ref().map_or("nothing".to_owned(), |s| s.to_string());
            out.push(format!("reply from {} at {}: {held}", reply.replica, reply.at));
        }
        let chosen = read.chosen().map_or("no value".to_owned(), |s| s.to_string());
        out.push(format!("read returns {chosen} (the highest version)"));
        let repaired: Vec<String> = read.repaired.iter().map(|r| r.to_string()).collect();
        out.push(format!("repaired {}", if repaired.is_empty() { "nothing".into() } else { repaired.join(", ") }));
    }
    let stored_on_c = store.stored(c, &key).map_or("nothing".to_owned(), |s| s.to_string());
    out.push(format!("C now holds {stored_on_c}"));
    out
}
// end drill

// drill: read-your-writes
/// Alice posts a comment and reloads. Without a fix, the round-robin router sends the reload to a follower
/// that has not applied her write; with LSN tracking it only picks a replica at or past her write's LSN.
pub fn read_your_writes(seed: u64) -> Vec<String> {
    let mut out = Vec::new();
    for fix in [None, Some(Fix::LsnTracking)] {
        let mut config = lag::Config::story(Story::ReadYourWrites);
        if let Some(fix) = fix {
            config = config.with_fix(fix);
        }
        let mut cluster = Lag::new(seed, config);
        run_until(&mut cluster, Time::from_ms(5_000));
        out.push(match fix {
            None => "router: round robin over the followers".to_owned(),
            Some(f) => format!("router: {}", f.name()),
        });
        for op in cluster.history().iter().filter(|op| op.client == "Alice") {
            let served = op.replica.clone().unwrap_or_else(|| "?".into());
            let at = op.lsn.map_or("?".to_owned(), |l| l.to_string());
            let answered = match op.response {
                Response::Ok { at } => format!("answered at {at}"),
                Response::Failed { at } => format!("failed at {at}"),
                Response::Missing => "no answer".to_owned(),
            };
            out.push(match &op.kind {
                Kind::Write { .. } => format!("  write by {served}, stored at {at}, {answered}"),
                Kind::Read { value: Some(_) } => format!("  read routed to {served} ({at}): sees her comment"),
                Kind::Read { value: None } => format!("  read routed to {served} ({at}): comment missing"),
            });
        }
        out.push(format!("  read-your-writes violations: {}", cluster.anomalies(FindingKind::ReadYourWrites)));
    }
    out
}
// end drill

// drill: failover-monitor
/// Heartbeats every second, a 30 s timeout: the leader dies 5 s into a stream of writes, the monitor notices,
/// promotes the most up-to-date follower and repoints clients; acknowledged writes it never saw are lost.
pub fn failover_monitor(seed: u64) -> Vec<String> {
    let mut cluster = Failover::new(seed, failover::Config::default());
    cluster.apply(&failover::Action::StartWrites);
    run_until(&mut cluster, Time::from_ms(5_000));
    cluster.apply(&failover::Action::KillLeader);
    run_until(&mut cluster, Time::from_ms(45_000));

    let mut out = Vec::new();
    for record in cluster.failovers() {
        let old = failover::node_name(record.old_leader);
        out.push(format!("{old} crashes at {} with its log at {}", record.crashed_at, record.old_leader_last));
        if let Some(span) = record.phase(failover::Phase::Detection) {
            out.push(format!(
                "failure detected at {} ({} ms of silence)",
                span.end.unwrap_or(span.start),
                span.duration_ms().unwrap_or(0)
            ));
        }
        for c in &record.candidates {
            out.push(format!(
                "candidate {} at {} ({} behind): {:?}",
                failover::node_name(c.node),
                c.last,
                c.behind,
                c.eligibility
            ));
        }
        match record.new_leader {
            Some(node) => {
                out.push(format!("promoted {} (epoch {})", failover::node_name(node), record.new_epoch.unwrap_or(0)))
            }
            None => out.push("no follower promoted".to_owned()),
        }
        if let Some(lost) = record.lost {
            out.push(format!(
                "lost {} writes ({} acknowledged), {} to {}",
                lost.count, lost.acknowledged, lost.first, lost.last
            ));
        }
        if let Some(ms) = record.write_downtime_ms() {
            out.push(format!("writes resumed after {ms} ms"));
        }
    }
    out
}
// end drill

// drill: replication-stream
/// One leader streams its log to two asynchronous followers whose links jitter by up to 10 ms. Three writes go
/// out 5 ms apart; the report shows where each node's stream stands as they flow.
pub fn replication_stream(seed: u64) -> Vec<String> {
    let follower = |latency_ms| FollowerConfig { link_latency_ms: latency_ms, link_jitter_ms: 10, apply_delay_ms: 2 };
    let config = leader_follower::Config {
        durability: leader_follower::Durability::Asynchronous,
        followers: vec![follower(1), follower(8)],
        ..Default::default()
    };
    let mut cluster = LeaderFollower::new(seed, config);
    let mut out = Vec::new();
    for at_ms in [0, 5, 10, 20, 40] {
        run_until(&mut cluster, Time::from_ms(at_ms));
        if at_ms <= 10 && cluster.can(leader_follower::Action::SendWrite) {
            cluster.apply(&leader_follower::Action::SendWrite);
        }
        let positions: Vec<String> =
            cluster.nodes().iter().map(|n| format!("{} applied {}", n.addr, n.applied_lsn.0)).collect();
        out.push(format!("t={at_ms} ms: {}", positions.join(", ")));
    }
    for w in cluster.writes() {
        let lsn = w.lsn.map_or("?".to_owned(), |l| l.to_string());
        out.push(format!("write {} at {lsn}: OK after {} ms", w.id.0, w.wait_ms.unwrap_or(0)));
    }
    out
}
// end drill

// drill: hash-ring
/// Five nodes with 8 virtual nodes each; six keys picked from the seed are placed on their first 3 distinct
/// nodes clockwise. Adding a sixth node moves only the keys whose arcs it takes over.
pub fn hash_ring(seed: u64) -> Vec<String> {
    let mut ring = Ring::hashed(8);
    for node in ["A", "B", "C", "D", "E"] {
        let _ = ring.add_node(node);
    }
    let mut rng = Rng::new(seed);
    let keys: Vec<String> = (0..6).map(|_| format!("user:{}", rng.range_inclusive(0, 999))).collect();
    let before: Vec<Vec<String>> = keys.iter().map(|k| ring.replicas(ring.key(k).position, 3)).collect();
    let mut out: Vec<String> =
        keys.iter().zip(&before).map(|(k, nodes)| format!("{k} → {}", nodes.join(", "))).collect();

    let _ = ring.add_node("F");
    let mut moved = 0;
    for (k, old) in keys.iter().zip(&before) {
        let new = ring.replicas(ring.key(k).position, 3);
        if new != *old {
            moved += 1;
            out.push(format!("after adding F: {k} → {}", new.join(", ")));
        }
    }
    out.push(format!("{moved} of {} keys changed replicas", keys.len()));
    out
}
// end drill

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quorum_drill_repairs_the_stale_replica() {
        let lines = quorum_read_repair(42);
        assert!(lines.iter().any(|l| l == "read returns \"Alice\" (v2) (the highest version)"), "{lines:#?}");
        assert!(lines.iter().any(|l| l.starts_with("reply from C") && l.ends_with("\"Bob\" (v1)")), "{lines:#?}");
        assert!(lines.contains(&"repaired C".to_owned()), "{lines:#?}");
        assert!(lines.contains(&"C now holds \"Alice\" (v2)".to_owned()), "{lines:#?}");
    }

    #[test]
    fn lsn_tracking_ends_the_read_your_writes_violation() {
        let lines = read_your_writes(42);
        let violations: Vec<&String> = lines.iter().filter(|l| l.contains("violations")).collect();
        assert_eq!(violations.len(), 2);
        assert!(!violations[0].ends_with(": 0"), "without a fix Alice misses her comment: {lines:#?}");
        assert!(violations[1].ends_with(": 0"), "{lines:#?}");
        assert!(lines.iter().any(|l| l.contains("comment missing")));
    }

    #[test]
    fn the_failover_monitor_detects_after_the_timeout_and_promotes() {
        let lines = failover_monitor(42);
        assert!(lines.iter().any(|l| l.starts_with("L crashes at t=5.000 s")), "{lines:#?}");
        assert!(lines.iter().any(|l| l.starts_with("failure detected") && l.contains("ms of silence")), "{lines:#?}");
        assert!(lines.iter().any(|l| l.starts_with("promoted F")), "{lines:#?}");
    }

    #[test]
    fn the_stream_delivers_every_write_to_both_followers() {
        let lines = replication_stream(42);
        let last = lines.iter().find(|l| l.starts_with("t=40 ms")).unwrap();
        assert_eq!(last, "t=40 ms: the leader applied 1044, F1 applied 1044, F2 applied 1044", "{lines:#?}");
        assert_eq!(lines.iter().filter(|l| l.starts_with("write ")).count(), 3);
    }

    #[test]
    fn adding_a_node_moves_few_keys() {
        let lines = hash_ring(42);
        assert_eq!(lines.iter().filter(|l| l.contains(" → ") && !l.starts_with("after")).count(), 6);
        let summary = lines.last().unwrap();
        let moved: usize = summary.split_whitespace().next().unwrap().parse().unwrap();
        assert!(moved < 6, "{summary}");
    }

    #[test]
    fn drills_are_deterministic_and_seeds_matter() {
        for drill in Drill::ALL {
            assert_eq!(run(drill, 7), run(drill, 7), "{drill:?}");
            assert_eq!(Drill::from_id(drill.id()), Some(drill));
        }
        assert_ne!(run(Drill::HashRing, 1), run(Drill::HashRing, 2));
    }
}
