//! Scenario tests of chapter 5's model: the course's worked examples reproduced number for number, the
//! topologies under a failed leader, operational transformation on `HELLO`, and properties over random runs.

use expect_test::expect;
use proptest::prelude::*;
use sim::multi_leader::{
    apply_concurrent, apply_text_op, preset_leaders, transform, Action, Agreement, AnomalyKind, Config, GCounter,
    Health, LinkLatency, Lsn, MultiLeader, NodeId, Op, OtError, Shown, Strategy as Resolution, TextOp, Topology, Value,
    WriteId,
};
use sim::net::Latency;
use sim::{Model, Replay, Salience, Time};

const HORIZON_MS: u64 = 600_000;
const VA: NodeId = NodeId(1);
const EU: NodeId = NodeId(2);
const TYO: NodeId = NodeId(3);

fn run(config: Config, script: &[(u64, Action)], until_ms: u64) -> Replay<MultiLeader> {
    let mut replay = Replay::new(MultiLeader::new(1, config), Time::from_ms(HORIZON_MS));
    for (at_ms, action) in script {
        replay.seek(Time::from_ms(*at_ms));
        replay.act(action.clone());
    }
    replay.seek(Time::from_ms(until_ms));
    replay
}

/// The course's two datacenters: Virginia and Frankfurt, 150 ms apart.
fn two_leaders(strategy: Resolution) -> Config {
    Config { leaders: preset_leaders(2), strategy, ..Config::default() }
}

fn text(s: &str) -> Shown {
    Shown::One(Value::Text(s.to_owned()))
}

fn write(origin: NodeId, lsn: u64) -> WriteId {
    WriteId { origin, lsn: Lsn(lsn) }
}

fn key_lines(model: &MultiLeader) -> String {
    model
        .trace()
        .events()
        .iter()
        .filter(|e| e.salience == Salience::Key)
        .map(|e| format!("{} {}\n", e.at, e.text))
        .collect()
}

fn shown(model: &MultiLeader, id: NodeId) -> Shown {
    model.shown(id).expect("the leader exists")
}

// ---- The course's e-commerce example: customer 42's address, edited on two leaders at t=0. ----

#[test]
fn address_example_last_write_wins_by_timestamp_keeps_123_main_street() {
    let r = run(two_leaders(Resolution::LastWriteWinsTimestamp), &[(0, Action::TriggerConflict)], 1_000);
    let m = r.model();
    // Both agree on the surviving value: ts .003 beats .001, and the customer's new address is gone.
    assert_eq!(shown(m, VA), text("123 Main Street, NYC"));
    assert_eq!(shown(m, EU), text("123 Main Street, NYC"));
    // The course's LSNs and timestamps.
    let va = m.leader(VA).unwrap();
    let eu = m.leader(EU).unwrap();
    assert_eq!(va.last_lsn, Lsn(8001));
    assert_eq!(eu.last_lsn, Lsn(5501));
    assert_eq!(va.log[0].id, write(VA, 8001));
    assert_eq!(va.log[0].stamp_ms, 1_705_312_000_001);
    assert_eq!(eu.log[0].id, write(EU, 5501));
    assert_eq!(eu.log[0].stamp_ms, 1_705_312_000_003);
    // VA's change reaches EU 150 ms later, where the conflict is detected.
    assert_eq!(eu.log[1].id, write(VA, 8001));
    assert_eq!(eu.log[1].applied_at, Time::from_ms(150));
    let lost: Vec<_> = m.anomalies().iter().filter(|a| a.kind == AnomalyKind::WriteDiscarded).collect();
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0].write, write(VA, 8001));
    assert_eq!(lost[0].at, Time::from_ms(150));
    assert_eq!(m.metrics().wrong_winners, 0, "both writes happened at t=0: nobody was really first");
    expect![[r#"
        t=0.000 s 2 leaders (Virginia, Frankfurt) replicate all-to-all; all agree that customer_42.address = "123 Main St, NYC"; on a conflict, the higher timestamp wins.
        t=0.000 s Virginia and Frankfurt receive conflicting writes to customer_42.address at the same moment.
        t=0.000 s Virginia accepts "456 Oak Ave, NYC" for customer_42.address at LSN 8001, stamped 1705312000.001.
        t=0.000 s Frankfurt accepts "123 Main Street, NYC" for customer_42.address at LSN 5501, stamped 1705312000.003.
        t=0.150 s Frankfurt detects a conflict on customer_42.address: it holds "123 Main Street, NYC" (1705312000.003), Virginia sends "456 Oak Ave, NYC" (1705312000.001).
        t=0.150 s Last-write-wins keeps "123 Main Street, NYC" (1705312000.003 > 1705312000.001) and silently discards "456 Oak Ave, NYC" (VA LSN 8001).
        t=0.150 s Virginia's write "456 Oak Ave, NYC" (VA LSN 8001) is silently lost, although the client that made it was told it succeeded.
        t=0.150 s Virginia detects a conflict on customer_42.address: it holds "456 Oak Ave, NYC" (1705312000.001), Frankfurt sends "123 Main Street, NYC" (1705312000.003).
        t=0.150 s Last-write-wins keeps "123 Main Street, NYC" (1705312000.003 > 1705312000.001) and silently discards "456 Oak Ave, NYC" (VA LSN 8001).
    "#]]
    .assert_eq(&key_lines(m));
}

#[test]
fn address_example_last_write_wins_by_replica_priority_keeps_456_oak_ave() {
    let r = run(two_leaders(Resolution::LastWriteWinsPriority), &[(0, Action::TriggerConflict)], 1_000);
    let m = r.model();
    assert!(m.leader(VA).unwrap().priority > m.leader(EU).unwrap().priority, "VA has the higher priority");
    assert_eq!(shown(m, VA), text("456 Oak Ave, NYC"));
    assert_eq!(shown(m, EU), text("456 Oak Ave, NYC"));
    // The typo fix from support is the write that is lost.
    let lost: Vec<WriteId> =
        m.anomalies().iter().filter(|a| a.kind == AnomalyKind::WriteDiscarded).map(|a| a.write).collect();
    assert_eq!(lost, [write(EU, 5501)]);
    assert!(key_lines(m).contains("Replica priority keeps \"456 Oak Ave, NYC\" (Virginia has priority 5 over 4)"));
}

#[test]
fn address_example_on_read_resolution_stores_both() {
    let r = run(two_leaders(Resolution::KeepSiblings), &[(0, Action::TriggerConflict)], 1_000);
    let m = r.model();
    let both = Shown::Siblings(vec![
        Value::Text("456 Oak Ave, NYC".to_owned()),
        Value::Text("123 Main Street, NYC".to_owned()),
    ]);
    assert_eq!(shown(m, VA), both);
    assert_eq!(shown(m, EU), both);
    assert_eq!(m.metrics().writes_discarded, 0, "nothing is lost");
    assert_eq!(m.metrics().conflicts_detected, 2, "each leader detects it");
    // The customer answers "which is correct?" on Frankfurt: the choice replicates and replaces both.
    let picked = run(
        two_leaders(Resolution::KeepSiblings),
        &[(0, Action::TriggerConflict), (1_000, Action::ResolveSiblings { leader: EU, keep: 0 })],
        2_000,
    );
    let m = picked.model();
    assert_eq!(shown(m, VA), text("456 Oak Ave, NYC"));
    assert_eq!(shown(m, EU), text("456 Oak Ave, NYC"));
    assert_eq!(m.leader(EU).unwrap().last_lsn, Lsn(5502));
    assert_eq!(m.agreement(), Agreement::Agree);
}

#[test]
fn address_example_merge_values_keeps_both_joined() {
    let r = run(two_leaders(Resolution::MergeValues), &[(0, Action::TriggerConflict)], 1_000);
    let m = r.model();
    assert_eq!(shown(m, VA), text("456 Oak Ave, NYC/123 Main Street, NYC"));
    assert_eq!(shown(m, EU), text("456 Oak Ave, NYC/123 Main Street, NYC"));
    assert_eq!(m.metrics().writes_discarded, 0);
}

// ---- The course's G-Counter demo: 5 page views in Virginia, 3 in Frankfurt. ----

#[test]
fn g_counter_demo_merges_5_and_3_into_8() {
    let mut va = GCounter::new(2);
    let mut eu = GCounter::new(2);
    for _ in 0..5 {
        va.increment(0, 1);
    }
    for _ in 0..3 {
        eu.increment(1, 1);
    }
    assert_eq!(va.counts, [5, 0]);
    assert_eq!(eu.counts, [0, 3]);
    va.merge(&eu);
    eu.merge(&va);
    assert_eq!(va.value(), 8);
    assert_eq!(eu.value(), 8);
}

#[test]
fn g_counter_strategy_counts_every_view_on_both_leaders() {
    let after_first = run(two_leaders(Resolution::GCounter), &[(0, Action::TriggerConflict)], 100);
    let m = after_first.model();
    assert_eq!(shown(m, VA), Shown::One(Value::Count(GCounter { counts: vec![5, 0] })));
    assert_eq!(shown(m, EU), Shown::One(Value::Count(GCounter { counts: vec![0, 3] })));
    let merged = run(two_leaders(Resolution::GCounter), &[(0, Action::TriggerConflict)], 1_000);
    for id in [VA, EU] {
        assert_eq!(shown(merged.model(), id), Shown::One(Value::Count(GCounter { counts: vec![5, 3] })));
    }
    assert_eq!(merged.model().metrics().writes_discarded, 0);
    // The chapter's checkpoint: 2 more in Virginia, 4 more in Frankfurt, exchanged again: 14.
    let second = run(
        two_leaders(Resolution::GCounter),
        &[(0, Action::TriggerConflict), (1_000, Action::TriggerConflict)],
        2_000,
    );
    for id in [VA, EU] {
        assert_eq!(shown(second.model(), id), Shown::One(Value::Count(GCounter { counts: vec![7, 7] })));
    }
}

#[test]
fn g_counter_merge_is_idempotent_so_a_duplicate_delivery_changes_nothing() {
    let mut va = GCounter { counts: vec![7, 3] };
    let eu = GCounter { counts: vec![5, 7] };
    va.merge(&eu);
    va.merge(&eu);
    assert_eq!(va.counts, [7, 7]);
    assert_eq!(va.value(), 14);
}

// ---- The course's LWW hazard: a create stamped t=100 beats a delete stamped t=99. ----

/// Virginia's clock is exact; Frankfurt's runs 1 second behind. Timestamps count seconds from 0 as the course does.
fn create_delete_config(frankfurt_skew_ms: i64) -> Config {
    let mut leaders = preset_leaders(2);
    leaders[0].clock_skew_ms = 0;
    leaders[1].clock_skew_ms = frankfurt_skew_ms;
    Config {
        leaders,
        record: "customer_7".to_owned(),
        initial_value: None,
        wall_clock_start_ms: 0,
        ..Config::default()
    }
}

fn create_and_delete_at(create_ms: u64, delete_ms: u64) -> Vec<(u64, Action)> {
    vec![
        (create_ms, Action::Write { leader: VA, op: Op::Set("Customer 7".to_owned()) }),
        (delete_ms, Action::Write { leader: EU, op: Op::Delete }),
    ]
}

#[test]
fn create_at_100_beats_delete_at_99() {
    let r = run(create_delete_config(-1_000), &create_and_delete_at(100_000, 100_000), 101_000);
    let m = r.model();
    let va = m.leader(VA).unwrap();
    let eu = m.leader(EU).unwrap();
    assert_eq!(va.log[0].stamp_ms, 100_000, "the create is stamped t=100");
    assert_eq!(eu.log[0].stamp_ms, 99_000, "the delete is stamped t=99");
    // The delete is silently dropped: the record someone deleted exists on every leader.
    assert_eq!(shown(m, VA), text("Customer 7"));
    assert_eq!(shown(m, EU), text("Customer 7"));
    let kinds: Vec<(NodeId, AnomalyKind)> = m.anomalies().iter().map(|a| (a.leader, a.kind)).collect();
    assert!(kinds.contains(&(EU, AnomalyKind::Resurrected)), "{kinds:?}");
    assert!(kinds.contains(&(VA, AnomalyKind::DeleteIgnored)), "{kinds:?}");
    assert_eq!(m.metrics().writes_discarded, 1);
    let lines = key_lines(m);
    assert!(lines.contains("customer_7 comes back on Frankfurt: Virginia's \"Customer 7\" stamped 100.000 beats the delete stamped 99.000."), "{lines}");
    assert!(lines.contains("exact clocks would have kept Frankfurt's"), "{lines}");
}

#[test]
fn with_synchronized_clocks_the_same_delete_wins() {
    let r = run(create_delete_config(0), &create_and_delete_at(100_000, 100_000), 101_000);
    let m = r.model();
    assert_eq!(shown(m, VA), Shown::One(Value::Deleted));
    assert_eq!(shown(m, EU), Shown::One(Value::Deleted));
    assert_eq!(m.metrics().resurrections + m.metrics().deletes_ignored, 0);
}

/// The same hazard when the delete really comes later: Frankfurt has already received the create, and its own
/// delete is ignored the moment it is made because its clock reads an earlier time than the create's stamp.
#[test]
fn a_slow_clock_makes_a_later_delete_vanish_and_picks_the_wrong_winner() {
    let r = run(create_delete_config(-1_000), &create_and_delete_at(100_000, 100_500), 101_000);
    let m = r.model();
    assert_eq!(shown(m, EU), text("Customer 7"));
    assert_eq!(shown(m, VA), text("Customer 7"));
    let wrong: Vec<_> = m.anomalies().iter().filter(|a| a.kind == AnomalyKind::WrongWinner).collect();
    assert_eq!(wrong.len(), 1);
    assert_eq!(wrong[0].write, write(EU, 5501));
    assert!(wrong[0]
        .text
        .contains("really happened 500 ms after Virginia's, but its clock stamps it 99.500 against 100.000"));
    assert!(m.anomalies().iter().any(|a| a.kind == AnomalyKind::DeleteIgnored && a.leader == EU));
}

#[test]
fn a_triggered_conflict_with_a_slow_second_clock_keeps_the_first_write() {
    let mut leaders = preset_leaders(2);
    leaders[1].clock_skew_ms = -100;
    let config = Config { leaders, conflict_gap_ms: 20, ..Config::default() };
    let r = run(config, &[(0, Action::TriggerConflict)], 1_000);
    let m = r.model();
    // Frankfurt's write came 20 ms later but is stamped 81 ms earlier, so Virginia's older write wins.
    assert_eq!(shown(m, VA), text("456 Oak Ave, NYC"));
    assert_eq!(shown(m, EU), text("456 Oak Ave, NYC"));
    assert_eq!(m.metrics().wrong_winners, 1);
}

// ---- Topologies with a failed leader. ----

fn three(topology: Topology) -> Config {
    Config { topology, ..Config::default() }
}

/// Kills Frankfurt (or `victim`), then Virginia and Tokyo each write once.
fn failure_script(victim: NodeId) -> Vec<(u64, Action)> {
    vec![
        (0, Action::KillLeader(victim)),
        (100, Action::Write { leader: VA, op: Op::Set("from Virginia".to_owned()) }),
        (100, Action::Write { leader: TYO, op: Op::Set("from Tokyo".to_owned()) }),
    ]
}

#[test]
fn circular_topology_stops_at_a_failed_leader() {
    // The ring is Virginia -> Frankfurt -> Tokyo -> Virginia.
    let r = run(three(Topology::Circular), &failure_script(EU), 5_000);
    let m = r.model();
    let va_write = write(VA, 8001);
    let tyo_write = write(TYO, 2701);
    assert!(!m.has_applied(TYO, va_write), "Virginia's write would have to pass through Frankfurt");
    assert!(m.has_applied(VA, tyo_write), "Tokyo sends to Virginia directly");
    assert!(!m.has_applied(EU, tyo_write) && !m.has_applied(EU, va_write));
    assert_eq!(m.agreement(), Agreement::Disagree);
    // Frankfurt returns and asks its neighbours for what it missed; the ring carries everything again.
    let mut script = failure_script(EU);
    script.push((5_000, Action::RestartLeader(EU)));
    let healed = run(three(Topology::Circular), &script, 10_000);
    assert_eq!(healed.model().agreement(), Agreement::Agree, "{}", healed.model().render_state());
}

#[test]
fn star_topology_stops_everything_when_its_hub_fails_and_nothing_when_a_leaf_fails() {
    let hub_down = run(three(Topology::Star { hub: VA }), &failure_script(VA), 5_000);
    let m = hub_down.model();
    let eu_write = [(100, Action::Write { leader: EU, op: Op::Set("from Frankfurt".to_owned()) })];
    assert!(!m.has_applied(EU, write(TYO, 2701)), "Tokyo reaches Frankfurt only through the hub");
    let m2 =
        run(three(Topology::Star { hub: VA }), &[[(0, Action::KillLeader(VA))].as_slice(), &eu_write].concat(), 5_000);
    assert!(!m2.model().has_applied(TYO, write(EU, 5501)));

    let leaf_down = run(three(Topology::Star { hub: VA }), &failure_script(EU), 5_000);
    let m = leaf_down.model();
    assert!(m.has_applied(TYO, write(VA, 8001)));
    assert!(m.has_applied(VA, write(TYO, 2701)));
    assert_eq!(shown(m, VA), shown(m, TYO));
}

#[test]
fn all_to_all_topology_survives_a_failed_leader() {
    let r = run(three(Topology::AllToAll), &failure_script(EU), 5_000);
    let m = r.model();
    assert!(m.has_applied(TYO, write(VA, 8001)));
    assert!(m.has_applied(VA, write(TYO, 2701)));
    assert_eq!(shown(m, VA), shown(m, TYO));
    assert_eq!(m.leader(EU).unwrap().health, Health::Down);
    assert!(m.metrics().messages_lost >= 2, "the writes sent to Frankfurt are lost");
}

#[test]
fn links_show_the_topology_and_which_are_broken() {
    let r = run(three(Topology::Circular), &[(0, Action::KillLeader(EU))], 10);
    let links = r.model().links();
    assert_eq!(links.len(), 3, "a ring of three has three links");
    let broken = links.iter().filter(|l| l.state == sim::multi_leader::LinkState::Broken).count();
    assert_eq!(broken, 2, "both links touching Frankfurt");
    assert_eq!(run(three(Topology::AllToAll), &[], 0).model().links().len(), 6);
    assert_eq!(run(three(Topology::Star { hub: TYO }), &[], 0).model().links().len(), 4);
}

/// All-to-all links have different speeds, so a change can overtake the one it depends on. The version vector
/// tells Tokyo to hold Frankfurt's overwrite back until Virginia's original arrives.
#[test]
fn all_to_all_holds_back_a_change_that_overtakes_its_cause() {
    let fast = |a, b, ms| LinkLatency { a: NodeId(a), b: NodeId(b), latency: Latency::Constant { ms } };
    let config = Config { link_latency: vec![fast(1, 2, 10), fast(2, 3, 10), fast(1, 3, 500)], ..Config::default() };
    let script = [
        (0, Action::Write { leader: VA, op: Op::Set("insert".to_owned()) }),
        (50, Action::Write { leader: EU, op: Op::Set("update".to_owned()) }),
    ];
    let early = run(config.clone(), &script, 100);
    let tyo = early.model().leader(TYO).unwrap();
    assert_eq!(tyo.pending, 1, "Frankfurt's update arrived at 60 ms, before Virginia's insert");
    assert_eq!(tyo.shown, text("123 Main St, NYC"));
    let late = run(config, &script, 1_000);
    assert_eq!(late.model().leader(TYO).unwrap().pending, 0);
    assert_eq!(late.model().agreement(), Agreement::Agree);
    assert_eq!(shown(late.model(), TYO), text("update"));
    assert_eq!(late.model().metrics().conflicts_detected, 0, "the update had seen the insert: no conflict");
}

#[test]
fn actions_that_cannot_apply_say_so_instead_of_failing() {
    let script = [
        (0, Action::KillLeader(NodeId(9))),
        (0, Action::RestartLeader(VA)),
        (0, Action::Write { leader: VA, op: Op::Increment(3) }),
        (0, Action::ResolveSiblings { leader: VA, keep: 0 }),
        (0, Action::KillLeader(EU)),
        (0, Action::KillLeader(TYO)),
        (0, Action::TriggerConflict),
        (0, Action::Write { leader: EU, op: Op::Delete }),
    ];
    let r = run(Config::default(), &script, 1_000);
    let lines = key_lines(r.model());
    for expected in [
        "There is no leader n9 to kill.",
        "Virginia is already running.",
        "Virginia refuses the increment: customer_42.address holds text, not a count.",
        "Only on-read resolution leaves siblings for a reader to pick from.",
        "A conflict needs two running leaders; 1 is up.",
        "Frankfurt is down and cannot accept the write to customer_42.address.",
    ] {
        assert!(lines.contains(expected), "missing {expected:?} in\n{lines}");
    }
    assert_eq!(r.model().metrics().writes_refused, 2);
}

#[test]
fn trace_of_the_default_conflict() {
    let script = [
        (0, Action::TriggerConflict),
        (1_000, Action::KillLeader(EU)),
        (1_500, Action::TriggerConflict),
        (3_000, Action::RestartLeader(EU)),
    ];
    let r = run(Config::default(), &script, 5_000);
    expect![[r#"
        t=0.000 s 3 leaders (Virginia, Frankfurt, Tokyo) replicate all-to-all; all agree that customer_42.address = "123 Main St, NYC"; on a conflict, the higher timestamp wins.
        t=0.000 s Virginia and Frankfurt receive conflicting writes to customer_42.address at the same moment.
        t=0.000 s Virginia accepts "456 Oak Ave, NYC" for customer_42.address at LSN 8001, stamped 1705312000.001.
        t=0.000 s Frankfurt accepts "123 Main Street, NYC" for customer_42.address at LSN 5501, stamped 1705312000.003.
        t=0.150 s Frankfurt detects a conflict on customer_42.address: it holds "123 Main Street, NYC" (1705312000.003), Virginia sends "456 Oak Ave, NYC" (1705312000.001).
        t=0.150 s Last-write-wins keeps "123 Main Street, NYC" (1705312000.003 > 1705312000.001) and silently discards "456 Oak Ave, NYC" (VA LSN 8001).
        t=0.150 s Virginia's write "456 Oak Ave, NYC" (VA LSN 8001) is silently lost, although the client that made it was told it succeeded.
        t=0.150 s Virginia detects a conflict on customer_42.address: it holds "456 Oak Ave, NYC" (1705312000.001), Frankfurt sends "123 Main Street, NYC" (1705312000.003).
        t=0.150 s Last-write-wins keeps "123 Main Street, NYC" (1705312000.003 > 1705312000.001) and silently discards "456 Oak Ave, NYC" (VA LSN 8001).
        t=0.240 s Tokyo detects a conflict on customer_42.address: it holds "456 Oak Ave, NYC" (1705312000.001), Frankfurt sends "123 Main Street, NYC" (1705312000.003).
        t=0.240 s Last-write-wins keeps "123 Main Street, NYC" (1705312000.003 > 1705312000.001) and silently discards "456 Oak Ave, NYC" (VA LSN 8001).
        t=1.000 s Frankfurt crashes, losing nothing from its log; the others still exchange changes directly.
        t=1.500 s Virginia and Tokyo receive conflicting writes to customer_42.address at the same moment.
        t=1.500 s Virginia accepts "9 Elm St, Boston" for customer_42.address at LSN 8002, stamped 1705312001.501.
        t=1.500 s Tokyo accepts "456 Oak Avenue, NYC" for customer_42.address at LSN 2701, stamped 1705312001.250.
        t=1.680 s Tokyo detects a conflict on customer_42.address: it holds "456 Oak Avenue, NYC" (1705312001.250), Virginia sends "9 Elm St, Boston" (1705312001.501).
        t=1.680 s Last-write-wins keeps "9 Elm St, Boston" (1705312001.501 > 1705312001.250) and silently discards "456 Oak Avenue, NYC" (TYO LSN 2701).
        t=1.680 s Tokyo's write "456 Oak Avenue, NYC" (TYO LSN 2701) is silently lost, although the client that made it was told it succeeded.
        t=1.680 s Tokyo's and Virginia's writes happened at the same instant, so the clocks alone decided: exact clocks would have kept Tokyo's.
        t=1.680 s Virginia detects a conflict on customer_42.address: it holds "9 Elm St, Boston" (1705312001.501), Tokyo sends "456 Oak Avenue, NYC" (1705312001.250).
        t=1.680 s Last-write-wins keeps "9 Elm St, Boston" (1705312001.501 > 1705312001.250) and silently discards "456 Oak Avenue, NYC" (TYO LSN 2701).
        t=3.000 s Frankfurt restarts with its log on disk and asks Virginia, Tokyo for what it missed.
        t=3.480 s Frankfurt detects a conflict on customer_42.address: it holds "9 Elm St, Boston" (1705312001.501), Tokyo sends "456 Oak Avenue, NYC" (1705312001.250).
        t=3.480 s Last-write-wins keeps "9 Elm St, Boston" (1705312001.501 > 1705312001.250) and silently discards "456 Oak Avenue, NYC" (TYO LSN 2701).
    "#]]
    .assert_eq(&key_lines(r.model()));
    expect![[r#"
        n1 VA up clock +1 ms LSN 8002 seen [VA:8002 EU:5501 TYO:2701] pending 0 shows "9 Elm St, Boston"
        n2 EU up clock +3 ms LSN 5501 seen [VA:8002 EU:5501 TYO:2701] pending 0 shows "9 Elm St, Boston"
        n3 TYO up clock -250 ms LSN 2701 seen [VA:8002 EU:5501 TYO:2701] pending 0 shows "9 Elm St, Boston"
        writes 4 refused 0 applied 8 lost-messages 2 conflicts 6 discarded 2 wrong-winners 0 deletes-ignored 0 resurrections 0
    "#]]
    .assert_eq(&r.model().render_state());
}

// ---- Operational transformation: the course's HELLO. ----

const A: TextOp = TextOp::Insert { pos: 1, ch: 'X' };
const B: TextOp = TextOp::Delete { pos: 4 };

#[test]
fn hello_applied_naively_deletes_the_wrong_character() -> Result<(), OtError> {
    assert_eq!(apply_text_op("HELLO", A)?, "HXELLO");
    assert_eq!(apply_text_op("HELLO", B)?, "HELL");
    assert_eq!(apply_text_op(&apply_text_op("HELLO", A)?, B)?, "HXELO");
    Ok(())
}

#[test]
fn hello_with_operational_transformation_gives_hxell() -> Result<(), OtError> {
    assert_eq!(transform(B, A), TextOp::Delete { pos: 5 }, "A inserted before B's position: B.position += 1");
    assert_eq!(apply_text_op(&apply_text_op("HELLO", A)?, TextOp::Delete { pos: 5 })?, "HXELL");
    assert_eq!(apply_concurrent("HELLO", A, B)?, "HXELL");
    // The other replica applies B first; A's insert lies before the deleted position and needs no change.
    assert_eq!(transform(A, B), A);
    assert_eq!(apply_concurrent("HELLO", B, A)?, "HXELL");
    Ok(())
}

#[test]
fn transform_shifts_left_after_an_earlier_delete_and_cancels_a_double_delete() {
    assert_eq!(transform(TextOp::Delete { pos: 4 }, TextOp::Delete { pos: 1 }), TextOp::Delete { pos: 3 });
    assert_eq!(transform(TextOp::Delete { pos: 2 }, TextOp::Delete { pos: 2 }), TextOp::Nothing);
}

#[test]
fn text_operations_out_of_range_are_errors_not_panics() {
    assert_eq!(apply_text_op("HELLO", TextOp::Delete { pos: 5 }), Err(OtError::OutOfRange { pos: 5, len: 5 }));
    assert_eq!(apply_text_op("HELLO", TextOp::Insert { pos: 9, ch: 'X' }), Err(OtError::OutOfRange { pos: 9, len: 5 }));
    assert_eq!(apply_text_op("", TextOp::Insert { pos: 0, ch: 'X' }), Ok("X".to_owned()));
}

// ---- Properties. ----

fn strategy() -> impl Strategy<Value = Resolution> {
    prop::sample::select(Resolution::ALL.to_vec())
}

fn topology() -> impl Strategy<Value = Topology> {
    prop_oneof![
        Just(Topology::Circular),
        Just(Topology::AllToAll),
        (0u8..7).prop_map(|h| Topology::Star { hub: NodeId(h) })
    ]
}

fn config() -> impl Strategy<Value = Config> {
    (strategy(), topology(), 0usize..7, prop::collection::vec(-70_000i64..70_000, 7), 0u64..300, 0u64..400, 0u64..200)
        .prop_map(|(strategy, topology, leaders, skews, min_ms, spread_ms, gap)| {
            let mut list = preset_leaders(leaders.max(2));
            list.extend(preset_leaders(5).into_iter().take(leaders.saturating_sub(list.len())));
            for (leader, skew) in list.iter_mut().zip(skews) {
                leader.clock_skew_ms = skew;
            }
            list.truncate(leaders.max(1));
            Config {
                leaders: list,
                topology,
                strategy,
                default_latency: Latency::Uniform { min_ms, max_ms: min_ms + spread_ms },
                conflict_gap_ms: gap,
                ..Config::default()
            }
        })
}

fn action() -> impl Strategy<Value = Action> {
    let leader = (0u8..7).prop_map(NodeId);
    prop_oneof![
        3 => Just(Action::TriggerConflict),
        2 => (leader.clone(), prop_oneof![
            "[a-z]{0,3}".prop_map(Op::Set),
            Just(Op::Delete),
            (0u64..2_000).prop_map(Op::Increment),
        ])
            .prop_map(|(leader, op)| Action::Write { leader, op }),
        1 => leader.clone().prop_map(Action::KillLeader),
        1 => leader.clone().prop_map(Action::RestartLeader),
        1 => (leader, 0usize..4).prop_map(|(leader, keep)| Action::ResolveSiblings { leader, keep }),
    ]
}

fn script() -> impl Strategy<Value = Vec<(u64, Action)>> {
    prop::collection::vec((0u64..5_000, action()), 0..12).prop_map(|mut v| {
        v.sort_by_key(|(t, _)| *t);
        v
    })
}

/// Runs the script, restarts every leader at 10 s, and plays until nothing is left to happen.
fn run_to_quiet(seed: u64, config: Config, script: &[(u64, Action)]) -> Replay<MultiLeader> {
    let mut replay = Replay::new(MultiLeader::new(seed, config), Time::from_ms(HORIZON_MS));
    for (at_ms, action) in script {
        replay.seek(Time::from_ms(*at_ms));
        replay.act(action.clone());
    }
    replay.seek(Time::from_ms(10_000));
    for id in replay.model().leader_ids() {
        if replay.model().leader(id).is_some_and(|l| l.health == Health::Down) {
            replay.act(Action::RestartLeader(id));
        }
    }
    replay.seek(Time::from_ms(HORIZON_MS));
    replay
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, .. ProptestConfig::default() })]

    /// Same seed, same settings, same actions: the same run, event for event.
    #[test]
    fn runs_are_deterministic(seed in any::<u64>(), config in config(), script in script()) {
        let a = run_to_quiet(seed, config.clone(), &script);
        let b = run_to_quiet(seed, config, &script);
        prop_assert_eq!(a.model(), b.model());
    }

    /// Once every leader is back and the network is quiet, every leader holds the same writes and shows the
    /// same value, whatever the strategy, topology, skews and actions (siblings included: they are the same set).
    #[test]
    fn leaders_converge_after_the_network_quiesces(seed in any::<u64>(), config in config(), script in script()) {
        let strategy = config.clone().clamped().strategy;
        let r = run_to_quiet(seed, config, &script);
        let m = r.model();
        prop_assert!(r.at_end() && m.next_event_at().is_none(), "the network is quiet");
        prop_assert!(m.leaders().iter().all(|l| l.health == Health::Up && l.pending == 0), "{}", m.render_state());
        if strategy != Resolution::KeepSiblings {
            prop_assert_eq!(m.agreement(), Agreement::Agree, "{}", m.render_state());
        }
        let seen: Vec<_> = m.leaders().into_iter().map(|l| l.seen).collect();
        prop_assert!(seen.windows(2).all(|w| w[0] == w[1]), "{}", m.render_state());
    }

    /// No settings and no sequence of actions, valid or not, makes the model panic; stepping back is exact.
    #[test]
    fn nothing_panics_and_stepping_back_is_exact(seed in any::<u64>(), config in config(), script in script()) {
        let mut r = run_to_quiet(seed, config, &script);
        let end = r.model().clone();
        if r.step_back() {
            let before = r.model().clone();
            r.step_forward();
            let after = r.model().clone();
            prop_assert!(r.step_back());
            prop_assert_eq!(r.model(), &before);
            r.step_forward();
            prop_assert_eq!(r.model(), &after);
        }
        let _ = (end.leaders(), end.messages(), end.links(), end.render_state(), end.anomalies());
    }

    /// Operational transformation converges: applying two concurrent single-character edits in either order,
    /// each transformed against the other, gives the same text.
    #[test]
    fn transformed_edits_converge_in_either_order(
        text in "[A-Z]{1,8}",
        a in (0usize..10, any::<bool>(), prop::char::range('a', 'c')),
        b in (0usize..10, any::<bool>(), prop::char::range('a', 'c')),
    ) {
        let len = text.chars().count();
        let op = |(pos, insert, ch): (usize, bool, char)| if insert {
            TextOp::Insert { pos: pos % (len + 1), ch }
        } else {
            TextOp::Delete { pos: pos % len }
        };
        let (a, b) = (op(a), op(b));
        prop_assert_eq!(apply_concurrent(&text, a, b), apply_concurrent(&text, b, a));
    }

    /// The G-Counter's merge is commutative, associative and idempotent.
    #[test]
    fn g_counter_merge_laws(x in prop::collection::vec(0u64..100, 3), y in prop::collection::vec(0u64..100, 3), z in prop::collection::vec(0u64..100, 3)) {
        let (x, y, z) = (GCounter { counts: x }, GCounter { counts: y }, GCounter { counts: z });
        let merge = |a: &GCounter, b: &GCounter| { let mut m = a.clone(); m.merge(b); m };
        prop_assert_eq!(merge(&x, &y), merge(&y, &x));
        prop_assert_eq!(merge(&merge(&x, &y), &z), merge(&x, &merge(&y, &z)));
        prop_assert_eq!(merge(&x, &x), x);
    }
}
