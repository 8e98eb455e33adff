//! Chapter 6's consistent hashing: the course's five-node ring walked by hand, then hashed rings with virtual
//! nodes, checked for the property that gives the technique its name — a membership change moves only the keys
//! it must.

use expect_test::expect;
use proptest::prelude::*;
use sim::ring::{fnv1a64, ring_hash, Circumference, Key, Ring, RingError, NODES_MAX, TOKENS_MAX, VNODES_MAX};
use sim::rng::Rng;

/// Course, chapter 6, "Consistent Hashing: How Leaderless Systems Assign Data to Replicas": A=10, B=30, C=55,
/// D=75, E=90 on a ring of 100, N=3. "user:42" at 40 is stored on C, D, E; "user:99" at 80 on E, A, B. When C
/// dies, "user:42" moves to D, E, A and no other key moves.
#[test]
fn chapter_6_worked_example_hash_ring() {
    let mut ring = Ring::course_example();
    assert_eq!(ring.nodes(), ["A", "B", "C", "D", "E"]);
    let positions: Vec<(u64, String)> = ring.tokens().into_iter().map(|t| (t.position, t.node)).collect();
    assert_eq!(
        positions,
        [10, 30, 55, 75, 90].into_iter().zip(["A", "B", "C", "D", "E"].map(String::from)).collect::<Vec<_>>()
    );
    let user_42 = ring.key_at("user:42", 40).unwrap();
    let user_99 = ring.key_at("user:99", 80).unwrap();
    assert_eq!(ring.replicas(user_42.position, 3), ["C", "D", "E"]);
    assert_eq!(ring.replicas(user_99.position, 3), ["E", "A", "B"]);
    assert_eq!(ring.owner(40), Some("C"));
    expect![[r#"user:42 at 40 walks clockwise to C (55), D (75), E (90): its 3 replicas."#]]
        .assert_eq(&ring.describe_placement(&user_42, 3));
    expect![[r#"user:99 at 80 walks clockwise to E (90), A (10), B (30): its 3 replicas."#]]
        .assert_eq(&ring.describe_placement(&user_99, 3));

    let before = ring.clone();
    assert_eq!(ring.remove_node("C").unwrap(), [55]);
    assert_eq!(ring.replicas(user_42.position, 3), ["D", "E", "A"]);
    assert_eq!(ring.replicas(user_99.position, 3), ["E", "A", "B"], "a key C did not hold stays put");
    let keys = [user_42.clone(), user_99];
    let moves = Ring::moves(&before, &ring, &keys, 3).unwrap();
    assert_eq!(moves.len(), 1);
    assert_eq!(moves[0].key, user_42);
    assert_eq!((moves[0].lost.clone(), moves[0].gained.clone()), (vec!["C".to_owned()], vec!["A".to_owned()]));
    expect![[r#"user:42 (at 40) moves from C to A."#]].assert_eq(&moves[0].describe(&ring));
}

#[test]
fn the_walk_is_clockwise_inclusive_and_wraps() {
    let ring = Ring::course_example();
    assert_eq!(ring.owner(55), Some("C"), "a key on a node's own position belongs to it");
    assert_eq!(ring.owner(56), Some("D"));
    assert_eq!(ring.owner(0), Some("A"));
    assert_eq!(ring.owner(91), Some("A"), "past the last node the walk wraps to the first");
    assert_eq!(ring.owner(99), Some("A"));
    assert_eq!(ring.replicas(95, 5), ["A", "B", "C", "D", "E"]);
    assert_eq!(ring.replicas(95, 9), ["A", "B", "C", "D", "E"], "never more replicas than nodes");
    assert_eq!(ring.replicas(95, 0), Vec::<String>::new());
    let empty = Ring::hashed(8);
    assert_eq!(empty.owner(7), None);
    assert!(empty.replicas(7, 3).is_empty());
    expect![[r#"k at 0.0 % has nowhere to go: the ring is empty."#]]
        .assert_eq(&empty.describe_placement(&Key { name: "k".into(), position: 0 }, 3));
}

/// On the course's ring each node owns the arc that ends at it: A owns 91..=10 (20 positions), B 11..=30 (20),
/// C 31..=55 (25), D 56..=75 (20), E 76..=90 (15).
#[test]
fn the_course_ring_divides_its_positions_unevenly() {
    let ring = Ring::course_example();
    let shares: Vec<(String, f64)> = ring.ownership().into_iter().map(|o| (o.node, o.share)).collect();
    let expected = [("A", 0.20), ("B", 0.20), ("C", 0.25), ("D", 0.20), ("E", 0.15)];
    for ((node, share), (want_node, want)) in shares.iter().zip(expected) {
        assert_eq!(node, want_node);
        assert!((share - want).abs() < 1e-12, "{node}: {share}");
    }
    // Every one of the 100 positions as a key: the load is exactly those arcs.
    let keys: Vec<Key> = (0..100).map(|p| ring.key_at(&format!("k{p}"), p).unwrap()).collect();
    let load = ring.load(&keys, 1).unwrap();
    assert_eq!(load.per_node.iter().map(|l| l.keys).collect::<Vec<_>>(), [20, 20, 25, 20, 15]);
    assert_eq!(load.max_keys, 25);
    assert!((load.spread - 1.25).abs() < 1e-12);
    // With three copies a node holds its own arc and its two predecessors' (C: 25 + 20 + 20 = 65), which
    // evens the load out: the spread falls from 1.25 to 65 / 60.
    let three = ring.load(&keys, 3).unwrap();
    assert_eq!(three.per_node.iter().map(|l| l.keys).collect::<Vec<_>>(), [55, 55, 65, 65, 60]);
    assert!((three.spread - 65.0 / 60.0).abs() < 1e-12);
    assert!((ring.turn_fraction(25) - 0.25).abs() < 1e-12);
}

#[test]
fn bad_changes_are_refused_and_leave_the_ring_unchanged() {
    let mut ring = Ring::course_example();
    let before = ring.clone();
    assert_eq!(ring.add_node_at("F", 100), Err(RingError::PositionOutOfRange { position: 100, size: 100 }));
    assert_eq!(ring.add_node_at("F", 55), Err(RingError::PositionTaken { position: 55, by: "C".into() }));
    assert_eq!(ring.add_node_at("A", 5), Err(RingError::NameTaken { name: "A".into() }));
    assert!(matches!(ring.add_node_at("", 5), Err(RingError::BadName { .. })));
    assert!(matches!(ring.add_node_at(&"x".repeat(65), 5), Err(RingError::BadName { .. })));
    assert_eq!(ring.remove_node("Z"), Err(RingError::UnknownNode { name: "Z".into() }));
    assert_eq!(ring.key_at("k", 100), Err(RingError::PositionOutOfRange { position: 100, size: 100 }));
    assert_eq!(ring, before);
    assert_eq!(RingError::UnknownNode { name: "Z".into() }.to_string(), "no node called Z is on the ring");

    // A small ring fills up: 100 positions cannot take 30 nodes of 4 tokens each.
    let mut small = Ring::new(Circumference::Positions(100), 4);
    let mut refused = None;
    for i in 0..30 {
        if let Err(e) = small.add_node(&format!("n{i}")) {
            refused = Some(e);
            break;
        }
    }
    assert!(matches!(refused, Some(RingError::NoFreePosition { .. })), "{refused:?}");
    assert!(small.tokens().len() <= 100);
    assert_eq!(small.tokens().len() as u32, small.nodes().len() as u32 * 4, "a refused node leaves no token behind");

    // Bounds: nodes, tokens, keys.
    let mut many = Ring::hashed(1);
    for i in 0..NODES_MAX {
        many.add_node(&format!("n{i}")).unwrap();
    }
    assert_eq!(many.add_node("one-too-many"), Err(RingError::TooManyNodes));
    let mut dense = Ring::hashed(VNODES_MAX);
    for i in 0..TOKENS_MAX / VNODES_MAX as usize {
        dense.add_node(&format!("n{i}")).unwrap();
    }
    assert_eq!(dense.add_node("extra"), Err(RingError::TooManyTokens));
    let keys = vec![Key { name: "k".into(), position: 1 }; sim::ring::KEYS_MAX + 1];
    assert!(matches!(many.load(&keys, 1), Err(RingError::TooManyKeys { .. })));
    assert_eq!(Ring::hashed(0).vnodes_per_node(), 1);
    assert_eq!(Ring::hashed(u32::MAX).vnodes_per_node(), VNODES_MAX);
}

#[test]
fn the_hash_is_fnv_1a_and_stable() {
    // The published FNV-1a 64-bit test vectors.
    assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    // Positions must never change between releases: a changed hash silently reshuffles every saved example.
    expect!["[11063118593313047112, 17944645306415111042, 10295078178889467385]"]
        .assert_eq(&format!("{:?}", ["user:42", "user:43", "A#0"].map(ring_hash)));
    // Why the mixing step: FNV-1a alone puts "user:1" … "user:9" within 1/4096 of the ring of each other (their
    // top 12 bits agree); mixed, they spread over more than half of it.
    let keys: Vec<String> = (1..=9).map(|i| format!("user:{i}")).collect();
    let width = |f: &dyn Fn(&str) -> u64| {
        let positions: Vec<u64> = keys.iter().map(|k| f(k)).collect();
        positions.iter().max().unwrap() - positions.iter().min().unwrap()
    };
    assert!(width(&|k| fnv1a64(k.as_bytes())) < 1 << 52);
    assert!(width(&|k| ring_hash(k)) > 1 << 63);
}

#[test]
fn a_hashed_ring_places_and_narrates() {
    let mut ring = Ring::hashed(4);
    for name in ["A", "B", "C"] {
        assert_eq!(ring.add_node(name).unwrap().len(), 4);
    }
    assert_eq!(ring.tokens().len(), 12);
    let total: f64 = ring.ownership().iter().map(|o| o.share).sum();
    assert!((total - 1.0).abs() < 1e-9);
    let key = ring.key("user:42");
    assert_eq!(key.position, ring_hash("user:42"));
    assert_eq!(ring.replicas(key.position, 3).len(), 3);
    expect!["user:42 at 60.0 % walks clockwise to A (60.0 %), C (77.1 %): its 2 replicas."]
        .assert_eq(&ring.describe_placement(&key, 2));
    let placements = ring.placements(std::slice::from_ref(&key), 2).unwrap();
    assert_eq!(placements[0].replicas, ring.replicas(key.position, 2));
    // Same names, same tokens: the ring is a pure function of its members.
    let mut again = Ring::hashed(4);
    for name in ["C", "A", "B"] {
        again.add_node(name).unwrap();
    }
    assert_eq!(again.tokens(), ring.tokens());
}

// ---------------------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------------------

/// `count` node names and `keys` key names, all drawn from `seed`.
fn cluster(seed: u64, count: usize, keys: usize) -> (Vec<String>, Vec<String>) {
    let mut rng = Rng::new(seed);
    let nodes = (0..count).map(|i| format!("node-{i}-{:x}", rng.next_u64() % 1_000_000)).collect();
    let keys = (0..keys).map(|i| format!("key-{i}-{:x}", rng.next_u64())).collect();
    (nodes, keys)
}

fn build(nodes: &[String], vnodes: u32) -> Ring {
    let mut ring = Ring::hashed(vnodes);
    for node in nodes {
        ring.add_node(node).unwrap();
    }
    ring
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, .. ProptestConfig::default() })]

    /// Removing a node moves only the keys it held: each moved key loses exactly that node and gains one other
    /// (the next distinct node clockwise), and every other key keeps its replicas.
    #[test]
    fn removing_a_node_moves_only_its_keys(
        seed in any::<u64>(),
        count in 2usize..10,
        vnodes in 1u32..32,
        n in 1usize..4,
        victim in any::<prop::sample::Index>(),
    ) {
        let (nodes, names) = cluster(seed, count, 300);
        let before = build(&nodes, vnodes);
        let keys: Vec<Key> = names.iter().map(|k| before.key(k)).collect();
        let removed = victim.get(&nodes).clone();
        let mut after = before.clone();
        after.remove_node(&removed).unwrap();
        let moves = Ring::moves(&before, &after, &keys, n).unwrap();
        for m in &moves {
            prop_assert_eq!(&m.lost, &vec![removed.clone()]);
            prop_assert_eq!(m.gained.len(), usize::from(count > n));
        }
        for key in &keys {
            let held = before.replicas(key.position, n).contains(&removed);
            prop_assert_eq!(held, moves.iter().any(|m| &m.key == key));
        }
    }

    /// Adding a node takes keys only for itself: each moved key gains exactly the new node.
    #[test]
    fn adding_a_node_moves_keys_only_to_it(seed in any::<u64>(), count in 1usize..10, vnodes in 1u32..32, n in 1usize..4) {
        let (nodes, names) = cluster(seed, count + 1, 300);
        let (old, new) = nodes.split_at(count);
        let before = build(old, vnodes);
        let mut after = before.clone();
        after.add_node(&new[0]).unwrap();
        let keys: Vec<Key> = names.iter().map(|k| before.key(k)).collect();
        for m in Ring::moves(&before, &after, &keys, n).unwrap() {
            prop_assert_eq!(&m.gained, &vec![new[0].clone()]);
            prop_assert!(m.lost.len() <= 1);
        }
    }

    /// More virtual nodes spread the same keys over the same nodes more evenly. (Over 3,000 seeds the smallest gap
    /// between 1 and 256 virtual nodes was 0.32, and the worst spread with 256 was 1.30.)
    #[test]
    fn more_virtual_nodes_spread_the_load_more_evenly(seed in any::<u64>()) {
        let (nodes, names) = cluster(seed, 10, 5_000);
        let spread = |vnodes: u32| {
            let ring = build(&nodes, vnodes);
            let keys: Vec<Key> = names.iter().map(|k| ring.key(k)).collect();
            ring.load(&keys, 1).unwrap().spread
        };
        let (one, many) = (spread(1), spread(256));
        prop_assert!(many < one, "1 vnode: {one}, 256 vnodes: {many}");
        prop_assert!(many < 1.5, "256 vnodes: {many}");
    }
}

/// Averaged over 20 clusters of 10 nodes, the spread (max / mean keys per node) falls as virtual nodes are added.
#[test]
fn spread_falls_steadily_with_virtual_nodes() {
    let mut averages = Vec::new();
    for vnodes in [1, 4, 16, 64, 256] {
        let total: f64 = (0..20)
            .map(|seed| {
                let (nodes, names) = cluster(seed, 10, 5_000);
                let ring = build(&nodes, vnodes);
                let keys: Vec<Key> = names.iter().map(|k| ring.key(k)).collect();
                ring.load(&keys, 1).unwrap().spread
            })
            .sum();
        averages.push(total / 20.0);
    }
    assert!(averages.windows(2).all(|p| p[1] < p[0]), "{averages:?}");
    assert!(averages[0] > 2.0 && averages[4] < 1.15, "{averages:?}");
}
