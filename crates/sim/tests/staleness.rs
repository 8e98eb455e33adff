//! Chapter 6's quorum arithmetic and Probabilistically Bounded Staleness: the closed form checked against brute
//! force, the course's quorum numbers, and the WARS Monte Carlo checked against the closed form and against the
//! guarantees a strict quorum gives.

use expect_test::expect;
use proptest::prelude::*;
use sim::rng::Rng;
use sim::staleness::{
    binomial, percent, replica_name, sort_total, Fraction, Latencies, LatencyDist, Preset, Quorum, QuorumKind,
    ReadOutcome, ReadRole, ReplicaSet, ReplicaSets, Shape, StalenessError, Version, Wars, WriteRole, REPLICAS_MAX,
    TIME_POINTS_MAX, TRIALS_MAX,
};

fn q(n: u32, w: u32, r: u32) -> Quorum {
    Quorum::new(n, w, r).unwrap()
}

fn listed(sets: ReplicaSets) -> Vec<ReplicaSet> {
    match sets {
        ReplicaSets::Listed(sets) => sets,
        ReplicaSets::Counted(count) => panic!("expected a list, got a count of {count}"),
    }
}

fn names(sets: &[ReplicaSet]) -> Vec<String> {
    sets.iter().map(ReplicaSet::to_string).collect()
}

// ---------------------------------------------------------------------------------------------------------------
// The closed form
// ---------------------------------------------------------------------------------------------------------------

/// For every N ≤ 9 and every W, R: count, over every (write set, read set) pair, the pairs that share no replica.
/// That share is what a uniformly chosen read set misses, and must equal C(N−W, R) / C(N, R) exactly.
#[test]
fn closed_form_matches_brute_force_enumeration_for_every_n_up_to_9() {
    for n in 1..=9u32 {
        let masks_of = |size: u32| -> Vec<u64> { (0u64..1 << n).filter(|m| m.count_ones() == size).collect() };
        for w in 1..=n {
            let writes = masks_of(w);
            for r in 1..=n {
                let reads = masks_of(r);
                let disjoint = writes.iter().map(|wm| reads.iter().filter(|&&rm| wm & rm == 0).count()).sum::<usize>();
                let total = writes.len() * reads.len();
                let quorum = q(n, w, r);
                let brute = Fraction::new(disjoint as u128, total as u128);
                assert_eq!(quorum.p_stale_exact(), brute, "N={n} W={w} R={r}");
                assert_eq!(quorum.p_stale() == 0.0, quorum.kind() == QuorumKind::Strict, "N={n} W={w} R={r}");
                // The listed sets are exactly the brute-force ones, in lexicographic order of members.
                let listed_writes = listed(quorum.write_sets());
                let mut by_mask: Vec<u64> = listed_writes.iter().map(|s| s.0).collect();
                by_mask.sort_unstable();
                assert_eq!(by_mask, writes);
                let as_members: Vec<Vec<u32>> = listed_writes.iter().map(|s| s.members()).collect();
                assert!(as_members.windows(2).all(|p| p[0] < p[1]), "lexicographic order");
                assert_eq!(listed(quorum.read_sets()).len(), reads.len());
                // Every write set is missed by exactly C(N−W, R) read sets, all disjoint from it.
                for &wm in &writes {
                    let missing = listed(quorum.read_sets_missing(ReplicaSet(wm)).unwrap());
                    assert_eq!(missing.len() as u128, binomial(n - w, r).unwrap());
                    assert!(missing.iter().all(|m| !m.overlaps(ReplicaSet(wm)) && m.len() == r));
                }
            }
        }
    }
}

/// Up to N=64 the binomials stay exact: compare with the product form ∏ (N−W−i)/(N−i) in floating point.
#[test]
fn closed_form_is_exact_up_to_64_replicas() {
    assert_eq!(binomial(64, 32), Some(1_832_624_140_942_590_534));
    // Pascal's rule at the edge of u128.
    let pascal = binomial(127, 63).unwrap() + binomial(127, 64).unwrap();
    assert_eq!(binomial(128, 64), Some(pascal));
    for n in 1..=REPLICAS_MAX {
        for w in 1..=n {
            for r in 1..=n {
                let product: f64 = (0..r).map(|i| (n - w).saturating_sub(i) as f64 / (n - i) as f64).product();
                let exact = q(n, w, r).p_stale();
                assert!((exact - product).abs() <= 1e-12 * product.max(1e-300), "N={n} W={w} R={r}");
            }
        }
    }
    assert_eq!(q(64, 32, 32).p_stale_exact(), Fraction { numerator: 1, denominator: 1_832_624_140_942_590_534 });
    assert_eq!(q(64, 1, 1).p_stale_exact().to_string(), "63/64");
    assert_eq!(binomial(131, 65), Some(188_694_833_082_770_476_622_296_176_145_946_360_850));
    assert_eq!(binomial(132, 66), None, "too big for u128 is reported, not wrapped");
    assert_eq!(binomial(3, 5), Some(0));
}

/// Course, chapter 6, "Worked Example: The Quorum Math": N=3, W=2, R=2. The write lands on A and B, the read asks
/// B and C, and B is in both; by pigeonhole (2 + 2 = 4 slots for 3 replicas) every pair of sets shares one.
#[test]
fn chapter_6_worked_example_the_quorum_math() {
    let quorum = q(3, 2, 2);
    assert_eq!(quorum.kind(), QuorumKind::Strict);
    assert_eq!(quorum.w() + quorum.r(), 4);
    assert_eq!(quorum.overlap_min(), 1);
    let write = ReplicaSet::from_members(&[0, 1]);
    let read = ReplicaSet::from_members(&[1, 2]);
    assert_eq!((write.to_string(), read.to_string()), ("{A, B}".to_owned(), "{B, C}".to_owned()));
    assert_eq!(write.intersection(read).to_string(), "{B}");
    let writes = listed(quorum.write_sets());
    let reads = listed(quorum.read_sets());
    assert_eq!(names(&writes), ["{A, B}", "{A, C}", "{B, C}"]);
    assert!(writes.iter().all(|w| reads.iter().all(|r| w.overlaps(*r))));
    assert_eq!(quorum.p_stale_exact(), Fraction::new(0, 1));
    assert_eq!(quorum.p_stale(), 0.0);
    expect![[r#"N=3, W=2, R=2: 2 + 2 = 4 > 3, so every read set shares at least 1 replica with every write set; writes survive 1 replica down, reads survive 1 replica down."#]]
    .assert_eq(&quorum.describe());
}

/// Course, chapter 6, "Worked Example: Quorum Write and Read Repair": N=3, W=2, R=2; A and B acknowledge "Alice"
/// v2, C is late; the read asks A and C and A has v2. No read set can miss the write set {A, B}.
#[test]
fn chapter_6_worked_example_quorum_write_and_read_repair() {
    let quorum = q(3, 2, 2);
    let write = ReplicaSet::from_members(&[0, 1]);
    let read = ReplicaSet::from_members(&[0, 2]);
    assert_eq!(read.intersection(write).to_string(), "{A}");
    assert_eq!(listed(quorum.read_sets_missing(write).unwrap()), []);
    // Had only one replica taken the write ("Failed write rollback" in the limits table), R=2 could miss it:
    // the read sets that avoid {A} are exactly {B, C}, 1 of 3.
    let one = q(3, 1, 2);
    assert_eq!(names(&listed(one.read_sets_missing(ReplicaSet::from_members(&[0])).unwrap())), ["{B, C}"]);
    assert_eq!(one.p_stale_exact().to_string(), "1/3");
}

/// Course, chapter 6, "Common Quorum Configurations", every row: quorum or not, failures tolerated by writes and
/// reads. The last row, N=3 W=1 R=1, "may read stale": with probability 2/3.
#[test]
fn chapter_6_common_quorum_configurations() {
    let table = [
        // N, W, R, quorum?, write failures, read failures
        (3, 2, 2, QuorumKind::Strict, 1, 1),
        (3, 3, 1, QuorumKind::Strict, 0, 2),
        (3, 1, 3, QuorumKind::Strict, 2, 0),
        (5, 3, 3, QuorumKind::Strict, 2, 2),
        (3, 1, 1, QuorumKind::Partial, 2, 2),
    ];
    for (n, w, r, kind, write_failures, read_failures) in table {
        let quorum = q(n, w, r);
        assert_eq!(quorum.kind(), kind, "{quorum}");
        assert_eq!(quorum.write_failures_tolerated(), write_failures, "{quorum}");
        assert_eq!(quorum.read_failures_tolerated(), read_failures, "{quorum}");
    }
    let fastest = q(3, 1, 1);
    assert_eq!(fastest.p_stale_exact().to_string(), "2/3");
    expect![[r#"N=3, W=1, R=1: 1 + 1 = 2 ≤ 3, so a read misses the latest write with probability 2/3 (66.7 %); writes survive 2 replicas down, reads survive 2 replicas down."#]]
    .assert_eq(&fastest.describe());
    // The flashcards' n=5, w=1, r=1: "eventual consistency only" — a read misses with probability 4/5.
    assert_eq!(q(5, 1, 1).p_stale_exact().to_string(), "4/5");
}

/// Course, chapter 6, closing question: N=5, W=2, reads must always see the latest value: R = 4.
#[test]
fn chapter_6_question_minimum_r_for_n5_w2() {
    let quorum = q(5, 2, 1);
    assert_eq!(quorum.min_strict_read_quorum(), 4);
    assert_eq!(q(5, 2, 4).kind(), QuorumKind::Strict);
    assert_eq!(q(5, 2, 3).kind(), QuorumKind::Partial);
    assert_eq!(q(5, 2, 3).p_stale_exact().to_string(), "1/10");
    // The flashcard's n=5, w=3, r=3 shares at least one replica; the rule of thumb's majority quorums likewise.
    assert_eq!(q(5, 3, 3).overlap_min(), 1);
    assert_eq!(q(5, 1, 3).min_strict_write_quorum(), 3);
}

/// k-staleness: a read older than the last k versions missed all k write sets.
#[test]
fn k_staleness_is_the_kth_power() {
    let quorum = q(3, 1, 1);
    assert!((quorum.p_older_than_versions(1) - 2.0 / 3.0).abs() < 1e-15);
    assert!((quorum.p_older_than_versions(2) - 4.0 / 9.0).abs() < 1e-15);
    assert!((quorum.p_older_than_versions(0) - 2.0 / 3.0).abs() < 1e-15, "k = 0 is read as 1");
    assert_eq!(q(3, 2, 2).p_older_than_versions(5), 0.0);
    assert!(quorum.p_older_than_versions(u32::MAX) >= 0.0);
}

#[test]
fn bad_quorums_are_rejected_or_clamped() {
    assert_eq!(Quorum::new(0, 1, 1), Err(StalenessError::NoReplicas));
    assert_eq!(Quorum::new(65, 1, 1), Err(StalenessError::TooManyReplicas { n: 65 }));
    assert_eq!(Quorum::new(3, 0, 1), Err(StalenessError::WriteQuorumOutOfRange { w: 0, n: 3 }));
    assert_eq!(Quorum::new(3, 1, 4), Err(StalenessError::ReadQuorumOutOfRange { r: 4, n: 3 }));
    assert_eq!(Quorum::clamped(0, 9, 0), q(1, 1, 1));
    assert_eq!(Quorum::clamped(500, 500, 2), q(64, 64, 2));
    let quorum = q(4, 2, 2);
    assert!(matches!(
        quorum.read_sets_missing(ReplicaSet::from_members(&[0])),
        Err(StalenessError::BadReplicaSet { .. })
    ));
    assert!(quorum.read_sets_missing(ReplicaSet::from_members(&[0, 9])).is_err(), "replica 9 is not among 4");
    assert_eq!(StalenessError::NoReplicas.to_string(), "a quorum needs at least one replica");
}

#[test]
fn many_sets_are_counted_not_listed() {
    let quorum = q(20, 10, 3);
    assert_eq!(quorum.write_sets(), ReplicaSets::Counted(184_756));
    assert_eq!(quorum.read_sets(), ReplicaSets::Counted(1_140));
    // The edge: C(20, 2) = 190 sets are listed, C(21, 2) = 210 are counted.
    assert_eq!(listed(q(20, 2, 1).write_sets()).len(), 190);
    assert_eq!(q(21, 2, 1).write_sets(), ReplicaSets::Counted(210));
}

#[test]
fn names_and_percentages_read_well() {
    assert_eq!([0, 1, 25, 26, 27, 63].map(replica_name), ["A", "B", "Z", "AA", "AB", "BL"]);
    assert_eq!(ReplicaSet::all(64).len(), 64);
    assert_eq!(percent(2.0 / 3.0), "66.7 %");
    assert_eq!(percent(0.0), "0 %");
    assert_eq!(percent(1.0), "100 %");
    assert_eq!(percent(0.000_042), "0.0042 %");
    assert_eq!(percent(0.999_99), "99.9990 %");
    assert_eq!(percent(f64::NAN), "0 %");
}

// ---------------------------------------------------------------------------------------------------------------
// The WARS Monte Carlo
// ---------------------------------------------------------------------------------------------------------------

/// W and S i.i.d. exponential, A = R = 0: the write is on exactly the W fastest replicas at commit, and the read's
/// R fastest responders are a uniformly random R-set, independent of them — the closed form's own assumptions.
fn closed_form_latencies() -> Latencies {
    Latencies {
        w: LatencyDist::exponential(0.5),
        a: LatencyDist::constant(0.0),
        r: LatencyDist::constant(0.0),
        s: LatencyDist::exponential(0.5),
        wan: None,
    }
}

fn within_sampling_error(measured: f64, expected: f64, trials: u32) -> bool {
    let sigma = (expected * (1.0 - expected) / f64::from(trials)).sqrt();
    (measured - expected).abs() <= 4.0 * sigma + 1e-9
}

#[test]
fn monte_carlo_matches_the_closed_form_at_commit_with_iid_latencies() {
    let trials = 40_000;
    for (n, w, r) in [(3, 1, 1), (3, 1, 2), (3, 2, 1), (5, 2, 2), (5, 1, 3), (9, 3, 3), (9, 2, 5), (20, 4, 4)] {
        let quorum = q(n, w, r);
        let report = Wars::new(quorum, closed_form_latencies(), trials, 11).run(&[0.0]).unwrap();
        let measured = report.points[0].p_consistent;
        let expected = 1.0 - quorum.p_stale();
        assert!(
            within_sampling_error(measured, expected, trials),
            "{quorum}: measured {measured}, closed form {expected}"
        );
    }
}

/// With all four delays i.i.d., writes keep landing after the commit (an acknowledgement still in flight, a
/// slower replica), so the closed form is only a lower bound on consistency — the paper's point.
#[test]
fn with_every_delay_iid_the_closed_form_is_a_lower_bound() {
    let trials = 40_000;
    let latencies = Latencies::exponential(0.5, 0.5, 0.5, 0.5).unwrap();
    for (n, w, r) in [(3, 1, 1), (3, 1, 2), (5, 2, 2), (9, 3, 3)] {
        let quorum = q(n, w, r);
        let measured = Wars::new(quorum, latencies, trials, 5).run(&[0.0]).unwrap().points[0].p_consistent;
        let bound = 1.0 - quorum.p_stale();
        assert!(measured > bound + 0.02, "{quorum}: measured {measured}, closed form {bound}");
    }
}

#[test]
fn strict_quorums_are_consistent_at_every_t() {
    let times = [0.0, 0.01, 0.5, 3.0, 50.0, 2_000.0];
    for preset in Preset::ALL {
        for (n, w, r) in [(3, 2, 2), (3, 3, 1), (3, 1, 3), (5, 3, 3), (5, 4, 2), (1, 1, 1)] {
            let quorum = q(n, w, r);
            let report = Wars::new(quorum, preset.latencies(), 3_000, 21).run(&times).unwrap();
            for point in &report.points {
                assert_eq!(point.stale, 0, "{} {quorum} at t={}", preset.name(), point.t_ms);
                assert_eq!(point.p_consistent, 1.0);
            }
            assert_eq!(report.t_visibility_ms(1.0), Some(0.0));
        }
    }
}

/// Medians and tails that follow from the fits: one SSD message takes about 0.25 ms, so a round trip about
/// 0.5 ms; a disk write adds about a millisecond; Yammer's writes are Pareto from 3 ms; across data centres a
/// write waiting for 2 of 3 replicas needs at least one remote round trip of 2 × 75 ms.
#[test]
fn presets_give_sane_latencies() {
    let run = |preset: Preset, quorum: Quorum| Wars::new(quorum, preset.latencies(), 20_000, 3).run(&[0.0]).unwrap();
    let check = |what: &str, value: f64, low: f64, high: f64| {
        assert!((low..=high).contains(&value), "{what} = {value}, expected {low}..={high}");
    };
    let ssd = run(Preset::LnkdSsd, q(3, 1, 1));
    check("SSD write p50", ssd.write_latency.p50_ms, 0.45, 0.55);
    check("SSD read p50", ssd.read_latency.p50_ms, 0.45, 0.55);
    check("SSD write p99.9", ssd.write_latency.p999_ms, 0.55, 2.0);
    let disk = run(Preset::LnkdDisk, q(3, 1, 1));
    check("DISK write p50", disk.write_latency.p50_ms, 1.2, 2.0);
    check("DISK read p50", disk.read_latency.p50_ms, 0.45, 0.55);
    let ymmr = run(Preset::Ymmr, q(3, 1, 1));
    check("YMMR write p50", ymmr.write_latency.p50_ms, 4.5, 6.0);
    check("YMMR read p50", ymmr.read_latency.p50_ms, 3.0, 4.0);
    let wan = run(Preset::Wan, q(3, 2, 2));
    check("WAN W=2 write p50", wan.write_latency.p50_ms, 150.0, 156.0);
    check("WAN R=2 read p50", wan.read_latency.p50_ms, 150.0, 152.0);
    for report in [&ssd, &disk, &ymmr, &wan] {
        for p in [report.write_latency, report.read_latency] {
            assert!(p.p50_ms <= p.p99_ms && p.p99_ms <= p.p999_ms && p.p999_ms <= p.max_ms, "{p:?}");
        }
    }
    // Right after commit, a partial quorum on fast SSDs is usually consistent already; on slow disk writes, less.
    check("SSD consistent at t=0", ssd.points[0].p_consistent, 0.95, 0.99);
    assert!(disk.points[0].p_consistent < ssd.points[0].p_consistent);
    assert!(disk.points[0].p_consistent > 1.0 - q(3, 1, 1).p_stale(), "still above the closed form");
}

#[test]
fn waiting_after_commit_makes_reads_consistent() {
    let report = Wars::new(q(3, 1, 1), Preset::LnkdSsd.latencies(), 20_000, 8).run(&[0.0, 1.0, 5.0, 20.0]).unwrap();
    let p: Vec<f64> = report.points.iter().map(|x| x.p_consistent).collect();
    assert!(p[0] < p[1] && p[1] < p[2], "{p:?}");
    assert_eq!(p[3], 1.0);
    let t = report.t_visibility_ms(0.999).unwrap();
    assert!((0.5..5.0).contains(&t), "t-visibility {t}");
    assert!(report.p_consistent_at(t) >= 0.999);
    assert!(report.p_consistent_at(t - 0.05) < 0.999 + 1e-12 || t == 0.0);
    assert_eq!(report.p_consistent_at(-3.0), report.p_consistent_at(0.0));
    // Across data centres a read elsewhere waits for the write to cross: at least 75 ms.
    let wan = Wars::new(q(3, 1, 1), Preset::Wan.latencies(), 20_000, 8).run(&[0.0]).unwrap();
    assert!(wan.t_visibility_ms(0.99).unwrap() > 70.0);
}

/// The closed form assumes the read set is a uniformly random R-set, independent of the write set. Across data
/// centres it is not: the first acknowledgements come from the writer's data centre and the first answers from
/// the reader's. With 6 replicas in 3 data centres and W = R = 2, both quorums are local pairs, so a read from
/// another data centre (2 times in 3) misses the write until it crosses the WAN — far worse than 6/15.
#[test]
fn across_data_centres_quorums_are_not_random_and_the_closed_form_is_optimistic() {
    let quorum = q(6, 2, 2);
    assert_eq!(quorum.p_stale_exact().to_string(), "2/5");
    let report = Wars::new(quorum, Preset::Wan.latencies(), 20_000, 4).run(&[0.0, 200.0]).unwrap();
    let at_commit = report.points[0].p_consistent;
    assert!((at_commit - 1.0 / 3.0).abs() < 0.02, "consistent at commit {at_commit}");
    assert!(at_commit < 1.0 - quorum.p_stale());
    assert!(report.points[1].p_consistent > 0.99, "once the write has crossed, reads see it");
}

#[test]
fn runs_are_reproducible_from_their_seed() {
    let wars = Wars::new(q(5, 1, 2), Preset::Ymmr.latencies(), 5_000, 99);
    let times = [0.0, 10.0, 100.0];
    assert_eq!(wars.run(&times).unwrap(), wars.run(&times).unwrap());
    let other = Wars { seed: 100, ..wars }.run(&times).unwrap();
    assert_ne!(wars.run(&times).unwrap().write_latency, other.write_latency);
}

#[test]
fn a_report_read_at_other_times_is_the_run_at_those_times() {
    let times = [0.0, 0.3, 1.0, 2.5, 10.0, 80.0, 400.0];
    for preset in Preset::ALL {
        for quorum in [q(3, 1, 1), q(3, 2, 2), q(5, 1, 2), q(9, 3, 3)] {
            let wars = Wars::new(quorum, preset.latencies(), 3_000, 17);
            let once = wars.run(&[0.0]).unwrap();
            assert_eq!(once.at_times(&times).unwrap(), wars.run(&times).unwrap(), "{} {quorum}", preset.name());
        }
    }
    let report = Wars::new(q(3, 1, 1), Preset::LnkdSsd.latencies(), 10, 1).run(&[0.0]).unwrap();
    assert!(matches!(report.at_times(&[f64::NAN]), Err(StalenessError::BadTime { .. })));
}

#[test]
fn a_drawn_trial_agrees_with_a_one_trial_run() {
    for preset in Preset::ALL {
        for (n, w, r) in [(3, 1, 1), (5, 2, 2), (3, 2, 2), (4, 1, 3)] {
            let quorum = q(n, w, r);
            for seed in 0..60 {
                let t = (seed % 4) as f64 * 2.0;
                let wars = Wars::new(quorum, preset.latencies(), 1, seed);
                let view = wars.trial(seed, t).unwrap();
                let run = wars.run(&[t]).unwrap();
                let consistent = run.points[0].consistent == 1;
                assert_eq!(
                    view.outcome == ReadOutcome::Consistent,
                    consistent,
                    "{} {quorum} seed {seed}",
                    preset.name()
                );
                let acked = view.replicas.iter().filter(|x| x.write_role == WriteRole::Acked).count();
                let answered: Vec<_> = view.replicas.iter().filter(|x| x.read_role == ReadRole::Answered).collect();
                assert_eq!((acked, answered.len()), (w as usize, r as usize));
                assert_eq!(consistent, answered.iter().any(|x| x.version == Version::New));
                assert_eq!(view.commit_ms, run.write_latency.p50_ms);
                assert_eq!(view.read_latency_ms, run.read_latency.p50_ms);
                let mut acks: Vec<f64> = view.replicas.iter().map(|x| x.ack_arrives_ms).collect();
                acks.sort_by(f64::total_cmp);
                assert_eq!(acks[w as usize - 1], view.commit_ms);
                if quorum.kind() == QuorumKind::Strict {
                    assert_eq!(view.outcome, ReadOutcome::Consistent);
                }
            }
        }
    }
}

#[test]
fn a_trial_tells_its_story() {
    let wars = Wars::new(q(3, 1, 1), Preset::LnkdDisk.latencies(), 1, 0);
    let stale = (0..100).map(|seed| wars.trial(seed, 0.0).unwrap()).find(|v| v.outcome == ReadOutcome::Stale).unwrap();
    expect![[r#"
        The write goes to all 3 replicas; the first acknowledgement, from C, commits it (W=1) at 1.49 ms.
        A read starts 0.00 ms after the commit and keeps the first answer (R=1), from A, 0.51 ms later.
        A does not have the new value yet: the read is stale."#]]
    .assert_eq(&stale.story.join("\n"));
    let wan = Wars::new(q(3, 1, 1), Preset::Wan.latencies(), 1, 0).trial(4, 80.0).unwrap();
    assert!(wan.replicas.iter().map(|x| x.data_centre).eq([0, 1, 2]));
    assert!(wan.write_data_centre < 3 && wan.read_data_centre < 3);
    assert_eq!(wan.read_starts_ms, wan.commit_ms + 80.0);
    let strict = Wars::new(q(5, 3, 3), Preset::Ymmr.latencies(), 1, 0).trial(2, 0.0).unwrap();
    expect![[r#"
        The write goes to all 5 replicas; the first 3 acknowledgements, from C, E and B, commit it (W=3) at 6.41 ms.
        A read starts 0.00 ms after the commit and keeps the first 3 answers (R=3), from E, B and A, 3.72 ms later.
        E, B and A already hold the new value, so the read is consistent."#]]
    .assert_eq(&strict.story.join("\n"));
}

#[test]
fn a_run_reads_as_narration() {
    let report = Wars::new(q(3, 1, 1), Preset::LnkdSsd.latencies(), 10_000, 1).run(&[0.0, 1.0, 3.0, 10.0]).unwrap();
    expect![[r#"
        N=3, W=1, R=1 over 10,000 trials: writes commit in 0.49 ms at the median and 0.63 ms at the 99.9th percentile.
        Reads return in 0.49 ms at the median and 0.64 ms at the 99.9th percentile.
        Of 10,000 reads issued 0.00 ms after the commit, 252 return the old value (97.5 % consistent).
        Of 10,000 reads issued 1.00 ms after the commit, 45 return the old value (99.6 % consistent).
        Of 10,000 reads issued 3.00 ms after the commit, 1 returns the old value (99.990 % consistent).
        Every one of 10,000 reads issued 10.0 ms after the commit sees the new value."#]]
    .assert_eq(&report.describe().join("\n"));
    expect![[r#"
        * t=0.000 s Of 10,000 reads issued 0.00 ms after the commit, 252 return the old value (97.5 % consistent).
        * t=0.001 s Of 10,000 reads issued 1.00 ms after the commit, 45 return the old value (99.6 % consistent).
        * t=0.003 s Of 10,000 reads issued 3.00 ms after the commit, 1 returns the old value (99.990 % consistent).
          t=0.010 s Every one of 10,000 reads issued 10.0 ms after the commit sees the new value.
    "#]]
    .assert_eq(&report.trace().render());
}

#[test]
fn bad_run_input_is_rejected_or_clamped() {
    assert!(matches!(Latencies::exponential(-1.0, 1.0, 1.0, 1.0), Err(StalenessError::BadLatency { .. })));
    assert!(matches!(Latencies::exponential(1.0, f64::NAN, 1.0, 1.0), Err(StalenessError::BadLatency { .. })));
    let quorum = q(3, 1, 1);
    let good = Wars::new(quorum, Preset::LnkdSsd.latencies(), 10, 1);
    assert!(matches!(good.run(&[f64::NAN]), Err(StalenessError::BadTime { .. })));
    assert!(matches!(good.run(&[f64::INFINITY]), Err(StalenessError::BadTime { .. })));
    let too_many = vec![1.0; TIME_POINTS_MAX + 1];
    assert_eq!(good.run(&too_many), Err(StalenessError::TooManyTimePoints { points: TIME_POINTS_MAX + 1 }));
    assert_eq!(good.run(&[-5.0]).unwrap().points[0].t_ms, 0.0, "a time before commit is read as the commit");
    assert_eq!(Wars { trials: 0, ..good }.run(&[]).unwrap().trials, 1);
    const { assert!(TRIALS_MAX >= 100_000) };
    let mut wan = Preset::Wan.latencies();
    wan.wan = wan.wan.map(|mut w| {
        w.data_centres = 0;
        w
    });
    assert_eq!(Wars { latencies: wan, ..good }.run(&[0.0]), Err(StalenessError::BadDataCentres { count: 0 }));
    let bad_mix = LatencyDist::Mixture {
        first_share: 1.5,
        first: Shape::Constant { ms: 1.0 },
        second: Shape::Pareto { x_m_ms: 1.0, alpha: 2.0 },
    };
    assert!(Wars { latencies: Latencies::same(bad_mix), ..good }.trial(0, 0.0).is_err());
    // Sampling never panics or returns NaN, whatever the parameters.
    let mut rng = Rng::new(1);
    for shape in [
        Shape::Exponential { lambda_per_ms: 0.0 },
        Shape::Exponential { lambda_per_ms: -2.0 },
        Shape::Pareto { x_m_ms: f64::NAN, alpha: 0.0 },
        Shape::Constant { ms: -4.0 },
    ] {
        let x = shape.sample(&mut rng);
        assert!((0.0..=sim::staleness::LATENCY_MS_MAX).contains(&x), "{shape:?} gave {x}");
    }
}

#[test]
fn latency_draws_follow_their_laws() {
    let mut rng = Rng::new(17);
    let draws = |shape: Shape, rng: &mut Rng| -> Vec<f64> {
        let mut v: Vec<f64> = (0..40_000).map(|_| shape.sample(rng)).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let exp = Shape::Exponential { lambda_per_ms: 0.5 };
    let e = draws(exp, &mut rng);
    let mean = e.iter().sum::<f64>() / e.len() as f64;
    assert!((mean - 2.0).abs() < 0.05, "mean {mean}");
    assert!((e[e.len() / 2] - exp.median_ms()).abs() < 0.05);
    let pareto = Shape::Pareto { x_m_ms: 1.0, alpha: 3.0 };
    let p = draws(pareto, &mut rng);
    assert!(p[0] >= 1.0, "never below x_m");
    assert!((p[p.len() / 2] - pareto.median_ms()).abs() < 0.02, "median {} vs {}", p[p.len() / 2], pareto.median_ms());
    let mix = LatencyDist::Mixture {
        first_share: 0.25,
        first: Shape::Constant { ms: 100.0 },
        second: Shape::Constant { ms: 1.0 },
    };
    let share = (0..40_000).filter(|_| mix.sample(&mut rng) == 100.0).count() as f64 / 40_000.0;
    assert!((share - 0.25).abs() < 0.01, "share {share}");
}

// ---------------------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------------------

fn any_quorum() -> impl Strategy<Value = Quorum> {
    (1u32..=9, 1u32..=9, 1u32..=9).prop_map(|(n, w, r)| Quorum::clamped(n, w, r))
}

fn any_latencies() -> impl Strategy<Value = Latencies> {
    prop_oneof![(0usize..4).prop_map(|i| Preset::ALL[i].latencies()), custom_latencies()]
}

/// Every replica's delays drawn from the same laws: the presets without the WAN, and custom exponentials.
fn iid_latencies() -> impl Strategy<Value = Latencies> {
    prop_oneof![(0usize..3).prop_map(|i| Preset::ALL[i].latencies()), custom_latencies()]
}

fn custom_latencies() -> impl Strategy<Value = Latencies> {
    (0.001f64..10.0, 0.001f64..10.0, 0.001f64..10.0, 0.001f64..10.0)
        .prop_map(|(w, a, r, s)| Latencies::exponential(w, a, r, s).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, .. ProptestConfig::default() })]

    /// However a run is sliced into `advance` calls, it draws the same trials as a whole run, and its report
    /// is the whole run's, whether the last slice or `finish` draws the trials left.
    #[test]
    fn a_run_done_in_slices_is_the_whole_run(
        seed in any::<u64>(),
        quorum in any_quorum(),
        latencies in any_latencies(),
        trials in 1u32..600,
        slices in prop::collection::vec(0u32..200, 0..12),
        times in prop::collection::vec(0.0f64..300.0, 1..6),
    ) {
        let wars = Wars::new(quorum, latencies, trials, seed);
        let mut run = wars.start().unwrap();
        let mut drawn = 0;
        for slice in slices {
            let complete = run.advance(slice);
            drawn = (drawn + slice).min(trials);
            prop_assert_eq!(run.trials_left(), trials - drawn);
            prop_assert_eq!(complete, drawn == trials);
        }
        prop_assert_eq!(run.finish(&times).unwrap(), wars.run(&times).unwrap());
    }

    /// Waiting longer after the commit never makes a read less likely to be consistent.
    #[test]
    fn consistency_is_monotone_in_t(
        seed in any::<u64>(),
        quorum in any_quorum(),
        latencies in any_latencies(),
        mut times in prop::collection::vec(0.0f64..500.0, 1..24),
    ) {
        times.sort_by(f64::total_cmp);
        let report = Wars::new(quorum, latencies, 400, seed).run(&times).unwrap();
        for pair in report.points.windows(2) {
            prop_assert!(pair[0].p_consistent <= pair[1].p_consistent, "{:?}", report.points);
        }
        for point in &report.points {
            prop_assert_eq!(point.consistent + point.stale, report.trials);
        }
    }

    /// W + R > N: every read is consistent at every t, whatever the delays.
    #[test]
    fn strict_quorums_never_read_stale(
        seed in any::<u64>(),
        quorum in any_quorum(),
        latencies in any_latencies(),
        times in prop::collection::vec(0.0f64..100.0, 1..8),
    ) {
        prop_assume!(quorum.kind() == QuorumKind::Strict);
        let report = Wars::new(quorum, latencies, 300, seed).run(&times).unwrap();
        prop_assert!(report.points.iter().all(|p| p.stale == 0));
    }

    /// With the same delay laws for every replica, the Monte Carlo never drops below the closed form by more than
    /// sampling error: spreading after the commit only helps. (Not so across data centres: see
    /// `across_data_centres_quorums_are_not_random_and_the_closed_form_is_optimistic`.)
    #[test]
    fn the_closed_form_bounds_consistency_from_below(seed in any::<u64>(), quorum in any_quorum(), latencies in iid_latencies()) {
        let trials = 2_000;
        let measured = Wars::new(quorum, latencies, trials, seed).run(&[0.0]).unwrap().points[0].p_consistent;
        let bound = 1.0 - quorum.p_stale();
        let sigma = (bound * (1.0 - bound) / f64::from(trials)).sqrt();
        prop_assert!(measured >= bound - 5.0 * sigma - 1e-9, "{quorum}: {measured} < {bound}");
    }

    /// The same seed gives the same report.
    #[test]
    fn same_seed_same_report(seed in any::<u64>(), quorum in any_quorum(), latencies in any_latencies()) {
        let wars = Wars::new(quorum, latencies, 200, seed);
        prop_assert_eq!(wars.run(&[0.0, 5.0]).unwrap(), wars.run(&[0.0, 5.0]).unwrap());
    }
}

/// Timing of 100,000 WARS trials (N=3, W=1, R=1, LNKD-SSD, 100 points of the curve). Run with
/// `cargo test --release -p sim --test staleness -- --ignored --nocapture`.
#[test]
#[ignore]
fn time_100_000_wars_trials() {
    let times: Vec<f64> = (0..100).map(f64::from).collect();
    for (quorum, preset) in [(q(3, 1, 1), Preset::LnkdSsd), (q(3, 1, 1), Preset::Wan), (q(9, 3, 3), Preset::Ymmr)] {
        let started = std::time::Instant::now();
        let report = Wars::new(quorum, preset.latencies(), 100_000, 1).run(&times).unwrap();
        let elapsed = started.elapsed();
        println!(
            "{} {quorum}: 100,000 trials in {:.1} ms (p at t=0: {})",
            preset.name(),
            elapsed.as_secs_f64() * 1e3,
            report.points[0].p_consistent
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, .. ProptestConfig::default() })]

    /// The run's radix sort gives exactly what a comparison sort by `total_cmp` gives, for any doubles: signs,
    /// zeros of both signs, infinities, NaNs, subnormals, repeats.
    #[test]
    fn radix_sort_matches_total_order(bits in prop::collection::vec(any::<u64>(), 0..3_000), similar in any::<bool>()) {
        // Half the cases: nearby positive numbers, which share their high digits (the skipped passes).
        let mut values: Vec<f64> = bits
            .iter()
            .map(|&b| if similar { 1.0 + (b % 1_000_000) as f64 * 1e-3 } else { f64::from_bits(b) })
            .collect();
        values.extend([0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, -f64::NAN, f64::MIN_POSITIVE / 4.0]);
        let mut expected = values.clone();
        expected.sort_unstable_by(f64::total_cmp);
        sort_total(&mut values);
        let bits_of = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        prop_assert_eq!(bits_of(&values), bits_of(&expected));
    }
}
