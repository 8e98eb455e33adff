//! Scenario tests of chapter 6's model: the course's worked examples reproduced step by step, the quorum table,
//! sloppy quorums with hinted handoff, anti-entropy, and properties over random runs.

use expect_test::expect;
use proptest::prelude::*;
use sim::checker::{self, FindingKind};
use sim::leaderless::{
    Action, Addr, AntiEntropy, ClientId, Config, Fanout, Faults, Freshness, Leaderless, Preload, QuorumMath,
    QuorumMode, ReadOutcome, ReadRepair, ReplicaId, ReplyTiming, Speed, Stored, Version, Workload, WriteOutcome,
};
use sim::net::Latency;
use sim::{Model, Replay, Salience, Time};

const A: ReplicaId = ReplicaId(0);
const B: ReplicaId = ReplicaId(1);
const C: ReplicaId = ReplicaId(2);
const D: ReplicaId = ReplicaId(3);
const CLIENT_1: ClientId = ClientId(1);
const CLIENT_2: ClientId = ClientId(2);

fn run(seed: u64, config: Config, script: &[(u64, Action)], until_ms: u64) -> Replay<Leaderless> {
    let mut replay = Replay::new(Leaderless::new(seed, config), Time::from_ms(120_000));
    for (at_ms, action) in script {
        replay.seek(Time::from_ms(*at_ms));
        replay.act(action.clone());
    }
    replay.seek(Time::from_ms(until_ms));
    replay
}

fn stored(version: u64, value: &str) -> Stored {
    Stored { version: Version(version), value: value.to_owned() }
}

fn value_on(store: &Leaderless, replica: ReplicaId) -> Option<(u64, String)> {
    store.stored(replica, "user:42").map(|s| (s.version.0, s.value.clone()))
}

fn key_lines(store: &Leaderless) -> String {
    store
        .trace()
        .events()
        .iter()
        .filter(|e| e.salience == Salience::Key)
        .map(|e| format!("{} {}\n", e.at, e.text))
        .collect()
}

/// The course's setup: N=3, W=2, R=2, every link 10 ms, except that the write to C is delayed (200 ms).
fn course_config(initial_version: u64, read_repair: ReadRepair) -> Config {
    Config {
        latency: Latency::Constant { ms: 10 },
        preload: vec![Preload::new("user:42", "Bob", initial_version)],
        read_repair,
        ..Config::default()
    }
}

fn course_script() -> Vec<(u64, Action)> {
    let slow_to_c = Action::SetLatency {
        from: Addr::Client(CLIENT_1),
        to: Addr::Replica(C),
        latency: Latency::Constant { ms: 200 },
    };
    vec![
        (0, slow_to_c),
        (0, Action::write(CLIENT_1, "user:42", "Alice")),
        (30, Action::Read { client: CLIENT_2, key: "user:42".to_owned(), fanout: Fanout::Only(vec![B, C]) }),
    ]
}

/// Chapter 6, "Worked Example: The Quorum Math": Bob (version 0) on all three; Alice (version 1) reaches A and B
/// while C is slow; a read from B and C gets Alice v1 and Bob v0 and picks Alice, the higher version.
#[test]
fn worked_example_the_quorum_math() {
    let math = QuorumMath::new(3, 2, 2);
    assert!(math.strict, "W + R = 4 > 3 = N");
    assert_eq!(math.min_overlap, 1, "2 + 2 = 4 slots for 3 replicas: at least 1 overlap");

    // Step 1: the write has reached A and B (W=2) but not C.
    let r = run(1, course_config(0, ReadRepair::Off), &course_script()[..2], 30);
    let store = r.model();
    assert_eq!(value_on(store, A), Some((1, "Alice".into())));
    assert_eq!(value_on(store, B), Some((1, "Alice".into())));
    assert_eq!(value_on(store, C), Some((0, "Bob".into())), "C is stale");
    let write = &store.writes()[0];
    assert_eq!(write.stored, stored(1, "Alice"));
    assert_eq!(write.acks.iter().map(|(r, _)| *r).collect::<Vec<_>>(), [A, B]);
    assert_eq!(write.outcome, WriteOutcome::Acknowledged { at: Time::from_ms(20) });

    // Steps 2 and 3: the read from B and C sees two values and picks the highest version.
    let r = run(1, course_config(0, ReadRepair::Off), &course_script(), 60);
    let store = r.model();
    let read = &store.reads()[0];
    assert_eq!(read.sent_to, [B, C]);
    let replies: Vec<_> = read.replies.iter().map(|rep| (rep.replica, rep.stored.clone())).collect();
    assert_eq!(replies, [(B, Some(stored(1, "Alice"))), (C, Some(stored(0, "Bob")))]);
    assert_eq!(
        read.outcome,
        ReadOutcome::Returned { at: Time::from_ms(50), chosen: Some(stored(1, "Alice")), freshness: Freshness::Fresh }
    );
    assert_eq!(value_on(store, C), Some((0, "Bob".into())), "without read repair C stays stale until the write lands");
}

/// Chapter 6, "Worked Example: Quorum Write and Read Repair": Bob v1 everywhere; Alice v2 is acknowledged by A and
/// B (W=2 met) while C's copy is delayed; a read from A and C returns Alice v2 and writes it back to C.
#[test]
fn worked_example_quorum_write_and_read_repair() {
    let mut script = course_script();
    script[2].1 = Action::Read { client: CLIENT_2, key: "user:42".to_owned(), fanout: Fanout::Only(vec![A, C]) };

    // Step 1: A and B have Alice v2, C still has Bob v1. Step 2: success is returned to the client.
    let r = run(1, course_config(1, ReadRepair::On), &script[..2], 30);
    let store = r.model();
    assert_eq!(value_on(store, A), Some((2, "Alice".into())));
    assert_eq!(value_on(store, B), Some((2, "Alice".into())));
    assert_eq!(value_on(store, C), Some((1, "Bob".into())));
    assert_eq!(store.writes()[0].outcome, WriteOutcome::Acknowledged { at: Time::from_ms(20) });

    // Steps 3-5: A returns Alice v2, C returns Bob v1, the client picks v2 and repairs C.
    let r = run(1, course_config(1, ReadRepair::On), &script, 1_000);
    let store = r.model();
    let read = &store.reads()[0];
    let replies: Vec<_> = read.replies.iter().map(|rep| (rep.replica, rep.stored.clone(), rep.timing)).collect();
    assert_eq!(
        replies,
        [(A, Some(stored(2, "Alice")), ReplyTiming::Counted), (C, Some(stored(1, "Bob")), ReplyTiming::Counted)]
    );
    assert_eq!(read.chosen(), Some(&stored(2, "Alice")));
    assert_eq!(read.repaired, [C]);
    for replica in [A, B, C] {
        assert_eq!(value_on(store, replica), Some((2, "Alice".into())), "all replicas now agree");
    }
    assert_eq!(store.metrics().repairs_applied, 1);
    assert_eq!(store.metrics().stale_reads, 0);
    expect![[r#"
        t=0.000 s Replicas A, B and C hold every key (N=3, W=2, R=2); W + R = 4 > N: every read overlaps every write. Every replica holds user:42 = "Bob" (v1).
        t=0.000 s Messages from client 1 to C now take 200 ms.
        t=0.000 s Client 1 writes user:42 = "Alice" (v2), sending it to A, B and C; it needs W=2 acks.
        t=0.020 s B acks write #1 (2 acks from A and B): W=2 is met, so client 1's write of user:42 = "Alice" (v2) succeeds.
        t=0.030 s Client 2 reads user:42 from A and C; it needs R=2 replies.
        t=0.050 s Client 2's read #2 has R=2 replies (A: "Alice" (v2), C: "Bob" (v1)) and returns the highest version, "Alice" (v2).
        t=0.050 s Read repair: client 2 writes "Alice" (v2) back to C, which answered "Bob" (v1).
        t=0.060 s C applies the repair: user:42 = "Alice" (v2), replacing "Bob" (v1).
    "#]]
    .assert_eq(&key_lines(store));
    expect![[r#"
        A home up: user:42="Alice" (v2)
        B home up: user:42="Alice" (v2)
        C home up: user:42="Alice" (v2)
        writes 1/1 reads 1/1 stale 0 repairs 1/1 hints 0/0 anti-entropy 0
    "#]]
    .assert_eq(&store.render_state());
}

/// Chapter 6, "Common Quorum Configurations": each row's quorum verdict and failure tolerance, checked both by the
/// arithmetic and by crashing that many replicas in a run.
#[test]
fn common_quorum_configurations_table() {
    // (N, W, R, quorum?, write failures tolerated, read failures tolerated)
    let table = [
        (3, 2, 2, true, 1, 1),
        (3, 3, 1, true, 0, 2),
        (3, 1, 3, true, 2, 0),
        (5, 3, 3, true, 2, 2),
        (3, 1, 1, false, 2, 2),
    ];
    for (n, w, r, quorum, write_tolerated, read_tolerated) in table {
        let math = QuorumMath::new(n, w, r);
        assert_eq!(
            (math.strict, math.write_failures_tolerated, math.read_failures_tolerated),
            (quorum, write_tolerated, read_tolerated)
        );
        for (crashed, op_is_write) in
            [(write_tolerated, true), (write_tolerated + 1, true), (read_tolerated, false), (read_tolerated + 1, false)]
        {
            if crashed > n {
                continue;
            }
            let config = Config { n, w, r, preload: vec![Preload::new("k", "old", 1)], ..Config::default() };
            let mut script: Vec<(u64, Action)> = (0..crashed).map(|i| (0, Action::Crash(ReplicaId(i)))).collect();
            let op = if op_is_write { Action::write(CLIENT_1, "k", "new") } else { Action::read(CLIENT_1, "k") };
            script.push((10, op));
            let m = run(3, config, &script, 5_000).model().metrics();
            let tolerated = if op_is_write { write_tolerated } else { read_tolerated };
            let ok = if op_is_write { m.writes_ok } else { m.reads_ok };
            assert_eq!(ok == 1, crashed <= tolerated, "N={n} W={w} R={r} with {crashed} down: {m:?}");
        }
    }
}

/// Chapter 6's question: with N=5 and W=2, reads must use R=4 to always see the latest value; and the flashcard's
/// N=5, W=3, R=3 overlaps by at least one replica.
#[test]
fn quorum_math_for_five_replicas() {
    assert_eq!(QuorumMath::min_read_quorum(5, 2), 4);
    assert!(QuorumMath::new(5, 2, 4).strict && !QuorumMath::new(5, 2, 3).strict);
    let five = QuorumMath::new(5, 3, 3);
    assert_eq!((five.strict, five.min_overlap, five.miss_chance), (true, 1, 0.0));
    // W=1, R=1 of 3: a random reader misses the one written replica 2 times in 3.
    assert!((QuorumMath::new(3, 1, 1).miss_chance - 2.0 / 3.0).abs() < 1e-12);
    // Out-of-range settings are clamped, never a panic.
    let clamped = QuorumMath::new(40, 0, 99);
    assert_eq!((clamped.n, clamped.w, clamped.r), (9, 1, 9));
}

/// With W + R ≤ N, a read can miss the latest write entirely: some seed shows it, and the checker agrees.
#[test]
fn with_w_plus_r_at_most_n_a_stale_read_can_be_shown() {
    let config = || Config {
        w: 1,
        r: 1,
        latency: Latency::Uniform { min_ms: 5, max_ms: 100 },
        preload: vec![Preload::new("user:42", "Bob", 1)],
        ..Config::default()
    };
    let script = [(0, Action::write(CLIENT_1, "user:42", "Alice")), (60, Action::read(CLIENT_2, "user:42"))];
    let seed = (0..200u64)
        .find(|&seed| run(seed, config(), &script, 2_000).model().metrics().stale_reads > 0)
        .expect("some seed among 200 shows a stale read with W=1, R=1");
    let r = run(seed, config(), &script, 2_000);
    let store = r.model();
    let read = &store.reads()[0];
    assert_eq!(read.chosen(), Some(&stored(1, "Bob")));
    assert!(matches!(read.outcome, ReadOutcome::Returned { freshness: Freshness::Stale { latest: Version(2) }, .. }));
    assert!(key_lines(store).contains("Stale read: v2 of user:42 was acknowledged before read #2 began"));
    let report = checker::check(store.history()).unwrap();
    assert_eq!(report.count(FindingKind::StaleRead), 1, "{}", report.render());
    // The same seed with a strict quorum (W=2, R=2) reads Alice.
    let strict = run(seed, Config { w: 2, r: 2, ..config() }, &script, 2_000);
    assert_eq!(strict.model().metrics().stale_reads, 0);
}

/// Chapter 6, "The Limits of Quorums — Failed write rollback": a write that reaches 1 of W=2 replicas fails, yet
/// that replica keeps it; a read with R=2 may or may not see it.
#[test]
fn a_failed_write_is_not_rolled_back() {
    let config = Config {
        latency: Latency::Constant { ms: 10 },
        preload: vec![Preload::new("user:42", "Bob", 1)],
        ..Config::default()
    };
    let script = [
        (0, Action::Crash(B)),
        (0, Action::Crash(C)),
        (10, Action::write(CLIENT_1, "user:42", "Alice")),
        (2_000, Action::Recover(B)),
        (2_000, Action::Recover(C)),
        (2_100, Action::Read { client: CLIENT_2, key: "user:42".into(), fanout: Fanout::Only(vec![B, C]) }),
        (2_200, Action::Read { client: CLIENT_2, key: "user:42".into(), fanout: Fanout::Only(vec![A, B]) }),
    ];
    let r = run(1, Config { read_repair: ReadRepair::Off, ..config }, &script, 3_000);
    let store = r.model();
    assert_eq!(store.writes()[0].outcome, WriteOutcome::Failed { at: Time::from_ms(1_010) });
    assert!(key_lines(store).contains("gets 1 of W=2 acks in 1000 ms and fails; A keep(s) it anyway"));
    assert_eq!(value_on(store, A), Some((2, "Alice".into())));
    let reads = store.reads();
    assert_eq!(reads[0].chosen(), Some(&stored(1, "Bob")), "B and C never saw the failed write");
    assert_eq!(reads[1].chosen(), Some(&stored(2, "Alice")), "A still holds it, so a read that asks A sees it");
    assert_eq!(store.metrics().stale_reads, 0, "a failed write is not an acknowledged one");
}

/// A sloppy quorum keeps writes available with two of three home replicas down; the stand-in hands the write
/// off when its home replica returns. Until then a strict read quorum can miss the write.
#[test]
fn sloppy_quorum_accepts_writes_and_hinted_handoff_delivers_them() {
    let config = |quorum| Config {
        quorum,
        spares: 2,
        latency: Latency::Constant { ms: 10 },
        preload: vec![Preload::new("user:42", "Bob", 1)],
        ..Config::default()
    };
    let script = [
        (0, Action::Crash(B)),
        (0, Action::Crash(C)),
        (10, Action::write(CLIENT_1, "user:42", "Alice")),
        (200, Action::Crash(A)),
        (200, Action::Recover(B)),
        (200, Action::Recover(C)),
        (210, Action::read(CLIENT_2, "user:42")),
    ];
    // Strict: only A acks, the write fails.
    let strict = run(1, config(QuorumMode::Strict), &script[..3], 2_000);
    assert_eq!(strict.model().metrics().writes_failed, 1);

    // Sloppy: D and E stand in for B and C; W=2 is met by A and D.
    let r = run(1, config(QuorumMode::Sloppy), &script[..3], 100);
    let store = r.model();
    let write = &store.writes()[0];
    assert_eq!(
        write.sent_to.iter().map(|t| (t.replica, t.hint_for)).collect::<Vec<_>>(),
        [(A, None), (D, Some(B)), (ReplicaId(4), Some(C))]
    );
    assert!(matches!(write.outcome, WriteOutcome::Acknowledged { .. }));
    let hints = &store.replicas()[3].hints;
    assert_eq!((hints[0].for_replica, &hints[0].stored), (B, &stored(2, "Alice")));

    // A dies before any handoff; B and C return. A read of B and C misses the acknowledged write: stale.
    let r = run(1, config(QuorumMode::Sloppy), &script, 240);
    let store = r.model();
    assert_eq!(store.reads()[0].chosen(), Some(&stored(1, "Bob")));
    assert_eq!(store.metrics().stale_reads, 1);

    // At the next handoff tick (500 ms) the stand-ins deliver; a later read sees Alice.
    let mut later = script.to_vec();
    later.push((1_000, Action::read(CLIENT_2, "user:42")));
    let r = run(1, config(QuorumMode::Sloppy), &later, 2_000);
    let store = r.model();
    assert_eq!(value_on(store, B), Some((2, "Alice".into())));
    assert_eq!(value_on(store, C), Some((2, "Alice".into())));
    assert!(store.replicas().iter().all(|n| n.hints.is_empty()), "{}", store.render_state());
    assert_eq!(store.metrics().hints_handed_off, 2);
    assert_eq!(store.reads()[1].chosen(), Some(&stored(2, "Alice")));
    assert!(
        key_lines(store).contains("D hands off its hint: B takes user:42 = \"Alice\" (v2), replacing \"Bob\" (v1).")
    );
}

/// Read repair only fixes what is read; anti-entropy catches the rest in the background.
#[test]
fn anti_entropy_repairs_cold_data_that_read_repair_never_touches() {
    let config = |anti_entropy| Config { anti_entropy, latency: Latency::Constant { ms: 10 }, ..Config::default() };
    let script = [(0, Action::Crash(C)), (10, Action::write(CLIENT_1, "cold", "x")), (100, Action::Recover(C))];
    let without = run(4, config(AntiEntropy::Off), &script, 20_000);
    assert_eq!(without.model().stored(C, "cold"), None, "nobody reads the key, so C never learns it");
    let with = run(4, config(AntiEntropy::Every { interval_ms: 1_000 }), &script, 20_000);
    assert_eq!(with.model().stored(C, "cold"), Some(&stored(1, "x")));
    assert!(with.model().metrics().anti_entropy_updates >= 1);
    assert!(key_lines(with.model()).contains("Anti-entropy: C learns cold = \"x\" (v1) (had nothing)"));
}

/// A slow node answers late; its reply does not count among the first R but still triggers a repair.
#[test]
fn a_slow_replica_replies_late_and_is_repaired() {
    let config = Config {
        latency: Latency::Constant { ms: 10 },
        preload: vec![Preload::new("user:42", "Bob", 1)],
        ..Config::default()
    };
    let script = [
        (0, Action::Crash(C)),
        (0, Action::write(CLIENT_1, "user:42", "Alice")),
        (100, Action::Recover(C)),
        (100, Action::SetSpeed(C, Speed::Slow)),
        (200, Action::read(CLIENT_2, "user:42")),
    ];
    let r = run(1, config, &script, 2_000);
    let read = &r.model().reads()[0];
    assert_eq!(
        read.replies.iter().map(|rep| (rep.replica, rep.timing)).collect::<Vec<_>>(),
        [(A, ReplyTiming::Counted), (B, ReplyTiming::Counted), (C, ReplyTiming::Late)]
    );
    assert_eq!(read.repaired, [C]);
    assert_eq!(r.model().stored(C, "user:42"), Some(&stored(2, "Alice")));
}

#[test]
fn bad_settings_are_clamped_and_bad_actions_are_narrated() {
    let config = Config {
        n: 0,
        w: 50,
        r: 0,
        spares: 200,
        handoff_interval_ms: 0,
        request_timeout_ms: 0,
        loss: 7.0,
        ..Config::default()
    };
    let script = [
        (0, Action::Crash(ReplicaId(40))),
        (0, Action::write(ClientId(0), "k", "v")),
        (0, Action::write(ClientId(9), "k", "v")),
        (0, Action::Recover(A)),
        (0, Action::Read { client: CLIENT_1, key: "k".into(), fanout: Fanout::Only(vec![ReplicaId(200)]) }),
    ];
    let r = run(1, config, &script, 5_000);
    let store = r.model();
    let c = store.config();
    assert_eq!((c.n, c.w, c.r, c.spares), (1, 1, 1, 3));
    let text = store.trace().render();
    assert!(text.contains("There is no node"), "{text}");
    assert!(text.contains("There is no client 0"), "{text}");
    assert!(text.contains("A is already up."), "{text}");
    assert!(text.contains("reads k from no replica"), "{text}");
    assert_eq!(store.metrics().reads_failed, 1);
}

fn action() -> impl Strategy<Value = Action> {
    let replica = (0u8..6).prop_map(ReplicaId);
    let client = (0u8..6).prop_map(ClientId);
    let key = prop::sample::select(vec!["user:1", "user:2", "user:42"]);
    let fanout = prop_oneof![
        Just(Fanout::All),
        Just(Fanout::Random),
        prop::collection::vec((0u8..6).prop_map(ReplicaId), 0..4).prop_map(Fanout::Only)
    ];
    prop_oneof![
        (client.clone(), key.clone(), fanout.clone()).prop_map(|(client, key, fanout)| Action::Write {
            client,
            key: key.to_owned(),
            value: "v".to_owned(),
            fanout
        }),
        (client, key, fanout).prop_map(|(client, key, fanout)| Action::Read { client, key: key.to_owned(), fanout }),
        replica.clone().prop_map(Action::Crash),
        replica.clone().prop_map(Action::Recover),
        (replica.clone(), prop_oneof![Just(Speed::Slow), Just(Speed::Normal)])
            .prop_map(|(r, s)| Action::SetSpeed(r, s)),
        (replica, 0u64..500).prop_map(|(r, ms)| Action::SetLatency {
            from: Addr::Client(CLIENT_1),
            to: Addr::Replica(r),
            latency: Latency::Constant { ms }
        }),
    ]
}

fn script() -> impl Strategy<Value = Vec<(u64, Action)>> {
    prop::collection::vec((0u64..8_000, action()), 0..20).prop_map(|mut v| {
        v.sort_by_key(|(t, _)| *t);
        v
    })
}

fn any_config() -> impl Strategy<Value = Config> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        any::<bool>(),
        any::<bool>(),
        0u64..3_000,
        0u64..3_000,
        0.0f64..1.0,
    )
        .prop_map(|(n, w, r, spares, sloppy, repair, anti_ms, fault_ms, chance)| Config {
            n,
            w,
            r,
            spares,
            quorum: if sloppy { QuorumMode::Sloppy } else { QuorumMode::Strict },
            read_repair: if repair { ReadRepair::On } else { ReadRepair::Off },
            anti_entropy: if anti_ms % 2 == 0 { AntiEntropy::Every { interval_ms: anti_ms } } else { AntiEntropy::Off },
            faults: Faults {
                tick_ms: fault_ms,
                crash_chance: chance / 4.0,
                recover_chance: chance,
                slow_chance: chance / 4.0,
            },
            workload: Workload::Random { interval_ms: 150, write_fraction: chance, keys: 4, clients: 3 },
            loss: chance / 10.0,
            latency: Latency::Exponential { floor_ms: 5, mean_ms: 30.0 },
            ..Config::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, failure_persistence: None, .. ProptestConfig::default() })]

    /// A strict quorum (W + R > N) with no concurrent writes and no failures always reads the latest
    /// acknowledged value — by the model's own count and by the consistency checker.
    #[test]
    fn a_strict_quorum_without_failures_never_reads_stale(
        seed in any::<u64>(),
        n in 1u8..=9,
        w_pick in any::<u8>(),
        r_pick in any::<u8>(),
        ops in prop::collection::vec((any::<bool>(), 0u32..3, 0u64..400), 1..25),
    ) {
        let w = 1 + w_pick % n;
        let r = (n - w + 1) + r_pick % w; // n - w + 1 ..= n, so W + R > N
        prop_assume!(w + r > n && r <= n);
        let config = Config { n, w, r, latency: Latency::Uniform { min_ms: 1, max_ms: 80 }, request_timeout_ms: 2_000, ..Config::default() };
        // Writes are 200 ms apart at least, so each is acknowledged before the next begins: none are concurrent.
        let mut at = 0;
        let mut script = Vec::new();
        for (n_op, (is_write, key, gap)) in ops.into_iter().enumerate() {
            at += if is_write { 200 + gap } else { gap / 4 };
            let key = format!("user:{key}");
            let action = if is_write { Action::write(CLIENT_1, &key, &format!("v{n_op}")) } else { Action::read(CLIENT_2, &key) };
            script.push((at, action));
            if is_write { at += 200; }
        }
        let r = run(seed, config, &script, at + 5_000);
        let store = r.model();
        let m = store.metrics();
        prop_assert_eq!(m.stale_reads, 0, "{}", store.trace().render());
        prop_assert_eq!(m.reads_failed + m.writes_failed, 0);
        let report = checker::check(store.history()).unwrap();
        prop_assert_eq!(report.count(FindingKind::StaleRead) + report.count(FindingKind::ReadYourWrites), 0, "{}", report.render());
    }

    /// Same seed and same actions: the same run, event for event — faults, workload and all.
    #[test]
    fn runs_are_deterministic(seed in any::<u64>(), config in any_config(), script in script()) {
        let a = run(seed, config.clone(), &script, 12_000);
        let b = run(seed, config, &script, 12_000);
        prop_assert_eq!(a.model(), b.model());
    }

    /// Whatever the settings and actions, nothing panics, every request ends, and the history checks.
    #[test]
    fn nothing_panics_and_every_request_ends(seed in any::<u64>(), config in any_config(), script in script()) {
        let r = run(seed, config, &script, 20_000);
        let store = r.model();
        let settled = |at: Time| at.as_ms() + store.config().request_timeout_ms < 20_000;
        prop_assert!(store.writes().iter().all(|w| w.outcome != WriteOutcome::Pending || !settled(w.invoked_at)));
        prop_assert!(store.reads().iter().all(|r| r.outcome != ReadOutcome::Pending || !settled(r.invoked_at)));
        prop_assert!(checker::check(store.history()).is_ok());
        let views = store.replicas();
        prop_assert!(views.len() <= 12);
    }

    /// Stepping back lands on exactly the state the run was in the first time through.
    #[test]
    fn step_back_is_exact(seed in any::<u64>(), config in any_config(), script in script()) {
        let mut r = run(seed, config, &script, 3_000);
        let end = r.cursor();
        // Going back records the state at every cursor; going forward again must meet each one exactly.
        let mut seen = Vec::new();
        while r.step_back() {
            seen.push(r.model().clone());
        }
        prop_assert_eq!(seen.len() as u64, end);
        for expected in seen.iter().rev().skip(1) {
            prop_assert!(r.step_forward());
            prop_assert_eq!(r.model(), expected);
        }
    }
}
