//! S7 "Version vector simulation" (chapter 7): the course's shopping cart one step at a time — two replicas, two
//! clients, concurrent writes, siblings, the client's merge and the vector that resolves them — then the butter
//! case with or without tombstones (correct removal or resurrection). Beside it, a comparison tool for two typed
//! version vectors (the course's four exercises as presets) and a happens-before diagram whose events the reader
//! picks two at a time.
//!
//! Nothing here is time-driven. The model computes every step of the walk-through with its full state, so Next
//! and Previous Step only move a cursor over that list: going back is exact by construction.

use std::rc::Rc;

use sim::version_vector::{
    Cart, CartAction, CartAnomaly, CartClient, CartReplica, CartState, CartWorld, DeleteMode, Edit, EventId, History,
    HistoryEvent, Order, ParseError, ReplicaId, ReplicaView, Step, VersionVector,
};
use yew::prelude::*;

use crate::canvas::{
    Align, Band, Caption, Dot, DotKind, Glyph, Health, Link, LinkStyle, NodeGlyph, Point, Scene, SimCanvas, Tone,
};
use crate::player::{
    link_notices, settings_pairs, use_link, use_media_query, Choice, CopyLink, Narration, TableToggle,
};
use crate::progress::{use_progress, ProgressAction};
use crate::share::{shown, NoAction, Pairs, Params, Reader, Shareable};

const TITLE: &str = "Version vector simulation";
const NAME: &str = "version-vectors";
/// The walk-through's step before X adds butter: "Skip to the butter case" lands here.
const BEFORE_BUTTER: usize = 7;
/// Siblings drawn under a replica at most; more are counted (the course's script never makes more than two).
const SIBLINGS_DRAWN_MAX: usize = 3;
/// Longest vector text the comparison inputs take (the parser itself stops at 4,096 bytes).
const INPUT_MAX_CHARS: usize = 300;
/// Characters of a malformed input shown around the error.
const ERROR_WINDOW_CHARS: usize = 48;

/// The course's four hand-worked exercises: (button, A, B).
pub const EXERCISES: [(&str, &str, &str); 4] = [
    ("Exercise 1", "{X:3, Y:2, Z:1}", "{X:2, Y:2, Z:1}"),
    ("Exercise 2", "{X:3, Y:2}", "{X:2, Y:4}"),
    ("Exercise 3", "{X:1, Y:1}", "{X:1, Y:1, Z:1}"),
    ("Exercise 4", "{X:5, Y:3, Z:2}", "{X:5, Y:3, Z:2}"),
];

// ---------------------------------------------------------------------------------------------------------------
// The step cursor
// ---------------------------------------------------------------------------------------------------------------

/// How the reader moves through the walk-through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    Previous,
    Next,
    To(usize),
}

/// The step shown after `m`, from `index`, with steps numbered 0..=`last`. Never leaves that range.
pub fn moved(index: usize, last: usize, m: Move) -> usize {
    match m {
        Move::Previous => index.saturating_sub(1),
        Move::Next => index.saturating_add(1),
        Move::To(i) => i,
    }
    .min(last)
}

/// The step being shown. A reducer, so two quick key presses move two steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Cursor(usize);

impl Reducible for Cursor {
    /// The move and the last step number.
    type Action = (Move, usize);

    fn reduce(self: Rc<Self>, (m, last): (Move, usize)) -> Rc<Self> {
        Rc::new(Cursor(moved(self.0, last, m)))
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Words for the walk-through
// ---------------------------------------------------------------------------------------------------------------

fn v(vector: &VersionVector) -> String {
    CartState::render_vector(vector)
}

/// A few words for the arrow of the step (drawn by the link it uses).
pub fn action_label(action: &CartAction) -> String {
    match action {
        CartAction::Write { edit: Edit::Add(item), .. } => format!("writes +{item}"),
        CartAction::Write { edit: Edit::Remove(item), .. } => format!("writes −{item}"),
        CartAction::Write { edit: Edit::Keep, .. } => "writes its cart".to_owned(),
        CartAction::Read { .. } => "reads".to_owned(),
        CartAction::Sync { from, to } => format!("anti-entropy {from} → {to}"),
    }
}

/// The action in a short sentence: "X writes +milk to A".
fn action_sentence(action: &CartAction) -> String {
    match action {
        CartAction::Write { client, replica, .. } => format!("{client} {} to {replica}", action_label(action)),
        CartAction::Read { client, replica } => format!("{client} reads from {replica}"),
        CartAction::Sync { from, to } => format!("anti-entropy from {from} to {to}"),
    }
}

/// What to predict before pressing Next Step.
pub fn prediction(next: &CartAction) -> String {
    match next {
        CartAction::Write { client, replica, .. } => format!(
            "Next: {}. Predict the version {replica} will stamp: {client}'s context with {replica}'s entry one higher \
             than any {replica} has used.",
            action_sentence(next)
        ),
        CartAction::Read { client, replica } => format!(
            "Next: {client} reads from {replica}. Predict the context {client} gets back: the entry-wise maximum of \
             every sibling {replica} holds."
        ),
        CartAction::Sync { from, to } => format!(
            "Next: anti-entropy from {from} to {to}. Predict whether {to} replaces its copy, drops the incoming one, \
             or keeps both as siblings."
        ),
    }
}

/// What one replica holds, in words: "A holds [milk] at {A:1, B:0}".
pub fn replica_summary(r: &ReplicaView) -> String {
    match r.siblings.as_slice() {
        [] => format!("{} holds nothing", r.replica),
        [only] => format!("{} holds {} at {}", r.replica, only.cart, v(&only.version)),
        many => {
            let listed: Vec<String> = many.iter().map(|s| format!("{} at {}", s.cart, v(&s.version))).collect();
            format!("{} holds {} siblings, {}", r.replica, many.len(), listed.join(" and "))
        }
    }
}

/// The narration: step number, the model's description (with the vectors), what to notice, and where both
/// replicas stand now.
pub fn narration(step: &Step, last: usize) -> String {
    let mut text = format!("Step {} of {last}: {}", step.number, step.description);
    for anomaly in &step.anomalies {
        text.push(' ');
        text.push_str(&anomaly.describe());
    }
    let replicas: Vec<String> = step.state.replicas.iter().map(replica_summary).collect();
    text.push_str(&format!(" Now {}.", replicas.join("; ")));
    text
}

/// The one line the figure puts in large type, and its tone: a conflict, a resurrection, or convergence.
pub fn headline(steps: &[Step], index: usize) -> Option<(String, Tone)> {
    let step = steps.get(index)?;
    if let Some(CartAnomaly::Resurrected { item, merged_by, removed_by, .. }) =
        step.anomalies.iter().find(|a| matches!(a, CartAnomaly::Resurrected { .. }))
    {
        return Some((
            format!("Resurrection: {item} is back in {merged_by}'s cart; {removed_by} removed it"),
            Tone::Bad,
        ));
    }
    if let Some(CartAnomaly::Refused { reason }) =
        step.anomalies.iter().find(|a| matches!(a, CartAnomaly::Refused { .. }))
    {
        return Some((format!("Refused: {reason}"), Tone::Bad));
    }
    if let Some(r) = step.state.replicas.iter().find(|r| r.siblings.len() > 1) {
        return Some((format!("Conflict: {} holds {} concurrent siblings", r.replica, r.siblings.len()), Tone::Bad));
    }
    // An item brought back by a resurrection earlier in the walk-through and still in `cart`.
    let back = |cart: &Cart| {
        steps[..=index].iter().flat_map(|s| &s.anomalies).find_map(|anomaly| match anomaly {
            CartAnomaly::Resurrected { item, .. } if cart.contains(item) => Some(item.clone()),
            _ => None,
        })
    };
    // A write that has seen every sibling replaces them all.
    if let Some(before) = index.checked_sub(1).and_then(|i| steps.get(i)) {
        for r in &step.state.replicas {
            let had = before.state.replica(r.replica).siblings.len();
            if let ([only], true) = (r.siblings.as_slice(), had > 1) {
                let all = if had == 2 { "both".to_owned() } else { format!("all {had}") };
                let resolved = format!("{}'s {} dominates {all} siblings", r.replica, v(&r.version));
                return Some(match back(&only.cart) {
                    Some(item) => (format!("Resolved at {}, but {item} is back", v(&r.version)), Tone::Bad),
                    None => (format!("Resolved: {resolved}"), Tone::Good),
                });
            }
        }
    }
    let (a, b) = (step.state.replica(CartReplica::A), step.state.replica(CartReplica::B));
    if let ([only], true) = (a.siblings.as_slice(), a.siblings == b.siblings) {
        return Some(match back(&only.cart) {
            Some(item) => (format!("A and B agree on {} — with {item} back in it", v(&a.version)), Tone::Bad),
            None => (format!("Converged: A and B both hold {}", v(&a.version)), Tone::Good),
        });
    }
    None
}

// ---------------------------------------------------------------------------------------------------------------
// The cart figure
// ---------------------------------------------------------------------------------------------------------------

/// Where the four actors stand: clients X and Y above replicas A and B.
#[derive(Clone, Copy, Debug, PartialEq)]
struct CartLayout {
    width: f64,
    height: f64,
    x: Point,
    y: Point,
    a: Point,
    b: Point,
}

const WIDE: CartLayout = CartLayout {
    width: 720.0,
    height: 400.0,
    x: Point::new(180.0, 105.0),
    y: Point::new(540.0, 105.0),
    a: Point::new(180.0, 255.0),
    b: Point::new(540.0, 255.0),
};

const NARROW: CartLayout = CartLayout {
    width: 360.0,
    height: 450.0,
    x: Point::new(90.0, 48.0),
    y: Point::new(270.0, 48.0),
    a: Point::new(90.0, 178.0),
    b: Point::new(270.0, 178.0),
};

impl CartLayout {
    fn client(&self, c: CartClient) -> Point {
        match c {
            CartClient::X => self.x,
            CartClient::Y => self.y,
        }
    }

    fn replica(&self, r: CartReplica) -> Point {
        match r {
            CartReplica::A => self.a,
            CartReplica::B => self.b,
        }
    }
}

fn caption(at: Point, text: String, tone: Tone, strong: bool, align: Align) -> Caption {
    Caption { at, text, tone, strong, align }
}

/// The two ends of the step's arrow, from where the message leaves to where it arrives.
fn action_ends(action: &CartAction, l: &CartLayout) -> (Point, Point) {
    match action {
        CartAction::Write { client, replica, .. } | CartAction::Read { client, replica } => {
            (l.client(*client), l.replica(*replica))
        }
        CartAction::Sync { from, to } => (l.replica(*from), l.replica(*to)),
    }
}

/// The figure after step `index` of `steps`: replicas A and B with their siblings and vectors, clients X and Y
/// with their contexts and carts, the step's message on its link, and the headline.
pub fn cart_scene(steps: &[Step], index: usize, narrow: bool) -> Scene {
    let l = if narrow { NARROW } else { WIDE };
    let mut scene = Scene { width: l.width, height: l.height, ..Scene::default() };
    let Some(step) = steps.get(index) else { return scene };
    let last = steps.len().saturating_sub(1);
    let state = &step.state;
    let active = step.action.as_ref().map(|a| action_ends(a, &l));
    let pairs = [(l.x, l.a), (l.y, l.b), (l.x, l.b), (l.y, l.a), (l.a, l.b)];
    for (from, to) in pairs {
        let in_use = active.is_some_and(|(s, e)| (s == from && e == to) || (s == to && e == from));
        scene.links.push(Link { from, to, style: if in_use { LinkStyle::Solid } else { LinkStyle::Faint } });
    }
    for c in CartClient::ALL {
        scene.nodes.push(NodeGlyph {
            at: l.client(c),
            glyph: Glyph::Client,
            health: Health::Up,
            name: c.to_string(),
            detail: "client".into(),
        });
    }
    for r in CartReplica::ALL {
        let view = state.replica(r);
        let detail = match view.siblings.len() {
            0 => "empty".to_owned(),
            1 => v(&view.version),
            n => format!("{n} siblings"),
        };
        scene.nodes.push(NodeGlyph {
            at: l.replica(r),
            glyph: Glyph::Follower,
            health: Health::Up,
            name: r.to_string(),
            detail,
        });
    }
    if let Some(action) = &step.action {
        let (from, to) = action_ends(action, &l);
        let kind = match action {
            CartAction::Write { .. } => DotKind::Write,
            CartAction::Read { .. } => DotKind::Read,
            CartAction::Sync { .. } => DotKind::Replication,
        };
        scene.dots.push(Dot { at: from.lerp(to, 0.62), kind });
    }
    let sibling_lines = |view: &ReplicaView| -> Vec<String> {
        let mut lines: Vec<String> =
            view.siblings.iter().take(SIBLINGS_DRAWN_MAX).map(|s| format!("{} {}", s.cart, v(&s.version))).collect();
        if view.siblings.len() > SIBLINGS_DRAWN_MAX {
            lines.push(format!("… and {} more", view.siblings.len() - SIBLINGS_DRAWN_MAX));
        }
        lines
    };
    let head = headline(steps, index);
    if narrow {
        // Portrait: the four actors on top, then a ledger of what each holds, one line each.
        let mut y = 232.0;
        let mut line = |scene: &mut Scene, text: String, tone: Tone| {
            scene.captions.push(caption(Point::new(12.0, y), text, tone, false, Align::Left));
            y += 19.0;
        };
        let doing = step.action.as_ref().map_or("the start".to_owned(), action_sentence);
        line(&mut scene, format!("Step {} of {last}: {doing}", step.number), Tone::Normal);
        for r in CartReplica::ALL {
            let view = state.replica(r);
            let lines = sibling_lines(view);
            if lines.is_empty() {
                line(&mut scene, format!("{r}: empty"), Tone::Muted);
            }
            for text in lines {
                let tone = if view.siblings.len() > 1 { Tone::Bad } else { Tone::Normal };
                line(&mut scene, format!("{r}: {text}"), tone);
            }
        }
        for c in &state.clients {
            line(&mut scene, format!("{}: context {}", c.client, v(&c.context)), Tone::Muted);
            line(&mut scene, format!("    cart {}", c.cart), Tone::Muted);
        }
        if let Some((text, tone)) = head {
            scene.captions.push(caption(Point::new(l.width / 2.0, l.height - 18.0), text, tone, false, Align::Center));
        }
        return scene;
    }
    // Landscape: each client's context and cart above it, each replica's siblings under it.
    for c in &state.clients {
        let at = l.client(c.client);
        scene.captions.push(caption(
            Point::new(at.x, 40.0),
            format!("context {}", v(&c.context)),
            Tone::Muted,
            false,
            Align::Center,
        ));
        scene.captions.push(caption(
            Point::new(at.x, 58.0),
            format!("cart {}", c.cart),
            Tone::Muted,
            false,
            Align::Center,
        ));
    }
    for r in CartReplica::ALL {
        let view = state.replica(r);
        let at = l.replica(r);
        let tone = if view.siblings.len() > 1 { Tone::Bad } else { Tone::Normal };
        for (i, text) in sibling_lines(view).into_iter().enumerate() {
            scene.captions.push(caption(
                Point::new(at.x, at.y + 50.0 + 18.0 * i as f64),
                text,
                tone,
                false,
                Align::Center,
            ));
        }
    }
    scene.captions.push(caption(
        Point::new(l.width / 2.0, l.x.y),
        format!("step {} of {last}", step.number),
        Tone::Muted,
        false,
        Align::Center,
    ));
    if let Some(action) = &step.action {
        let (from, to) = action_ends(action, &l);
        let label = action_label(action);
        let vertical = (from.x - to.x).abs() < 1.0;
        let horizontal = (from.y - to.y).abs() < 1.0;
        let mid = from.lerp(to, 0.5);
        let cap = if horizontal {
            caption(Point::new(mid.x, mid.y - 14.0), label, Tone::Normal, false, Align::Center)
        } else if vertical && mid.x < l.width / 2.0 {
            caption(Point::new(mid.x + 12.0, mid.y), label, Tone::Normal, false, Align::Left)
        } else if vertical {
            caption(Point::new(mid.x - 12.0, mid.y), label, Tone::Normal, false, Align::Right)
        } else {
            // The diagonals cross in the middle; above the crossing there is room between them.
            caption(Point::new(l.width / 2.0, mid.y - 42.0), label, Tone::Normal, false, Align::Center)
        };
        scene.captions.push(cap);
    }
    if let Some((text, tone)) = head {
        scene.captions.push(caption(Point::new(l.width / 2.0, l.height - 18.0), text, tone, true, Align::Center));
    }
    scene
}

// ---------------------------------------------------------------------------------------------------------------
// The comparison tool
// ---------------------------------------------------------------------------------------------------------------

/// A typed vector the parser refused, with the text around the error and a caret under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    /// "A" or "B".
    pub which: &'static str,
    pub error: ParseError,
    /// The input (or the part of it around the error) and, under it, a caret at the error's column.
    pub excerpt: String,
    pub caret: String,
}

impl InputError {
    pub fn message(&self) -> String {
        format!("Version {}, column {}: {}.", self.which, self.error.column, self.error.kind)
    }
}

/// What the comparison tool shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Compared {
        order: Order,
        /// "A happened after B", "B happened after A", "Concurrent" or "Identical".
        headline: String,
        summary: String,
        reasons: Vec<String>,
    },
    Malformed(Vec<InputError>),
}

/// The text around byte column `column` (1-based) of `text`, and a caret line pointing at it. Works for any
/// column, even past the end or inside a multi-byte character, and never shows more than a window of the text.
pub fn caret_excerpt(text: &str, column: usize) -> (String, String) {
    let byte = column.saturating_sub(1);
    let before = text.char_indices().take_while(|(b, _)| *b < byte).count();
    let start = before.saturating_sub(ERROR_WINDOW_CHARS / 2);
    let mut excerpt: String = text.chars().skip(start).take(ERROR_WINDOW_CHARS).collect();
    let mut offset = before - start;
    if start > 0 {
        excerpt.insert(0, '…');
        offset += 1;
    }
    if text.chars().count() > start + ERROR_WINDOW_CHARS {
        excerpt.push('…');
    }
    (excerpt, format!("{}^", " ".repeat(offset)))
}

/// Parses both inputs and compares them, or says exactly where each is malformed.
pub fn verdict(a: &str, b: &str) -> Verdict {
    let parse = |which: &'static str, text: &str| {
        text.parse::<VersionVector>().map_err(|error| {
            let (excerpt, caret) = caret_excerpt(text, error.column);
            InputError { which, error, excerpt, caret }
        })
    };
    match (parse("A", a), parse("B", b)) {
        (Ok(a), Ok(b)) => {
            let c = a.compare(&b);
            let headline = match c.order {
                Order::After => "A happened after B",
                Order::Before => "B happened after A",
                Order::Concurrent => "Concurrent",
                Order::Equal => "Identical",
            };
            Verdict::Compared {
                order: c.order,
                headline: headline.to_owned(),
                summary: c.summary("A", "B"),
                reasons: c.explain("A", "B"),
            }
        }
        (a, b) => Verdict::Malformed([a.err(), b.err()].into_iter().flatten().collect()),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The happens-before diagram
// ---------------------------------------------------------------------------------------------------------------

/// The chapter's partial order, exactly as its figure draws it: A runs a1..a4, B b1..b5, C c1..c4, with messages
/// c1→b1, a2→b2, b2→a3 and c3→b5. Events are listed roughly in the figure's left-to-right order, which is where
/// the diagram places them. (The model's `History::course_example` reads an older text drawing with other
/// messages; its verdicts for a1/a3 and b3/c2 agree, its clocks do not match the chapter's.)
pub fn chapter_history() -> History {
    let mut h = History::new();
    let nodes: Vec<ReplicaId> = ["A", "B", "C"].iter().filter_map(|n| ReplicaId::new(n).ok()).collect();
    let [a, b, c] = nodes.as_slice() else { return h };
    // (node, label, the label of the event whose message this one receives)
    let script: [(&ReplicaId, &str, Option<&str>); 13] = [
        (a, "a1", None),
        (c, "c1", None),
        (b, "b1", Some("c1")),
        (a, "a2", None),
        (c, "c2", None),
        (b, "b2", Some("a2")),
        (a, "a3", Some("b2")),
        (b, "b3", None),
        (c, "c3", None),
        (b, "b4", None),
        (a, "a4", None),
        (c, "c4", None),
        (b, "b5", Some("c3")),
    ];
    // Thirteen short labels on three nodes: far inside every bound of the model, so no push can fail.
    for (node, label, from) in script {
        let _ = match from.and_then(|l| h.find(l)) {
            Some(sent_at) => h.receive(node, label, sent_at),
            None => h.local(node, label),
        };
    }
    h
}

/// The nodes of a history in order of first appearance.
fn lanes(h: &History) -> Vec<ReplicaId> {
    let mut out: Vec<ReplicaId> = Vec::new();
    for e in h.events() {
        if !out.contains(&e.node) {
            out.push(e.node.clone());
        }
    }
    out.sort();
    out
}

/// Whether `e` lies on a causal path from `from` to `to` (both ends included).
fn on_path(h: &History, from: EventId, e: EventId, to: EventId) -> bool {
    let at_or_after = |x: EventId, y: EventId| x == y || h.happened_before(x, y);
    at_or_after(from, e) && at_or_after(e, to)
}

/// The relation of two events in words, with both clocks and the reason entry by entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Causality {
    /// "a1 → a3: a1 happened before a3", "b3 ‖ c2: concurrent".
    pub headline: String,
    pub sentence: String,
    pub reasons: Vec<String>,
}

/// How event `e1` relates to `e2`; `None` for an unknown event.
pub fn causality(h: &History, e1: EventId, e2: EventId) -> Option<Causality> {
    let (a, b) = (h.event(e1)?, h.event(e2)?);
    let (l1, l2) = (&a.label, &b.label);
    let order = h.relation(e1, e2)?;
    let comparison = a.clock.compare(&b.clock);
    let names = |ordering: std::cmp::Ordering| -> String {
        let list: Vec<String> =
            comparison.entries.iter().filter(|e| e.ordering == ordering).map(|e| e.replica.to_string()).collect();
        list.join(" and ")
    };
    let clocks = format!("{l1} has clock {} and {l2} has {}.", a.clock, b.clock);
    let (headline, sentence) = match order {
        Order::Before => (
            format!("{l1} → {l2}: {l1} happened before {l2}"),
            format!(
                "{clocks} No entry of {l1}'s clock is larger and {} is smaller, so a chain of events and messages \
                 leads from {l1} to {l2}.",
                names(std::cmp::Ordering::Less)
            ),
        ),
        Order::After => (
            format!("{l2} → {l1}: {l2} happened before {l1}"),
            format!(
                "{clocks} No entry of {l2}'s clock is larger and {} is smaller, so a chain of events and messages \
                 leads from {l2} to {l1}.",
                names(std::cmp::Ordering::Greater)
            ),
        ),
        Order::Concurrent => (
            format!("{l1} ‖ {l2}: concurrent"),
            format!(
                "{clocks} {l1} is ahead on {} and {l2} on {}, so neither dominates: no chain of messages connects \
                 them in either direction.",
                names(std::cmp::Ordering::Greater),
                names(std::cmp::Ordering::Less)
            ),
        ),
        Order::Equal => (format!("{l1}: the same event twice"), format!("{clocks} Pick two different events.")),
    };
    let events = |n: u64| if n == 1 { "1 event".to_owned() } else { format!("{n} events") };
    let reasons = comparison
        .entries
        .iter()
        .map(|e| {
            let r = &e.replica;
            match e.ordering {
                std::cmp::Ordering::Greater => format!(
                    "{r}: {} > {}, so {l1} has seen {} on {r} that {l2} has not.",
                    e.left,
                    e.right,
                    events(e.left - e.right)
                ),
                std::cmp::Ordering::Less => format!(
                    "{r}: {} < {}, so {l2} has seen {} on {r} that {l1} has not.",
                    e.left,
                    e.right,
                    events(e.right - e.left)
                ),
                std::cmp::Ordering::Equal => format!("{r}: {} = {}, the same events on {r}.", e.left, e.right),
            }
        })
        .collect();
    Some(Causality { headline, sentence, reasons })
}

/// The diagram: one lane per node, events as marks in the order listed, messages as links; the two chosen events
/// are a square (first) and a diamond (second), events on a causal path between them filled circles.
pub fn history_scene(h: &History, first: EventId, second: EventId, narrow: bool) -> Scene {
    let (width, height) = if narrow { (360.0, 340.0) } else { (720.0, 340.0) };
    let mut scene = Scene { width, height, ..Scene::default() };
    let nodes = lanes(h);
    let count = h.events().len().max(1);
    let (left, right) = if narrow { (44.0, 344.0) } else { (84.0, 690.0) };
    let step = if count > 1 { (right - left) / (count - 1) as f64 } else { 0.0 };
    let lane_y = |node: &ReplicaId| 70.0 + 90.0 * nodes.iter().position(|n| n == node).unwrap_or(0) as f64;
    let at = |e: &HistoryEvent| Point::new(left + step * e.id.0 as f64, lane_y(&e.node));
    for node in &nodes {
        let y = lane_y(node);
        let x = if narrow { left - 18.0 } else { left - 24.0 };
        scene.bands.push(Band {
            x,
            y: y - 12.0,
            width: right - x + 12.0,
            height: 24.0,
            tone: Tone::Muted,
            hatched: false,
            label: String::new(),
        });
        scene.captions.push(caption(
            Point::new(if narrow { 10.0 } else { 16.0 }, y),
            node.to_string(),
            Tone::Normal,
            true,
            Align::Left,
        ));
    }
    scene.captions.push(caption(Point::new(right + 8.0, 24.0), "time →".into(), Tone::Muted, false, Align::Right));
    let order = h.relation(first, second);
    // The causal path runs from the earlier to the later event, if one happened before the other.
    let path = match order {
        Some(Order::Before) => Some((first, second)),
        Some(Order::After) => Some((second, first)),
        _ => None,
    };
    for e in h.events() {
        if let Some(sender) = e.received_from.and_then(|s| h.event(s)) {
            let on = path.map(|(from, to)| on_path(h, from, sender.id, to) && on_path(h, from, e.id, to));
            let style = match on {
                Some(false) => LinkStyle::Faint,
                _ => LinkStyle::Solid,
            };
            scene.links.push(Link { from: at(sender), to: at(e), style });
        }
    }
    for e in h.events() {
        let chosen = e.id == first || e.id == second;
        let on = path.is_some_and(|(from, to)| on_path(h, from, e.id, to));
        let kind = if e.id == first {
            DotKind::Write
        } else if e.id == second {
            DotKind::Replication
        } else if on {
            DotKind::ReplyOk
        } else {
            DotKind::Read
        };
        let p = at(e);
        scene.dots.push(Dot { at: p, kind });
        let tone = if on { Tone::Good } else { Tone::Normal };
        scene.captions.push(caption(Point::new(p.x, p.y - 24.0), e.label.clone(), tone, chosen, Align::Center));
    }
    // The chosen events' clocks, under their lanes (the second above its label if the two would collide).
    let chosen: Vec<&HistoryEvent> = [first, second].iter().filter_map(|id| h.event(*id)).collect();
    let margin = if narrow { 52.0 } else { 60.0 };
    for (i, e) in chosen.iter().enumerate() {
        if i == 1 && chosen[0].id == e.id {
            break;
        }
        let p = at(e);
        let crowded = i == 1 && chosen[0].node == e.node && (at(chosen[0]).x - p.x).abs() < 110.0;
        let y = if crowded { p.y - 44.0 } else { p.y + 26.0 };
        let x = p.x.clamp(margin, width - margin);
        scene.captions.push(caption(Point::new(x, y), e.clock.to_string(), Tone::Normal, false, Align::Center));
    }
    if let Some(c) = causality(h, first, second) {
        let tone = if path.is_some() { Tone::Good } else { Tone::Normal };
        scene.captions.push(caption(Point::new(width / 2.0, height - 42.0), c.headline, tone, true, Align::Center));
    }
    let legend = if narrow {
        "■ first  ◆ second  ● on the path  ○ other"
    } else {
        "■ first event   ◆ second event   ● on a causal path between them   ○ other event"
    };
    scene.captions.push(caption(
        Point::new(width / 2.0, height - 14.0),
        legend.into(),
        Tone::Muted,
        false,
        Align::Center,
    ));
    scene
}

// ---------------------------------------------------------------------------------------------------------------
// The widget
// ---------------------------------------------------------------------------------------------------------------

fn mode_value(mode: DeleteMode) -> &'static str {
    match mode {
        DeleteMode::Tombstone => "tombstone",
        DeleteMode::Erase => "erase",
    }
}

fn action_cell(action: &Option<CartAction>) -> String {
    action.as_ref().map_or("—".to_owned(), action_sentence)
}

#[derive(Properties, PartialEq)]
pub struct VersionVectorsProps {
    pub chapter: &'static str,
    /// A shared link's state for this simulation.
    #[prop_or_default]
    pub link: Option<Rc<Params>>,
}

/// Everything the reader can set here: the delete mode and the step of the walk-through, the two vectors typed
/// into the comparison, and the two events of the happens-before figure (by their labels).
#[derive(Clone, Debug, PartialEq)]
pub struct Shared {
    pub mode: DeleteMode,
    pub step: usize,
    pub text_a: String,
    pub text_b: String,
    pub first: String,
    pub second: String,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            mode: DeleteMode::Tombstone,
            step: 0,
            text_a: EXERCISES[0].1.to_owned(),
            text_b: EXERCISES[0].2.to_owned(),
            first: "a1".to_owned(),
            second: "a3".to_owned(),
        }
    }
}

impl Shareable for Shared {
    fn write(&self, out: &mut Pairs) {
        out.push(("delete", mode_value(self.mode).to_owned()));
        out.push(("step", self.step.to_string()));
        out.push(("a", self.text_a.clone()));
        out.push(("b", self.text_b.clone()));
        out.push(("e1", self.first.clone()));
        out.push(("e2", self.second.clone()));
    }

    fn read(reader: &mut Reader<'_>) -> Self {
        let d = Shared::default();
        let modes = [
            (mode_value(DeleteMode::Tombstone), DeleteMode::Tombstone),
            (mode_value(DeleteMode::Erase), DeleteMode::Erase),
        ];
        let mode = reader.choice("delete", "delete mode", &modes, d.mode);
        let last = CartWorld::shopping_cart(mode).steps().len().saturating_sub(1) as u64;
        let step = reader.number("step", "Step", 0..=last, 0) as usize;
        let text_a = reader.text("a", INPUT_MAX_CHARS).unwrap_or(d.text_a);
        let text_b = reader.text("b", INPUT_MAX_CHARS).unwrap_or(d.text_b);
        let history = chapter_history();
        let mut event = |key: &str, default: String| match reader.list(key).first() {
            None => default,
            Some(label) if history.find(label).is_some() => label.clone(),
            Some(label) => {
                reader.notices.push(format!("The figure has no event '{}'; using {default}.", shown(label)));
                default
            }
        };
        let first = event("e1", d.first);
        let second = event("e2", d.second);
        Shared { mode, step, text_a, text_b, first, second }
    }
}

#[function_component(VersionVectorsSim)]
pub fn version_vectors_sim(props: &VersionVectorsProps) -> Html {
    let progress = use_progress();
    let narrow = use_media_query("(max-width: 600px)");
    let linked = use_link::<Shared, NoAction, _>(&props.link, 0, Shared::default);
    let shared = &linked.settings;
    let mode = use_state(|| shared.mode);
    let world = use_memo(*mode, |m| CartWorld::shopping_cart(*m));
    let cursor = use_reducer(|| Cursor(shared.step));
    let text_a = use_state(|| shared.text_a.clone());
    let text_b = use_state(|| shared.text_b.clone());
    let history = use_memo((), |_| chapter_history());
    let first = use_state(|| history.find(&shared.first).unwrap_or(EventId(0)));
    let second = use_state(|| history.find(&shared.second).unwrap_or(EventId(0)));
    let ids = use_memo((), |_| {
        let next = crate::player::unique_id();
        (format!("vv-a-{next}"), format!("vv-b-{next}"), format!("vv-errors-{next}"))
    });

    let tried = {
        let chapter = props.chapter.to_owned();
        move || progress.dispatch(ProgressAction::TriedSimulation { chapter: chapter.clone(), name: NAME.into() })
    };
    let steps = world.steps();
    let last = steps.len().saturating_sub(1);
    let index = cursor.0.min(last);
    let go = {
        let cursor = cursor.clone();
        let tried = tried.clone();
        Callback::from(move |m: Move| {
            tried();
            cursor.dispatch((m, last));
        })
    };
    let click = |m: Move| {
        let go = go.clone();
        Callback::from(move |_: MouseEvent| go.emit(m))
    };
    let on_key = {
        let go = go.clone();
        Callback::from(move |e: KeyboardEvent| {
            let in_control = e
                .target_dyn_into::<web_sys::Element>()
                .map(|t| matches!(t.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON" | "A" | "SUMMARY"))
                .unwrap_or(false);
            if in_control || e.alt_key() || e.ctrl_key() || e.meta_key() {
                return;
            }
            match e.key().as_str() {
                "ArrowLeft" => {
                    e.prevent_default();
                    go.emit(Move::Previous);
                }
                "ArrowRight" => {
                    e.prevent_default();
                    go.emit(Move::Next);
                }
                _ => {}
            }
        })
    };
    let on_mode = {
        let mode = mode.clone();
        let tried = tried.clone();
        Callback::from(move |value: AttrValue| {
            tried();
            mode.set(if value.as_str() == "erase" { DeleteMode::Erase } else { DeleteMode::Tombstone });
        })
    };
    let on_text = |which: UseStateHandle<String>| {
        let tried = tried.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                tried();
                which.set(input.value().chars().take(INPUT_MAX_CHARS).collect());
            }
        })
    };
    let preset = |a: &'static str, b: &'static str| {
        let (text_a, text_b) = (text_a.clone(), text_b.clone());
        let tried = tried.clone();
        Callback::from(move |_: MouseEvent| {
            tried();
            text_a.set(a.to_owned());
            text_b.set(b.to_owned());
        })
    };
    let pick = |which: UseStateHandle<EventId>| {
        let history = history.clone();
        let tried = tried.clone();
        Callback::from(move |label: AttrValue| {
            if let Some(id) = history.find(&label) {
                tried();
                which.set(id);
            }
        })
    };
    let pair = |a: &'static str, b: &'static str| {
        let (first, second, history) = (first.clone(), second.clone(), history.clone());
        let tried = tried.clone();
        Callback::from(move |_: MouseEvent| {
            if let (Some(x), Some(y)) = (history.find(a), history.find(b)) {
                tried();
                first.set(x);
                second.set(y);
            }
        })
    };

    let label = |id: EventId| history.event(id).map_or(String::new(), |e| e.label.clone());
    let pairs = settings_pairs(Shared {
        mode: *mode,
        step: index,
        text_a: (*text_a).clone(),
        text_b: (*text_b).clone(),
        first: label(*first),
        second: label(*second),
    });

    let Some(step) = steps.get(index) else { return html! {} };
    let scene = Rc::new(cart_scene(steps, index, narrow));
    let text = narration(step, last);
    let details: Vec<&String> = step.details.iter().filter(|d| !step.description.contains(d.as_str())).collect();
    let next = steps.get(index + 1).and_then(|s| s.action.as_ref()).map(prediction);
    let canvas_label = format!(
        "Clients X and Y above replicas A and B, step {} of {last}: {}. {}. The narration and the table view give every vector.",
        step.number,
        step.action.as_ref().map_or("nothing has happened yet".to_owned(), action_sentence),
        step.state.replicas.iter().map(replica_summary).collect::<Vec<_>>().join("; ")
    );

    let result = verdict(&text_a, &text_b);
    let (id_a, id_b, id_errors) = (*ids).clone();
    let bad = |which: &str| matches!(&result, Verdict::Malformed(errors) if errors.iter().any(|e| e.which == which));
    let (bad_a, bad_b) = (bad("A"), bad("B"));

    let (e1, e2) = (*first, *second);
    let hb_scene = Rc::new(history_scene(&history, e1, e2, narrow));
    let hb = causality(&history, e1, e2);
    let event_options: Vec<(AttrValue, AttrValue)> = history
        .events()
        .iter()
        .map(|e| (AttrValue::from(e.label.clone()), AttrValue::from(format!("{} (node {})", e.label, e.node))))
        .collect();
    let label_of = |id: EventId| AttrValue::from(history.event(id).map_or(String::new(), |e| e.label.clone()));
    let hb_label =
        "Three nodes A, B and C as lanes; events in order along each lane, messages as lines between lanes; \
                    the two chosen events and any causal path between them are marked.";

    html! {
        <figure class="sim" aria-label={TITLE} tabindex="0" onkeydown={on_key}>
            <figcaption>
                <span class="sim-kicker">{ "Simulation" }</span>
                <span class="sim-title">{ TITLE }</span>
                <span class="sim-keys">{ "With the figure focused: ← and → go to the previous and next step." }</span>
            </figcaption>
            { link_notices(&linked.notices) }
            <SimCanvas {scene} label={canvas_label} />
            <div class="sim-actions" role="group" aria-label="Steps">
                <button type="button" onclick={click(Move::Previous)} disabled={index == 0}>{ "Previous Step" }</button>
                <button type="button" class="primary" onclick={click(Move::Next)} disabled={index >= last}>{ "Next Step" }</button>
                <button type="button" onclick={click(Move::To(BEFORE_BUTTER))}>{ "Skip to the butter case" }</button>
                <button type="button" onclick={click(Move::To(0))} disabled={index == 0}>{ "Start over" }</button>
            </div>
            <div class="sim-settings">
                <Choice label="When Y removes the butter" value={mode_value(*mode)} onchange={on_mode}
                    options={vec![
                        ("tombstone".into(), "Leave a tombstone (the fix)".into()),
                        ("erase".into(), "Erase it without a trace".into()),
                    ]} />
            </div>
            <CopyLink sim="version-vectors" chapter={props.chapter} {pairs} />
            <Narration text={text} />
            { (!details.is_empty()).then(|| html! {
                <div class="sim-panel">
                    <h3>{ "Why, entry by entry" }</h3>
                    <ul>{ for details.iter().map(|d| html! { <li>{ (*d).clone() }</li> }) }</ul>
                </div>
            }) }
            { next.map(|n| html! { <p class="sim-note">{ n }</p> }) }

            <div class="sim-panel">
                <h3>{ "Compare two version vectors" }</h3>
                <div class="sim-actions" role="group" aria-label="The course's exercises">
                    { for EXERCISES.iter().map(|(name, a, b)| html! {
                        <button type="button" onclick={preset(a, b)}>{ *name }</button>
                    }) }
                </div>
                <div class="sim-settings">
                    <div class="answer-input">
                        <label for={id_a.clone()}>{ "Version A" }</label>
                        <input id={id_a} type="text" value={(*text_a).clone()} oninput={on_text(text_a.clone())}
                            spellcheck="false" autocomplete="off" maxlength={INPUT_MAX_CHARS.to_string()}
                            aria-invalid={bad_a.to_string()} aria-describedby={bad_a.then(|| id_errors.clone())} />
                    </div>
                    <div class="answer-input">
                        <label for={id_b.clone()}>{ "Version B" }</label>
                        <input id={id_b} type="text" value={(*text_b).clone()} oninput={on_text(text_b.clone())}
                            spellcheck="false" autocomplete="off" maxlength={INPUT_MAX_CHARS.to_string()}
                            aria-invalid={bad_b.to_string()} aria-describedby={bad_b.then(|| id_errors.clone())} />
                    </div>
                </div>
                <div aria-live="polite">
                    { match &result {
                        Verdict::Compared { headline, summary, reasons, .. } => html! {
                            <>
                                <p><strong>{ headline.clone() }</strong>{ ". " }{ summary.clone() }</p>
                                <ul>{ for reasons.iter().map(|r| html! { <li>{ r.clone() }</li> }) }</ul>
                            </>
                        },
                        Verdict::Malformed(errors) => html! {
                            <div id={id_errors.clone()}>
                                { for errors.iter().map(|e| html! {
                                    <>
                                        <p><strong>{ e.message() }</strong></p>
                                        <pre class="code" aria-hidden="true">{ format!("{}\n{}", e.excerpt, e.caret) }</pre>
                                    </>
                                }) }
                            </div>
                        },
                    } }
                </div>
                <p class="sim-note">{ "Write vectors as {X:3, Y:2, Z:1}: replica names with counts; a missing entry counts as 0." }</p>
            </div>

            <div class="sim-panel">
                <h3>{ "Happens-before with vector clocks" }</h3>
                <SimCanvas scene={hb_scene} label={hb_label} />
                <div class="sim-settings">
                    <Choice label="First event" value={label_of(e1)} onchange={pick(first.clone())} options={event_options.clone()} />
                    <Choice label="Second event" value={label_of(e2)} onchange={pick(second.clone())} options={event_options} />
                </div>
                <div class="sim-actions" role="group" aria-label="The chapter's pairs">
                    <button type="button" onclick={pair("a1", "a3")}>{ "a1 and a3 (a causal chain)" }</button>
                    <button type="button" onclick={pair("b3", "c2")}>{ "b3 and c2 (no path)" }</button>
                </div>
                { hb.map(|c| html! {
                    <div aria-live="polite">
                        <p><strong>{ c.headline }</strong>{ ". " }{ c.sentence }</p>
                        <ul>{ for c.reasons.iter().map(|r| html! { <li>{ r.clone() }</li> }) }</ul>
                    </div>
                }) }
            </div>

            <TableToggle>
                <table class="state-table">
                    <caption>{ format!("Stored versions after step {index} of {last}") }</caption>
                    <thead><tr>
                        <th scope="col" class="wrap">{ "Replica" }</th><th scope="col" class="wrap">{ "Value" }</th>
                        <th scope="col" class="wrap">{ "Version vector" }</th><th scope="col" class="wrap">{ "Dot" }</th>
                    </tr></thead>
                    <tbody>
                        { for step.state.replicas.iter().map(|r| if r.siblings.is_empty() {
                            html! { <tr><th scope="row" class="wrap">{ r.replica.to_string() }</th><td class="wrap">{ "nothing stored" }</td><td class="wrap">{ "—" }</td><td class="wrap">{ "—" }</td></tr> }
                        } else {
                            let n = r.siblings.len();
                            r.siblings.iter().enumerate().map(|(i, s)| html! {
                                <tr>
                                    <th scope="row" class="wrap">{ if n > 1 { format!("{} (sibling {} of {n})", r.replica, i + 1) } else { r.replica.to_string() } }</th>
                                    <td class="wrap">{ s.cart.to_string() }</td>
                                    <td class="wrap">{ v(&s.version) }</td>
                                    <td class="wrap">{ s.dot.to_string() }</td>
                                </tr>
                            }).collect::<Html>()
                        }) }
                    </tbody>
                </table>
                <table class="state-table">
                    <caption>{ "Clients" }</caption>
                    <thead><tr><th scope="col" class="wrap">{ "Client" }</th><th scope="col" class="wrap">{ "Context (sent with its next write)" }</th><th scope="col" class="wrap">{ "Its copy of the cart" }</th></tr></thead>
                    <tbody>
                        { for step.state.clients.iter().map(|c| html! {
                            <tr><th scope="row" class="wrap">{ c.client.to_string() }</th><td class="wrap">{ v(&c.context) }</td><td class="wrap">{ c.cart.to_string() }</td></tr>
                        }) }
                    </tbody>
                </table>
                <table class="state-table">
                    <caption>{ "Steps so far" }</caption>
                    <thead><tr><th scope="col" class="wrap">{ "Step" }</th><th scope="col" class="wrap">{ "Action" }</th><th scope="col" class="wrap">{ "What happened" }</th></tr></thead>
                    <tbody>
                        { for steps[..=index].iter().map(|s| html! {
                            <tr><th scope="row" class="wrap">{ s.number }</th><td class="wrap">{ action_cell(&s.action) }</td><td class="wrap">{ s.description.clone() }</td></tr>
                        }) }
                    </tbody>
                </table>
                <table class="state-table">
                    <caption>{ "Happens-before: events and their vector clocks" }</caption>
                    <thead><tr><th scope="col" class="wrap">{ "Event" }</th><th scope="col" class="wrap">{ "Node" }</th><th scope="col" class="wrap">{ "Vector clock" }</th><th scope="col" class="wrap">{ "Receives a message from" }</th></tr></thead>
                    <tbody>
                        { for history.events().iter().map(|e| html! {
                            <tr>
                                <th scope="row" class="wrap">{ e.label.clone() }</th>
                                <td class="wrap">{ e.node.to_string() }</td>
                                <td class="wrap">{ e.clock.to_string() }</td>
                                <td class="wrap">{ e.received_from.and_then(|s| history.event(s)).map_or("—".to_owned(), |s| s.label.clone()) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </TableToggle>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(mode: DeleteMode) -> Vec<Step> {
        CartWorld::shopping_cart(mode).steps().to_vec()
    }

    #[test]
    fn the_cursor_stays_on_the_walkthrough() {
        assert_eq!(moved(0, 16, Move::Previous), 0);
        assert_eq!(moved(0, 16, Move::Next), 1);
        assert_eq!(moved(16, 16, Move::Next), 16);
        assert_eq!(moved(5, 16, Move::To(99)), 16);
        assert_eq!(moved(usize::MAX, 16, Move::Next), 16);
        assert_eq!(moved(3, 16, Move::To(BEFORE_BUTTER)), 7);
        let s = steps(DeleteMode::Tombstone);
        assert!(
            matches!(&s[BEFORE_BUTTER + 1].action, Some(CartAction::Write { edit: Edit::Add(item), .. }) if item == "butter")
        );
    }

    #[test]
    fn narration_gives_the_course_vectors_step_by_step() {
        let s = steps(DeleteMode::Tombstone);
        let last = s.len() - 1;
        assert_eq!(last, 16);
        assert!(narration(&s[1], last).starts_with(
            "Step 1 of 16: X adds milk and writes [milk] to A with context {A:0, B:0}; A stamps it {A:1, B:0}."
        ));
        let three = narration(&s[3], last);
        assert!(three.contains("{A:1, B:0} vs {A:0, B:1}: neither dominates"), "{three}");
        assert!(three.contains("Conflict: B holds 2 concurrent versions"), "{three}");
        assert!(
            three.ends_with(
                "Now A holds [milk] at {A:1, B:0}; B holds 2 siblings, [milk] at {A:1, B:0} and [eggs] at {A:0, B:1}."
            ),
            "{three}"
        );
        assert!(narration(&s[5], last).contains("B stamps it {A:1, B:2}"));
        assert_eq!(headline(&s, 3), Some(("Conflict: B holds 2 concurrent siblings".to_owned(), Tone::Bad)));
        assert_eq!(headline(&s, 5), Some(("Resolved: B's {A:1, B:2} dominates both siblings".to_owned(), Tone::Good)));
        assert_eq!(headline(&s, 6).map(|h| h.1), Some(Tone::Good));
        let end = headline(&s, last).unwrap();
        assert_eq!(end, ("Converged: A and B both hold {A:3, B:4}".to_owned(), Tone::Good));
    }

    #[test]
    fn without_tombstones_the_butter_comes_back_and_the_headline_says_so() {
        let s = steps(DeleteMode::Erase);
        let (text, tone) = headline(&s, 14).unwrap();
        assert_eq!(tone, Tone::Bad);
        assert_eq!(text, "Resurrection: butter is back in Y's cart; Y removed it");
        assert!(narration(&s[14], 16)
            .contains("Resurrection: butter is back in Y's merged cart although Y removed it at {A:2, B:3}."));
        let (text, tone) = headline(&s, 15).unwrap();
        assert_eq!((text.as_str(), tone), ("Resolved at {A:3, B:4}, but butter is back", Tone::Bad));
        let (text, tone) = headline(&s, 16).unwrap();
        assert_eq!((text.as_str(), tone), ("A and B agree on {A:3, B:4} — with butter back in it", Tone::Bad));
    }

    #[test]
    fn every_step_fits_the_figure_in_both_layouts() {
        for mode in [DeleteMode::Tombstone, DeleteMode::Erase] {
            let s = steps(mode);
            for i in 0..s.len() {
                for narrow in [false, true] {
                    let scene = cart_scene(&s, i, narrow);
                    assert_eq!(scene.nodes.len(), 4, "X, Y, A, B");
                    let inside = |p: Point| p.x >= 0.0 && p.x <= scene.width && p.y >= 0.0 && p.y <= scene.height;
                    assert!(scene.nodes.iter().all(|n| inside(n.at)));
                    assert!(scene.captions.iter().all(|c| inside(c.at)), "step {i} narrow {narrow}");
                    assert!(scene.dots.iter().all(|d| inside(d.at)));
                    let solid = scene.links.iter().filter(|l| l.style == LinkStyle::Solid).count();
                    assert_eq!(solid, usize::from(i > 0), "the step's link is drawn solid");
                    // Every sibling's vector is on the canvas.
                    for r in &s[i].state.replicas {
                        for sib in &r.siblings {
                            let vector = v(&sib.version);
                            assert!(scene.captions.iter().any(|c| c.text.contains(&vector)), "{vector} at step {i}");
                        }
                    }
                    // Headlines fit (about 10.5 px per character in bold at 18 px; 6.6 px at 12.5 px).
                    for c in scene.captions.iter().filter(|c| c.align == Align::Center) {
                        let per_char = if c.strong { 10.5 } else { 6.6 };
                        assert!(per_char * c.text.chars().count() as f64 <= scene.width, "{}", c.text);
                    }
                    // The narrow ledger stays inside the canvas's width.
                    if narrow {
                        for c in scene.captions.iter().filter(|c| c.align == Align::Left) {
                            assert!(12.0 + 6.6 * c.text.chars().count() as f64 <= scene.width, "{}", c.text);
                        }
                    }
                }
            }
        }
        assert_eq!(cart_scene(&[], 3, false).nodes.len(), 0, "no steps, empty figure, no panic");
    }

    #[test]
    fn the_four_exercises_get_the_four_verdicts() {
        let got: Vec<String> = EXERCISES
            .iter()
            .map(|(_, a, b)| match verdict(a, b) {
                Verdict::Compared { headline, .. } => headline,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(got, ["A happened after B", "Concurrent", "B happened after A", "Identical"]);
        let Verdict::Compared { reasons, .. } = verdict(EXERCISES[1].1, EXERCISES[1].2) else { panic!() };
        assert_eq!(
            reasons,
            ["X: 3 > 2, so A has seen a write B has not.", "Y: 2 < 4, so B has seen 2 writes A has not."]
        );
    }

    #[test]
    fn malformed_input_is_pointed_at() {
        let Verdict::Malformed(errors) = verdict("{X:3 Y:2}", "{X:}") else { panic!() };
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].message(), "Version A, column 6: expected ',' or '}' after an entry, found 'Y'.");
        assert_eq!(errors[0].excerpt, "{X:3 Y:2}");
        assert_eq!(errors[0].caret, "     ^");
        assert_eq!(errors[1].which, "B");
        assert_eq!(errors[1].caret, "   ^");
        // Multi-byte text, an error past the end, and a long input all give a caret inside the excerpt.
        let (excerpt, caret) = caret_excerpt("{é:1}", 2);
        assert_eq!((excerpt.as_str(), caret.as_str()), ("{é:1}", " ^"));
        assert_eq!(caret_excerpt("{X:3", 5), ("{X:3".to_owned(), "    ^".to_owned()));
        let long = format!("{{{}}}", (0..40).map(|i| format!("r{i}:1")).collect::<Vec<_>>().join(", ")) + " !";
        let Verdict::Malformed(errors) = verdict(&long, "{}") else { panic!() };
        let e = &errors[0];
        assert_eq!(e.excerpt.chars().nth(e.caret.chars().count() - 1), Some('!'));
        assert!(e.excerpt.chars().count() <= ERROR_WINDOW_CHARS + 2);
        assert_eq!(caret_excerpt("", 4097), (String::new(), "^".to_owned()));
    }

    #[test]
    fn the_chapters_partial_order_has_the_chapters_clocks() {
        let h = chapter_history();
        let clock = |label: &str| h.event(h.find(label).unwrap()).unwrap().clock.to_string();
        assert_eq!(clock("b3"), "{A:2, B:3, C:1}");
        assert_eq!(clock("c2"), "{C:2}");
        assert_eq!(clock("a1"), "{A:1}");
        assert_eq!(clock("a3"), "{A:3, B:2, C:1}");
        let id = |label: &str| h.find(label).unwrap();
        assert!(h.happened_before(id("a1"), id("a3")));
        assert!(h.concurrent(id("b3"), id("c2")));
        // The model's own reading of the course agrees on the verdicts.
        let course = History::course_example();
        let cid = |label: &str| course.find(label).unwrap();
        assert!(course.happened_before(cid("a1"), cid("a3")) && course.concurrent(cid("b3"), cid("c2")));

        let c = causality(&h, id("b3"), id("c2")).unwrap();
        assert_eq!(c.headline, "b3 ‖ c2: concurrent");
        assert!(c
            .sentence
            .starts_with("b3 has clock {A:2, B:3, C:1} and c2 has {C:2}. b3 is ahead on A and B and c2 on C"));
        let c = causality(&h, id("a3"), id("a1")).unwrap();
        assert_eq!(c.headline, "a1 → a3: a1 happened before a3");
        assert_eq!(c.reasons[0], "A: 3 > 1, so a3 has seen 2 events on A that a1 has not.");
        assert!(causality(&h, id("a1"), EventId(99)).is_none());
    }

    #[test]
    fn the_diagram_marks_the_chosen_events_and_the_path() {
        let h = chapter_history();
        let id = |label: &str| h.find(label).unwrap();
        for narrow in [false, true] {
            let s = history_scene(&h, id("a1"), id("a3"), narrow);
            assert_eq!(s.bands.len(), 3, "one lane per node");
            assert_eq!(s.dots.len(), 13);
            assert_eq!(s.links.len(), 4, "c1→b1, a2→b2, b2→a3, c3→b5");
            // a1, a2, b2, a3 are on the path; the two messages a2→b2 and b2→a3 are drawn solid.
            let on = s.dots.iter().filter(|d| d.kind != DotKind::Read).count();
            assert_eq!(on, 4);
            assert_eq!(s.links.iter().filter(|l| l.style == LinkStyle::Solid).count(), 2);
            assert!(s.captions.iter().any(|c| c.text == "{A:3, B:2, C:1}"));
            let inside = |p: Point| p.x >= 0.0 && p.x <= s.width && p.y >= 0.0 && p.y <= s.height;
            assert!(s.captions.iter().all(|c| inside(c.at)) && s.dots.iter().all(|d| inside(d.at)));
            let concurrent = history_scene(&h, id("b3"), id("c2"), narrow);
            assert!(concurrent.links.iter().all(|l| l.style == LinkStyle::Solid), "no path: every message plain");
            assert!(concurrent.captions.iter().any(|c| c.text == "b3 ‖ c2: concurrent"));
            let same = history_scene(&h, id("b3"), id("b3"), narrow);
            assert_eq!(same.captions.iter().filter(|c| c.text == "{A:2, B:3, C:1}").count(), 1);
        }
    }
}
