//! The consistency checker on hand-written histories: one per kind of finding, histories that must stay clean,
//! and malformed input.

use expect_test::expect;
use proptest::prelude::*;
use sim::checker::{check, CheckError, FindingKind, OpId, Operation, HISTORY_MAX};

fn kinds(history: &[Operation]) -> Vec<(FindingKind, Vec<u64>)> {
    check(history).unwrap().findings.iter().map(|f| (f.kind, f.ops.iter().map(|o| o.0).collect())).collect()
}

#[test]
fn a_clean_history_has_no_findings() {
    let history = [
        Operation::write(1, "alice", "x", "1", 0, 10).with_lsn(1),
        Operation::read(2, "bob", "x", Some("1"), 20, 30).with_replica("follower 1").with_lsn(1),
        Operation::write(3, "alice", "x", "2", 40, 50).with_lsn(2),
        // Overlaps write #3, so returning the old value is allowed.
        Operation::read(4, "carol", "x", Some("1"), 45, 55).with_lsn(1),
        Operation::read(5, "alice", "x", Some("2"), 60, 70).with_lsn(2),
        Operation::read(6, "bob", "x", Some("2"), 80, 90).with_lsn(2),
        // A key nobody wrote reads as nothing.
        Operation::read(7, "bob", "y", None, 80, 90),
    ];
    let report = check(&history).unwrap();
    assert!(report.is_clean(), "{}", report.render());
}

#[test]
fn a_stale_read_names_the_read_and_the_newer_write() {
    let history = [
        Operation::write(1, "bob", "user:42", "Alice", 0, 20).with_lsn(2),
        Operation::read(2, "carol", "user:42", Some("Bob"), 30, 50).with_replica("C"),
    ];
    let report = check(&history).unwrap();
    expect![[r#"
        stale read [#2, #1]: Carol's read #2 of user:42 at C returns "Bob", although write #1 by bob ("Alice", LSN 2) was acknowledged at t=0.020 s, before the read began at t=0.030 s.
    "#]]
    .assert_eq(&report.render());
    assert_eq!(report.findings[0].at.as_ms(), 50);
}

#[test]
fn a_read_of_ones_own_older_state_is_a_read_your_writes_violation_not_just_stale() {
    let history = [
        Operation::write(1, "Alice", "post:7/comment:alice", "Great write-up!", 0, 20).with_lsn(3),
        Operation::read(2, "Alice", "post:7/comment:alice", None, 100, 120).with_replica("follower 1").with_lsn(2),
        Operation::read(3, "Bob", "post:7/comment:alice", None, 100, 120).with_replica("follower 2").with_lsn(2),
    ];
    assert_eq!(kinds(&history), [(FindingKind::ReadYourWrites, vec![2, 1]), (FindingKind::StaleRead, vec![3, 1])]);
    let report = check(&history).unwrap();
    expect![[r#"
        read-your-writes violation [#2, #1]: Alice's read #2 of post:7/comment:alice at follower 1 returns nothing, although Alice's own write #1 ("Great write-up!", LSN 3) was acknowledged at t=0.020 s, before the read began at t=0.100 s.
        stale read [#3, #1]: Bob's read #3 of post:7/comment:alice at follower 2 returns nothing, although write #1 by Alice ("Great write-up!", LSN 3) was acknowledged at t=0.020 s, before the read began at t=0.100 s.
    "#]]
    .assert_eq(&report.render());
}

#[test]
fn a_count_that_goes_10_9_10_breaks_monotonic_reads() {
    // "9" was there before the history began; Dave's write makes it "10".
    let history = [
        Operation::write(1, "Dave", "post:7/comment-count", "10", 0, 20).with_lsn(2),
        Operation::read(2, "Bob", "post:7/comment-count", Some("10"), 500, 520).with_replica("follower 1").with_lsn(2),
        Operation::read(3, "Bob", "post:7/comment-count", Some("9"), 1_000, 1_020)
            .with_replica("follower 2")
            .with_lsn(1),
        Operation::read(4, "Bob", "post:7/comment-count", Some("10"), 1_500, 1_520)
            .with_replica("follower 1")
            .with_lsn(2),
    ];
    let report = check(&history).unwrap();
    assert_eq!(report.count(FindingKind::MonotonicReads), 1);
    let finding = report.findings.iter().find(|f| f.kind == FindingKind::MonotonicReads).unwrap();
    assert_eq!(finding.ops, [OpId(2), OpId(3)]);
    assert_eq!(
        finding.text,
        "Bob's read #3 of post:7/comment-count at follower 2 returns \"9\", older than the \"10\" that Bob's read #2 at \
         follower 1 returned at t=0.520 s: time goes backwards."
    );
    // The "9" is also stale against Dave's acknowledged write; the return to "10" is no violation.
    assert_eq!(report.count(FindingKind::StaleRead), 1);
    assert_eq!(report.findings.len(), 2);
}

#[test]
fn monotonic_reads_are_per_client() {
    let history = [
        Operation::write(1, "Dave", "n", "10", 0, 20).with_lsn(2),
        Operation::read(2, "Bob", "n", Some("10"), 500, 520).with_lsn(2),
        // Another user seeing the old count breaks no promise made to Bob (it is only stale).
        Operation::read(3, "Eve", "n", Some("9"), 1_000, 1_020).with_lsn(1),
    ];
    assert_eq!(kinds(&history), [(FindingKind::StaleRead, vec![3, 1])]);
}

#[test]
fn the_answer_before_the_question_breaks_consistent_prefix() {
    let history = [
        Operation::write(1, "Alice", "chat:1/question", "How much is the item?", 0, 20)
            .with_replica("leader A")
            .with_lsn(1),
        Operation::read(2, "Bob", "chat:1/question", Some("How much is the item?"), 200, 220)
            .with_replica("follower A1")
            .with_lsn(1),
        Operation::write(3, "Bob", "chat:1/answer", "It's $42.", 300, 320).with_replica("leader B").with_lsn(1),
        Operation::read(4, "Carol", "chat:1/question", None, 500, 520).with_replica("follower A2").with_lsn(0),
        Operation::read(5, "Carol", "chat:1/answer", Some("It's $42."), 500, 520)
            .with_replica("follower B1")
            .with_lsn(1),
    ];
    let report = check(&history).unwrap();
    expect![[r#"
        stale read [#4, #1]: Carol's read #4 of chat:1/question at follower A2 returns nothing, although write #1 by Alice ("How much is the item?", LSN 1) was acknowledged at t=0.020 s, before the read began at t=0.500 s.
        consistent-prefix violation [#5, #3, #4, #1]: Carol's read #5 of chat:1/answer at follower B1 sees "It's $42." (write #3 by Bob), but Carol's read #4 of chat:1/question at follower A2 at the same moment returns nothing instead of "How much is the item?" (write #1 by Alice), which it depends on: the effect appears before its cause.
    "#]]
    .assert_eq(&report.render());
}

#[test]
fn seeing_the_question_first_and_the_answer_later_is_consistent() {
    let history = [
        Operation::write(1, "Alice", "chat:1/question", "How much is the item?", 0, 20).with_lsn(1),
        Operation::read(2, "Bob", "chat:1/question", Some("How much is the item?"), 200, 220).with_lsn(1),
        Operation::write(3, "Bob", "chat:1/answer", "It's $42.", 300, 320).with_lsn(1),
        // Carol looks at the answer partition before the answer arrives, then sees both: a prefix each time.
        Operation::read(4, "Carol", "chat:1/question", Some("How much is the item?"), 310, 315).with_lsn(1),
        Operation::read(5, "Carol", "chat:1/answer", None, 310, 315).with_lsn(0),
        Operation::read(6, "Carol", "chat:1/question", Some("How much is the item?"), 900, 910).with_lsn(1),
        Operation::read(7, "Carol", "chat:1/answer", Some("It's $42."), 900, 910).with_lsn(1),
    ];
    let report = check(&history).unwrap();
    assert!(report.is_clean(), "{}", report.render());
}

#[test]
fn a_writers_own_earlier_write_is_a_cause_too() {
    // Alice writes to two partitions in order; Carol sees the second but not the first.
    let history = [
        Operation::write(1, "Alice", "a/first", "1", 0, 10).with_lsn(1),
        Operation::write(2, "Alice", "b/second", "2", 20, 30).with_lsn(1),
        Operation::read(3, "Carol", "b/second", Some("2"), 100, 110).with_lsn(1),
        Operation::read(4, "Carol", "a/first", None, 120, 130).with_lsn(0),
    ];
    let report = check(&history).unwrap();
    assert_eq!(report.count(FindingKind::ConsistentPrefix), 1, "{}", report.render());
    assert!(report.findings.iter().any(|f| f.text.contains("later returns nothing instead of \"1\"")));
}

#[test]
fn an_acknowledged_write_missing_past_its_lsn_is_lost() {
    // The old primary acknowledged LSN 5; after failover the new primary's log reuses LSN 5 and 6 for other writes.
    let history = [
        Operation::write(1, "alice", "x", "old", 0, 10).with_lsn(3),
        Operation::write(2, "bob", "x", "acked then lost", 100, 110).with_replica("n1").with_lsn(5),
        Operation::write(3, "carol", "y", "after failover", 300, 310).with_replica("n2").with_lsn(6),
        Operation::read(4, "dave", "x", Some("old"), 400, 410).with_replica("n2").with_lsn(6),
        Operation::read(5, "dave", "x", Some("old"), 500, 510).with_replica("n2").with_lsn(6),
    ];
    let report = check(&history).unwrap();
    expect![[r#"
        lost write [#2, #4]: Write #2 by bob ("acked then lost", LSN 5) was acknowledged at t=0.110 s, but dave's read #4 of x at n2, which has applied up to LSN 6, returns "old" instead: the acknowledged write is lost.
    "#]]
    .assert_eq(&report.render());
}

#[test]
fn a_lagging_replica_is_stale_not_lost() {
    let history = [
        Operation::write(1, "bob", "x", "new", 0, 10).with_lsn(5),
        Operation::read(2, "dave", "x", None, 400, 410).with_replica("follower 2").with_lsn(4),
    ];
    assert_eq!(kinds(&history), [(FindingKind::StaleRead, vec![2, 1])]);
}

#[test]
fn concurrent_writes_are_ordered_only_by_lsn() {
    // Two overlapping writes without LSNs: neither is newer, so reading either is fine.
    let unordered = [
        Operation::write(1, "a", "k", "first", 0, 50),
        Operation::write(2, "b", "k", "second", 10, 60),
        Operation::read(3, "c", "k", Some("first"), 100, 110),
    ];
    assert_eq!(kinds(&unordered), []);
    // With LSNs the log says which came last, and reading the other after both are acknowledged is stale.
    let ordered = [
        Operation::write(1, "a", "k", "first", 0, 50).with_lsn(1),
        Operation::write(2, "b", "k", "second", 10, 60).with_lsn(2),
        Operation::read(3, "c", "k", Some("first"), 100, 110),
    ];
    assert_eq!(kinds(&ordered), [(FindingKind::StaleRead, vec![3, 2])]);
}

#[test]
fn failed_and_unanswered_writes_set_no_expectations() {
    let history = [
        Operation::write(1, "a", "k", "failed", 0, 50).failed(),
        Operation::write(2, "a", "k", "pending", 60, 60).unanswered(),
        Operation::read(3, "a", "k", None, 100, 110),
        // A failed write may still be visible: nothing rolls it back.
        Operation::read(4, "b", "k", Some("failed"), 120, 130),
        // A read that never returned tells nothing.
        Operation::read(5, "c", "k", None, 140, 140).unanswered(),
    ];
    let report = check(&history).unwrap();
    assert!(report.is_clean(), "{}", report.render());
}

#[test]
fn malformed_histories_are_rejected_with_a_reason() {
    let dup = [Operation::write(1, "a", "k", "v", 0, 1), Operation::read(1, "a", "k", None, 2, 3)];
    assert_eq!(check(&dup), Err(CheckError::DuplicateId(OpId(1))));
    let backwards = [Operation::read(7, "a", "k", None, 50, 40)];
    assert_eq!(check(&backwards), Err(CheckError::ResponseBeforeInvocation(OpId(7))));
    let long: Vec<Operation> = (0..=HISTORY_MAX as u64).map(|i| Operation::read(i, "a", "k", None, i, i)).collect();
    assert_eq!(check(&long), Err(CheckError::TooManyOperations { len: HISTORY_MAX + 1, max: HISTORY_MAX }));
    assert_eq!(
        CheckError::ResponseBeforeInvocation(OpId(7)).to_string(),
        "operation #7 is answered before it is invoked"
    );
    assert!(check(&[]).unwrap().is_clean());
}

/// A single copy that applies each operation the instant it is invoked is linearizable: no client can ever see
/// anything the checker objects to.
fn single_copy_history(ops: &[(u8, bool, u8, u64)]) -> Vec<Operation> {
    let mut value: [Option<String>; 3] = Default::default();
    let mut lsn = 0;
    let mut at = 0;
    let mut history = Vec::new();
    for (i, &(client, is_write, key, gap)) in ops.iter().enumerate() {
        at += gap;
        let (id, client, k) = (i as u64 + 1, format!("c{client}"), usize::from(key));
        let key = format!("k{key}");
        if is_write {
            lsn += 1;
            let v = format!("v{id}");
            value[k] = Some(v.clone());
            history.push(Operation::write(id, &client, &key, &v, at, at + 5).with_lsn(lsn));
        } else {
            history.push(Operation::read(id, &client, &key, value[k].as_deref(), at, at + 5).with_lsn(lsn));
        }
    }
    history
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn a_single_copy_is_always_clean(ops in prop::collection::vec((0u8..3, any::<bool>(), 0u8..3, 0u64..20), 0..80)) {
        let history = single_copy_history(&ops);
        let report = check(&history).unwrap();
        prop_assert!(report.is_clean(), "{}", report.render());
    }

    /// Arbitrary (well-formed) histories never make the checker fail, and it always says the same thing.
    #[test]
    fn any_history_checks_the_same_way_twice(
        ops in prop::collection::vec((0u8..3, any::<bool>(), 0u8..3, prop::option::of(0u8..4), 0u64..100, 0u64..50, prop::option::of(0u64..6)), 0..60)
    ) {
        let history: Vec<Operation> = ops.iter().enumerate().map(|(i, &(client, is_write, key, value, at, took, lsn))| {
            let (client, key) = (format!("c{client}"), format!("k{key}"));
            let value = value.map(|v| format!("v{v}"));
            let op = if is_write {
                Operation::write(i as u64, &client, &key, value.as_deref().unwrap_or("none"), at, at + took)
            } else {
                Operation::read(i as u64, &client, &key, value.as_deref(), at, at + took)
            };
            match lsn { Some(l) => op.with_lsn(l), None => op }
        }).collect();
        let first = check(&history).unwrap();
        prop_assert_eq!(first, check(&history).unwrap());
    }
}

/// The largest history the checker takes, shaped to make its causality search work hardest (one client writing
/// and reading many keys), still checks: every loop is bounded by the history's length.
#[test]
fn the_longest_history_checks() {
    let half = HISTORY_MAX as u64 / 2;
    let mut history: Vec<Operation> = (0..half)
        .map(|i| Operation::write(i, "a", &format!("k{i}"), "v", i * 10, i * 10 + 5).with_lsn(i + 1))
        .collect();
    // Every key read back by the same client, half of them too early to see the write (initial state).
    history.extend((0..half).map(|i| {
        let seen = if i % 2 == 0 { Some("v") } else { None };
        Operation::read(half + i, "a", &format!("k{}", half - 1 - i), seen, half * 10 + i, half * 10 + i + 1)
    }));
    let report = check(&history).unwrap();
    assert!(report.count(FindingKind::ReadYourWrites) > 0);
    assert!(report.findings.len() <= sim::checker::FINDINGS_MAX);
}
