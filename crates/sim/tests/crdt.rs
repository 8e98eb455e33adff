//! CRDTs (chapters 5 and 7): the course's page-view G-Counter reproduced exactly, and the laws that make replicas
//! converge whatever order their states arrive in.

use std::cmp::Ordering;

use expect_test::expect;
use proptest::prelude::*;
use sim::crdt::{GCounter, LwwMerge, LwwRegister, PnCounter, Stamp};
use sim::version_vector::{ClockError, ReplicaId, ENTRIES_MAX};
use sim::Time;

fn id(name: &str) -> ReplicaId {
    ReplicaId::new(name).unwrap()
}

#[test]
fn page_views_va_5_eu_3_merge_to_8() {
    let (va_id, eu_id) = (id("VA"), id("EU"));
    let mut va = GCounter::new();
    let mut eu = GCounter::new();
    for _ in 0..5 {
        va.increment(&va_id).unwrap();
    }
    for _ in 0..3 {
        eu.increment(&eu_id).unwrap();
    }
    // va.counts == [5, 0], eu.counts == [0, 3]
    assert_eq!((va.count_of("VA"), va.count_of("EU")), (5, 0));
    assert_eq!((eu.count_of("VA"), eu.count_of("EU")), (0, 3));
    assert_eq!(va.partial_cmp(&eu), None, "each has counted views the other has not");

    let explanation = va.explain_merge(&eu);
    va.merge(&eu);
    eu.merge(&va);
    assert_eq!(va.value(), 8, "no conflicts, no data loss");
    assert_eq!(eu.value(), 8, "both replicas agree");
    assert_eq!(va, eu);
    assert_eq!(va.to_string(), "{EU:3, VA:5} = 8");
    expect![[r#"
        EU: max(0, 3) = 3.
        VA: max(5, 0) = 5.
        The merged count is 8, where adding the two totals (5 + 3) would have said 8."#]]
    .assert_eq(&explanation.join("\n"));
    // Merging again changes nothing: a duplicated message cannot double-count.
    let again = va.merged(&eu);
    assert_eq!(again.value(), 8);
    assert!(again.explain_merge(&va).last().unwrap().contains("would have said 16"));
}

#[test]
fn pn_counter_counts_down_too() {
    let (a, b) = (id("A"), id("B"));
    let mut left = PnCounter::new();
    let mut right = PnCounter::new();
    left.increment(&a).unwrap();
    left.increment(&a).unwrap();
    right.decrement(&b).unwrap();
    right.decrement(&b).unwrap();
    right.decrement(&b).unwrap();
    left.merge(&right);
    right.merge(&left);
    assert_eq!((left.value(), right.value()), (-1, -1));
    assert_eq!(left, right);
}

/// The course's LWW table: a user adds an item on the phone and on the laptop; one silently disappears.
#[test]
fn lww_converges_by_silently_dropping_a_write() {
    let mut phone = LwwRegister::new("cart: socks".to_owned(), Time::from_ms(1_000), id("phone"));
    let mut laptop = LwwRegister::new("cart: shoes".to_owned(), Time::from_ms(1_005), id("laptop"));
    let at_phone = phone.merge(&laptop);
    let at_laptop = laptop.merge(&phone);
    assert_eq!(phone, laptop, "they converge");
    assert_eq!(phone.value, "cart: shoes");
    assert_eq!(
        at_phone,
        LwwMerge::TookTheirs {
            discarded: "cart: socks".to_owned(),
            discarded_stamp: Stamp { at: Time::from_ms(1_000), replica: id("phone") }
        }
    );
    assert_eq!(at_phone.describe(), "LWW silently discards \"cart: socks\" (phone at t=1.000 s).");
    assert_eq!(at_laptop, LwwMerge::Same);
    // Equal timestamps: the replica id breaks the tie the same way everywhere.
    let mut x = LwwRegister::new(1, Time::from_ms(5), id("X"));
    let y = LwwRegister::new(2, Time::from_ms(5), id("Y"));
    assert!(matches!(x.merge(&y), LwwMerge::TookTheirs { discarded: 1, .. }));
    assert!(matches!(x.set(3, Time::from_ms(4), id("Z")), LwwMerge::KeptOurs { discarded: 3, .. }));
}

#[test]
fn counters_refuse_overflow_and_unbounded_width() {
    let a = id("A");
    let mut c = GCounter::new();
    c.increment_by(&a, u64::MAX - 1).unwrap();
    c.increment(&a).unwrap();
    assert_eq!(c.increment(&a), Err(ClockError::CounterOverflow { replica: a.clone() }));
    assert_eq!(c.increment_by(&a, 0), Ok(u64::MAX));
    c.increment(&id("B")).unwrap();
    assert_eq!(c.value(), u64::MAX, "the sum saturates instead of wrapping");
    let mut wide = GCounter::new();
    for i in 0..ENTRIES_MAX {
        wide.increment(&id(&format!("r{i}"))).unwrap();
    }
    assert_eq!(wide.increment_by(&id("extra"), 2), Err(ClockError::TooManyReplicas { max: ENTRIES_MAX }));
    assert_eq!(wide.value(), ENTRIES_MAX as u64);
}

fn any_counter() -> impl Strategy<Value = GCounter> {
    prop::collection::vec((0usize..4, 0u64..20), 0..6).prop_map(|incs| {
        let mut c = GCounter::new();
        for (r, n) in incs {
            c.increment_by(&id(["VA", "EU", "AP", "SA"][r]), n).unwrap();
        }
        c
    })
}

/// Something a replica does in a gossip run: count a view, or send its whole state to another replica (the
/// message joins the pool of messages in flight).
#[derive(Clone, Debug)]
enum Op {
    Increment(usize),
    Send { from: usize, to: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..3).prop_map(Op::Increment),
        (0usize..3, 0usize..3).prop_map(|(from, to)| Op::Send { from, to })
    ]
}

/// Every (from, to) pair of the three replicas.
fn all_pairs() -> Vec<(usize, usize)> {
    (0..3).flat_map(|f| (0..3).map(move |t| (f, t))).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn merge_is_idempotent(a in any_counter()) {
        prop_assert_eq!(a.merged(&a), a);
    }

    #[test]
    fn merge_is_commutative(a in any_counter(), b in any_counter()) {
        prop_assert_eq!(a.merged(&b), b.merged(&a));
    }

    #[test]
    fn merge_is_associative(a in any_counter(), b in any_counter(), c in any_counter()) {
        prop_assert_eq!(a.merged(&b).merged(&c), a.merged(&b.merged(&c)));
    }

    /// Merging never loses a count: the result is at least both inputs.
    #[test]
    fn merge_never_goes_down(a in any_counter(), b in any_counter()) {
        let m = a.merged(&b);
        prop_assert!(m.value() >= a.value().max(b.value()));
        prop_assert!(m.partial_cmp(&a).is_some_and(Ordering::is_ge));
    }

    /// Three replicas count and gossip; messages are delivered in any order, late, or twice. Every replica's value
    /// only grows, and once each has received everyone's final state (after any stale ones), all agree on the
    /// exact number of increments.
    #[test]
    fn replicas_converge_under_any_delivery_order(
        ops in prop::collection::vec(op(), 0..60),
        order in prop::collection::vec(any::<prop::sample::Index>(), 0..80),
        finals in Just(all_pairs()).prop_shuffle(),
    ) {
        let ids = [id("VA"), id("EU"), id("AP")];
        let mut replicas = vec![GCounter::new(); 3];
        let mut in_flight: Vec<(usize, GCounter)> = Vec::new();
        let mut total = 0u64;
        for op in &ops {
            match *op {
                Op::Increment(r) => {
                    replicas[r].increment(&ids[r]).unwrap();
                    total += 1;
                }
                Op::Send { from, to } => in_flight.push((to, replicas[from].clone())),
            }
        }
        // Deliver in the generated order; an index may repeat, which delivers a message twice.
        for pick in &order {
            if in_flight.is_empty() { break; }
            let (to, state) = in_flight[pick.index(in_flight.len())].clone();
            let before = replicas[to].value();
            replicas[to].merge(&state);
            prop_assert!(replicas[to].value() >= before);
        }
        // Stale messages still around arrive late, then everyone's final state, in a shuffled order.
        for (to, state) in &in_flight {
            replicas[*to].merge(state);
        }
        let last: Vec<GCounter> = replicas.clone();
        for &(from, to) in &finals {
            replicas[to].merge(&last[from]);
        }
        for r in &replicas {
            prop_assert_eq!(r, &replicas[0]);
            prop_assert_eq!(r.value(), total);
        }
    }
}
