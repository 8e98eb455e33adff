//! Chapter 4's three stories: each anomaly happens without its fix and never with it, for the same seeds; the
//! stories' numbers (10 → 9 → 10, the question and the $42 answer) come out exactly.

use expect_test::expect;
use proptest::prelude::*;
use sim::checker::{FindingKind, Kind, Operation};
use sim::lag::{
    Action, Config, Fix, FollowerLag, Lag, NodeRef, PartitionId, Preload, Replica, Step, Story, User, UserOp,
    HISTORY_MAX,
};
use sim::{Model, Replay, Salience, Time};

const SEEDS: std::ops::Range<u64> = 0..40;

fn run(seed: u64, config: Config, script: &[(u64, Action)], until_ms: u64) -> Replay<Lag> {
    let mut replay = Replay::new(Lag::new(seed, config), Time::from_ms(60_000));
    for (at_ms, action) in script {
        replay.seek(Time::from_ms(*at_ms));
        replay.act(action.clone());
    }
    replay.seek(Time::from_ms(until_ms));
    replay
}

fn story(seed: u64, story: Story, fix: Option<Fix>) -> Lag {
    let mut config = Config::story(story);
    if let Some(fix) = fix {
        config = config.with_fix(fix);
    }
    run(seed, config, &[], 10_000).model().clone()
}

/// What each of a user's reads returned, in order.
fn reads_by(history: &[Operation], user: &str) -> Vec<(String, Option<String>, String)> {
    history
        .iter()
        .filter(|op| op.client == user)
        .filter_map(|op| match &op.kind {
            Kind::Read { value } => Some((op.key.clone(), value.clone(), op.replica.clone().unwrap_or_default())),
            Kind::Write { .. } => None,
        })
        .collect()
}

fn key_lines(run: &Lag) -> String {
    run.trace()
        .events()
        .iter()
        .filter(|e| e.salience == Salience::Key)
        .map(|e| format!("{} {}\n", e.at, e.text))
        .collect()
}

/// The course's claim, for every story and every fix: same seed, anomaly without the fix, none with it.
#[test]
fn each_anomaly_occurs_without_its_fix_and_never_with_it() {
    for s in Story::ALL {
        for seed in SEEDS {
            let without = story(seed, s, None);
            assert!(without.anomalies(s.anomaly()) >= 1, "{s:?} seed {seed}: {}", without.render_state());
            for &fix in s.fixes() {
                assert_eq!(fix.cures(), s.anomaly());
                let with = story(seed, s, Some(fix));
                assert_eq!(with.anomalies(s.anomaly()), 0, "{s:?} with {fix:?}, seed {seed}: {}", with.render_state());
            }
        }
    }
}

/// Chapter 4, anomaly 1: Alice posts a comment, reloads, and her comment is not there; it reappears later.
#[test]
fn story_read_your_writes_the_comment_that_vanishes() {
    let run = story(1, Story::ReadYourWrites, None);
    let reads = reads_by(run.history(), "Alice");
    assert_eq!(reads[0].1, None, "the reload 100 ms after posting misses the comment");
    assert_eq!(reads[1].1.as_deref(), Some("Great write-up!"), "eventually consistent: it is back later");
    assert_eq!(run.anomalies(FindingKind::ReadYourWrites), 1);
    expect![[r#"
        t=0.000 s The database has one leader and two followers; follower lag: follower 1 300 ms, follower 2 500 ms. No fix is on.
        t=0.020 s The leader confirms Alice's write of post:7/comment:alice at LSN 3.
        t=0.120 s Alice sees no post:7/comment:alice from follower 1 (at LSN 2, 1 entry behind the leader).
        t=0.120 s Alice's read #2 of post:7/comment:alice at follower 1 returns nothing, although Alice's own write #1 ("Great write-up!", LSN 3) was acknowledged at t=0.020 s, before the read began at t=0.100 s.
        t=1.520 s Alice sees post:7/comment:alice = "Great write-up!" from follower 2 (at LSN 3, up to date).
    "#]]
    .assert_eq(&key_lines(&run));

    // Reading from the leader for a second after writing, or from a replica that has her LSN, finds it.
    let window = story(1, Story::ReadYourWrites, Some(Fix::LeaderWindow));
    assert_eq!(
        reads_by(window.history(), "Alice")[0],
        ("post:7/comment:alice".into(), Some("Great write-up!".into()), "the leader".into())
    );
    assert!(
        key_lines(&window).contains("Alice wrote 80 ms ago, within the 1000 ms window: the read goes to the leader.")
    );
    let tracked = story(1, Story::ReadYourWrites, Some(Fix::LsnTracking));
    assert!(key_lines(&tracked)
        .contains("Both followers are behind Alice's last write (LSN 3): the read goes to the leader."));
}

/// Chapter 4, anomaly 2: Bob refreshes and sees 10 comments, then 9, then 10 again, bouncing between a caught-up
/// follower and a lagging one.
#[test]
fn story_monotonic_reads_the_count_goes_10_then_9_then_10() {
    for seed in SEEDS {
        let run = story(seed, Story::MonotonicReads, None);
        let seen: Vec<_> =
            reads_by(run.history(), "Bob").into_iter().map(|(_, v, at)| (v.unwrap_or_default(), at)).collect();
        let expected = [("10", "follower 1"), ("9", "follower 2"), ("10", "follower 1")];
        assert_eq!(seen, expected.map(|(v, at)| (v.to_owned(), at.to_owned())), "seed {seed}");
        let fixed = story(seed, Story::MonotonicReads, Some(Fix::StickySessions));
        let counts: Vec<_> =
            reads_by(fixed.history(), "Bob").into_iter().map(|(_, v, _)| v.unwrap_or_default()).collect();
        let replicas: Vec<_> = reads_by(fixed.history(), "Bob").into_iter().map(|(_, _, at)| at).collect();
        assert!(replicas.iter().all(|r| *r == replicas[0]), "sticky: one follower for Bob");
        assert!(counts.windows(2).all(|w| w[0].parse::<u32>().unwrap() <= w[1].parse::<u32>().unwrap()), "{counts:?}");
    }
}

/// Chapter 4, anomaly 3: Alice's question is on partition A, Bob's answer on partition B; B replicates faster,
/// so Carol sees "It's $42." without "How much is the item?". Keeping the conversation on one partition means
/// she sees neither, then both — always a prefix.
#[test]
fn story_consistent_prefix_the_answer_before_the_question() {
    let run = story(1, Story::ConsistentPrefix, None);
    let carol = reads_by(run.history(), "Carol");
    assert_eq!(
        carol[..2],
        [
            ("chat:1/question".into(), None, "follower A2".into()),
            ("chat:1/answer".into(), Some("It's $42.".into()), "follower B1".into())
        ]
    );
    let finding = run.findings().iter().find(|f| f.kind == FindingKind::ConsistentPrefix).expect("the anomaly");
    assert!(finding.text.contains("sees \"It's $42.\" (write #3 by Bob)"), "{}", finding.text);
    assert!(finding.text.contains("instead of \"How much is the item?\" (write #1 by Alice)"), "{}", finding.text);

    let fixed = story(1, Story::ConsistentPrefix, Some(Fix::SamePartition));
    let carol: Vec<_> = reads_by(fixed.history(), "Carol").into_iter().map(|(_, v, at)| (v, at)).collect();
    assert_eq!(
        carol,
        [
            (None, "follower A2".into()),
            (None, "follower A2".into()),
            (Some("How much is the item?".into()), "follower A1".into()),
            (Some("It's $42.".into()), "follower A1".into())
        ]
    );
    assert!(fixed.nodes().iter().filter(|n| n.node.partition == PartitionId(1)).all(|n| n.data.is_empty()));
}

#[test]
fn a_fix_toggled_mid_run_applies_from_then_on() {
    let script = [(50, Action::Toggle(Fix::LsnTracking))];
    let r = run(3, Config::story(Story::ReadYourWrites), &script, 5_000);
    assert_eq!(r.model().anomalies(FindingKind::ReadYourWrites), 0);
    assert!(r.model().fix_on(Fix::LsnTracking));
    assert!(key_lines(r.model()).contains("LSN-tracked reads is now on."));
    // Toggling twice switches it off again, and the comment vanishes as before.
    let script = [(50, Action::Toggle(Fix::LsnTracking)), (60, Action::Toggle(Fix::LsnTracking))];
    let r = run(3, Config::story(Story::ReadYourWrites), &script, 5_000);
    assert_eq!(r.model().anomalies(FindingKind::ReadYourWrites), 1);
}

#[test]
fn lsn_tracking_prefers_a_caught_up_follower_over_the_leader() {
    // Follower 2 has no lag; follower 1 is slow. Round-robin would pick follower 1; LSN tracking moves to 2.
    let mut config = Config::story(Story::ReadYourWrites).with_fix(Fix::LsnTracking);
    config.lags = vec![[FollowerLag { lag_ms: 5_000, jitter_ms: 0 }, FollowerLag { lag_ms: 0, jitter_ms: 0 }]];
    let r = run(1, config, &[], 3_000);
    let reads = reads_by(r.model().history(), "Alice");
    assert_eq!(reads[0].2, "follower 2");
    assert!(key_lines(r.model()).contains(
        "Follower 1 is at LSN 2, behind Alice's last write (LSN 3); follower 2 is at LSN 3, so it serves the read."
    ));
}

#[test]
fn setting_a_lag_changes_what_readers_see() {
    let follower_1 = NodeRef { partition: PartitionId(0), replica: Replica::Follower(0) };
    let mut config = Config::story(Story::ReadYourWrites);
    config.lags[0][0].jitter_ms = 0;
    let r = run(1, config.clone(), &[(0, Action::SetLag { node: follower_1, lag_ms: 20 })], 3_000);
    assert_eq!(r.model().anomalies(FindingKind::ReadYourWrites), 0, "a 20 ms follower has the comment by the reload");
    let leader = NodeRef { partition: PartitionId(0), replica: Replica::Leader };
    let r = run(1, config, &[(0, Action::SetLag { node: leader, lag_ms: 20 })], 3_000);
    assert!(key_lines(r.model()).contains("The leader has no lag to set"));
}

#[test]
fn the_views_show_positions_and_messages() {
    let r = run(1, Config::story(Story::MonotonicReads), &[], 1_005);
    let model = r.model();
    let nodes = model.nodes();
    assert_eq!(
        nodes.iter().map(|n| (n.name.as_str(), n.applied.0, n.behind)).collect::<Vec<_>>(),
        [("the leader", 2, 0), ("follower 1", 2, 0), ("follower 2", 1, 1)]
    );
    assert_eq!(nodes[2].data, [("post:7/comment-count".to_owned(), "9".to_owned())]);
    let messages = model.messages();
    assert!(messages.iter().any(|m| m.kind == sim::lag::MessageKind::ReadRequest), "Bob's second read is on its way");
    assert!(messages.iter().any(|m| m.kind == sim::lag::MessageKind::Replication), "follower 2's copy is still coming");
    assert!(messages.iter().all(|m| m.sent_at <= m.deliver_at));
    let bob = model.users().into_iter().find(|u| u.name == "Bob").unwrap();
    assert_eq!(bob.last_write_at, None);
    assert!(bob.sticky_follower < 2);
}

#[test]
fn out_of_range_settings_are_clamped_and_the_history_is_bounded() {
    let config = Config {
        partitions: 9,
        lags: vec![[FollowerLag { lag_ms: u64::MAX, jitter_ms: u64::MAX }; 2]; 5],
        client_ms: u64::MAX,
        leader_window_ms: u64::MAX,
        fixes: Fix::ALL.into_iter().collect(),
        users: vec![User { name: "Zed".into(), home: PartitionId(7) }],
        preload: vec![Preload { partition: PartitionId(9), key: "k".into(), value: "v".into() }],
        script: (0..100)
            .map(|i| Step { at_ms: i, op: UserOp::Read { user: "Zed".into(), keys: vec!["k".into(); 40] } })
            .collect(),
    };
    let r = run(1, config, &[], 60_000);
    let model = r.model();
    assert_eq!(model.config().partitions, 2);
    assert!(model.history().len() <= HISTORY_MAX);
    assert!(key_lines(model).contains("reads only its first 16 keys"));
}

fn action() -> impl Strategy<Value = Action> {
    let user = prop::sample::select(vec!["Alice", "Bob", "Carol", "Dave"]);
    let key = prop::sample::select(vec!["chat:1/question", "chat:1/answer", "post:7/comment-count", "x"]);
    let fix = prop::sample::select(Fix::ALL.to_vec());
    let node = (0u8..3, prop_oneof![Just(Replica::Leader), (0u8..3).prop_map(Replica::Follower)])
        .prop_map(|(p, replica)| NodeRef { partition: PartitionId(p), replica });
    prop_oneof![
        (user.clone(), key.clone(), 0u32..100).prop_map(|(user, key, v)| Action::Do(UserOp::Write {
            user: user.to_owned(),
            key: key.to_owned(),
            value: format!("{v}")
        })),
        (user, prop::collection::vec(key, 0..4)).prop_map(|(user, keys)| Action::Do(UserOp::Read {
            user: user.to_owned(),
            keys: keys.into_iter().map(str::to_owned).collect()
        })),
        fix.prop_map(Action::Toggle),
        (node, 0u64..5_000).prop_map(|(node, lag_ms)| Action::SetLag { node, lag_ms }),
    ]
}

fn script() -> impl Strategy<Value = Vec<(u64, Action)>> {
    prop::collection::vec((0u64..6_000, action()), 0..30).prop_map(|mut v| {
        v.sort_by_key(|(t, _)| *t);
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, .. ProptestConfig::default() })]

    /// Same seed and same actions: the same run, event for event.
    #[test]
    fn runs_are_deterministic(seed in any::<u64>(), which in 0usize..3, script in script()) {
        let config = Config::story(Story::ALL[which]);
        let a = run(seed, config.clone(), &script, 10_000);
        let b = run(seed, config, &script, 10_000);
        prop_assert_eq!(a.model(), b.model());
    }

    /// Whatever the reader does, followers only ever hold a prefix of their leader's log, catch up once writes
    /// stop, and nothing panics.
    #[test]
    fn followers_hold_a_prefix_and_catch_up(seed in any::<u64>(), which in 0usize..3, script in script()) {
        let r = run(seed, Config::story(Story::ALL[which]), &script, 30_000);
        for node in r.model().nodes() {
            prop_assert_eq!(node.behind, 0, "{}", r.model().render_state());
        }
        prop_assert!(r.model().messages().is_empty());
    }

    /// Stepping back lands on exactly the state the run was in the first time through.
    #[test]
    fn step_back_is_exact(seed in any::<u64>(), which in 0usize..3, script in script()) {
        let mut r = run(seed, Config::story(Story::ALL[which]), &script, 4_000);
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
