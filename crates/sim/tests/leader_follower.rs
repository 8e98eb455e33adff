//! Scenario tests of chapter 1's model: the course's worked example "Tracing a Write" reproduced to the
//! millisecond, each durability mode's latency and safety, follower crashes, catch-up and new followers, and the
//! chapter's read-scaling and data-at-risk arithmetic with the course's own numbers.

use expect_test::expect;
use proptest::prelude::*;
use sim::leader_follower::{
    data_at_risk, rpo_ms, Action, Addr, Config, ConfigError, Durability, Fate, FollowerConfig, FollowerId,
    FollowerPart, LeaderFollower, Lsn, MessageKind, Phase, ReadScaling, Replication, Setting, WriteStatus,
    FOLLOWERS_MAX, SETTING_MS_MAX,
};
use sim::{Model, Replay, Salience, Time};

const HORIZON_MS: u64 = 60_000;
const F1: FollowerId = FollowerId(1);
const F2: FollowerId = FollowerId(2);
const F3: FollowerId = FollowerId(3);

fn run(config: Config, seed: u64, script: &[(u64, Action)], until_ms: u64) -> Replay<LeaderFollower> {
    let mut replay = Replay::new(LeaderFollower::new(seed, config), Time::from_ms(HORIZON_MS));
    for &(at_ms, action) in script {
        replay.seek(Time::from_ms(at_ms));
        replay.act(action);
    }
    replay.seek(Time::from_ms(until_ms));
    replay
}

fn with(durability: Durability) -> Config {
    Config { durability, ..Config::default() }
}

/// Key lines after the opening description, as (ms, text).
fn key_lines(model: &LeaderFollower) -> Vec<(u64, String)> {
    model
        .trace()
        .events()
        .iter()
        .filter(|e| e.salience == Salience::Key)
        .skip(1)
        .map(|e| (e.at.as_ms(), e.text.clone()))
        .collect()
}

/// Course, chapter 1, "Worked Example: Tracing a Write": 1 leader, 2 followers, semi-synchronous. The client
/// sends at t=0, the leader writes LSN 1042 to its WAL at t=1, sends it to both followers at t=2, Follower-1
/// (synchronous) applies and ACKs at t=5, the leader has its one sync ACK and the client gets OK at t=6, and
/// Follower-2 (asynchronous) applies at t=12, lagging by about 6 ms. The data is on the leader and Follower-1
/// at the moment of OK.
#[test]
fn worked_example_tracing_a_write() {
    let r = run(Config::default(), 1, &[(0, Action::SendWrite)], 100);
    let model = r.model();
    let expected: Vec<(u64, &str)> = vec![
        (0, "The client sends write #1 to the leader: INSERT INTO users (name) VALUES ('Alice')."),
        (1, "The leader writes INSERT users ('Alice') to its WAL at LSN 1042."),
        (2, "The leader sends LSN 1042 to F1 (synchronous) and F2 (asynchronous)."),
        (5, "F1 applies LSN 1042 and sends an ACK to the leader, which waits for it."),
        (6, "The leader has 1 synchronous ACK for LSN 1042 (F1) and tells the client OK: write committed."),
        (6, "The client gets OK for write #1 after 6 ms; LSN 1042 is on the leader and F1."),
        (12, "F2 applies LSN 1042; no one was waiting for it, 6 ms after the client's OK."),
    ];
    let got = key_lines(model);
    let got: Vec<(u64, &str)> = got.iter().map(|(t, s)| (*t, s.as_str())).collect();
    assert_eq!(got, expected);

    let write = &model.writes()[0];
    assert_eq!(write.lsn, Some(Lsn(1042)));
    assert_eq!(write.sent_at, Time::ZERO);
    assert_eq!(write.ok_at, Some(Time::from_ms(6)));
    assert_eq!(write.wait_ms, Some(6));
    assert_eq!(write.held_at_ok, vec![Addr::Leader, Addr::Follower(F1)]);
    assert_eq!(write.status, WriteStatus::Acknowledged);

    // The messages on the wire at t=2: both copies of LSN 1042, sent at 2, arriving at 3 and 10.
    let at_2 = run(Config::default(), 1, &[(0, Action::SendWrite)], 2);
    let wire: Vec<_> =
        at_2.model().messages().into_iter().map(|m| (m.to, m.kind, m.lsn, m.sent_at, m.deliver_at)).collect();
    let ms = Time::from_ms;
    assert_eq!(
        wire,
        vec![
            (Addr::Follower(F1), MessageKind::Replicate, Some(Lsn(1042)), ms(2), ms(3)),
            (Addr::Follower(F2), MessageKind::Replicate, Some(Lsn(1042)), ms(2), ms(10)),
        ]
    );
    // At t=5 F1's ACK is on its way back; F2 has not even received the change.
    let at_5 = run(Config::default(), 1, &[(0, Action::SendWrite)], 5);
    let acks: Vec<_> = at_5.model().messages().into_iter().filter(|m| m.kind == MessageKind::Ack).collect();
    assert_eq!(acks.len(), 1);
    assert_eq!((acks[0].from, acks[0].lsn, acks[0].deliver_at), (Addr::Follower(F1), Some(Lsn(1042)), ms(6)));
    let nodes = at_5.model().nodes();
    assert_eq!((nodes[1].last_lsn, nodes[1].applied_lsn), (Lsn(1042), Lsn(1042)));
    assert_eq!((nodes[2].last_lsn, nodes[2].applied_lsn), (Lsn(1041), Lsn(1041)));
    assert_eq!(nodes[1].replication, Some(Replication::Synchronous));
    assert_eq!(nodes[2].replication, Some(Replication::Asynchronous));
    assert_eq!(nodes[2].lag_ms, 4, "LSN 1042 was written on the leader at t=1");
    // Everything settles: every node at LSN 1042.
    assert!(model.nodes().iter().all(|n| n.applied_lsn == Lsn(1042) && n.behind_records == 0));
}

#[test]
fn trace_of_the_worked_example() {
    let r = run(Config::default(), 1, &[(0, Action::SendWrite)], 100);
    expect![[r#"
        * t=0.000 s A leader and 2 followers hold the same log up to LSN 1041; replication is semi-synchronous (first 1): the leader waits for F1.
          t=0.000 s The followers: F1 (1 ms away), F2 (8 ms away).
        * t=0.000 s The client sends write #1 to the leader: INSERT INTO users (name) VALUES ('Alice').
          t=0.000 s The leader receives write #1 and starts writing it to its WAL as LSN 1042.
        * t=0.001 s The leader writes INSERT users ('Alice') to its WAL at LSN 1042.
        * t=0.002 s The leader sends LSN 1042 to F1 (synchronous) and F2 (asynchronous).
          t=0.003 s F1 receives LSN 1042 and writes it to its WAL.
        * t=0.005 s F1 applies LSN 1042 and sends an ACK to the leader, which waits for it.
          t=0.006 s The leader records F1's ACK for LSN 1042.
        * t=0.006 s The leader has 1 synchronous ACK for LSN 1042 (F1) and tells the client OK: write committed.
        * t=0.006 s The client gets OK for write #1 after 6 ms; LSN 1042 is on the leader and F1.
          t=0.010 s F2 receives LSN 1042 and writes it to its WAL.
        * t=0.012 s F2 applies LSN 1042; no one was waiting for it, 6 ms after the client's OK.
          t=0.020 s The leader records F2's ACK for LSN 1042.
    "#]]
    .assert_eq(&r.model().trace().render());
    expect![[r#"
        L leading last LSN 1042 applied LSN 1042 behind 0 lag 0 ms
        F1 streaming synchronous last LSN 1042 applied LSN 1042 behind 0 lag 0 ms
        F2 streaming asynchronous last LSN 1042 applied LSN 1042 behind 0 lag 0 ms
        writes sent 1 acknowledged 1 unanswered 0 max-wait 6 ms lost 0 survived 0
    "#]]
    .assert_eq(&r.model().render_state());
}

/// The chapter's trade-off in one table: asynchronous answers after the leader's own WAL write (1 ms) with the
/// data on the leader only; semi-synchronous after the nearest sync follower (6 ms); synchronous after the
/// farthest follower (20 ms), with every copy in place.
#[test]
fn each_mode_trades_latency_for_copies_at_the_moment_of_ok() {
    let cases = [
        (Durability::Asynchronous, 1, vec![Addr::Leader]),
        (Durability::SemiSynchronous { sync_count: 1 }, 6, vec![Addr::Leader, Addr::Follower(F1)]),
        (Durability::SemiSynchronous { sync_count: 2 }, 20, vec![Addr::Leader, Addr::Follower(F1), Addr::Follower(F2)]),
        (Durability::Synchronous, 20, vec![Addr::Leader, Addr::Follower(F1), Addr::Follower(F2)]),
    ];
    for (durability, wait_ms, held) in cases {
        let r = run(with(durability), 1, &[(0, Action::SendWrite)], 100);
        let w = &r.model().writes()[0];
        assert_eq!(w.wait_ms, Some(wait_ms), "{durability}");
        assert_eq!(w.held_at_ok, held, "{durability}");
        assert_eq!(rpo_ms(durability, 11), if durability == Durability::Asynchronous { 11 } else { 0 });
    }
}

/// "If the leader dies before the change reaches any follower, that write is permanently lost. The client got a
/// 'success' acknowledgment for data that no longer exists."
#[test]
fn asynchronous_loses_a_write_acknowledged_before_any_follower_has_it() {
    let r = run(with(Durability::Asynchronous), 1, &[(0, Action::SendWrite), (1, Action::KillLeader)], 100);
    let model = r.model();
    let w = &model.writes()[0];
    assert_eq!(w.status, WriteStatus::Acknowledged, "OK came at t=1, right after the WAL write");
    assert_eq!(w.fate, Some(Fate::Lost));
    let report = model.loss_report().expect("the leader died");
    assert_eq!(report.lost, vec![(w.id, Lsn(1042))]);
    assert!(report.survived.is_empty());
    assert_eq!(model.metrics().acked_writes_lost, 1);
    let text = model.trace().render();
    assert!(
        text.contains("Write #1 (LSN 1042) was confirmed to the client 0 ms ago but reached no follower: it is lost."),
        "{text}"
    );
    // Nothing reaches the followers afterwards: the leader's send at t=2 never happens.
    assert!(model.nodes()[1..].iter().all(|n| n.last_lsn == Lsn(1041)));

    // The same timing under semi-synchronous replication: the write is not yet acknowledged, so nothing the
    // client was told is lost; the client simply never hears back.
    let semi = run(Config::default(), 1, &[(0, Action::SendWrite), (1, Action::KillLeader)], 100);
    let w = &semi.model().writes()[0];
    assert_eq!(w.status, WriteStatus::Unanswered);
    assert_eq!(semi.model().metrics().acked_writes_lost, 0);
    assert_eq!(semi.model().loss_report().unwrap().unanswered, vec![w.id]);
}

/// With jittery links and a stream of writes, some seed's timing catches acknowledged writes in the window
/// between the leader's OK and any follower receiving them.
#[test]
fn asynchronous_loses_acknowledged_writes_for_some_seed() {
    let jittery = FollowerConfig { link_latency_ms: 5, link_jitter_ms: 10, apply_delay_ms: 2 };
    let config = Config { durability: Durability::Asynchronous, followers: vec![jittery; 3], ..Config::default() };
    let script: Vec<(u64, Action)> = (0..20).map(|i| (i * 3, Action::SendWrite)).collect();
    let lossy = (1..=50u64).find_map(|seed| {
        let mut s = script.clone();
        s.push((30 + seed % 25, Action::KillLeader));
        let r = run(config.clone(), seed, &s, 500);
        (r.model().metrics().acked_writes_lost > 0).then_some(r)
    });
    let r = lossy.expect("some seed among 50 loses an acknowledged write");
    let report = r.model().loss_report().unwrap();
    assert!(!report.lost.is_empty());
    // Every lost write is one no follower holds; every survivor is held somewhere.
    for (id, lsn) in &report.lost {
        assert!(r.model().nodes()[1..].iter().all(|n| n.last_lsn < *lsn), "{id}");
    }
}

/// "If the synchronous follower becomes unavailable, one of the async followers is promoted to synchronous."
#[test]
fn semi_synchronous_promotes_the_next_follower_when_the_sync_one_crashes() {
    let r = run(Config::default(), 1, &[(0, Action::CrashFollower(F1)), (1, Action::SendWrite)], 100);
    let model = r.model();
    assert_eq!(model.synchronous_followers(), vec![F2]);
    let text = model.trace().render();
    assert!(text.contains("The synchronous follower set changes from F1 to F2."), "{text}");
    // Sent at 1, durable at 2, shipped at 3, F2 has it at 11 and applies at 13; its ACK reaches the leader at 21.
    let w = &model.writes()[0];
    assert_eq!((w.ok_at, w.wait_ms), (Some(Time::from_ms(21)), Some(20)));
    assert_eq!(w.held_at_ok, vec![Addr::Leader, Addr::Follower(F2)]);

    // F1 comes back, catches up and takes its synchronous role back (it is first in priority).
    let back = run(
        Config::default(),
        1,
        &[(0, Action::CrashFollower(F1)), (1, Action::SendWrite), (50, Action::RestartFollower(F1))],
        200,
    );
    let nodes = back.model().nodes();
    assert_eq!(nodes[1].phase, Phase::Streaming);
    assert_eq!(nodes[1].last_lsn, Lsn(1042), "F1 caught up from its last LSN, 1041");
    assert_eq!(back.model().synchronous_followers(), vec![F1]);
}

/// The chapter's system-design question: fully synchronous replication and one follower fails — every write
/// blocks until it returns.
#[test]
fn synchronous_blocks_every_write_while_a_follower_is_down() {
    let script = [(0, Action::CrashFollower(F2)), (10, Action::SendWrite), (1_000, Action::RestartFollower(F2))];
    let before = run(with(Durability::Synchronous), 1, &script, 999);
    let w = &before.model().writes()[0];
    assert_eq!(w.status, WriteStatus::Waiting, "no OK while F2 is down");
    let text = before.model().trace().render();
    assert!(text.contains("LSN 1042 cannot be confirmed while F2 is down"), "{text}");

    let after = run(with(Durability::Synchronous), 1, &script, 2_000);
    let w = &after.model().writes()[0];
    // F2 restarts at 1000 and asks for changes after LSN 1041 (arrives 1008); the leader's answer reaches it at
    // 1016, it applies at 1018, its ACK is back at 1026: the client waited 1016 ms.
    assert_eq!(w.ok_at, Some(Time::from_ms(1_026)));
    assert_eq!(w.wait_ms, Some(1_016));
}

#[test]
fn semi_synchronous_with_too_few_streaming_followers_blocks() {
    let config = with(Durability::SemiSynchronous { sync_count: 2 });
    let r = run(config, 1, &[(0, Action::CrashFollower(F1)), (5, Action::SendWrite)], 500);
    assert_eq!(r.model().writes()[0].status, WriteStatus::Waiting);
    let text = r.model().trace().render();
    assert!(text.contains("only 1 follower(s) are streaming and 2 must acknowledge, so writes block"), "{text}");
}

/// The four steps of "Setting Up a New Follower": a consistent snapshot whose LSN is recorded, the copy, the
/// catch-up from that LSN, then streaming.
#[test]
fn a_new_follower_joins_from_a_snapshot_then_catches_up_then_streams() {
    let script = [
        (0, Action::SendWrite),
        (1, Action::SendWrite),
        (2, Action::SendWrite),
        (3, Action::AddFollower),
        (4, Action::SendWrite),
        (5, Action::SendWrite),
    ];
    let phase_at = |ms| run(Config::default(), 1, &script, ms).model().nodes()[3].phase;
    assert_eq!(phase_at(10), Phase::RestoringSnapshot);
    // The snapshot (LSN 1044, the last durable at t=3) needs 2 ms on the link and 50 to copy and restore.
    assert_eq!(phase_at(55), Phase::CatchingUp);
    assert_eq!(phase_at(60), Phase::Streaming);
    let r = run(Config::default(), 1, &script, 200);
    let text = r.model().trace().render();
    assert!(text.contains("The leader takes a consistent snapshot at LSN 1044 without stopping writes"), "{text}");
    assert!(text.contains("F3 restores the snapshot taken at LSN 1044 and asks the leader for every change after it."));
    assert!(text.contains("The leader sends F3 2 records, LSN 1045 to LSN 1046, to catch up."), "{text}");
    let f3 = &r.model().nodes()[3];
    assert_eq!((f3.last_lsn, f3.applied_lsn), (Lsn(1046), Lsn(1046)));
    // A write after it joined reaches it by streaming.
    let later = run(Config::default(), 1, &[script.as_slice(), &[(100, Action::SendWrite)]].concat(), 300);
    assert!(later
        .model()
        .trace()
        .render()
        .contains("The leader sends LSN 1047 to F1 (synchronous), F2 (asynchronous) and F3 (asynchronous)."));
}

/// A follower that was down while more than one catch-up batch of writes happened asks again after each batch.
#[test]
fn a_restarted_follower_catches_up_in_batches() {
    let mut script = vec![(0, Action::CrashFollower(F2))];
    script.extend((1..=100).map(|ms| (ms, Action::SendWrite)));
    script.push((300, Action::RestartFollower(F2)));
    let r = run(Config::default(), 1, &script, 2_000);
    let nodes = r.model().nodes();
    assert_eq!(nodes[0].last_lsn, Lsn(1141));
    assert_eq!((nodes[2].last_lsn, nodes[2].applied_lsn, nodes[2].phase), (Lsn(1141), Lsn(1141), Phase::Streaming));
    let text = r.model().trace().render();
    assert!(text.contains("The leader sends F2 64 records, LSN 1042 to LSN 1105, to catch up; more follow."), "{text}");
    assert!(text.contains("The leader sends F2 36 records, LSN 1106 to LSN 1141, to catch up."), "{text}");
    assert_eq!(r.model().metrics().writes_acknowledged, 100);
}

/// Writes arriving faster than a follower applies them build real lag, visible in the view.
#[test]
fn a_burst_of_writes_builds_lag_on_a_slow_follower() {
    let slow = FollowerConfig { link_latency_ms: 1, link_jitter_ms: 0, apply_delay_ms: 20 };
    let config = Config { followers: vec![Config::default().followers[0], slow], ..Config::default() };
    let script: Vec<(u64, Action)> = (0..10).map(|ms| (ms, Action::SendWrite)).collect();
    let r = run(config, 1, &script, 50);
    let f2 = &r.model().nodes()[2];
    assert_eq!(f2.last_lsn, Lsn(1051), "it has received all ten");
    assert_eq!(f2.applied_lsn, Lsn(1043), "but applied only two by t=50 (one every 20 ms from t=3)");
    assert_eq!(f2.behind_records, 8);
    assert_eq!(f2.lag_ms, 47, "LSN 1044 was written at t=3");
}

#[test]
fn a_crashed_followers_wal_survives_and_its_writes_count_as_held() {
    // Semi-sync: F1 holds the write, then crashes; the leader dies. The write survives on F1's disk.
    let script = [(0, Action::SendWrite), (7, Action::CrashFollower(F1)), (8, Action::KillLeader)];
    let r = run(Config::default(), 1, &script, 100);
    let report = r.model().loss_report().unwrap();
    assert_eq!(report.survived, vec![(r.model().writes()[0].id, Lsn(1042), vec![F1])]);
    assert!(report.lost.is_empty());
}

#[test]
fn out_of_range_settings_are_clamped_and_said() {
    let big = FollowerConfig { link_latency_ms: 20_000, link_jitter_ms: 0, apply_delay_ms: 2 };
    let config = Config {
        durability: Durability::SemiSynchronous { sync_count: 0 },
        followers: vec![big; 7],
        client_latency_ms: u64::MAX,
        ..Config::default()
    };
    assert_eq!(config.validate(), Err(ConfigError::TooManyFollowers { given: 7 }));
    let problems = config.problems();
    assert!(problems.contains(&ConfigError::SyncCountOutOfRange { given: 0, followers: 5 }));
    assert!(problems.contains(&ConfigError::SettingTooLarge { setting: Setting::ClientLatency, given_ms: u64::MAX }));
    assert!(problems.contains(&ConfigError::SettingTooLarge {
        setting: Setting::Follower(F3, FollowerPart::LinkLatency),
        given_ms: 20_000
    }));
    let model = LeaderFollower::new(1, config);
    let clamped = model.config();
    assert_eq!(clamped.followers.len(), FOLLOWERS_MAX);
    assert!(clamped.followers.iter().all(|f| f.link_latency_ms == SETTING_MS_MAX));
    assert_eq!(clamped.client_latency_ms, SETTING_MS_MAX);
    assert_eq!(clamped.durability, Durability::SemiSynchronous { sync_count: 1 });
    assert!(clamped.validate().is_ok());
    let text = model.trace().render();
    assert!(text.contains("Setting adjusted: 7 followers is more than 5; using 5."), "{text}");
    assert!(text.contains("Setting adjusted: 0 synchronous follower(s) is outside 1 to 5; using 1."), "{text}");

    let one = Config { followers: vec![Config::default().followers[1]], ..Config::default() };
    assert_eq!(one.validate(), Err(ConfigError::TooFewFollowers { given: 1 }));
    assert_eq!(LeaderFollower::new(1, one).follower_count(), 2);
}

#[test]
fn actions_that_cannot_apply_say_so_instead_of_failing() {
    let script = [
        (0, Action::CrashFollower(FollowerId(9))),
        (0, Action::RestartFollower(F1)),
        (1, Action::CrashFollower(F1)),
        (2, Action::CrashFollower(F1)),
        (3, Action::AddFollower),
        (3, Action::AddFollower),
        (3, Action::AddFollower),
        (3, Action::AddFollower),
        (4, Action::KillLeader),
        (5, Action::KillLeader),
        (6, Action::SendWrite),
    ];
    let r = run(Config::default(), 1, &script, 100);
    let text = r.model().trace().render();
    for line in [
        "There is no F9.",
        "F1 is already running.",
        "F1 is already down.",
        "The cluster already has 5 followers, the most it can have.",
        "The leader is already down.",
        "Write #1 reaches the leader, which is down: the client never gets an answer.",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    assert!(!r.model().can(Action::KillLeader));
    assert!(!r.model().can(Action::AddFollower));
    assert!(r.model().can(Action::RestartFollower(F1)));
    assert_eq!(r.model().writes()[0].status, WriteStatus::Unanswered);
}

/// Course, chapter 1, "Read Scaling: The Math Behind Adding Followers": a leader 50 % busy with writes keeps
/// 25K reads/s; a follower 30 % busy replaying keeps 35K. F=0: 25K; F=1: 60K (2.4x); F=3: 130K (5.2x);
/// F=10: 375K (15x).
#[test]
fn read_scaling_the_math_behind_adding_followers() {
    let course = ReadScaling::default();
    assert_eq!(course.leader_reads_per_s(0), 25_000);
    assert_eq!(course.follower_reads_per_s(), 35_000);
    let table: Vec<(u32, u64, f64)> =
        [0, 1, 3, 10].iter().map(|&f| (f, course.total_reads_per_s(f), course.improvement(f))).collect();
    assert_eq!(table, vec![(0, 25_000, 1.0), (1, 60_000, 2.4), (3, 130_000, 5.2), (10, 375_000, 15.0)]);
    let row = course.row(10);
    assert_eq!((row.leader_reads_per_s, row.follower_reads_per_s, row.total_reads_per_s), (25_000, 35_000, 375_000));
    // Diminishing returns: each follower brings 35K, never a fresh node's 50K, because it replays every write.
    assert_eq!(course.marginal_reads_per_s(4), 35_000);
    assert!(
        course.total_reads_per_s(10) < ReadScaling { follower_replay_cpu_percent: 0, ..course }.total_reads_per_s(10)
    );
    // The caveat: past ~15-20 followers, replication streams eat the leader's CPU; the course says to cascade.
    assert!(!ReadScaling::cascading_advised(15));
    assert!(ReadScaling::cascading_advised(16));
    assert_eq!(course.leader_saturated_at_followers(), None, "the course's table charges nothing per stream");
    let streams_cost = ReadScaling { leader_cpu_permille_per_follower: 25, ..course };
    assert_eq!(streams_cost.leader_reads_per_s(10), 12_500, "10 streams take a quarter of the leader's CPU");
    assert_eq!(streams_cost.marginal_reads_per_s(4), 35_000 - 1_250);
    assert_eq!(streams_cost.leader_saturated_at_followers(), Some(20));
    assert_eq!(streams_cost.leader_reads_per_s(25), 0);
    assert_eq!(streams_cost.leader_cpu_permille_used(20), 1_000);
    // Nonsense inputs are clamped, never a panic.
    let silly = ReadScaling {
        node_reads_per_s: u64::MAX,
        leader_write_cpu_percent: 900,
        follower_replay_cpu_percent: 900,
        leader_cpu_permille_per_follower: u32::MAX,
    };
    assert_eq!(silly.total_reads_per_s(u32::MAX), 0);
    assert_eq!(silly.improvement(3), 0.0);
}

/// Course, chapter 1, "The Replication Lag Equation": 1,000 writes/s x 500 bytes = 500 KB/s; a 2 s lag puts
/// 1 MB at risk; a 10 s lag spike puts 5 MB, about 10,000 writes, at risk. Sync RPO = 0, async RPO = lag.
#[test]
fn the_replication_lag_equation() {
    let normal = data_at_risk(1_000, 500, 2_000);
    assert_eq!(normal.bytes_per_s, 500_000);
    assert_eq!(normal.bytes, 1_000_000);
    assert_eq!(normal.writes, 2_000);
    let spike = data_at_risk(1_000, 500, 10_000);
    assert_eq!((spike.bytes, spike.writes), (5_000_000, 10_000));
    assert_eq!(rpo_ms(Durability::Synchronous, 10_000), 0);
    assert_eq!(rpo_ms(Durability::Asynchronous, 2_000), 2_000);
    let huge = data_at_risk(u64::MAX, u64::MAX, u64::MAX);
    assert_eq!(huge.bytes_per_s, u64::MAX);
}

// ---------------------------------------------------------------------------------------------------------------
// Properties.

fn follower_config() -> impl Strategy<Value = FollowerConfig> {
    (0u64..40, 0u64..15, 0u64..15).prop_map(|(link_latency_ms, link_jitter_ms, apply_delay_ms)| FollowerConfig {
        link_latency_ms,
        link_jitter_ms,
        apply_delay_ms,
    })
}

fn config(durability: impl Strategy<Value = Durability>) -> impl Strategy<Value = Config> {
    (
        durability,
        prop::collection::vec(follower_config(), 2..=5),
        0u64..10,
        0u64..4,
        0u64..4,
        0u64..60,
        follower_config(),
    )
        .prop_map(
            |(
                durability,
                followers,
                client_latency_ms,
                wal_write_ms,
                wal_send_delay_ms,
                snapshot_copy_ms,
                added_follower,
            )| {
                Config {
                    durability,
                    followers,
                    client_latency_ms,
                    wal_write_ms,
                    wal_send_delay_ms,
                    snapshot_copy_ms,
                    added_follower,
                    ..Config::default()
                }
            },
        )
}

fn any_durability() -> impl Strategy<Value = Durability> {
    prop_oneof![
        Just(Durability::Synchronous),
        Just(Durability::Asynchronous),
        (1u8..=5).prop_map(|sync_count| Durability::SemiSynchronous { sync_count }),
    ]
}

/// Writes, follower crashes and restarts, additions — everything but killing the leader.
fn everyday_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => Just(Action::SendWrite),
        1 => (1u8..=5).prop_map(|i| Action::CrashFollower(FollowerId(i))),
        1 => (1u8..=5).prop_map(|i| Action::RestartFollower(FollowerId(i))),
        1 => Just(Action::AddFollower),
    ]
}

fn script(action: impl Strategy<Value = Action>) -> impl Strategy<Value = Vec<(u64, Action)>> {
    prop::collection::vec((0u64..300, action), 0..25).prop_map(|mut v| {
        v.sort_by_key(|(t, _)| *t);
        v
    })
}

/// Runs the script with the leader killed at `kill_ms`, then long enough for everything to settle.
fn run_and_kill(config: Config, seed: u64, script: &[(u64, Action)], kill_ms: u64) -> Replay<LeaderFollower> {
    let mut all = script.to_vec();
    all.push((kill_ms, Action::KillLeader));
    all.sort_by_key(|(t, _)| *t);
    run(config, seed, &all, 5_000)
}

/// Checks what must hold in any run: logs are prefixes of the leader's, counters agree with the writes.
fn check_invariants(model: &LeaderFollower) -> Result<(), TestCaseError> {
    let nodes = model.nodes();
    let leader_last = nodes[0].last_lsn;
    for n in &nodes[1..] {
        prop_assert!(n.applied_lsn <= n.last_lsn && n.last_lsn <= leader_last, "{}", model.render_state());
    }
    let m = model.metrics();
    let acked = model.writes().iter().filter(|w| w.status == WriteStatus::Acknowledged).count() as u64;
    prop_assert_eq!(m.writes_acknowledged, acked);
    prop_assert_eq!(m.writes_sent, model.writes().len() as u64);
    for w in model.writes() {
        prop_assert_eq!(w.ok_at.is_some(), w.status == WriteStatus::Acknowledged);
        if let Some(wait) = w.wait_ms {
            prop_assert!(w.held_at_ok.first() == Some(&Addr::Leader) && wait <= model.now().as_ms());
        }
    }
    Ok(())
}

/// Any durability, including semi-synchronous counts far out of range.
fn wild_durability() -> impl Strategy<Value = Durability> {
    prop_oneof![
        Just(Durability::Synchronous),
        Just(Durability::Asynchronous),
        any::<u8>().prop_map(|sync_count| Durability::SemiSynchronous { sync_count }),
    ]
}

/// Any button, including followers that do not exist.
fn wild_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => Just(Action::SendWrite),
        1 => Just(Action::KillLeader),
        1 => any::<u8>().prop_map(|i| Action::CrashFollower(FollowerId(i % 8))),
        1 => any::<u8>().prop_map(|i| Action::RestartFollower(FollowerId(i % 8))),
        1 => Just(Action::AddFollower),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, .. ProptestConfig::default() })]

    /// Same seed, settings and actions: the same run, event for event.
    #[test]
    fn runs_are_deterministic(
        seed in any::<u64>(),
        config in config(any_durability()),
        script in script(everyday_action()),
        kill_ms in 0u64..400,
    ) {
        let a = run_and_kill(config.clone(), seed, &script, kill_ms);
        let b = run_and_kill(config, seed, &script, kill_ms);
        prop_assert_eq!(a.model(), b.model());
    }

    /// Synchronous replication: whenever the leader dies, every write the client was told succeeded is on at
    /// least one follower's disk.
    #[test]
    fn synchronous_never_loses_an_acknowledged_write(
        seed in any::<u64>(),
        config in config(Just(Durability::Synchronous)),
        script in script(everyday_action()),
        kill_ms in 0u64..400,
    ) {
        let r = run_and_kill(config, seed, &script, kill_ms);
        let model = r.model();
        let report = model.loss_report().expect("the leader was killed");
        prop_assert!(report.lost.is_empty(), "{}", model.trace().render());
        prop_assert_eq!(model.metrics().acked_writes_survived, model.metrics().writes_acknowledged);
        check_invariants(model)?;
    }

    /// Semi-synchronous with k >= 1: the same guarantee, and at the moment of OK at least k followers held it.
    #[test]
    fn semi_synchronous_never_loses_an_acknowledged_write(
        seed in any::<u64>(),
        k in 1u8..=5,
        config in config(Just(Durability::Synchronous)),
        script in script(everyday_action()),
        kill_ms in 0u64..400,
    ) {
        // k of at most the initial follower count, as the settings require.
        let k = k.min(config.followers.len() as u8);
        let config = Config { durability: Durability::SemiSynchronous { sync_count: k }, ..config };
        let r = run_and_kill(config, seed, &script, kill_ms);
        let model = r.model();
        let report = model.loss_report().expect("the leader was killed");
        prop_assert!(report.lost.is_empty(), "{}", model.trace().render());
        for w in model.writes().iter().filter(|w| w.status == WriteStatus::Acknowledged) {
            prop_assert!(w.held_at_ok.len() > usize::from(k), "{:?}\n{}", w, model.trace().render());
            let survives = matches!(w.fate, Some(Fate::Survives { .. }));
            prop_assert!(survives, "{:?}", w);
        }
        check_invariants(model)?;
    }

    /// Whatever the settings (in range or not) and whatever the reader presses, the model never panics, and its
    /// views stay consistent.
    #[test]
    fn no_action_sequence_panics(
        seed in any::<u64>(),
        durability in wild_durability(),
        followers in prop::collection::vec((any::<u64>(), any::<u64>(), any::<u64>()), 0..8),
        wild in (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>()),
        script in prop::collection::vec((0u64..30_000, wild_action()), 0..30),
    ) {
        let mut script = script;
        script.sort_by_key(|(t, _)| *t);
        let config = Config {
            durability,
            followers: followers
                .into_iter()
                .map(|(a, b, c)| FollowerConfig { link_latency_ms: a, link_jitter_ms: b, apply_delay_ms: c })
                .collect(),
            client_latency_ms: wild.0,
            wal_write_ms: wild.1 % 20_000,
            initial_lsn: Lsn(wild.2),
            snapshot_copy_ms: wild.3,
            ..Config::default()
        };
        let r = run(config, seed, &script, HORIZON_MS);
        let model = r.model();
        check_invariants(model)?;
        prop_assert!(model.follower_count() <= FOLLOWERS_MAX);
        let _ = (model.messages(), model.render_state(), model.trace().render());
    }

    /// Stepping back lands on exactly the state first seen at every position.
    #[test]
    fn step_back_is_exact(
        seed in any::<u64>(),
        config in config(any_durability()),
        script in script(prop_oneof![4 => everyday_action(), 1 => Just(Action::KillLeader)]),
    ) {
        let mut replay = Replay::new(LeaderFollower::new(seed, config), Time::from_ms(1_000));
        let mut seen = vec![replay.model().clone()];
        for &(at_ms, action) in &script {
            let due = |r: &Replay<LeaderFollower>| r.model().next_event_at().is_some_and(|t| t.as_ms() <= at_ms);
            while due(&replay) && replay.step_forward() {
                seen.push(replay.model().clone());
            }
            replay.seek(Time::from_ms(at_ms));
            replay.act(action);
            seen.push(replay.model().clone());
        }
        while replay.step_forward() {
            seen.push(replay.model().clone());
        }
        while replay.step_back() {
            prop_assert_eq!(replay.model(), &seen[replay.cursor() as usize]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, .. ProptestConfig::default() })]

    /// A shared link carries the seed, the reader's actions with where they were taken, and the position; rebuilt
    /// from those alone, the run is the one the reader saw, event for event (what "Copy link" relies on).
    #[test]
    fn a_run_restored_from_its_actions_and_position_is_identical(
        seed in any::<u64>(),
        config in config(any_durability()),
        script in script(prop_oneof![4 => everyday_action(), 1 => Just(Action::KillLeader)]),
        moves in prop::collection::vec(any::<bool>(), 0..40),
        extra_ms in 0u64..50,
    ) {
        let mut original = Replay::new(LeaderFollower::new(seed, config.clone()), Time::from_ms(1_000));
        for &(at_ms, action) in &script {
            original.seek(Time::from_ms(at_ms));
            original.act(action);
        }
        // Stepping back past some actions keeps them in the run, ahead of the position.
        for forward in moves {
            if forward {
                original.step_forward();
            } else {
                original.step_back();
            }
        }
        let paused_at = Time::from_ms(original.now().as_ms() + extra_ms);
        let next_action_at = original.actions().find(|(c, _, _)| *c >= original.cursor()).map(|(_, t, _)| t);
        if original.model().next_event_at().is_none_or(|t| t > paused_at) && next_action_at.is_none_or(|t| t > paused_at) {
            original.seek(paused_at);
        }
        let shared: Vec<(u64, Time, Action)> = original.actions().map(|(c, t, a)| (c, t, *a)).collect();
        let mut restored = Replay::new(LeaderFollower::new(seed, config), Time::from_ms(1_000));
        let report = restored.restore(shared.clone(), original.cursor(), original.now());
        prop_assert_eq!(report, sim::Restored { kept: shared.len(), dropped: 0, position_exact: true });
        prop_assert_eq!(restored.model(), original.model());
        prop_assert_eq!(restored.cursor(), original.cursor());
        // And the future is the same too.
        original.seek(Time::from_ms(1_000));
        restored.seek(Time::from_ms(1_000));
        prop_assert_eq!(restored.model(), original.model());
    }

    /// An edited link never panics and never rebuilds an impossible run: actions that do not fit are dropped
    /// with everything after them, and the position is clamped.
    #[test]
    fn a_tampered_link_is_cut_where_it_stops_making_sense(
        seed in any::<u64>(),
        actions in prop::collection::vec((any::<u64>(), any::<u64>(), everyday_action()), 0..12),
        cursor in any::<u64>(),
        at_ms in any::<u64>(),
    ) {
        let mut replay = Replay::new(LeaderFollower::new(seed, Config::default()), Time::from_ms(1_000));
        let actions: Vec<(u64, Time, Action)> =
            actions.into_iter().map(|(c, t, a)| (c % 200, Time::from_ms(t % 1_200), a)).collect();
        let report = replay.restore(actions.clone(), cursor % 400, Time::from_ms(at_ms));
        prop_assert_eq!(report.kept + report.dropped, actions.len());
        prop_assert_eq!(replay.actions().count(), report.kept);
        prop_assert!(replay.now() <= replay.horizon());
        for ((c, t, a), kept) in replay.actions().zip(&actions) {
            prop_assert_eq!((c, t, a), (kept.0, kept.1, &kept.2));
        }
    }
}
