//! Scenario tests of chapter 2's failover model: the course's worked examples reproduced number for number, the
//! failure modes the chapter catalogues, and properties over random reader actions.

use expect_test::expect;
use proptest::prelude::*;
use sim::failover::{
    Action, Addressing, Config, Eligibility, Failover, Fencing, Lsn, NodeId, Outcome, Phase, PhaseSpan, Replication,
    Role, Stage, Status,
};
use sim::net::Latency;
use sim::{Model, Replay, Salience, Time};

const HORIZON_MS: u64 = 600_000;
const L: NodeId = NodeId(1);
const F1: NodeId = NodeId(2);
const F2: NodeId = NodeId(3);

fn run(config: Config, script: &[(u64, Action)], until_ms: u64) -> Replay<Failover> {
    let mut replay = Replay::new(Failover::new(1, config), Time::from_ms(HORIZON_MS));
    for (at_ms, action) in script {
        replay.seek(Time::from_ms(*at_ms));
        replay.act(action.clone());
    }
    replay.seek(Time::from_ms(until_ms));
    replay
}

/// Like `run`, one entry at a time, handing every state to `check`, and keeping them all if `keep` says so.
fn run_stepping(
    seed: u64,
    config: Config,
    script: &[(u64, Action)],
    until_ms: u64,
    keep: Keep,
    mut check: impl FnMut(&Failover),
) -> (Replay<Failover>, Vec<Failover>) {
    let mut replay = Replay::new(Failover::new(seed, config), Time::from_ms(until_ms));
    let mut seen = Vec::new();
    let mut visit = |model: &Failover, seen: &mut Vec<Failover>| {
        check(model);
        if keep == Keep::Every {
            seen.push(model.clone());
        }
    };
    visit(replay.model(), &mut seen);
    let mut pending = script.iter().peekable();
    loop {
        let next_event = replay.model().next_event_at();
        if let Some((at_ms, action)) = pending.peek() {
            if next_event.is_none_or(|t| Time::from_ms(*at_ms) < t) && *at_ms <= until_ms {
                replay.seek(Time::from_ms(*at_ms));
                replay.act(action.clone());
                visit(replay.model(), &mut seen);
                pending.next();
                continue;
            }
        }
        if !replay.step_forward() {
            break;
        }
        visit(replay.model(), &mut seen);
    }
    (replay, seen)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    Every,
    None,
}

fn key_lines(model: &Failover) -> String {
    model
        .trace()
        .events()
        .iter()
        .filter(|e| e.salience == Salience::Key)
        .map(|e| format!("{} {}\n", e.at, e.text))
        .collect()
}

fn span(phase: Phase, start_ms: u64, end_ms: u64) -> PhaseSpan {
    PhaseSpan { phase, start: Time::from_ms(start_ms), end: Some(Time::from_ms(end_ms)) }
}

/// The course's worked example, "The Failover Timeline": L at LSN 5000, F1 at 4990, F2 at 4970, a 30 s timeout.
/// L crashes at t = 0; detection runs to 30 s; F1 wins; F2 follows F1 at 31 s; F1 accepts writes at LSN 4991 at
/// 32 s; LSN 4991-5000 (10 acknowledged writes) are lost. The model's write downtime is exactly 32,000 ms: 30,000
/// ms of detection (the last heartbeat was at t = 0) + 1,000 ms of election + 1,000 ms of reconfiguration.
#[test]
fn worked_example_the_failover_timeline() {
    let start = Failover::new(1, Config::default());
    let at_crash: Vec<(NodeId, u64, u64)> = start.nodes().iter().map(|n| (n.id, n.last.0, n.behind)).collect();
    assert_eq!(at_crash, [(L, 5000, 0), (F1, 4990, 10), (F2, 4970, 30)]);

    let r = run(Config::default(), &[(0, Action::StartWrites), (0, Action::KillLeader)], 40_000);
    let model = r.model();
    let failovers = model.failovers();
    assert_eq!(failovers.len(), 1);
    let f = &failovers[0];
    assert_eq!((f.old_leader, f.crashed_at, f.old_leader_last), (L, Time::ZERO, Lsn(5000)));
    assert_eq!(
        f.phases,
        [
            span(Phase::Detection, 0, 30_000),
            span(Phase::Election, 30_000, 31_000),
            span(Phase::Reconfiguration, 31_000, 32_000),
        ]
    );
    let compared: Vec<(NodeId, u64, u64)> = f.candidates.iter().map(|c| (c.node, c.last.0, c.behind)).collect();
    assert_eq!(compared, [(F1, 4990, 10), (F2, 4970, 30)]);
    assert_eq!((f.new_leader, f.new_epoch, f.outcome), (Some(F1), Some(2), Outcome::Completed));
    let lost = f.lost.unwrap();
    assert_eq!((lost.first, lost.last, lost.count, lost.acknowledged), (Lsn(4991), Lsn(5000), 10, 10));
    assert_eq!(f.writes_resumed_at, Some(Time::from_ms(32_000)));
    assert_eq!(f.write_downtime_ms(), Some(32_000));

    let m = model.metrics();
    assert_eq!(m.write_downtime_ms, 32_000);
    assert_eq!(m.acknowledged_writes_lost, 10);
    // One write every 100 ms from 0.1 s: those at 0.1 s … 31.9 s find no leader.
    assert_eq!(m.writes_rejected, 319);
    assert_eq!(m.failovers, 1);

    // At 32 s the first write lands on F1 as LSN 4991.
    let text = model.trace().render();
    assert!(
        text.contains("t=32.000 s c2's write #320 is written by F1 at LSN 4991 (row id 1001) and confirmed."),
        "{text}"
    );
    // F2 starts replicating from F1 at 31 s, and has caught up with F1's history 3 s (its lag) later.
    assert!(text.contains("t=31.000 s F2 now follows F1 from LSN 4970."), "{text}");
    let f2 = &model.nodes()[2];
    assert_eq!((f2.following, f2.behind), (Some(F1), 30), "30 entries behind F1, as before");

    // With no writes at all the cluster is just as long without a leader.
    let idle = run(Config::default(), &[(0, Action::KillLeader)], 40_000);
    assert_eq!(idle.model().metrics().write_downtime_ms, 32_000);
    assert_eq!(idle.model().metrics().writes_rejected, 0);
    assert_eq!(idle.model().metrics().acknowledged_writes_lost, 10);
}

/// The worked example's lag, "F1 (1 second behind) … 10 writes behind; F2 (3 seconds behind) … 30 writes behind",
/// holds at any moment while writes flow at 10 per second, so a crash at any time loses exactly F1's 10.
#[test]
fn worked_example_lag_is_ten_and_thirty_writes_behind_at_any_moment() {
    for kill_ms in [5_000, 12_345, 20_050, 33_999] {
        let r = run(Config::default(), &[(0, Action::StartWrites), (kill_ms, Action::KillLeader)], kill_ms + 40_000);
        let f = &r.model().failovers()[0];
        let leader = f.old_leader_last.0;
        let compared: Vec<(NodeId, u64)> = f.candidates.iter().map(|c| (c.node, leader - c.last.0)).collect();
        assert_eq!(compared, [(F1, 10), (F2, 30)], "killed at {kill_ms} ms");
        let lost = f.lost.unwrap();
        assert_eq!((lost.count, lost.acknowledged, lost.last.0), (10, 10, leader), "killed at {kill_ms} ms");
        // Detection counts from the last heartbeat that arrived (sent every second, 5 ms on the wire), so the
        // downtime is 32 s less the time between that heartbeat and the crash.
        let sent = if kill_ms % 1_000 >= 5 { kill_ms / 1_000 * 1_000 } else { kill_ms / 1_000 * 1_000 - 1_000 };
        let expected = sent + 5 + 32_000 - kill_ms;
        assert_eq!(f.write_downtime_ms(), Some(expected), "killed at {kill_ms} ms");
    }
}

/// The course's autoincrement example: "The old leader assigned autoincrement IDs 1001-1005 to writes that
/// weren't replicated. The new leader starts assigning IDs from 1001. Now you have two different rows with ID
/// 1001."
#[test]
fn worked_example_autoincrement_ids_1001_to_1005_are_handed_out_twice() {
    let mut config = Config::default();
    config.lag_entries[1] = 5; // F1 is 5 writes behind
    config.start_row_id = 1_005; // L's last row, at LSN 5000, got id 1005
    let r = run(config, &[(0, Action::StartWrites), (0, Action::KillLeader)], 40_000);
    let model = r.model();
    let lost = model.failovers()[0].lost.unwrap();
    assert_eq!((lost.first_row_id, lost.last_row_id, lost.count), (1001, 1005, 5));
    let reused: Vec<(u64, NodeId, NodeId)> =
        model.collisions().iter().map(|c| (c.row_id, c.by, c.earlier_by)).collect();
    assert_eq!(reused, (1001..=1005).map(|id| (id, F1, L)).collect::<Vec<_>>());
    let first = model.collisions()[0];
    assert_eq!(
        (first.at, first.lsn, first.epoch, first.earlier_lsn, first.earlier_epoch),
        (Time::from_ms(32_000), Lsn(4996), 2, Lsn(4996), 1)
    );
    assert_eq!(model.metrics().id_collisions, 5);
    assert!(key_lines(model)
        .contains("F1 hands out row id 1001 again: L gave it to a different row at LSN 4996 in epoch 1."));
}

/// GitHub, 2012: an automated failover promoted a follower that was behind, whose autoincrement ids overlapped
/// the old leader's unreplicated writes — "automated failover without a lag threshold is a loaded gun". With a
/// threshold the same crash promotes nobody, and the returning leader loses nothing.
#[test]
fn github_2012_a_lag_threshold_refuses_the_lagging_follower() {
    let script = [(0, Action::StartWrites), (0, Action::KillLeader), (60_000, Action::RestartOldLeader)];
    let unchecked = run(Config::default(), &script, 70_000);
    assert_eq!(unchecked.model().metrics().id_collisions, 10);
    assert_eq!(unchecked.model().metrics().acknowledged_writes_lost, 10);

    let guarded = Config { max_lag_for_promotion: Some(5), ..Config::default() };
    let r = run(guarded, &script, 70_000);
    let model = r.model();
    let f = &model.failovers()[0];
    assert_eq!(f.outcome, Outcome::LeaderReturned);
    assert_eq!(f.new_leader, None);
    assert!(f.candidates.iter().all(|c| c.eligibility == Eligibility::TooFarBehind), "{f:?}");
    assert_eq!(f.writes_resumed_at, Some(Time::from_ms(60_000)));
    let m = model.metrics();
    assert_eq!((m.acknowledged_writes_lost, m.id_collisions, m.failovers), (0, 0, 0));
    assert_eq!(m.write_downtime_ms, 60_000, "the price: writes wait for L");
    let text = key_lines(model);
    assert!(text.contains("No follower qualifies for promotion (F1 is 10 behind (too far behind) and F2 is 30 behind (too far behind); L last reported LSN 5000)"), "{text}");
    assert!(text.contains("L restarts at LSN 5000 and leads again: nobody replaced it, so nothing is lost."), "{text}");
}

/// An operator who loosens the threshold during the stall gets the failover, with its losses.
#[test]
fn relaxing_the_threshold_while_stalled_holds_the_election_again() {
    let guarded = Config { max_lag_for_promotion: Some(5), ..Config::default() };
    let script = [(0, Action::KillLeader), (45_000, Action::Configure(Config::default()))];
    let r = run(guarded, &script, 50_000);
    let f = &r.model().failovers()[0];
    let elections: Vec<_> = f.phases.iter().filter(|s| s.phase == Phase::Election).collect();
    assert_eq!(elections.len(), 2);
    assert_eq!(f.new_leader, Some(F1));
    assert_eq!(f.writes_resumed_at, Some(Time::from_ms(47_000)));
    assert_eq!(r.model().metrics().acknowledged_writes_lost, 10);
}

/// "If you need zero data loss, you must use synchronous replication": the same crash loses the same ten
/// entries, but none of them had been confirmed, so no client was lied to.
#[test]
fn synchronous_replication_loses_no_acknowledged_write_in_the_worked_example() {
    let config = Config { replication: Replication::Sync, ..Config::default() };
    let r = run(config, &[(0, Action::StartWrites), (0, Action::KillLeader)], 40_000);
    let model = r.model();
    let lost = model.failovers()[0].lost.unwrap();
    assert_eq!((lost.first, lost.last, lost.count, lost.acknowledged), (Lsn(4991), Lsn(5000), 10, 0));
    assert_eq!(model.metrics().acknowledged_writes_lost, 0);
    let text = key_lines(model);
    assert!(text.contains("10 writes L held for a follower's confirmation fail with it"), "{text}");

    // While running, a write is confirmed only once F1 (1 s behind) has it.
    let r = run(Config { replication: Replication::Sync, ..Config::default() }, &[(0, Action::StartWrites)], 5_000);
    let m = r.model().metrics();
    assert_eq!(m.writes_sent, 50);
    assert_eq!(m.writes_acknowledged, 40, "the last second's writes still wait");
    assert_eq!(r.model().nodes()[0].writes_waiting, 10);
}

/// Fencing off, one client with L's address fixed: L comes back still believing it leads, takes that client's
/// writes at LSNs F1 is also writing, and hands out ids F1 has already used.
#[test]
fn split_brain_when_the_old_leader_returns_unfenced() {
    let config = Config { fencing: Fencing::Off, stale_clients: 1, ..Config::default() };
    let script = [(0, Action::StartWrites), (0, Action::KillLeader), (40_000, Action::RestartOldLeader)];
    let r = run(config, &script, 50_000);
    let model = r.model();
    assert_eq!(model.clients()[1].addressing, Addressing::Fixed);
    assert_eq!(model.running_leaders(), [L, F1]);
    let roles: Vec<Role> = model.nodes().iter().map(|n| n.role).collect();
    assert_eq!(roles, [Role::DeposedLeader, Role::Leader, Role::Follower]);
    let m = model.metrics();
    assert_eq!(m.split_brain_ms, 10_000);
    // c2 writes every 200 ms; the one at exactly 40.000 s came before the restart.
    assert_eq!(m.split_brain_writes, 50);
    let l = &model.nodes()[0];
    assert_eq!((l.epoch, l.last.0), (1, 5050));
    assert!(m.id_collisions >= 50, "{m:?}");
    let text = key_lines(model);
    assert!(text.contains("L restarts at LSN 5000 still believing it leads epoch 1"), "{text}");
    assert!(text.contains("Split brain: L (epoch 1) takes write #402 at LSN 5001 while F1 leads epoch 2"), "{text}");

    // Turning fencing on shoots L; when it returns it throws away its history, split-brain writes included.
    let mut later = script.to_vec();
    later
        .push((50_000, Action::Configure(Config { fencing: Fencing::Stonith, stale_clients: 1, ..Config::default() })));
    later.push((55_000, Action::RestartOldLeader));
    let r = run(Config { fencing: Fencing::Off, stale_clients: 1, ..Config::default() }, &later, 56_000);
    let model = r.model();
    assert_eq!(model.running_leaders(), [F1]);
    let m = model.metrics();
    assert_eq!(m.acknowledged_writes_lost, 10 + 50, "the failover's 10, then the 50 split-brain writes");
    let text = key_lines(model);
    assert!(text.contains("L is fenced (STONITH): it is powered off before F1 is promoted."), "{text}");
    assert!(text.contains("L discards LSN 4991–5050 (60 entries) that F1's history does not have, and follows F1. 50 of them are split-brain writes"), "{text}");
}

/// With STONITH the returning leader rejoins as a follower: it discards 4991-5000 and copies F1's history,
/// and a client that still writes to it is refused.
#[test]
fn fenced_old_leader_rejoins_as_a_follower() {
    let config = Config { stale_clients: 1, ..Config::default() };
    let script = [(0, Action::StartWrites), (0, Action::KillLeader), (40_000, Action::RestartOldLeader)];
    let r = run(config, &script, 60_000);
    let model = r.model();
    assert_eq!(model.running_leaders(), [F1]);
    let l = &model.nodes()[0];
    assert_eq!((l.status, l.role, l.following), (Status::Running, Role::Follower, Some(F1)));
    // L's lag is 10 write intervals (1 s), but only c1's writes (every 200 ms) reach F1: 5 entries.
    assert_eq!(l.behind, 5);
    let m = model.metrics();
    assert_eq!((m.split_brain_ms, m.split_brain_writes, m.acknowledged_writes_lost), (0, 0, 10));
    let text = key_lines(model);
    assert!(
        text.contains("L discards LSN 4991–5000 (10 entries) that F1's history does not have, and follows F1."),
        "{text}"
    );
    assert!(model.trace().render().contains("c2's write #402 is rejected: L is a follower and refuses writes."));
}

/// A leader back before the timeout never loses its job: there is no failover and nothing is lost.
#[test]
fn a_leader_back_before_the_timeout_keeps_its_job() {
    let r = run(
        Config::default(),
        &[(0, Action::StartWrites), (0, Action::KillLeader), (10_000, Action::RestartOldLeader)],
        60_000,
    );
    let model = r.model();
    let f = &model.failovers()[0];
    assert_eq!(f.outcome, Outcome::LeaderReturned);
    assert_eq!(f.phases, [span(Phase::Detection, 0, 10_000)]);
    let m = model.metrics();
    assert_eq!((m.failovers, m.acknowledged_writes_lost, m.write_downtime_ms, m.writes_rejected), (0, 0, 10_000, 100));
    // Writes at 0.1 s … 10.0 s were rejected: the one at exactly 10 s came just before the restart.
    assert_eq!(model.cluster().stage, Stage::Watching);
    let nodes = model.nodes();
    assert!(nodes[1].behind == 10 && nodes[2].behind == 30, "replication resumed: {}", model.render_state());
}

/// Failover twice, then once more with nobody left: every follower is used up.
#[test]
fn repeated_failovers_until_nobody_is_left_to_notice() {
    let script =
        [(0, Action::StartWrites), (0, Action::KillLeader), (40_000, Action::KillLeader), (90_000, Action::KillLeader)];
    let r = run(Config::default(), &script, 150_000);
    let model = r.model();
    let records = model.failovers();
    let summary: Vec<(NodeId, Option<NodeId>, Outcome)> =
        records.iter().map(|f| (f.old_leader, f.new_leader, f.outcome)).collect();
    assert_eq!(
        summary,
        [(L, Some(F1), Outcome::Completed), (F1, Some(F2), Outcome::Completed), (F2, None, Outcome::Unnoticed)]
    );
    // F2 trails F1 by 30 entries (3 s), so it loses F1's last 30.
    assert_eq!(records[1].lost.unwrap().count, 30);
    // F1's heartbeat of 40.000 s dies in its send buffer: the last one arrived at 39.005 s.
    assert_eq!(records[1].phase(Phase::Detection), Some(span(Phase::Detection, 40_000, 69_005)));
    assert!(key_lines(model).contains("No running follower is left to notice that F2 is gone: nobody takes over."));
    assert!(!model.can(&Action::KillLeader));
}

/// A new leader that dies before clients are repointed leaves its failover interrupted; the next one follows.
#[test]
fn a_new_leader_dying_during_reconfiguration_interrupts_the_failover() {
    let r = run(Config::default(), &[(0, Action::KillLeader), (31_500, Action::KillLeader)], 70_000);
    let records = r.model().failovers();
    assert_eq!(records[0].outcome, Outcome::Interrupted);
    assert_eq!(records[0].writes_resumed_at, None);
    assert_eq!(records[1].old_leader, F1);
    // F1's last heartbeat arrived at 31.005 s, 5 ms after its promotion.
    assert_eq!(records[1].phase(Phase::Detection), Some(span(Phase::Detection, 31_500, 61_005)));
    assert_eq!(records[1].new_leader, Some(F2));
    assert_eq!(r.model().cluster().published, F2);
    assert_eq!(r.model().metrics().write_downtime_ms, 63_005);
}

/// If the new leader comes back itself before anyone replaces it, the interrupted reconfiguration runs again.
#[test]
fn a_new_leader_back_from_the_dead_finishes_its_reconfiguration() {
    let script = [(0, Action::KillLeader), (31_500, Action::KillLeader), (40_000, Action::RestartOldLeader)];
    let r = run(Config::default(), &script, 45_000);
    let model = r.model();
    // L is fenced and stays down; the lowest-numbered node down is L, so restart twice to reach F1.
    assert_eq!(model.nodes()[0].status, Status::Running);
    let r = run(
        Config::default(),
        &[
            (0, Action::KillLeader),
            (31_500, Action::KillLeader),
            (40_000, Action::RestartOldLeader),
            (40_000, Action::RestartOldLeader),
        ],
        45_000,
    );
    let model = r.model();
    let records = model.failovers();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].outcome, Outcome::LeaderReturned);
    assert_eq!(records[1].phase(Phase::Reconfiguration), Some(span(Phase::Reconfiguration, 40_000, 41_000)));
    assert_eq!(records[1].writes_resumed_at, Some(Time::from_ms(41_000)));
    assert_eq!(model.cluster().published, F1);
    assert_eq!(model.metrics().write_downtime_ms, 41_000);
}

/// "If a follower stays down longer than the leader's retention window, … it has to be rebuilt from a fresh
/// snapshot": L, back after 250 s, is further behind than F1 keeps its log.
#[test]
fn an_old_leader_back_too_late_is_rebuilt_from_a_snapshot() {
    let script = [(0, Action::StartWrites), (0, Action::KillLeader), (250_000, Action::RestartOldLeader)];
    let r = run(Config::default(), &script, 252_000);
    let model = r.model();
    let text = key_lines(model);
    assert!(
        text.contains("t=250.000 s L is too far behind for F1's kept log and is rebuilt from a snapshot at LSN 7171."),
        "{text}"
    );
    let l = &model.nodes()[0];
    assert_eq!((l.role, l.following, l.behind), (Role::Follower, Some(F1), 10));
}

#[test]
fn actions_that_cannot_apply_say_so() {
    let script = [
        (100, Action::RestartOldLeader),
        (200, Action::StopWrites),
        (300, Action::StartWrites),
        (400, Action::StartWrites),
    ];
    let text = key_lines(run(Config::default(), &script, 1_000).model());
    assert!(text.contains("Every node is running; there is nothing to restart."));
    assert!(text.contains("Writes are already stopped."));
    assert!(text.contains("Writes are already running."));
    let text = key_lines(run(Config::default(), &[(0, Action::KillLeader), (10, Action::KillLeader)], 100).model());
    assert!(text.contains("No leader is running, so there is none to kill."));
}

#[test]
fn out_of_range_settings_are_clamped() {
    let wild = Config {
        followers: 9,
        writes_per_sec: 0,
        lag_entries: [u64::MAX; 5],
        heartbeat_interval_ms: 0,
        heartbeat_latency: Latency::Exponential { floor_ms: u64::MAX, mean_ms: f64::NAN },
        detection_timeout_ms: 1,
        election_ms: u64::MAX,
        reconfiguration_ms: u64::MAX,
        max_lag_for_promotion: Some(u64::MAX),
        fencing: Fencing::Off,
        replication: Replication::Sync,
        clients: 0,
        stale_clients: 200,
        start_lsn: Lsn(u64::MAX),
        start_row_id: u64::MAX,
    };
    let c = wild.clamped();
    assert_eq!((c.followers, c.writes_per_sec, c.lag_entries[0]), (4, 1, 1_000));
    assert_eq!((c.heartbeat_interval_ms, c.detection_timeout_ms), (100, 200));
    assert_eq!((c.clients, c.stale_clients, c.start_lsn.0, c.start_row_id), (1, 1, 1_000_000_000, 1_000_000_000));
    let r = run(
        wild.clone(),
        &[(0, Action::StartWrites), (500, Action::KillLeader), (900, Action::Configure(wild))],
        5_000,
    );
    assert_eq!(r.model().nodes().len(), 5);
    assert!(key_lines(r.model()).contains("out-of-range values are clamped"));
    // Ids below the first row simply read as 0; nothing underflows.
    let early = Config { start_row_id: 0, ..Config::default() };
    let r = run(early, &[(0, Action::StartWrites), (0, Action::KillLeader)], 40_000);
    assert_eq!(r.model().failovers()[0].lost.unwrap().first_row_id, 0);
    let heavy =
        Config { heartbeat_latency: Latency::Exponential { floor_ms: u64::MAX, mean_ms: 1e300 }, ..Config::default() };
    assert_eq!(heavy.clamped().heartbeat_latency, Latency::Exponential { floor_ms: 500, mean_ms: 500.0 });
    let r = run(heavy, &[(0, Action::StartWrites)], 10_000);
    assert_eq!(r.model().cluster().stage, Stage::Watching, "a slow heartbeat never looks like a dead leader");
}

#[test]
fn messages_in_flight_are_listed_with_their_times() {
    let model = Failover::new(1, Config::default());
    let messages = model.messages();
    // F1's 10 and F2's 30 missing entries are on their way, one per write interval.
    assert_eq!(messages.len(), 40);
    let to_f1: Vec<(u64, u64)> =
        messages.iter().filter(|m| m.to == F1).map(|m| (m.first.unwrap().0, m.deliver_at.as_ms())).collect();
    assert_eq!(to_f1.first(), Some(&(4991, 100)));
    assert_eq!(to_f1.last(), Some(&(5000, 1_000)));
}

#[test]
fn trace_of_the_worked_example() {
    let r = run(
        Config::default(),
        &[(0, Action::StartWrites), (0, Action::KillLeader), (40_000, Action::RestartOldLeader)],
        42_000,
    );
    expect![[r#"
        t=0.000 s L leads at LSN 5000 (row id 1010); F1 at LSN 4990 (10 behind) and F2 at LSN 4970 (30 behind). Replication is asynchronous, fencing is on (STONITH), and the detection timeout is 30000 ms.
        t=0.000 s Clients start writing: 10 writes per second, one every 100 ms.
        t=0.000 s L crashes at LSN 5000 (row id 1010); F1 has LSN 4990 and F2 has LSN 4970.
        t=0.100 s c1's write #1 is rejected: L, where it sends writes, is down.
        t=0.200 s c2's write #2 is rejected: L, where it sends writes, is down.
        t=30.000 s L has sent no heartbeat for 30000 ms: the followers declare it dead and start an election (F1 at LSN 4990 and F2 at LSN 4970).
        t=31.000 s F1 wins the election with the most up-to-date log, LSN 4990 (F2 has LSN 4970).
        t=31.000 s L is fenced (STONITH): it stays powered off, and if it returns it may only follow F1.
        t=31.000 s F1 is promoted to leader of epoch 2 at LSN 4990; its next write will be LSN 4991 (row id 1001).
        t=31.000 s LSN 4991–5000 (row ids 1001–1010) exist only on L: 10 writes are lost, and all 10 had been confirmed to clients.
        t=31.000 s F2 now follows F1 from LSN 4970.
        t=32.000 s Clients are repointed to F1, which accepts writes from LSN 4991 (row id 1001).
        t=32.000 s F1 hands out row id 1001 again: L gave it to a different row at LSN 4991 in epoch 1. Anything keyed by id (a cache, a search index) now mixes the two up.
        t=40.000 s L restarts at LSN 5000; fencing keeps it from leading, so it rejoins as a follower of F1 (epoch 2).
        t=40.000 s L discards LSN 4991–5000 (10 entries) that F1's history does not have, and follows F1.
    "#]].assert_eq(&key_lines(r.model()));
    expect![[r#"
        L follower up epoch 2 LSN 5081 (row id 1091) behind 10 accepted 0
        F1 leader up epoch 2 LSN 5091 (row id 1101) behind 0 accepted 101
        F2 follower up epoch 2 LSN 5061 (row id 1071) behind 30 accepted 0
        writes sent 420 ok 101 rejected 319 failed 0 lost 10 downtime 32000 ms failovers 1 split-brain 0 ms / 0 writes collisions 10
    "#]].assert_eq(&r.model().render_state());
}

// ----- properties -----

fn config_strategy() -> impl Strategy<Value = Config> {
    (
        (0u8..6, 0u32..60, prop::array::uniform5(0u64..60), 0u64..3_000, 0u64..200),
        (0u64..40_000, 0u64..3_000, 0u64..3_000, prop::option::of(0u64..40)),
        (any::<bool>(), any::<bool>(), 0u8..6, 0u8..6),
    )
        .prop_map(
            |(
                (followers, rate, lags, interval, latency),
                (timeout, election, reconf, max_lag),
                (fence, sync, clients, stale),
            )| Config {
                followers,
                writes_per_sec: rate,
                lag_entries: lags,
                heartbeat_interval_ms: interval,
                heartbeat_latency: Latency::Uniform { min_ms: latency / 2, max_ms: latency },
                detection_timeout_ms: timeout,
                election_ms: election,
                reconfiguration_ms: reconf,
                max_lag_for_promotion: max_lag,
                fencing: if fence { Fencing::Stonith } else { Fencing::Off },
                replication: if sync { Replication::Sync } else { Replication::Async },
                clients,
                stale_clients: stale,
                start_lsn: Lsn(5_000),
                start_row_id: 1_010,
            },
        )
}

fn action_strategy() -> impl Strategy<Value = Action> {
    prop_oneof![
        2 => Just(Action::StartWrites),
        1 => Just(Action::StopWrites),
        3 => Just(Action::KillLeader),
        3 => Just(Action::RestartOldLeader),
        1 => config_strategy().prop_map(Action::Configure),
    ]
}

fn script_strategy() -> impl Strategy<Value = Vec<(u64, Action)>> {
    prop::collection::vec((0u64..60_000, action_strategy()), 0..10).prop_map(|mut v| {
        v.sort_by_key(|(t, _)| *t);
        v
    })
}

/// Keeps the settings a property needs, whatever a random `Configure` says.
fn pin(script: Vec<(u64, Action)>, pin: impl Fn(&mut Config)) -> Vec<(u64, Action)> {
    script
        .into_iter()
        .map(|(t, a)| match a {
            Action::Configure(mut c) => {
                pin(&mut c);
                (t, Action::Configure(c))
            }
            other => (t, other),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, .. ProptestConfig::default() })]

    /// Same seed and same actions: the same run, event for event.
    #[test]
    fn runs_are_deterministic(seed in any::<u64>(), config in config_strategy(), script in script_strategy()) {
        let a = {
            let mut r = Replay::new(Failover::new(seed, config.clone()), Time::from_ms(90_000));
            for (t, act) in &script { r.seek(Time::from_ms(*t)); r.act(act.clone()); }
            r.seek(Time::from_ms(90_000));
            r
        };
        let b = {
            let mut r = Replay::new(Failover::new(seed, config), Time::from_ms(90_000));
            for (t, act) in &script { r.seek(Time::from_ms(*t)); r.act(act.clone()); }
            r.seek(Time::from_ms(90_000));
            r
        };
        prop_assert_eq!(a.model(), b.model());
    }

    /// Stepping back lands on exactly the state first seen there, at every position.
    #[test]
    fn step_back_is_exact(seed in any::<u64>(), script in script_strategy()) {
        let config = Config { detection_timeout_ms: 3_000, ..Config::default() };
        let (mut r, seen) = run_stepping(seed, config, &script, 8_000, Keep::Every, |_| {});
        prop_assert_eq!(r.cursor() as usize, seen.len() - 1);
        while r.step_back() {
            prop_assert_eq!(r.model(), &seen[r.cursor() as usize]);
        }
    }

    /// No action sequence, with any settings, panics; and every write sent is accounted for.
    #[test]
    fn no_action_sequence_panics(seed in any::<u64>(), config in config_strategy(), script in script_strategy()) {
        let (r, _) = run_stepping(seed, config, &script, 90_000, Keep::None, |_| {});
        let model = r.model();
        let m = model.metrics();
        let waiting: u64 = model.nodes().iter().map(|n| n.writes_waiting as u64).sum();
        // Waiting writes include ones made before the run began, so this is an upper bound on in-run ones.
        prop_assert!(m.writes_acknowledged + m.writes_rejected + m.writes_failed <= m.writes_sent, "{}", model.render_state());
        prop_assert!(m.writes_sent <= m.writes_acknowledged + m.writes_rejected + m.writes_failed + waiting, "{}", model.render_state());
    }

    /// The election never promotes a follower while an eligible one has a higher LSN.
    #[test]
    fn failover_promotes_the_most_up_to_date_eligible_follower(
        seed in any::<u64>(), config in config_strategy(), script in script_strategy(),
    ) {
        let (r, _) = run_stepping(seed, config, &script, 90_000, Keep::None, |_| {});
        for f in r.model().failovers() {
            let Some(winner) = f.new_leader else { continue };
            let won = f.candidates.iter().find(|c| c.node == winner).expect("the winner was a candidate");
            prop_assert_eq!(won.eligibility, Eligibility::Eligible);
            for c in f.candidates.iter().filter(|c| c.eligibility == Eligibility::Eligible) {
                prop_assert!(c.last < won.last || (c.last == won.last && c.node >= winner), "{:?}", f);
            }
        }
    }

    /// With fencing on, at no moment do two running nodes act as leader, and no deposed leader takes a write.
    #[test]
    fn with_fencing_two_leaders_never_both_accept_writes(
        seed in any::<u64>(), config in config_strategy(), script in script_strategy(),
    ) {
        let config = Config { fencing: Fencing::Stonith, ..config };
        let script = pin(script, |c| c.fencing = Fencing::Stonith);
        let mut most = 0;
        let (r, _) = run_stepping(seed, config, &script, 90_000, Keep::None, |m| most = most.max(m.running_leaders().len()));
        prop_assert!(most <= 1);
        let m = r.model().metrics();
        prop_assert_eq!((m.split_brain_ms, m.split_brain_writes), (0, 0));
    }

    /// Synchronous replication never loses a write a client was told had succeeded.
    #[test]
    fn sync_replication_never_loses_an_acknowledged_write(
        seed in any::<u64>(), config in config_strategy(), script in script_strategy(),
    ) {
        let config = Config { replication: Replication::Sync, ..config };
        let script = pin(script, |c| c.replication = Replication::Sync);
        let (r, _) = run_stepping(seed, config, &script, 90_000, Keep::None, |_| {});
        prop_assert_eq!(r.model().metrics().acknowledged_writes_lost, 0, "{}", r.model().render_state());
    }
}
