//! Scenario tests of chapter 0's model: what a reader sees when they press the buttons, checked against what a
//! real primary/replica system with a failure detector must do.

use expect_test::expect;
use proptest::prelude::*;
use sim::service::{Action, Config, Role, Service, NODES_MAX};
use sim::{Model, Replay, Time};

const HORIZON_MS: u64 = 60_000;

fn run(seed: u64, script: &[(u64, Action)], until_ms: u64) -> Replay<Service> {
    let mut replay = Replay::new(Service::new(seed, Config::default()), Time::from_ms(HORIZON_MS));
    for &(at_ms, action) in script {
        replay.seek(Time::from_ms(at_ms));
        replay.act(action);
    }
    replay.seek(Time::from_ms(until_ms));
    replay
}

/// Like `run`, one entry at a time, keeping the state after every entry.
fn run_recording(seed: u64, script: &[(u64, Action)], until_ms: u64) -> (Replay<Service>, Vec<Service>) {
    let mut replay = Replay::new(Service::new(seed, Config::default()), Time::from_ms(until_ms));
    let mut seen = vec![replay.model().clone()];
    let mut pending = script.iter().peekable();
    loop {
        let next_event = replay.model().next_event_at();
        if let Some(&&(at_ms, action)) = pending.peek() {
            if next_event.is_none_or(|t| Time::from_ms(at_ms) < t) && at_ms <= until_ms {
                replay.seek(Time::from_ms(at_ms));
                replay.act(action);
                seen.push(replay.model().clone());
                pending.next();
                continue;
            }
        }
        if !replay.step_forward() {
            break;
        }
        seen.push(replay.model().clone());
    }
    (replay, seen)
}

#[test]
fn a_single_node_serves_everything_until_it_dies_then_nothing() {
    let before = run(7, &[], 2_000);
    let m = before.model().metrics();
    assert_eq!(m.reads_failed + m.writes_failed, 0, "a healthy single node fails nothing");
    assert!(m.reads_ok + m.writes_ok >= 10);

    let after = run(7, &[(2_000, Action::KillPrimary)], 6_000);
    let m2 = after.model().metrics();
    // Requests answered after the crash can only be ones sent before it (replies already on the wire).
    assert!(m2.reads_ok + m2.writes_ok <= m.reads_ok + m.writes_ok + 2);
    // Every request sent during the outage fails: one every 150 ms for 4 s, minus those still waiting.
    assert!(m2.reads_failed + m2.writes_failed >= 24, "{m2:?}");
    assert_eq!(m2.full_outage_ms, 4_000, "nothing can serve from the crash on");
    assert_eq!(m2.write_outage_ms, 4_000);
    assert!(m2.availability().unwrap() < 0.5);
    assert!(!after.model().can(Action::KillPrimary));
}

#[test]
fn a_restarted_single_node_is_promoted_again_and_keeps_its_data() {
    let r = run(7, &[(2_000, Action::KillPrimary), (5_000, Action::RestartCrashed)], 9_000);
    let service = r.model();
    let n1 = &service.nodes()[0];
    assert!(n1.up);
    assert_eq!(n1.role, Role::Primary);
    let m = service.metrics();
    assert_eq!(m.acked_writes_lost, 0, "its log was on disk");
    assert_eq!(m.failovers, 1);
    // Outage lasts from the crash until the monitor hears the restarted node and re-routes the client.
    assert!((3_000..3_200).contains(&m.full_outage_ms), "{m:?}");
    let late = run(7, &[(2_000, Action::KillPrimary), (5_000, Action::RestartCrashed)], 12_000).model().metrics();
    assert!(late.writes_ok > m.writes_ok, "writes succeed again");
}

#[test]
fn with_replicas_reads_survive_and_failover_restores_writes_within_detection_time() {
    for seed in 1..=20 {
        let script = [(500, Action::AddReplica), (500, Action::AddReplica), (4_000, Action::KillPrimary)];
        let r = run(seed, &script, 9_000);
        let m = r.model().metrics();
        let config = Config::default();
        assert_eq!(m.full_outage_ms, 0, "seed {seed}: replicas keep reads going");
        assert_eq!(m.failovers, 1, "seed {seed}");
        // Writes are down from the crash until the monitor notices (the timeout, checked every heartbeat
        // interval) and the promoted node's heartbeat and the new route have crossed the network.
        let min = config.detection_timeout_ms;
        let max = config.detection_timeout_ms + config.heartbeat_interval_ms * 2 + 3 * 20;
        assert!((min..=max).contains(&m.write_outage_ms), "seed {seed}: {m:?}");
        let primaries: Vec<_> = r.model().nodes().into_iter().filter(|n| n.up && n.role == Role::Primary).collect();
        assert_eq!(primaries.len(), 1, "seed {seed}");
        assert_ne!(primaries[0].id.0, 1);
        let before = run(seed, &script, 6_500).model().metrics();
        assert!(m.writes_ok > before.writes_ok, "seed {seed}: writes resume");
    }
}

#[test]
fn reads_are_spread_over_every_copy() {
    let r = run(3, &[(200, Action::AddReplica), (200, Action::AddReplica), (200, Action::AddReplica)], 20_000);
    let nodes = r.model().nodes();
    assert_eq!(nodes.len(), NODES_MAX);
    let reads: Vec<u64> = nodes.iter().map(|n| n.reads_served).collect();
    let (lo, hi) = (*reads.iter().min().unwrap(), *reads.iter().max().unwrap());
    assert!(lo > 0 && hi - lo <= hi / 3, "round-robin keeps the load even: {reads:?}");
    assert!(!r.model().can(Action::AddReplica));
}

/// Asynchronous replication acknowledges before shipping: a crash inside that window loses writes the client
/// was told succeeded, and the returning old primary must throw them away.
#[test]
fn async_replication_loses_acknowledged_writes_on_failover() {
    // The primary ships every 100 ms, so a crash at a random moment in that cycle sometimes catches a write.
    let lossy = (1..=200u64).find_map(|seed| {
        let kill_ms = 3_000 + (seed * 37) % 100;
        let script = [(500, Action::AddReplica), (kill_ms, Action::KillPrimary), (6_000, Action::RestartCrashed)];
        let r = run(seed, &script, 9_000);
        (r.model().metrics().acked_writes_lost > 0).then_some(r)
    });
    let r = lossy.expect("some timing among 200 seeds catches a write in the shipping window");
    let service = r.model();
    let text = service.trace().render();
    assert!(text.contains("acknowledged write(s) never reached n2 and are lost"), "{text}");
    assert!(text.contains("n1 discards"), "{text}");
    // After the old primary rejoins, everyone holds the same log again.
    let nodes = service.nodes();
    assert!(nodes.iter().all(|n| n.behind == 0 && n.up), "{}", service.render_state());
}

#[test]
fn actions_that_cannot_apply_say_so_instead_of_failing() {
    let r = run(1, &[(100, Action::RestartCrashed), (200, Action::KillPrimary), (300, Action::KillPrimary)], 1_000);
    let text = r.model().trace().render();
    assert!(text.contains("No node is down."));
    assert!(text.contains("There is no running primary to kill."));
}

#[test]
fn trace_of_the_default_failover_story() {
    let script = [
        (1_000, Action::AddReplica),
        (1_000, Action::AddReplica),
        (3_000, Action::KillPrimary),
        (6_000, Action::RestartCrashed),
    ];
    let r = run(1, &script, 8_000);
    let key_lines: String = r
        .model()
        .trace()
        .events()
        .iter()
        .filter(|e| e.salience == sim::Salience::Key)
        .map(|e| format!("{} {}\n", e.at, e.text))
        .collect();
    expect![[r#"
        t=0.000 s n1 is the only database node and the primary; the client starts sending requests.
        t=1.000 s A new node n2 starts, empty, and will copy the primary's log.
        t=1.000 s A new node n3 starts, empty, and will copy the primary's log.
        t=1.227 s The client's router updates: writes go to n1; reads to n1, n3.
        t=1.230 s The client's router updates: writes go to n1; reads to n1, n2, n3.
        t=3.000 s n1, the primary, crashes.
        t=3.700 s The write #23 to n1 gets no answer in 400 ms and fails.
        t=3.850 s The write #24 to n1 gets no answer in 400 ms and fails.
        t=4.000 s The read #25 to n1 gets no answer in 400 ms and fails.
        t=4.200 s The monitor has heard nothing from n1 for 1000 ms and declares it down.
        t=4.200 s The monitor promotes n2, the most up-to-date copy (LSN 7).
        t=4.211 s n2 is promoted to primary (epoch 2) at LSN 7.
        t=4.213 s The client's router updates: writes go to none; reads to n2, n3.
        t=4.238 s The client's router updates: writes go to n2; reads to n2, n3.
        t=4.450 s The read #28 to n1 gets no answer in 400 ms and fails.
        t=6.000 s n1 restarts with its log on disk (LSN 7) and asks the monitor what to do.
        t=6.015 s The monitor hears from n1 again.
        t=6.063 s The client's router updates: writes go to n2; reads to n1, n2, n3.
    "#]]
    .assert_eq(&key_lines);
    expect![[r#"
        n1 replica up LSN 15 (epoch 2) behind 0 reads 12 writes 7
        n2 primary up LSN 15 (epoch 2) behind 0 reads 12 writes 8
        n3 replica up LSN 15 (epoch 2) behind 0 reads 11 writes 0
        reads 34/36 writes 15/17 lost 0 write-outage 1238 ms full-outage 0 ms failovers 1
    "#]]
    .assert_eq(&r.model().render_state());
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![Just(Action::KillPrimary), Just(Action::AddReplica), Just(Action::RestartCrashed)]
}

fn script() -> impl Strategy<Value = Vec<(u64, Action)>> {
    prop::collection::vec((0u64..15_000, action()), 0..8).prop_map(|mut v| {
        v.sort_by_key(|(t, _)| *t);
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, .. ProptestConfig::default() })]

    /// Same seed and same actions: the same run, event for event.
    #[test]
    fn runs_are_deterministic(seed in any::<u64>(), script in script()) {
        let a = run(seed, &script, 20_000);
        let b = run(seed, &script, 20_000);
        prop_assert_eq!(a.model(), b.model());
    }

    /// Stepping back lands on exactly the state the run was in the first time through, at every position.
    #[test]
    fn step_back_is_exact(seed in any::<u64>(), script in script()) {
        let (mut r, seen) = run_recording(seed, &script, 6_000);
        prop_assert_eq!(r.cursor() as usize, seen.len() - 1);
        while r.step_back() {
            prop_assert_eq!(r.model(), &seen[r.cursor() as usize]);
        }
        prop_assert_eq!(r.cursor(), 0);
    }

    /// Whatever the reader does, once every node is back and the dust settles, all copies agree, exactly one
    /// node is primary, and every write the client was told succeeded is either on it or counted as lost.
    #[test]
    fn copies_converge_and_every_acknowledged_write_is_accounted_for(seed in any::<u64>(), script in script()) {
        let mut all = script.clone();
        all.extend((0..NODES_MAX).map(|_| (16_000, Action::RestartCrashed)));
        let r = run(seed, &all, 24_000);
        let service = r.model();
        let nodes = service.nodes();
        let primaries = nodes.iter().filter(|n| n.role == Role::Primary).count();
        prop_assert_eq!(primaries, 1, "{}", service.render_state());
        prop_assert!(nodes.iter().all(|n| n.up && n.behind <= 1), "{}", service.render_state());
        let m = service.metrics();
        prop_assert_eq!(m.writes_ok, service.acknowledged_writes_held() + m.acked_writes_lost, "{}", service.render_state());
    }
}
