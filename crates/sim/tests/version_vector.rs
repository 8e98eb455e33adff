//! Chapter 7, "Detecting Concurrent Writes": the course's worked examples reproduced exactly (the Python demos, the
//! shopping-cart walk-through, the four comparison exercises, the butter case), the parser's errors, and the laws
//! a version vector and a Dynamo-style store must obey.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use expect_test::expect;
use proptest::prelude::*;
use sim::version_vector::{
    course_script, merge_carts, Cart, CartAction, CartAnomaly, CartClient, CartReplica, CartState, CartWorld,
    ClockError, DeleteMode, Edit, EventId, Found, History, HistoryError, ItemState, Order, ParseError, ParseErrorKind,
    Replica, ReplicaId, StoreError, VersionVector, ENTRIES_MAX, EVENTS_MAX, SIBLINGS_MAX,
};

fn vv(text: &str) -> VersionVector {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn id(name: &str) -> ReplicaId {
    ReplicaId::new(name).unwrap()
}

// ---------------------------------------------------------------------------------------------------------------
// The course's "Version Vector Implementation" demo
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn python_demo_detecting_concurrent_writes() {
    let mut vv_a = VersionVector::new();
    vv_a.increment(&id("A")).unwrap();
    assert_eq!(vv_a, vv("{A:1}"));
    let mut vv_b = VersionVector::new();
    vv_b.increment(&id("B")).unwrap();
    assert_eq!(vv_b, vv("{B:1}"));

    assert!(vv_a.concurrent_with(&vv_b), "neither dominates");
    assert_eq!(vv_a.partial_cmp(&vv_b), None);

    let mut merged = vv_a.merged(&vv_b);
    assert_eq!(merged, vv("{A:1, B:1}"));
    merged.increment(&id("A")).unwrap();
    assert_eq!(merged.to_string(), "{A:2, B:1}");
    assert!(merged.dominates(&vv_a), "merged happened after vv_a");
    assert!(merged.dominates(&vv_b), "merged happened after vv_b");
    assert!(merged > vv_a && merged > vv_b);
}

// ---------------------------------------------------------------------------------------------------------------
// The four hand-worked comparison exercises and the closing question
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn exercise_1_a_dominates_b() {
    let (a, b) = (vv("{X:3, Y:2, Z:1}"), vv("{X:2, Y:2, Z:1}"));
    let c = a.compare(&b);
    assert_eq!(c.order, Order::After);
    assert!(a.dominates(&b) && !b.dominates(&a));
    assert_eq!(a.partial_cmp(&b), Some(Ordering::Greater));
    assert_eq!(
        c.explain("A", "B"),
        [
            "X: 3 > 2, so A has seen a write B has not.",
            "Y: 2 = 2, so both have seen the same writes through Y.",
            "Z: 1 = 1, so both have seen the same writes through Z.",
        ]
    );
    assert_eq!(c.summary("A", "B"), "A dominates B: no entry of A is lower and X is higher, so A happened after B.");
}

#[test]
fn exercise_2_concurrent() {
    let (a, b) = (vv("{X:3, Y:2}"), vv("{X:2, Y:4}"));
    let c = a.compare(&b);
    assert_eq!(c.order, Order::Concurrent);
    assert!(a.concurrent_with(&b) && b.concurrent_with(&a));
    assert_eq!(a.partial_cmp(&b), None);
    assert_eq!(
        c.explain("A", "B"),
        ["X: 3 > 2, so A has seen a write B has not.", "Y: 2 < 4, so B has seen 2 writes A has not."]
    );
    assert_eq!(
        c.summary("A", "B"),
        "A and B are concurrent: A is ahead on X and B on Y, so neither saw the other's write and the conflict must \
         be resolved."
    );
}

#[test]
fn exercise_3_b_dominates_a_when_a_new_replica_joins() {
    let (a, b) = (vv("{X:1, Y:1}"), vv("{X:1, Y:1, Z:1}"));
    let c = a.compare(&b);
    assert_eq!(c.order, Order::Before);
    assert!(b.dominates(&a));
    assert_eq!(a.partial_cmp(&b), Some(Ordering::Less));
    assert_eq!(
        c.explain("A", "B")[2],
        "Z: 0 < 1 (A has no Z entry, which counts as 0), so B has seen a write A has not."
    );
    assert_eq!(c.summary("A", "B"), "B dominates A: no entry of B is lower and Z is higher, so A happened before B.");
}

#[test]
fn exercise_4_identical_versions_are_equal_not_concurrent() {
    let (a, b) = (vv("{X:5, Y:3, Z:2}"), vv("{X:5, Y:3, Z:2}"));
    let c = a.compare(&b);
    assert_eq!(c.order, Order::Equal);
    assert!(!a.dominates(&b) && !b.dominates(&a), "neither dominates: none is strictly greater");
    assert!(!a.concurrent_with(&b), "but they are not concurrent either");
    assert_eq!(a.partial_cmp(&b), Some(Ordering::Equal));
    assert_eq!(c.summary("A", "B"), "A and B are the same version: every entry is equal, so there is no conflict.");
}

#[test]
fn question_replica_a_3_2_vs_replica_b_2_4_is_concurrent() {
    let (a, b) = (vv("{A:3, B:2}"), vv("{A:2, B:4}"));
    let c = a.compare(&b);
    assert_eq!(c.order, Order::Concurrent);
    assert_eq!(
        c.explain("replica A", "replica B"),
        [
            "A: 3 > 2, so replica A has seen a write replica B has not.",
            "B: 2 < 4, so replica B has seen 2 writes replica A has not.",
        ]
    );
}

// ---------------------------------------------------------------------------------------------------------------
// The course's "Complete Leaderless Key-Value Store" demo, with the store API directly
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn dynamo_store_demo_shopping_cart_vectors() {
    let mut store_a: Replica<Vec<&str>> = Replica::new(id("A"));
    let mut store_b: Replica<Vec<&str>> = Replica::new(id("B"));

    let ctx1 = store_a.put("cart", vec!["milk"], &VersionVector::new()).unwrap();
    assert_eq!(ctx1.version, vv("{A:1}"));
    let ctx2 = store_b.put("cart", vec!["eggs"], &VersionVector::new()).unwrap();
    assert_eq!(ctx2.version, vv("{B:1}"));

    // Anti-entropy: B sees {A:1} vs {B:1}, neither dominates, so it keeps both.
    let reports = store_b.sync_from(&store_a);
    let report = reports[0].as_ref().unwrap();
    assert_eq!(
        report.lines(),
        ["{A:1} vs {B:1}: neither dominates, so they are concurrent and B keeps both as siblings."]
    );
    assert_eq!(report.siblings_after, 2);

    let read = store_b.get("cart");
    assert_eq!(read.values, vec![vec!["milk"], vec!["eggs"]]);
    assert_eq!(read.versions, vec![vv("{A:1}"), vv("{B:1}")]);
    assert_eq!(read.context, vv("{A:1, B:1}"));

    let mut merged_cart: Vec<&str> = read.values.concat();
    merged_cart.dedup();
    assert_eq!(merged_cart, ["milk", "eggs"]);

    let put = store_b.put("cart", merged_cart, &read.context).unwrap();
    assert_eq!(put.version, vv("{A:1, B:2}"));
    assert_eq!(put.superseded, vec![vv("{A:1}"), vv("{B:1}")]);
    assert!(put.concurrent.is_empty());
    assert_eq!(store_b.siblings("cart").len(), 1, "sibling resolved");
    assert!(put.version.dominates(&vv("{A:1}")) && put.version.dominates(&vv("{B:1}")));
}

// ---------------------------------------------------------------------------------------------------------------
// The step-through (the course's "Version Vector Simulation")
// ---------------------------------------------------------------------------------------------------------------

fn siblings_at(state: &CartState, replica: CartReplica) -> Vec<(String, VersionVector)> {
    state.replica(replica).siblings.iter().map(|s| (s.cart.to_string(), s.version.clone())).collect()
}

#[test]
fn walkthrough_milk_and_eggs_reproduces_the_course_vectors() {
    let world = CartWorld::shopping_cart(DeleteMode::Tombstone);
    let steps = world.steps();
    assert_eq!(steps.len(), course_script().len() + 1);
    assert_eq!(steps[0].number, 0);

    // Step 1: X writes milk to A -> {A:1, B:0}; X receives that context.
    let s1 = &steps[1].state;
    assert_eq!(siblings_at(s1, CartReplica::A), [("[milk]".to_owned(), vv("{A:1, B:0}"))]);
    assert_eq!(s1.client(CartClient::X).context, vv("{A:1, B:0}"));
    assert_eq!(
        steps[1].description,
        "X adds milk and writes [milk] to A with context {A:0, B:0}; A stamps it {A:1, B:0}."
    );

    // Step 2: Y writes eggs to B -> {A:0, B:1}.
    let s2 = &steps[2].state;
    assert_eq!(siblings_at(s2, CartReplica::B), [("[eggs]".to_owned(), vv("{A:0, B:1}"))]);
    assert_eq!(s2.client(CartClient::Y).context, vv("{B:1}"));

    // Step 3: B receives milk; concurrent -> siblings; B's version {A:1, B:1}.
    let s3 = &steps[3].state;
    assert_eq!(
        siblings_at(s3, CartReplica::B),
        [("[milk]".to_owned(), vv("{A:1}")), ("[eggs]".to_owned(), vv("{B:1}"))]
    );
    assert_eq!(s3.replica(CartReplica::B).version, vv("{A:1, B:1}"));
    assert_eq!(steps[3].anomalies, [CartAnomaly::Siblings { replica: CartReplica::B, count: 2 }]);
    assert!(steps[3].description.contains("{A:1, B:0} vs {A:0, B:1}: neither dominates"), "{}", steps[3].description);

    // Step 4: X reads the siblings and merges them into [milk, eggs] with context {A:1, B:1}.
    let x = steps[4].state.client(CartClient::X);
    assert_eq!(x.context, vv("{A:1, B:1}"));
    assert_eq!(x.cart.live_items(), ["milk", "eggs"]);

    // Step 5: the merged write gets {A:1, B:2} and resolves the siblings.
    let s5 = &steps[5].state;
    assert_eq!(siblings_at(s5, CartReplica::B), [("[milk, eggs]".to_owned(), vv("{A:1, B:2}"))]);
    assert_eq!(s5.client(CartClient::X).context, vv("{A:1, B:2}"));
    assert!(steps[5].description.contains("so the siblings are resolved"), "{}", steps[5].description);

    // Step 6: both replicas converge to [milk, eggs].
    let s6 = &steps[6].state;
    assert_eq!(s6.replica(CartReplica::A).siblings, s6.replica(CartReplica::B).siblings);
    assert_eq!(siblings_at(s6, CartReplica::A), [("[milk, eggs]".to_owned(), vv("{A:1, B:2}"))]);
}

#[test]
fn butter_case_with_tombstones_stays_removed() {
    let world = CartWorld::shopping_cart(DeleteMode::Tombstone);
    let steps = world.steps();
    // Sibling 1 from X: {milk, eggs, butter}; sibling 2 from Y: {milk, eggs, butter:TOMBSTONE}.
    let b = siblings_at(&steps[13].state, CartReplica::B);
    assert_eq!(
        b,
        [
            ("[milk, eggs, butter]".to_owned(), vv("{A:3, B:2}")),
            ("[milk, eggs, butter:tombstone]".to_owned(), vv("{A:2, B:3}"))
        ]
    );
    assert!(b[0].1.concurrent_with(&b[1].1));
    // Y merges: union, minus anything tombstoned in any sibling.
    let y = steps[14].state.client(CartClient::Y);
    assert_eq!(y.cart.live_items(), ["milk", "eggs"]);
    assert_eq!(y.context, vv("{A:3, B:3}"));
    assert!(steps.iter().all(|s| !s.anomalies.iter().any(|a| matches!(a, CartAnomaly::Resurrected { .. }))));
    // And everyone converges without butter.
    let last = world.state();
    assert_eq!(last.replica(CartReplica::A).siblings, last.replica(CartReplica::B).siblings);
    assert_eq!(last.replica(CartReplica::A).siblings[0].cart.live_items(), ["milk", "eggs"]);
    assert_eq!(last.replica(CartReplica::A).version, vv("{A:3, B:4}"));
}

#[test]
fn butter_case_without_tombstones_resurrects_butter() {
    let world = CartWorld::shopping_cart(DeleteMode::Erase);
    let steps = world.steps();
    let b = siblings_at(&steps[13].state, CartReplica::B);
    assert_eq!(b[0].0, "[milk, eggs, butter]");
    assert_eq!(b[1].0, "[milk, eggs]", "Y removed butter and nothing records it");
    let y = steps[14].state.client(CartClient::Y);
    assert_eq!(y.cart.live_items(), ["milk", "eggs", "butter"], "naive union: butter is back");
    assert_eq!(
        steps[14].anomalies,
        [CartAnomaly::Resurrected {
            item: "butter".to_owned(),
            merged_by: CartClient::Y,
            removed_by: CartClient::Y,
            removed_at: vv("{A:2, B:3}")
        }]
    );
    assert!(world
        .trace()
        .render()
        .contains("Resurrection: butter is back in Y's merged cart although Y removed it at {A:2, B:3}."));
    assert!(world.state().replica(CartReplica::A).siblings[0].cart.contains("butter"));
}

#[test]
fn merge_shopping_carts_course_example() {
    let sibling_1 =
        Cart::with(&[("milk", ItemState::Present), ("eggs", ItemState::Present), ("butter", ItemState::Present)]);
    let sibling_2 =
        Cart::with(&[("milk", ItemState::Present), ("eggs", ItemState::Present), ("butter", ItemState::Tombstone)]);
    let result = merge_carts(&[sibling_1.unwrap(), sibling_2.unwrap()]);
    assert_eq!(result.live_items(), ["milk", "eggs"], "butter correctly removed");
    assert_eq!(result.to_string(), "[milk, eggs, butter:tombstone]");
    // Without the tombstone, the naive union resurrects butter.
    let plain = Cart::with(&[("milk", ItemState::Present), ("eggs", ItemState::Present)]).unwrap();
    let full =
        Cart::with(&[("milk", ItemState::Present), ("eggs", ItemState::Present), ("butter", ItemState::Present)]);
    assert_eq!(merge_carts(&[full.unwrap(), plain]).live_items(), ["milk", "eggs", "butter"]);
}

#[test]
fn every_step_can_be_stepped_back_to_exactly() {
    // Previous Step is an index: each step keeps the full state, and replaying a prefix gives the same states.
    let full = CartWorld::shopping_cart(DeleteMode::Tombstone);
    let script = course_script();
    for n in 0..=script.len() {
        let mut partial = CartWorld::new(DeleteMode::Tombstone);
        for action in &script[..n] {
            partial.apply(action.clone());
        }
        assert_eq!(partial.steps(), &full.steps()[..=n]);
        assert_eq!(partial.state(), &full.steps()[n].state);
    }
}

#[test]
fn walkthrough_narration() {
    let world = CartWorld::shopping_cart(DeleteMode::Tombstone);
    let text: String = world.steps().iter().map(|s| format!("{:>2}. {}\n", s.number, s.description)).collect();
    expect![[r#"
         0. Replicas A and B hold no cart yet; clients X and Y have empty contexts {A:0, B:0}, and removals leave tombstones.
         1. X adds milk and writes [milk] to A with context {A:0, B:0}; A stamps it {A:1, B:0}.
         2. Y adds eggs and writes [eggs] to B with context {A:0, B:0}; B stamps it {A:0, B:1}.
         3. Anti-entropy copies A's cart to B: {A:1, B:0} vs {A:0, B:1}: neither dominates, so they are concurrent and B keeps both as siblings.
         4. X reads 2 siblings from B ([milk] at {A:1, B:0} and [eggs] at {A:0, B:1}), merges them into [milk, eggs], and keeps the merged context {A:1, B:1}.
         5. X writes [milk, eggs] to B with context {A:1, B:1}; B stamps it {A:1, B:2}. It dominates {A:1, B:0} and {A:0, B:1}, so the siblings are resolved.
         6. Anti-entropy copies B's cart to A: {A:1, B:2} has seen A's {A:1, B:0}, so it replaces it.
         7. X reads [milk, eggs] from A and keeps its version {A:1, B:2} as the context.
         8. X adds butter and writes [milk, eggs, butter] to A with context {A:1, B:2}; A stamps it {A:2, B:2}. It replaces {A:1, B:2}.
         9. Anti-entropy copies A's cart to B: {A:2, B:2} has seen B's {A:1, B:2}, so it replaces it.
        10. Y reads [milk, eggs, butter] from B and keeps its version {A:2, B:2} as the context.
        11. Y removes butter, leaving the tombstone butter:tombstone, and writes [milk, eggs, butter:tombstone] to B with context {A:2, B:2}; B stamps it {A:2, B:3}. It replaces {A:2, B:2}.
        12. X writes [milk, eggs, butter] to A with context {A:2, B:2}; A stamps it {A:3, B:2}. It replaces {A:2, B:2}. X has not seen Y's removal of butter at {A:2, B:3}.
        13. Anti-entropy copies A's cart to B: {A:3, B:2} vs {A:2, B:3}: neither dominates, so they are concurrent and B keeps both as siblings.
        14. Y reads 2 siblings from B ([milk, eggs, butter] at {A:3, B:2} and [milk, eggs, butter:tombstone] at {A:2, B:3}), merges them into [milk, eggs, butter:tombstone], and keeps the merged context {A:3, B:3}.
        15. Y writes [milk, eggs, butter:tombstone] to B with context {A:3, B:3}; B stamps it {A:3, B:4}. It dominates {A:3, B:2} and {A:2, B:3}, so the siblings are resolved.
        16. Anti-entropy copies B's cart to A: {A:3, B:4} has seen A's {A:3, B:2}, so it replaces it.
    "#]].assert_eq(&text);
    expect![[r#"
        A: [milk, eggs, butter:tombstone] {A:3, B:4}
        B: [milk, eggs, butter:tombstone] {A:3, B:4}
        X: context {A:3, B:2} cart [milk, eggs, butter]
        Y: context {A:3, B:4} cart [milk, eggs, butter:tombstone]
    "#]]
    .assert_eq(&world.state().render());
}

#[test]
fn walkthrough_without_tombstones_key_lines() {
    let world = CartWorld::shopping_cart(DeleteMode::Erase);
    let text: String = world.steps()[10..=15]
        .iter()
        .map(|s| format!("{:>2}. {}\n{}", s.number, s.description, s.state.render()))
        .collect();
    expect![[r#"
        10. Y reads [milk, eggs, butter] from B and keeps its version {A:2, B:2} as the context.
        A: [milk, eggs, butter] {A:2, B:2}
        B: [milk, eggs, butter] {A:2, B:2}
        X: context {A:2, B:2} cart [milk, eggs, butter]
        Y: context {A:2, B:2} cart [milk, eggs, butter]
        11. Y removes butter, erasing it without a trace, and writes [milk, eggs] to B with context {A:2, B:2}; B stamps it {A:2, B:3}. It replaces {A:2, B:2}.
        A: [milk, eggs, butter] {A:2, B:2}
        B: [milk, eggs] {A:2, B:3}
        X: context {A:2, B:2} cart [milk, eggs, butter]
        Y: context {A:2, B:3} cart [milk, eggs]
        12. X writes [milk, eggs, butter] to A with context {A:2, B:2}; A stamps it {A:3, B:2}. It replaces {A:2, B:2}. X has not seen Y's removal of butter at {A:2, B:3}.
        A: [milk, eggs, butter] {A:3, B:2}
        B: [milk, eggs] {A:2, B:3}
        X: context {A:3, B:2} cart [milk, eggs, butter]
        Y: context {A:2, B:3} cart [milk, eggs]
        13. Anti-entropy copies A's cart to B: {A:3, B:2} vs {A:2, B:3}: neither dominates, so they are concurrent and B keeps both as siblings.
        A: [milk, eggs, butter] {A:3, B:2}
        B: [milk, eggs, butter] {A:3, B:2} | [milk, eggs] {A:2, B:3}
        X: context {A:3, B:2} cart [milk, eggs, butter]
        Y: context {A:2, B:3} cart [milk, eggs]
        14. Y reads 2 siblings from B ([milk, eggs, butter] at {A:3, B:2} and [milk, eggs] at {A:2, B:3}), merges them into [milk, eggs, butter], and keeps the merged context {A:3, B:3}.
        A: [milk, eggs, butter] {A:3, B:2}
        B: [milk, eggs, butter] {A:3, B:2} | [milk, eggs] {A:2, B:3}
        X: context {A:3, B:2} cart [milk, eggs, butter]
        Y: context {A:3, B:3} cart [milk, eggs, butter]
        15. Y writes [milk, eggs, butter] to B with context {A:3, B:3}; B stamps it {A:3, B:4}. It dominates {A:3, B:2} and {A:2, B:3}, so the siblings are resolved.
        A: [milk, eggs, butter] {A:3, B:2}
        B: [milk, eggs, butter] {A:3, B:4}
        X: context {A:3, B:2} cart [milk, eggs, butter]
        Y: context {A:3, B:4} cart [milk, eggs, butter]
    "#]].assert_eq(&text);
}

#[test]
fn readers_can_step_their_own_actions() {
    let mut world = CartWorld::new(DeleteMode::Tombstone);
    let step = world
        .apply(CartAction::Write { client: CartClient::X, replica: CartReplica::A, edit: Edit::Remove("tea".into()) })
        .unwrap();
    assert!(step.description.starts_with("X's cart has no tea to remove; X writes [] to A"), "{}", step.description);
    let step = world.apply(CartAction::Sync { from: CartReplica::B, to: CartReplica::A }).unwrap();
    assert_eq!(step.description, "Anti-entropy from B to A: B holds no cart, so nothing changes.");
    let step = world.apply(CartAction::Sync { from: CartReplica::A, to: CartReplica::A }).unwrap();
    assert_eq!(step.description, "A has nothing to copy to itself.");
    let step = world
        .apply(CartAction::Write { client: CartClient::Y, replica: CartReplica::A, edit: Edit::Add(String::new()) })
        .unwrap();
    assert_eq!(step.anomalies, [CartAnomaly::Refused { reason: "an item needs a name".to_owned() }]);
    // Re-adding an item after seeing its removal revives it.
    let mut world = CartWorld::new(DeleteMode::Tombstone);
    for edit in [Edit::Add("tea".into()), Edit::Remove("tea".into()), Edit::Add("tea".into())] {
        world.apply(CartAction::Write { client: CartClient::X, replica: CartReplica::A, edit });
    }
    let a = world.state().replica(CartReplica::A);
    assert_eq!(a.siblings.len(), 1);
    assert_eq!(a.siblings[0].cart.live_items(), ["tea"]);
    assert!(world.steps()[3].description.starts_with("X adds tea back"));
}

#[test]
fn the_step_bound_refuses_instead_of_growing() {
    let mut world = CartWorld::new(DeleteMode::Tombstone);
    let read = CartAction::Read { client: CartClient::X, replica: CartReplica::A };
    for _ in 0..sim::version_vector::STEPS_MAX {
        assert!(world.apply(read.clone()).is_some());
    }
    assert!(world.apply(read).is_none());
    assert_eq!(world.steps().len(), sim::version_vector::STEPS_MAX + 1);
}

// ---------------------------------------------------------------------------------------------------------------
// The store beyond the course: blind writes, stale contexts, bounds
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn a_blind_write_becomes_a_sibling_instead_of_overwriting() {
    let mut a: Replica<&str> = Replica::new(id("A"));
    a.put("k", "first", &VersionVector::new()).unwrap();
    let second = a.put("k", "second", &VersionVector::new()).unwrap();
    assert_eq!(second.version, vv("{A:2}"));
    assert_eq!(second.concurrent, vec![vv("{A:1}")]);
    assert_eq!(a.get("k").values, ["first", "second"]);
    assert_eq!(a.get("k").context, vv("{A:2}"));
}

#[test]
fn a_stale_context_keeps_the_write_it_did_not_see() {
    let mut a: Replica<&str> = Replica::new(id("A"));
    let v1 = a.put("k", "v1", &VersionVector::new()).unwrap().version;
    let v2 = a.put("k", "v2", &v1).unwrap().version;
    assert_eq!(a.get("k").values, ["v2"]);
    // Another client still holds {A:1}: its write must not silently replace v2, which it never saw.
    let v3 = a.put("k", "v3", &v1).unwrap();
    assert_eq!(v3.version, vv("{A:3}"));
    assert_eq!(v3.concurrent, vec![v2]);
    assert_eq!(a.get("k").values, ["v2", "v3"]);
    // Sync keeps both, and says why although {A:3} > {A:2} as vectors.
    let mut b: Replica<&str> = Replica::new(id("B"));
    let report = b.sync_from(&a).remove(0).unwrap();
    assert_eq!(report.siblings_after, 2);
    let mut c: Replica<&str> = Replica::new(id("C"));
    c.receive(&id("A"), "k", &a.siblings("k")[..1]).unwrap();
    let report = c.receive(&id("A"), "k", a.siblings("k")).unwrap();
    assert_eq!(
        report.lines(),
        ["C already holds {A:2}.", "{A:3} was written without having seen {A:2}, so C keeps both as siblings."]
    );
}

#[test]
fn sync_drops_versions_a_newer_one_has_seen() {
    let mut a: Replica<&str> = Replica::new(id("A"));
    let mut b: Replica<&str> = Replica::new(id("B"));
    let v1 = a.put("k", "old", &VersionVector::new()).unwrap().version;
    b.sync_from(&a);
    b.put("k", "new", &v1).unwrap();
    let stale = a.clone();
    // B hears A's old copy again: it is dropped.
    let report = b.sync_from(&stale).remove(0).unwrap();
    assert_eq!(report.lines(), ["B's {A:1, B:1} has already seen {A:1}, so the incoming copy is dropped."]);
    let mut c: Replica<&str> = Replica::new(id("C"));
    c.sync_from(&b);
    let report = c.sync_from(&stale).remove(0).unwrap();
    assert_eq!(report.lines(), ["C's {A:1, B:1} has already seen {A:1}, so the incoming copy is dropped."]);
    assert_eq!(c.get("k").values, ["new"]);
}

#[test]
fn store_bounds_are_errors_not_panics() {
    let mut a: Replica<u32> = Replica::new(id("A"));
    for i in 0..SIBLINGS_MAX as u32 {
        a.put("k", i, &VersionVector::new()).unwrap();
    }
    assert_eq!(
        a.put("k", 99, &VersionVector::new()),
        Err(StoreError::TooManySiblings { key: "k".to_owned(), max: SIBLINGS_MAX })
    );
    // A write that has seen them all still goes through and resolves them.
    let context = a.get("k").context;
    let put = a.put("k", 100, &context).unwrap();
    assert_eq!(put.superseded.len(), SIBLINGS_MAX);
    let long = "k".repeat(65);
    assert!(matches!(a.put(&long, 1, &VersionVector::new()), Err(StoreError::KeyTooLong { len_bytes: 65 })));
    for i in 0..63 {
        a.put(&format!("key{i}"), 1, &VersionVector::new()).unwrap();
    }
    assert_eq!(a.put("one-too-many", 1, &VersionVector::new()), Err(StoreError::TooManyKeys { max: 64 }));
    let mut full = Cart::new();
    for i in 0..sim::version_vector::CART_ITEMS_MAX {
        full.add(&format!("item{i}")).unwrap();
    }
    assert!(full.add("one more").is_err());
}

#[test]
fn counters_refuse_to_overflow_or_grow_without_bound() {
    let mut v = vv(&format!("{{A:{}}}", u64::MAX));
    assert_eq!(v.increment(&id("A")), Err(ClockError::CounterOverflow { replica: id("A") }));
    assert_eq!(v.get("A"), u64::MAX);
    let mut wide = VersionVector::new();
    for i in 0..ENTRIES_MAX {
        wide.increment(&id(&format!("r{i}"))).unwrap();
    }
    assert_eq!(wide.increment(&id("extra")), Err(ClockError::TooManyReplicas { max: ENTRIES_MAX }));
    assert_eq!(wide.increment(&id("r0")), Ok(2), "existing replicas still count");
}

// ---------------------------------------------------------------------------------------------------------------
// The notation parser
// ---------------------------------------------------------------------------------------------------------------

fn parse_error(text: &str) -> ParseError {
    text.parse::<VersionVector>().expect_err(text)
}

#[test]
fn parser_reads_the_course_notation() {
    assert_eq!(vv("{X:3, Y:2, Z:1}").to_string(), "{X:3, Y:2, Z:1}");
    assert_eq!(vv("  { Z : 1 ,X:3,Y:2, }  ").to_string(), "{X:3, Y:2, Z:1}");
    assert_eq!(vv("{A:1, B:0}"), vv("{A:1}"), "zeros are the same as absent");
    assert_eq!(vv("{A:1, B:0}").render_over(&[id("A"), id("B")]), "{A:1, B:0}");
    assert_eq!(vv("{}"), VersionVector::new());
    assert_eq!(vv("{VA:5, n-1_b:0}").to_string(), "{VA:5}");
}

#[test]
fn parser_errors_say_where_and_what() {
    let cases: &[(&str, usize, ParseErrorKind)] = &[
        ("X:3}", 1, ParseErrorKind::ExpectedOpenBrace { found: Found::Char('X') }),
        ("", 1, ParseErrorKind::ExpectedOpenBrace { found: Found::End }),
        ("{X:3, Y:2", 10, ParseErrorKind::ExpectedCommaOrCloseBrace { found: Found::End }),
        ("{X 3}", 4, ParseErrorKind::ExpectedColon { replica: "X".into(), found: Found::Char('3') }),
        ("{X:-1}", 4, ParseErrorKind::ExpectedCount { replica: "X".into(), found: Found::Char('-') }),
        ("{X:3, :2}", 7, ParseErrorKind::ExpectedReplicaName { found: Found::Char(':') }),
        ("{X:3, X:4}", 7, ParseErrorKind::DuplicateReplica { replica: "X".into() }),
        ("{X:99999999999999999999}", 4, ParseErrorKind::CountTooLarge { replica: "X".into() }),
        ("{X:3} Y", 7, ParseErrorKind::TrailingInput { found: Found::Char('Y') }),
        ("{X:3; Y:2}", 5, ParseErrorKind::ExpectedCommaOrCloseBrace { found: Found::Char(';') }),
        ("{é:1}", 2, ParseErrorKind::ExpectedReplicaName { found: Found::Char('é') }),
        ("{X:1, é:1}", 7, ParseErrorKind::ExpectedReplicaName { found: Found::Char('é') }),
        ("{abcdefghijklmnopq:1}", 2, ParseErrorKind::ReplicaNameTooLong { len_bytes: 17 }),
    ];
    for (text, column, kind) in cases {
        let e = parse_error(text);
        assert_eq!((e.column, &e.kind), (*column, kind), "{text}");
    }
    assert_eq!(parse_error("{X:3 Y:2}").to_string(), "column 6: expected ',' or '}' after an entry, found 'Y'");
    assert_eq!(parse_error("{X:}").to_string(), "column 4: expected a count (a whole number) after 'X:', found '}'");
    let many: Vec<String> = (0..=ENTRIES_MAX).map(|i| format!("r{i}:1")).collect();
    let e = parse_error(&format!("{{{}}}", many.join(",")));
    assert_eq!(e.kind, ParseErrorKind::TooManyEntries { max: ENTRIES_MAX });
    let e = parse_error(&" ".repeat(5000));
    assert_eq!(e.kind, ParseErrorKind::InputTooLong { len_bytes: 5000 });
    assert_eq!(ReplicaId::new("A B").unwrap_err().column, 2);
    assert!(ReplicaId::new("").is_err());
}

// ---------------------------------------------------------------------------------------------------------------
// Happens-before
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn happens_before_course_partial_order() {
    let h = History::course_example();
    let e = |label: &str| h.find(label).unwrap();
    // a1 -> a2 -> b2 -> a3: a causal chain, so a1 happened before a3.
    assert!(h.happened_before(e("a1"), e("a2")));
    assert!(h.happened_before(e("a2"), e("b2")));
    assert!(h.happened_before(e("b2"), e("a3")));
    assert!(h.happened_before(e("a1"), e("a3")));
    assert!(!h.happened_before(e("a3"), e("a1")));
    // b3 and c2: no causal path -> concurrent.
    assert!(h.concurrent(e("b3"), e("c2")));
    assert!(!h.happened_before(e("b3"), e("c2")) && !h.happened_before(e("c2"), e("b3")));
    assert!(h.happened_before(e("c2"), e("b4")));
    let clocks: Vec<String> = h.events().iter().map(|ev| format!("{} {}", ev.label, ev.clock)).collect();
    expect![[r#"
        a1 {A:1}
        b1 {B:1}
        c1 {C:1}
        a2 {A:2}
        b2 {A:2, B:2}
        a3 {A:3, B:2}
        a4 {A:4, B:2}
        b3 {A:2, B:3}
        c2 {C:2}
        b4 {A:2, B:4, C:2}
        c3 {C:3}
        b5 {A:2, B:5, C:3}
        c4 {C:4}"#]]
    .assert_eq(&clocks.join("\n"));
    assert_eq!(
        h.explain(e("b3"), e("c2")).unwrap(),
        "b3 has clock {A:2, B:3} and c2 has {C:2}. b3 and c2 are concurrent: b3 is ahead on A and B and c2 on C, so \
         neither saw the other's write and the conflict must be resolved."
    );
}

#[test]
fn history_errors() {
    let mut h = History::new();
    let a1 = h.local(&id("A"), "a1").unwrap();
    assert_eq!(h.receive(&id("A"), "a2", a1), Err(HistoryError::SameNode { node: id("A") }));
    assert_eq!(h.receive(&id("B"), "b1", EventId(7)), Err(HistoryError::UnknownEvent { id: EventId(7) }));
    assert!(matches!(h.local(&id("A"), "a-very-long-label"), Err(HistoryError::LabelTooLong { .. })));
    assert!(!h.happened_before(a1, EventId(99)));
    for i in 1..EVENTS_MAX {
        h.local(&id("A"), &format!("e{i}")).unwrap();
    }
    assert_eq!(h.local(&id("A"), "late"), Err(HistoryError::TooManyEvents { max: EVENTS_MAX }));
}

// ---------------------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------------------

fn any_vector() -> impl Strategy<Value = VersionVector> {
    prop::collection::vec((0usize..5, 0u64..6), 0..6).prop_map(|pairs| {
        let names = ["A", "B", "C", "X", "Y"];
        let entries: Vec<(ReplicaId, u64)> = pairs.into_iter().map(|(i, n)| (id(names[i]), n)).collect();
        VersionVector::from_entries(&entries).unwrap()
    })
}

/// A random run of the two-replica store: writes with a context from a read at some replica, or a blind write,
/// and anti-entropy passes in either direction.
#[derive(Clone, Debug)]
enum StoreOp {
    Write { at: usize, context_from: Option<usize> },
    Sync { from: usize },
}

/// Events as (node, maybe the index of an earlier event whose message it receives).
fn history_spec() -> impl Strategy<Value = Vec<(usize, Option<usize>)>> {
    prop::collection::vec((0usize..3, prop::option::of(0usize..64)), 1..30)
}

fn store_op() -> impl Strategy<Value = StoreOp> {
    prop_oneof![
        (0usize..3, prop::option::of(0usize..3)).prop_map(|(at, context_from)| StoreOp::Write { at, context_from }),
        (0usize..3).prop_map(|from| StoreOp::Sync { from }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn merge_is_idempotent(a in any_vector()) {
        prop_assert_eq!(a.merged(&a), a);
    }

    #[test]
    fn merge_is_commutative(a in any_vector(), b in any_vector()) {
        prop_assert_eq!(a.merged(&b), b.merged(&a));
    }

    #[test]
    fn merge_is_associative(a in any_vector(), b in any_vector(), c in any_vector()) {
        prop_assert_eq!(a.merged(&b).merged(&c), a.merged(&b.merged(&c)));
    }

    /// The merge is the least upper bound: it descends from both and from nothing less.
    #[test]
    fn merge_is_the_least_upper_bound(a in any_vector(), b in any_vector(), c in any_vector()) {
        let m = a.merged(&b);
        prop_assert!(m >= a && m >= b);
        if c >= a && c >= b {
            prop_assert!(c >= m);
        }
    }

    #[test]
    fn compare_is_antisymmetric(a in any_vector(), b in any_vector()) {
        let (ab, ba) = (a.compare(&b), b.compare(&a));
        prop_assert_eq!(ab.order, ba.order.reverse());
        prop_assert_eq!(a.partial_cmp(&b), b.partial_cmp(&a).map(Ordering::reverse));
        prop_assert_eq!(ab.order == Order::Equal, a == b);
        prop_assert!(!(a.dominates(&b) && b.dominates(&a)));
        prop_assert_eq!(ab.explain("A", "B").len(), ab.entries.len());
    }

    #[test]
    fn parser_round_trips_display(a in any_vector()) {
        let text = a.to_string();
        prop_assert_eq!(text.parse::<VersionVector>(), Ok(a.clone()));
        let long = a.render_over(&[id("A"), id("B"), id("C")]);
        prop_assert_eq!(long.parse::<VersionVector>(), Ok(a));
    }

    /// Whatever a reader types, the parser answers with a vector or an error inside the text, never a panic.
    #[test]
    fn parser_never_panics(text in "[{}:, A-Z0-9é\\-_]{0,24}") {
        if let Err(e) = text.parse::<VersionVector>() {
            prop_assert!(e.column >= 1 && e.column <= text.len() + 1, "{}: {}", text, e);
            prop_assert!(text.is_char_boundary(e.column - 1));
        }
    }

    /// Three replicas, any interleaving of writes and anti-entropy: once everyone has synced with everyone, all
    /// hold the same siblings, and no write vanished without a later write having seen it.
    #[test]
    fn replicas_converge_and_no_write_is_silently_lost(ops in prop::collection::vec(store_op(), 0..40)) {
        let ids = [id("A"), id("B"), id("C")];
        let mut replicas: Vec<Replica<u32>> = ids.iter().cloned().map(Replica::new).collect();
        let mut writes = Vec::new();
        for (n, op) in ops.iter().enumerate() {
            match *op {
                StoreOp::Write { at, context_from } => {
                    let context = context_from.map(|r| replicas[r].get("k").context).unwrap_or_default();
                    match replicas[at].put("k", n as u32, &context) {
                        Ok(put) => writes.push(put.dot),
                        Err(e) => prop_assert!(matches!(e, StoreError::TooManySiblings { .. }), "{e}"),
                    }
                }
                StoreOp::Sync { from } => {
                    let source = replicas[from].clone();
                    let to = (from + 1) % 3;
                    let _ = replicas[to].sync_from(&source);
                }
            }
        }
        for _ in 0..2 {
            for from in 0..3 {
                for to in 0..3 {
                    if from != to {
                        let source = replicas[from].clone();
                        let _ = replicas[to].sync_from(&source);
                    }
                }
            }
        }
        let first = replicas[0].siblings("k").to_vec();
        for r in &replicas[1..] {
            prop_assert_eq!(r.siblings("k"), first.as_slice());
        }
        for dot in &writes {
            let survives = first.iter().any(|s| &s.dot == dot || s.context.covers(dot));
            prop_assert!(survives, "write {} vanished", dot);
        }
        // Siblings on one key are pairwise unseen by each other.
        for s in &first {
            for t in &first {
                prop_assert!(s.dot == t.dot || !t.context.covers(&s.dot));
            }
        }
    }

    /// The vector-clock answer equals the explicit one: e1 happened before e2 iff a path of program order and
    /// messages leads from e1 to e2.
    #[test]
    fn happened_before_matches_causal_paths(spec in history_spec()) {
        let nodes = [id("A"), id("B"), id("C")];
        let mut h = History::new();
        let mut edges: Vec<(usize, usize)> = Vec::new();
        let mut last_on: [Option<usize>; 3] = [None; 3];
        for (i, (node, from)) in spec.iter().enumerate() {
            let sender = from.map(|f| f % i.max(1)).filter(|&f| f < i && h.events()[f].node != nodes[*node]);
            let label = format!("e{i}");
            let id = match sender {
                Some(f) => h.receive(&nodes[*node], &label, EventId(f)).unwrap(),
                None => h.local(&nodes[*node], &label).unwrap(),
            };
            prop_assert_eq!(id, EventId(i));
            if let Some(f) = sender { edges.push((f, i)); }
            if let Some(p) = last_on[*node] { edges.push((p, i)); }
            last_on[*node] = Some(i);
        }
        // Edges only go forward in the history, so one pass collects every event's causal past.
        let n = h.events().len();
        let mut past: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
        for j in 0..n {
            let direct: Vec<usize> = edges.iter().filter(|(_, to)| *to == j).map(|(from, _)| *from).collect();
            for p in direct {
                let earlier = past[p].clone();
                past[j].insert(p);
                past[j].extend(earlier);
            }
        }
        for (j, past_of_j) in past.iter().enumerate() {
            for i in 0..n {
                prop_assert_eq!(h.happened_before(EventId(i), EventId(j)), past_of_j.contains(&i), "e{} e{}", i, j);
            }
        }
    }
}

#[test]
fn the_trace_tells_the_butter_story() {
    let world = CartWorld::shopping_cart(DeleteMode::Erase);
    let key: String = world
        .trace()
        .events()
        .iter()
        .filter(|e| e.salience == sim::Salience::Key && e.at.as_ms() >= 11)
        .map(|e| format!("step {}: {}\n", e.at.as_ms(), e.text))
        .collect();
    expect![[r#"
        step 11: Y removes butter, erasing it without a trace, and writes [milk, eggs] to B with context {A:2, B:2}; B stamps it {A:2, B:3}. It replaces {A:2, B:2}.
        step 12: X writes [milk, eggs, butter] to A with context {A:2, B:2}; A stamps it {A:3, B:2}. It replaces {A:2, B:2}. X has not seen Y's removal of butter at {A:2, B:3}.
        step 13: Anti-entropy copies A's cart to B: {A:3, B:2} vs {A:2, B:3}: neither dominates, so they are concurrent and B keeps both as siblings.
        step 13: Conflict: B holds 2 concurrent versions of the cart that a client must merge.
        step 14: Y reads 2 siblings from B ([milk, eggs, butter] at {A:3, B:2} and [milk, eggs] at {A:2, B:3}), merges them into [milk, eggs, butter], and keeps the merged context {A:3, B:3}.
        step 14: Resurrection: butter is back in Y's merged cart although Y removed it at {A:2, B:3}.
        step 15: Y writes [milk, eggs, butter] to B with context {A:3, B:3}; B stamps it {A:3, B:4}. It dominates {A:3, B:2} and {A:2, B:3}, so the siblings are resolved.
        step 16: Anti-entropy copies B's cart to A: {A:3, B:4} has seen A's {A:3, B:2}, so it replaces it.
    "#]].assert_eq(&key);
}
