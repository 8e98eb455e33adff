//! Each simulation through a shared link and back: its settings, its reader actions and its position survive the
//! trip exactly, so the reader who opens the link sees the same run, event for event.

use std::collections::BTreeSet;

use sim::{Model, Replay, Time};

use super::{
    failover, lag_anomalies, leader_follower, log_formats, multi_leader, quorum, single_node, version_vectors,
};
use crate::share::{from_link, query, ActionToken, FromLink, Params, RunLink, Shareable};

/// Writes `settings` and the run of `replay` as the Copy link button does, then reads them back from the
/// address as the page does.
fn through_link<S, M>(sim: &str, settings: &S, seed: u64, replay: &Replay<M>) -> (S, RunLink<M::Action>, Vec<String>)
where
    S: Shareable,
    M: Model,
    M::Action: ActionToken,
{
    let mut pairs = Vec::new();
    settings.write(&mut pairs);
    RunLink::of(seed, replay, false).expect("every action the reader can take has a token").write(&mut pairs);
    let hash = format!("#/chapter/section?{}", query(sim, &pairs));
    let params = Params::from_hash(&hash);
    assert_eq!(params.simulation(), Some(sim));
    let FromLink { settings, run, notices } = from_link::<S, M::Action>(Some(&params), 1, || unreachable!());
    (settings, run.expect("a link always has a run"), notices)
}

/// Rebuilds the run from the link and checks it is the one the reader had: same trace, clock and position.
fn assert_same_run<M: Model>(original: &Replay<M>, mut rebuilt: Replay<M>, run: RunLink<M::Action>) {
    let restored = rebuilt.restore(run.actions, run.cursor, run.at);
    assert_eq!(restored.dropped, 0);
    assert!(restored.position_exact);
    assert_eq!(rebuilt.cursor(), original.cursor());
    assert_eq!(rebuilt.now(), original.now());
    assert_eq!(rebuilt.model().trace().render(), original.model().trace().render());
}

#[test]
fn single_node_runs_survive_a_link() {
    use sim::service::{Action, Config, Service};
    let make = |seed| Service::new(seed, Config::default());
    let mut replay = Replay::new(make(9), single_node::SETUP.horizon);
    replay.seek(Time::from_ms(1_500));
    replay.act(Action::AddReplica);
    replay.seek(Time::from_ms(4_000));
    replay.act(Action::KillPrimary);
    replay.step_forward();
    replay.step_forward();
    let ((), run, notices) = through_link("single-node", &(), 9, &replay);
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(run.seed, 9);
    assert_same_run(&replay, Replay::new(make(run.seed), single_node::SETUP.horizon), run);
    for action in [Action::KillPrimary, Action::AddReplica, Action::RestartCrashed] {
        assert_eq!(Action::from_token(&action.token().unwrap()), Some(action));
    }
}

#[test]
fn leader_follower_settings_and_runs_survive_a_link() {
    use sim::leader_follower::{Action, Durability, FollowerId};
    let shared = leader_follower::Shared {
        settings: leader_follower::Settings { durability: Durability::Asynchronous, latencies_ms: vec![3, 0, 40, 12] },
        scaling_followers: 7,
        write_cpu_percent: 35,
    };
    let mut replay = Replay::new(shared.settings.build(5), leader_follower::SETUP.horizon);
    replay.seek(Time::from_ms(3));
    replay.act(Action::CrashFollower(FollowerId(2)));
    replay.seek(Time::from_ms(9));
    replay.act(Action::SendWrite);
    replay.act(Action::KillLeader);
    replay.step_forward();
    let (read, run, notices) = through_link("leader-follower", &shared, 5, &replay);
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(read, shared);
    assert_same_run(&replay, Replay::new(read.settings.build(run.seed), leader_follower::SETUP.horizon), run);
    for action in [
        Action::SendWrite,
        Action::KillLeader,
        Action::AddFollower,
        Action::CrashFollower(FollowerId(3)),
        Action::RestartFollower(FollowerId(1)),
    ] {
        assert_eq!(Action::from_token(&action.token().unwrap()), Some(action));
    }
}

#[test]
fn failover_settings_and_runs_survive_a_link() {
    use sim::failover::Action;
    let settings = failover::Settings {
        detection_timeout_s: 12,
        lags: vec![3, 40],
        max_lag: 5,
        fencing: false,
        sync: true,
        stale_clients: 2,
    };
    let mut replay = Replay::new(settings.build(3), failover::SETUP.horizon);
    replay.seek(Time::from_ms(20_000));
    replay.act(Action::RestartOldLeader);
    replay.seek(Time::from_ms(30_500));
    replay.act(Action::StopWrites);
    let (read, run, notices) = through_link("failover", &settings, 3, &replay);
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(read, settings);
    assert_same_run(&replay, Replay::new(read.build(run.seed), failover::SETUP.horizon), run);
}

#[test]
fn multi_leader_settings_and_runs_survive_a_link() {
    use sim::multi_leader::{Action, NodeId, Op, Strategy};
    let settings = multi_leader::Settings {
        strategy: Strategy::KeepSiblings,
        shape: multi_leader::Shape::Star,
        skews_ms: vec![1, -250, 700, 0],
        gap_ms: 20,
        scenario: multi_leader::Scenario::Address,
    };
    let shared = multi_leader::Shared { settings, selected: 2, ot_insert_at: 3, ot_delete_at: 0, ot_transform: true };
    let mut replay = Replay::new(shared.settings.build(4), multi_leader::SETUP.horizon);
    replay.act(Action::TriggerConflict);
    replay.seek(Time::from_ms(900));
    replay.act(Action::Write { leader: NodeId(3), op: Op::Set("12 Harbor Rd (T) & co.".to_owned()) });
    replay.act(Action::KillLeader(NodeId(2)));
    replay.seek(Time::from_ms(2_000));
    replay.act(Action::ResolveSiblings { leader: NodeId(1), keep: 1 });
    let (read, run, notices) = through_link("multi-leader", &shared, 4, &replay);
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(read, shared);
    assert_same_run(&replay, Replay::new(read.settings.build(run.seed), multi_leader::SETUP.horizon), run);
    for action in [
        Action::RestartLeader(NodeId(5)),
        Action::Write { leader: NodeId(1), op: Op::Delete },
        Action::Write { leader: NodeId(2), op: Op::Increment(3) },
        Action::Write { leader: NodeId(2), op: Op::Set("a-b-c".to_owned()) },
    ] {
        assert_eq!(Action::from_token(&action.token().unwrap()), Some(action));
    }
}

#[test]
fn lag_anomaly_settings_and_runs_survive_a_link() {
    use sim::lag::{Action, Fix, Story, UserOp};
    let mut settings = lag_anomalies::Settings::story(Story::ConsistentPrefix).with_lag(1_500);
    settings.fixes = BTreeSet::from([Fix::SamePartition]);
    let (user, keys) = lag_anomalies::watcher(settings.story);
    let mut replay = Replay::new(settings.build(2), lag_anomalies::SETUP.horizon);
    replay.seek(Time::from_ms(1_200));
    replay.act(Action::Do(UserOp::Read { user, keys }));
    replay.seek(Time::from_ms(2_345));
    let (read, run, notices) = through_link("lag-anomalies", &settings, 2, &replay);
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(read, settings);
    assert_same_run(&replay, Replay::new(read.build(run.seed), lag_anomalies::SETUP.horizon), run);
}

#[test]
fn lag_links_keep_to_the_slider_and_the_story() {
    use sim::lag::{Fix, Story};
    let params = Params::parse("sim=lag-anomalies&story=monotonic-reads&lag=1234&fixes=sticky.one-partition.nope");
    let FromLink { settings, notices, .. } =
        from_link::<lag_anomalies::Settings, sim::lag::Action>(Some(&params), 1, || unreachable!());
    assert_eq!(settings.story, Story::MonotonicReads);
    assert_eq!(settings.lag_ms, 1_000);
    assert_eq!(settings.fixes, BTreeSet::from([Fix::StickySessions]));
    assert_eq!(notices.len(), 3, "{notices:?}");
}

#[test]
fn quorum_links_keep_w_and_r_within_n_and_say_so() {
    let params = Params::parse("sim=quorum&n=4&w=7&r=0&latencies=custom&rates=5.60.10.10&runs=3");
    let FromLink { settings, notices, .. } =
        from_link::<quorum::Shared, sim::service::Action>(Some(&params), 0, || unreachable!());
    assert_eq!(settings.knobs, quorum::Knobs { n: 4, w: 4, r: 1 });
    assert_eq!(settings.latencies, "custom");
    assert_eq!(settings.rates, (5, 50, 10, 10));
    assert_eq!(settings.runs, 3);
    assert_eq!(
        notices,
        [
            "W 7 is outside 1 to 4; using 4.",
            "R 0 is outside 1 to 4; using 1.",
            "Some rates were outside 1 to 50 and were clamped."
        ]
    );
    let mut pairs = Vec::new();
    settings.write(&mut pairs);
    let again = Params::parse(&query("quorum", &pairs));
    let FromLink { settings: round, notices, .. } =
        from_link::<quorum::Shared, sim::service::Action>(Some(&again), 0, || unreachable!());
    assert_eq!(round, settings);
    assert!(notices.is_empty());
}

#[test]
fn log_format_steps_survive_a_link_and_replay_to_the_same_comparison() {
    use sim::log_formats::{Action, StatementMode};
    let shared = log_formats::Shared {
        choice: "concurrent",
        offset_ms: -1_300,
        actions: vec![
            log_formats::operation("update", 0),
            log_formats::operation("insert", 1),
            Action::SetStatementMode(StatementMode::LiteralValues),
            log_formats::operation("concurrent", 3),
            Action::ResyncStatementFollower,
        ],
        undone: vec![log_formats::operation("anonymize", 5), log_formats::operation("delete", 6)],
        query: "Smith & co".to_owned(),
    };
    let params = Params::parse(&query("log-formats", &{
        let mut pairs = Vec::new();
        shared.write(&mut pairs);
        pairs
    }));
    let FromLink { settings, notices, .. } =
        from_link::<log_formats::Shared, crate::share::NoAction>(Some(&params), 0, || unreachable!());
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(settings, shared);
    let (a, _) = log_formats::replay(shared.offset_ms, &shared.actions);
    let (b, _) = log_formats::replay(settings.offset_ms, &settings.actions);
    assert_eq!(a.trace().render(), b.trace().render());

    let bad = Params::parse("sim=log-formats&offset=1234&steps=update.insert-9.delete&op=drop");
    let FromLink { settings, notices, .. } =
        from_link::<log_formats::Shared, crate::share::NoAction>(Some(&bad), 0, || unreachable!());
    assert_eq!(settings.offset_ms, 1_200);
    assert_eq!(settings.actions.len(), 1);
    assert_eq!(settings.choice, "update");
    assert_eq!(notices.len(), 3, "{notices:?}");
}

#[test]
fn version_vector_walks_survive_a_link() {
    use sim::version_vector::DeleteMode;
    let shared = version_vectors::Shared {
        mode: DeleteMode::Erase,
        step: 9,
        text_a: "{A:2, B:1}".to_owned(),
        text_b: "{A:1, B:3}".to_owned(),
        first: "b2".to_owned(),
        second: "c1".to_owned(),
    };
    let mut pairs = Vec::new();
    shared.write(&mut pairs);
    let params = Params::parse(&query("version-vectors", &pairs));
    let FromLink { settings, notices, .. } =
        from_link::<version_vectors::Shared, crate::share::NoAction>(Some(&params), 0, || unreachable!());
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(settings, shared);

    let bad = Params::parse("sim=version-vectors&step=5000&e1=zz9");
    let FromLink { settings, notices, .. } =
        from_link::<version_vectors::Shared, crate::share::NoAction>(Some(&bad), 0, || unreachable!());
    assert!(settings.step > 0 && settings.step < 5_000);
    assert_eq!(settings.first, "a1");
    assert_eq!(notices.len(), 2, "{notices:?}");
}
