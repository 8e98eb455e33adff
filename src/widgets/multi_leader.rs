//! S5 "Multi-leader write conflict" (chapter 5): two leaders accept conflicting writes to one record at the
//! same instant, and the chosen resolution decides what survives — last-write-wins by timestamp or by replica
//! priority, merged values, siblings kept for a reader, or a G-Counter that never conflicts. Per-leader clock
//! skew shows last-write-wins trusting the clocks (the course's create at t=100 beating a delete at t=99); a
//! topology select with Kill/Restart shows which shapes stop propagating when a leader fails; and a small
//! panel applies the chapter's concurrent edits of `HELLO` naively and with operational transformation.

use std::rc::Rc;

use sim::multi_leader::{
    apply_text_op, preset_leaders, stamp, transform, Action, AnomalyKind, Config, Health as LeaderHealth, LeaderView,
    LinkState, MessageKind, MultiLeader, NodeId, Op, OtError, Shown, Strategy, TextOp, Topology, Value,
    CLOCK_SKEW_MS_MAX, LEADERS_MAX, LEADERS_MIN,
};
use sim::{Model, Replay, Time};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::canvas::{
    Align, Caption, Dot, DotKind, Glyph, Health, Link, LinkStyle, NodeGlyph, Point, Scene, SimCanvas, Tone,
};
use crate::player::{
    link_notices, use_link, use_link_run, use_media_query, use_player, Choice, CopyLink, Narration, PlayerControls,
    PlayerSetup, SimFigure, Slider, TableToggle,
};
use crate::progress::{use_progress, ProgressAction};
use crate::share::{numbers_value, ActionToken, Pairs, Params, Reader, Shareable};
use crate::widgets::presets::{Preset, PresetState};

const TITLE: &str = "Multi-leader write conflict";
/// Cross-continent messages take 150-240 ms; at a quarter of real time one crosses the figure in about a second.
pub(crate) const SETUP: PlayerSetup =
    PlayerSetup { horizon: Time::from_ms(10_000), default_seed: 1, sim_ms_per_real_ms: 0.25 };
/// The clock-skew sliders span plus or minus two seconds (the model allows a minute).
const SKEW_SLIDER_MS: i64 = 2_000;
/// The gap between a triggered conflict's two writes, at most.
const GAP_SLIDER_MS: i64 = 500;
/// Characters of a value in a node's detail line: about what fits in a node box.
const DETAIL_CHARS: usize = 16;
/// The record the create/delete scenario creates.
const CREATED: &str = "Customer 7";
/// The chapter's text for operational transformation.
const OT_TEXT: &str = "HELLO";

/// How the leaders are wired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Circular,
    /// Virginia (n1) is the hub.
    Star,
    AllToAll,
}

impl Shape {
    pub const ALL: [Shape; 3] = [Shape::Circular, Shape::Star, Shape::AllToAll];

    pub fn value(self) -> &'static str {
        match self {
            Shape::Circular => "circular",
            Shape::Star => "star",
            Shape::AllToAll => "all-to-all",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Shape::Circular => "Circular (a ring)",
            Shape::Star => "Star (Virginia is the hub)",
            Shape::AllToAll => "All-to-all",
        }
    }

    pub fn parse(value: &str) -> Shape {
        Shape::ALL.into_iter().find(|s| s.value() == value).unwrap_or(Shape::AllToAll)
    }

    pub fn topology(self) -> Topology {
        match self {
            Shape::Circular => Topology::Circular,
            Shape::Star => Topology::Star { hub: NodeId(1) },
            Shape::AllToAll => Topology::AllToAll,
        }
    }
}

/// What the run starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// The course's customer 42, "123 Main St, NYC" everywhere; the reader presses Trigger Conflict.
    Address,
    /// The course's hazard: at t=0 Virginia creates customer 7 (its clock reads 100.000) and Frankfurt deletes
    /// it (its clock, a second slow, reads 99.000).
    CreateDelete,
}

impl Scenario {
    pub fn value(self) -> &'static str {
        match self {
            Scenario::Address => "address",
            Scenario::CreateDelete => "create-delete",
        }
    }

    pub fn parse(value: &str) -> Scenario {
        if value == Scenario::CreateDelete.value() {
            Scenario::CreateDelete
        } else {
            Scenario::Address
        }
    }
}

pub fn strategy_value(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::LastWriteWinsTimestamp => "lww-timestamp",
        Strategy::LastWriteWinsPriority => "lww-priority",
        Strategy::MergeValues => "merge",
        Strategy::KeepSiblings => "siblings",
        Strategy::GCounter => "g-counter",
    }
}

pub fn parse_strategy(value: &str) -> Strategy {
    Strategy::ALL.into_iter().find(|s| strategy_value(*s) == value).unwrap_or(Strategy::LastWriteWinsTimestamp)
}

/// The settings the reader picks; every change builds a new run.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub strategy: Strategy,
    pub shape: Shape,
    /// One clock skew per leader, Virginia first; its length is the number of leaders.
    pub skews_ms: Vec<i64>,
    pub gap_ms: u64,
    pub scenario: Scenario,
}

impl Default for Settings {
    /// The model's defaults: Virginia, Frankfurt and Tokyo all-to-all, last-write-wins by timestamp, clocks
    /// 1 ms and 3 ms fast (the course's `.001` and `.003`) and Tokyo's 250 ms slow.
    fn default() -> Self {
        let config = Config::default();
        Settings {
            strategy: config.strategy,
            shape: Shape::AllToAll,
            skews_ms: config.leaders.iter().map(|l| l.clock_skew_ms).collect(),
            gap_ms: config.conflict_gap_ms,
            scenario: Scenario::Address,
        }
    }
}

impl Settings {
    /// The default, with the resolution a preset names.
    pub fn from_preset(preset: Option<&Preset>) -> Settings {
        match preset.map(|p| p.state) {
            Some(PresetState::MultiLeader { strategy }) => Settings { strategy, ..Settings::default() },
            _ => Settings::default(),
        }
    }

    pub fn leader_count(&self) -> usize {
        self.skews_ms.len().clamp(LEADERS_MIN, LEADERS_MAX)
    }

    /// The same settings with `n` leaders; a new leader gets its preset clock.
    pub fn with_leaders(&self, n: i64) -> Settings {
        let n = n.clamp(LEADERS_MIN as i64, LEADERS_MAX as i64) as usize;
        let presets = preset_leaders(LEADERS_MAX);
        let mut skews_ms = self.skews_ms.clone();
        skews_ms.truncate(n);
        while skews_ms.len() < n {
            skews_ms.push(presets[skews_ms.len()].clock_skew_ms);
        }
        Settings { skews_ms, ..self.clone() }
    }

    /// The same settings in `scenario`, with Virginia's and Frankfurt's clocks set as its story needs.
    pub fn with_scenario(&self, scenario: Scenario) -> Settings {
        let mut next = self.with_leaders(self.leader_count() as i64);
        let presets = preset_leaders(2);
        let (va, eu) = match scenario {
            Scenario::Address => (presets[0].clock_skew_ms, presets[1].clock_skew_ms),
            Scenario::CreateDelete => (0, -1_000),
        };
        next.skews_ms[0] = va;
        next.skews_ms[1] = eu;
        next.scenario = scenario;
        next
    }

    pub fn config(&self) -> Config {
        let mut leaders = preset_leaders(self.leader_count());
        for (leader, skew) in leaders.iter_mut().zip(&self.skews_ms) {
            leader.clock_skew_ms = (*skew).clamp(-CLOCK_SKEW_MS_MAX, CLOCK_SKEW_MS_MAX);
        }
        let base = Config {
            leaders,
            topology: self.shape.topology(),
            strategy: self.strategy,
            conflict_gap_ms: self.gap_ms.min(GAP_SLIDER_MS as u64),
            ..Config::default()
        };
        let config = match self.scenario {
            Scenario::Address => base,
            // Clocks count seconds from 0 as the course does, and start at 100: the create is stamped 100.000.
            Scenario::CreateDelete => {
                Config { record: "customer_7".to_owned(), initial_value: None, wall_clock_start_ms: 100_000, ..base }
            }
        };
        config.clamped()
    }

    /// A new run. The create/delete scenario starts with its two writes at t=0.
    pub fn build(&self, seed: u64) -> MultiLeader {
        let mut model = MultiLeader::new(seed, self.config());
        if self.scenario == Scenario::CreateDelete {
            model.apply(&Action::Write { leader: NodeId(1), op: Op::Set(CREATED.to_owned()) });
            model.apply(&Action::Write { leader: NodeId(2), op: Op::Delete });
        }
        model
    }
}

/// What one resolution makes of the scenario's conflict, run to the end with no failures.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub strategy: Strategy,
    /// What the leaders show once the network is quiet: one entry if they agree.
    pub shown: Vec<(String, Shown)>,
    pub lost: u64,
    pub refused: u64,
    pub kinds: Vec<AnomalyKind>,
}

/// The scenario's conflict (Trigger Conflict at t=0 for the address) under every resolution, with the reader's
/// clocks, gap and topology.
pub fn outcomes(settings: &Settings, seed: u64) -> Vec<Outcome> {
    Strategy::ALL
        .into_iter()
        .map(|strategy| {
            let s = Settings { strategy, ..settings.clone() };
            let mut run = Replay::new(s.build(seed), SETUP.horizon);
            if s.scenario == Scenario::Address {
                run.act(Action::TriggerConflict);
            }
            run.seek(SETUP.horizon);
            let m = run.model();
            let leaders = m.leaders();
            let agree = leaders.windows(2).all(|w| w[0].shown == w[1].shown);
            let shown = if agree {
                leaders.first().map(|l| ("every leader".to_owned(), l.shown.clone())).into_iter().collect()
            } else {
                leaders.iter().map(|l| (l.name.clone(), l.shown.clone())).collect()
            };
            let mut kinds: Vec<AnomalyKind> = Vec::new();
            for a in m.anomalies() {
                if a.kind != AnomalyKind::WriteDiscarded && !kinds.contains(&a.kind) {
                    kinds.push(a.kind);
                }
            }
            let metrics = m.metrics();
            Outcome { strategy, shown, lost: metrics.writes_discarded, refused: metrics.writes_refused, kinds }
        })
        .collect()
}

/// "every leader: "123 Main Street, NYC"; 1 write(s) silently lost."
pub fn outcome_words(o: &Outcome) -> String {
    let shown: Vec<String> = o.shown.iter().map(|(who, s)| format!("{who} shows {s}")).collect();
    let mut also: Vec<String> =
        vec![if o.lost == 0 { "nothing lost".to_owned() } else { format!("{} write(s) silently lost", o.lost) }];
    also.extend(o.kinds.iter().map(|k| kind_words(*k).to_owned()));
    if o.refused > 0 {
        also.push(format!("{} write(s) refused: a counter only counts", o.refused));
    }
    format!("{}; {}.", shown.join("; "), also.join("; "))
}

fn kind_words(kind: AnomalyKind) -> &'static str {
    match kind {
        AnomalyKind::WriteDiscarded => "write silently lost",
        AnomalyKind::WrongWinner => "skew picked the wrong winner",
        AnomalyKind::DeleteIgnored => "a delete was ignored",
        AnomalyKind::Resurrected => "a deleted record came back",
    }
}

/// A value cut to `chars` characters, with an ellipsis when something was cut.
pub fn fit(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(chars.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// What a node's detail line says a read there returns, short enough for the box.
pub fn detail(shown: &Shown) -> String {
    match shown {
        Shown::Absent => "(absent)".to_owned(),
        Shown::One(Value::Text(text)) => fit(text, DETAIL_CHARS),
        Shown::One(Value::Deleted) => "(deleted)".to_owned(),
        Shown::One(Value::Count(counter)) => {
            let full = counter.to_string();
            if full.chars().count() <= DETAIL_CHARS {
                full
            } else {
                format!("count {}", counter.value())
            }
        }
        Shown::Siblings(values) => format!("{} siblings", values.len()),
    }
}

fn skew_words(skew_ms: i64) -> String {
    match skew_ms {
        0 => "clock exact".to_owned(),
        s if s > 0 => format!("clock +{s} ms"),
        s => format!("clock −{} ms", s.unsigned_abs()),
    }
}

/// Where leader `i` of `n` sits: around an ellipse, Virginia at the upper left, in order clockwise.
pub fn seat(i: usize, n: usize, narrow: bool) -> Point {
    let (cx, cy, rx, ry) = if narrow { (180.0, 255.0, 120.0, 140.0) } else { (360.0, 195.0, 250.0, 115.0) };
    let n = n.clamp(1, LEADERS_MAX) as f64;
    let angle = 1.5 * std::f64::consts::PI - std::f64::consts::PI / n + std::f64::consts::TAU * i as f64 / n;
    Point::new(cx + rx * angle.cos(), cy + ry * angle.sin())
}

fn size(narrow: bool) -> (f64, f64) {
    if narrow {
        (360.0, 470.0)
    } else {
        (720.0, 380.0)
    }
}

fn short_of(leaders: &[LeaderView], id: NodeId) -> String {
    leaders.iter().find(|l| l.id == id).map_or_else(|| id.to_string(), |l| l.short.clone())
}

/// The topology in a few words: "ring VA → EU → TYO → VA".
pub fn topology_words(model: &MultiLeader, leaders: &[LeaderView]) -> String {
    let pairs = pairs(model).len();
    match model.config().topology {
        Topology::Circular => {
            let mut names: Vec<String> = leaders.iter().map(|l| l.short.clone()).collect();
            if let Some(first) = names.first().cloned() {
                names.push(first);
            }
            format!("ring {}", names.join(" → "))
        }
        Topology::Star { hub } => format!("star through {} · {pairs} links", short_of(leaders, hub)),
        Topology::AllToAll => format!("all-to-all · {pairs} links"),
    }
}

/// The topology's links without direction: each pair once, broken if either direction is.
fn pairs(model: &MultiLeader) -> Vec<(NodeId, NodeId, LinkState)> {
    let mut out: Vec<(NodeId, NodeId, LinkState)> = Vec::new();
    for link in model.links() {
        let (a, b) = if link.from < link.to { (link.from, link.to) } else { (link.to, link.from) };
        match out.iter_mut().find(|(x, y, _)| *x == a && *y == b) {
            Some(pair) => {
                if link.state == LinkState::Broken {
                    pair.2 = LinkState::Broken;
                }
            }
            None => out.push((a, b, link.state)),
        }
    }
    out
}

/// The figure for the current moment: leaders showing what a read returns, the topology's links, the changes in
/// flight, and a headline saying what the conflicts have cost so far.
pub fn scene(model: &MultiLeader, now: Time, narrow: bool) -> Scene {
    let (width, height) = size(narrow);
    let mut scene = Scene { width, height, ..Scene::default() };
    let leaders = model.leaders();
    let n = leaders.len();
    let index = |id: NodeId| leaders.iter().position(|l| l.id == id);
    let at = |id: NodeId| seat(index(id).unwrap_or(0), n, narrow);
    for (a, b, state) in pairs(model) {
        let style = if state == LinkState::Broken { LinkStyle::Broken } else { LinkStyle::Solid };
        scene.links.push(Link { from: at(a), to: at(b), style });
    }
    for (i, l) in leaders.iter().enumerate() {
        let p = seat(i, n, narrow);
        scene.nodes.push(NodeGlyph {
            at: p,
            glyph: Glyph::Leader,
            health: if l.health == LeaderHealth::Up { Health::Up } else { Health::Down },
            name: l.name.clone(),
            detail: detail(&l.shown),
        });
        let held = if l.pending > 0 { format!(" · {} held", l.pending) } else { String::new() };
        scene.captions.push(Caption {
            at: Point::new(p.x, p.y + 44.0),
            text: format!("{}{held}", skew_words(l.clock_skew_ms)),
            tone: Tone::Muted,
            strong: false,
            align: Align::Center,
        });
    }
    for m in model.messages() {
        let span = m.deliver_at.ms_since(m.sent_at).max(1) as f64;
        let t = now.ms_since(m.sent_at) as f64 / span;
        let kind = match m.kind {
            MessageKind::Change | MessageKind::CatchUp => DotKind::Replication,
            MessageKind::Resync => DotKind::Control,
        };
        scene.dots.push(Dot { at: at(m.from).lerp(at(m.to), t), kind });
    }
    let metrics = model.metrics();
    let siblings = leaders
        .iter()
        .filter_map(|l| match &l.shown {
            Shown::Siblings(v) => Some(v.len()),
            _ => None,
        })
        .max();
    let (headline, tone) = if metrics.resurrections + metrics.deletes_ignored > 0 {
        ("a deleted record is back".to_owned(), Tone::Bad)
    } else if metrics.writes_discarded > 0 {
        (format!("{} write(s) silently lost", metrics.writes_discarded), Tone::Bad)
    } else if let Some(k) = siblings {
        (format!("{k} versions kept for a reader"), Tone::Normal)
    } else if leaders.windows(2).all(|w| w[0].shown == w[1].shown && w[0].seen == w[1].seen) {
        ("all leaders agree".to_owned(), Tone::Good)
    } else {
        ("leaders disagree".to_owned(), Tone::Muted)
    };
    scene.captions.push(Caption {
        at: Point::new(width / 2.0, 22.0),
        text: headline,
        tone,
        strong: true,
        align: Align::Center,
    });
    scene.captions.push(Caption {
        at: Point::new(width / 2.0, 46.0),
        text: topology_words(model, &leaders),
        tone: Tone::Muted,
        strong: false,
        align: Align::Center,
    });
    scene
}

/// The value a "Write" button sends: a new street for text, one page view for the counter.
pub fn next_op(model: &MultiLeader, leader: NodeId) -> Op {
    if model.config().strategy.is_counter() {
        return Op::Increment(1);
    }
    let short = model.leader(leader).map(|l| l.short).unwrap_or_default();
    Op::Set(format!("{} Harbor Rd ({short})", 10 + model.metrics().writes_accepted))
}

/// "All 3 leaders show …", or what each shows when they differ.
pub fn summary(leaders: &[LeaderView], record: &str) -> String {
    let down = |l: &LeaderView| if l.health == LeaderHealth::Down { " (down)" } else { "" };
    match leaders.first() {
        Some(first) if leaders.iter().all(|l| l.shown == first.shown) => {
            format!("All {} leaders show {record} = {}.", leaders.len(), first.shown)
        }
        _ => {
            let each: Vec<String> =
                leaders.iter().map(|l| format!("{}{} shows {}", l.name, down(l), l.shown)).collect();
            format!("The leaders differ on {record}: {}.", each.join("; "))
        }
    }
}

fn version_vector(l: &LeaderView, leaders: &[LeaderView]) -> String {
    let parts: Vec<String> = l.seen.iter().map(|(id, lsn)| format!("{}:{}", short_of(leaders, *id), lsn.0)).collect();
    parts.join(" ")
}

fn describe_op(op: TextOp, text: &str) -> String {
    match op {
        TextOp::Insert { pos, ch } => format!("insert \"{ch}\" at {pos}"),
        TextOp::Delete { pos } => match text.chars().nth(pos) {
            Some(c) => format!("delete position {pos} (\"{c}\")"),
            None => format!("delete position {pos}"),
        },
        TextOp::Nothing => "nothing (already deleted)".to_owned(),
    }
}

/// One replica applying its own edit, then the other's (transformed against its own, or not).
#[derive(Clone, Debug, PartialEq)]
pub struct OtReplica {
    /// "HELLO → insert "X" at 1 → HXELLO → delete position 4 ("L") → HXELO"
    pub steps: String,
    pub result: Result<String, OtError>,
}

fn ot_replica(own: TextOp, incoming: TextOp, transformed: bool) -> OtReplica {
    let second = if transformed { transform(incoming, own) } else { incoming };
    let first_text = apply_text_op(OT_TEXT, own);
    let result = first_text.clone().and_then(|t| apply_text_op(&t, second));
    let steps = match (&first_text, &result) {
        (Ok(mid), Ok(end)) => {
            format!("{OT_TEXT} → {} → {mid} → {} → {end}", describe_op(own, OT_TEXT), describe_op(second, mid))
        }
        (Ok(mid), Err(e)) => {
            format!("{OT_TEXT} → {} → {mid} → {}: {e}", describe_op(own, OT_TEXT), describe_op(second, mid))
        }
        (Err(e), _) => format!("{OT_TEXT} → {}: {e}", describe_op(own, OT_TEXT)),
    };
    OtReplica { steps, result }
}

/// The chapter's two concurrent edits of `HELLO` — A inserts "X" at `a_pos`, B deletes `b_pos` — at A's site
/// and at B's, each applying its own edit first; and a sentence on whether they agree and kept both intentions.
pub fn ot_panel(a_pos: usize, b_pos: usize, transformed: bool) -> (OtReplica, OtReplica, String) {
    let len = OT_TEXT.chars().count();
    let a = TextOp::Insert { pos: a_pos.min(len), ch: 'X' };
    let b = TextOp::Delete { pos: b_pos.min(len - 1) };
    let at_a = ot_replica(a, b, transformed);
    let at_b = ot_replica(b, a, transformed);
    let meant = OT_TEXT.chars().nth(b_pos.min(len - 1)).unwrap_or(' ');
    let verdict = match (&at_a.result, &at_b.result) {
        (Ok(x), Ok(y)) if x == y => format!(
            "Both replicas end with {x}: A's \"X\" is in and B's \"{meant}\" is out, whichever edit came first."
        ),
        (Ok(x), Ok(y)) => {
            let second = if transformed { transform(b, a) } else { b };
            let removed = apply_text_op(OT_TEXT, a)
                .ok()
                .and_then(|mid| match second {
                    TextOp::Delete { pos } => mid.chars().nth(pos),
                    _ => None,
                })
                .map_or_else(String::new, |c| format!(" A's replica deleted \"{c}\" where B meant \"{meant}\"."));
            format!("The replicas disagree: {x} at A's site, {y} at B's.{removed}")
        }
        _ => "An edit fell outside the text; nothing was applied.".to_owned(),
    };
    (at_a, at_b, verdict)
}

#[derive(Properties, PartialEq)]
pub struct MultiLeaderProps {
    pub chapter: &'static str,
    #[prop_or_default]
    pub preset: Option<&'static Preset>,
    /// A shared link's state for this simulation.
    #[prop_or_default]
    pub link: Option<Rc<Params>>,
}

/// Everything the reader can set in this figure: the run's settings, the leader the buttons act on, and the
/// operational-transform panel.
#[derive(Clone, Debug, PartialEq)]
pub struct Shared {
    pub settings: Settings,
    pub selected: u8,
    pub ot_insert_at: i64,
    pub ot_delete_at: i64,
    pub ot_transform: bool,
}

impl Default for Shared {
    fn default() -> Self {
        Shared { settings: Settings::default(), selected: 1, ot_insert_at: 1, ot_delete_at: 4, ot_transform: false }
    }
}

/// The operational-transform sliders: an insert anywhere in "HELLO" (0–5), a delete of one of its letters (0–4).
const OT_INSERT_MAX: i64 = 5;
const OT_DELETE_MAX: i64 = 4;

impl Shareable for Shared {
    fn write(&self, out: &mut Pairs) {
        let s = &self.settings;
        out.push(("resolve", strategy_value(s.strategy).to_owned()));
        out.push(("topology", s.shape.value().to_owned()));
        out.push(("story", s.scenario.value().to_owned()));
        out.push(("skews", numbers_value(&s.skews_ms)));
        out.push(("gap", s.gap_ms.to_string()));
        out.push(("leader", self.selected.to_string()));
        out.push(("ot", numbers_value(&[self.ot_insert_at, self.ot_delete_at])));
        out.push(("transform", if self.ot_transform { "1" } else { "0" }.to_owned()));
    }

    fn read(reader: &mut Reader<'_>) -> Self {
        let d = Shared::default();
        let strategies: Vec<(&str, Strategy)> = Strategy::ALL.iter().map(|s| (strategy_value(*s), *s)).collect();
        let shapes: Vec<(&str, Shape)> = Shape::ALL.iter().map(|s| (s.value(), *s)).collect();
        let stories =
            [(Scenario::Address.value(), Scenario::Address), (Scenario::CreateDelete.value(), Scenario::CreateDelete)];
        let strategy = reader.choice("resolve", "resolution", &strategies, d.settings.strategy);
        let shape = reader.choice("topology", "topology", &shapes, d.settings.shape);
        let scenario = reader.choice("story", "story", &stories, d.settings.scenario);
        // The story sets the first two clocks; explicit skews in the link then say what the reader had.
        let base = Settings { strategy, shape, ..d.settings.clone() }.with_scenario(scenario);
        let skews_ms = reader.numbers(
            "skews",
            "clock skews (ms)",
            LEADERS_MIN..=LEADERS_MAX,
            -SKEW_SLIDER_MS..=SKEW_SLIDER_MS,
            &base.skews_ms,
        );
        let gap_ms = reader.number("gap", "Conflict gap (ms)", 0..=GAP_SLIDER_MS as u64, base.gap_ms);
        let settings = Settings { skews_ms, gap_ms, ..base };
        let selected = reader.number("leader", "Selected leader", 1..=settings.leader_count() as u8, d.selected);
        let ot =
            reader.numbers("ot", "transform positions", 2..=2, 0..=OT_INSERT_MAX, &[d.ot_insert_at, d.ot_delete_at]);
        Shared {
            settings,
            selected,
            ot_insert_at: ot[0],
            ot_delete_at: ot[1].min(OT_DELETE_MAX),
            ot_transform: reader.flag("transform", "Transform", d.ot_transform),
        }
    }
}

/// The reader's buttons, as a link writes them: `conflict`, `kill-2`, `restart-2`, `keep-1-0` (leader, sibling),
/// `write-1-set-<text>`, `write-2-del`, `write-1-inc-<n>`.
impl ActionToken for Action {
    fn token(&self) -> Option<String> {
        Some(match self {
            Action::TriggerConflict => "conflict".to_owned(),
            Action::KillLeader(n) => format!("kill-{}", n.0),
            Action::RestartLeader(n) => format!("restart-{}", n.0),
            Action::ResolveSiblings { leader, keep } => format!("keep-{}-{keep}", leader.0),
            Action::Write { leader, op: Op::Set(text) } => format!("write-{}-set-{text}", leader.0),
            Action::Write { leader, op: Op::Delete } => format!("write-{}-del", leader.0),
            Action::Write { leader, op: Op::Increment(by) } => format!("write-{}-inc-{by}", leader.0),
        })
    }

    fn from_token(token: &str) -> Option<Self> {
        let node = |text: &str| text.parse::<u8>().ok().map(NodeId);
        if token == "conflict" {
            return Some(Action::TriggerConflict);
        }
        let (verb, rest) = token.split_once('-')?;
        match verb {
            "kill" => node(rest).map(Action::KillLeader),
            "restart" => node(rest).map(Action::RestartLeader),
            "keep" => {
                let (leader, keep) = rest.split_once('-')?;
                Some(Action::ResolveSiblings { leader: node(leader)?, keep: keep.parse().ok()? })
            }
            "write" => {
                let mut parts = rest.splitn(3, '-');
                let leader = node(parts.next()?)?;
                let op = match (parts.next()?, parts.next()) {
                    ("set", Some(text)) => Op::Set(text.to_owned()),
                    ("del", None) => Op::Delete,
                    ("inc", Some(by)) => Op::Increment(by.parse().ok()?),
                    _ => return None,
                };
                Some(Action::Write { leader, op })
            }
            _ => None,
        }
    }
}

#[function_component(MultiLeaderSim)]
pub fn multi_leader_sim(props: &MultiLeaderProps) -> Html {
    let progress = use_progress();
    let on_first_use = {
        let chapter = props.chapter.to_owned();
        Callback::from(move |_| {
            progress.dispatch(ProgressAction::TriedSimulation { chapter: chapter.clone(), name: "multi-leader".into() })
        })
    };
    let linked = use_link::<Shared, Action, _>(&props.link, SETUP.default_seed, || Shared {
        settings: Settings::from_preset(props.preset),
        ..Shared::default()
    });
    let shared = &linked.settings;
    let settings = use_state(|| shared.settings.clone());
    let narrow = use_media_query("(max-width: 600px)");
    let initial = (*settings).clone();
    let player = use_player(move |seed| initial.build(seed), SETUP, on_first_use.clone());
    let notices = use_link_run(&player, &linked);
    let selected = use_state(|| shared.selected);
    let ot_a = use_state(|| shared.ot_insert_at);
    let ot_b = use_state(|| shared.ot_delete_at);
    let ot_on = use_state(|| shared.ot_transform);
    let pairs = player.link_pairs(Shared {
        settings: (*settings).clone(),
        selected: *selected,
        ot_insert_at: *ot_a,
        ot_delete_at: *ot_b,
        ot_transform: *ot_on,
    });
    let ot_id = use_memo((), |_| format!("ot-transform-{}", crate::player::unique_id()));
    let table = use_memo(((*settings).clone(), *player.seed), |(s, seed)| outcomes(s, *seed));

    let change = {
        let settings = settings.clone();
        let player = player.clone();
        move |next: Settings| {
            let build = next.clone();
            settings.set(next);
            player.rebuild(move |seed| build.build(seed));
        }
    };
    let current = (*settings).clone();
    let on_strategy = {
        let (change, current) = (change.clone(), current.clone());
        Callback::from(move |v: AttrValue| change(Settings { strategy: parse_strategy(&v), ..current.clone() }))
    };
    let on_shape = {
        let (change, current) = (change.clone(), current.clone());
        Callback::from(move |v: AttrValue| change(Settings { shape: Shape::parse(&v), ..current.clone() }))
    };
    let on_scenario = {
        let (change, current) = (change.clone(), current.clone());
        Callback::from(move |v: AttrValue| change(current.with_scenario(Scenario::parse(&v))))
    };
    let on_count = {
        let (change, current) = (change.clone(), current.clone());
        Callback::from(move |n: i64| change(current.with_leaders(n)))
    };
    let on_gap = {
        let (change, current) = (change.clone(), current.clone());
        Callback::from(move |ms: i64| change(Settings { gap_ms: ms.clamp(0, GAP_SLIDER_MS) as u64, ..current.clone() }))
    };

    let (scene, leaders, anomalies, metrics, messages, record, agree_words) = player.with(|r| {
        let m = r.model();
        let leaders = m.leaders();
        (
            Rc::new(scene(m, r.now(), narrow)),
            leaders.clone(),
            m.anomalies().to_vec(),
            m.metrics(),
            m.messages(),
            m.record().to_owned(),
            summary(&leaders, m.record()),
        )
    });
    let n = leaders.len();
    let chosen = NodeId((*selected).clamp(1, n as u8));
    let chosen_view = leaders.iter().find(|l| l.id == chosen).cloned();
    let chosen_name = chosen_view.as_ref().map_or_else(String::new, |l| l.name.clone());
    let chosen_up = chosen_view.as_ref().is_some_and(|l| l.health == LeaderHealth::Up);
    let counter = current.strategy.is_counter();
    let (write_op, can_trigger, can_write, can_delete, can_toggle) = player.with(|r| {
        let m = r.model();
        let op = next_op(m, chosen);
        let toggle = if chosen_up { Action::KillLeader(chosen) } else { Action::RestartLeader(chosen) };
        (
            op.clone(),
            m.can(&Action::TriggerConflict),
            m.can(&Action::Write { leader: chosen, op }),
            m.can(&Action::Write { leader: chosen, op: Op::Delete }),
            m.can(&toggle),
        )
    });
    let act = |action: Action| {
        let player = player.clone();
        Callback::from(move |_: MouseEvent| player.act(action.clone()))
    };
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |v: AttrValue| selected.set(v.parse::<u8>().unwrap_or(1).clamp(1, LEADERS_MAX as u8)))
    };
    let siblings: Vec<Value> = match chosen_view.as_ref().map(|l| &l.shown) {
        Some(Shown::Siblings(values)) if chosen_up => values.clone(),
        _ => Vec::new(),
    };

    let (at_a, at_b, verdict) = ot_panel(*ot_a as usize, *ot_b as usize, *ot_on);
    let on_ot_a = {
        let s = ot_a.clone();
        Callback::from(move |v: i64| s.set(v.clamp(0, OT_INSERT_MAX)))
    };
    let on_ot_b = {
        let s = ot_b.clone();
        Callback::from(move |v: i64| s.set(v.clamp(0, OT_DELETE_MAX)))
    };
    let on_ot_toggle = {
        let s = ot_on.clone();
        let tried = on_first_use.clone();
        Callback::from(move |e: Event| {
            tried.emit(());
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                s.set(input.checked());
            }
        })
    };

    let label = format!(
        "{n} leaders; each box shows what a read there returns; lines are the topology's links, dashed when a leader is down; diamonds are changes replicating, triangles resync requests."
    );
    let lost_deletes = metrics.deletes_ignored + metrics.resurrections;
    html! {
        <SimFigure label={TITLE} onkeydown={player.on_key()}>
            { link_notices(&notices) }
            <SimCanvas {scene} label={label} />
            <div class="sim-actions" role="group" aria-label="Conflict">
                <button type="button" class="primary" onclick={act(Action::TriggerConflict)} disabled={!can_trigger}>{ "Trigger Conflict" }</button>
            </div>
            <div class="sim-actions" role="group" aria-label="One leader">
                <Choice label="Leader" value={chosen.0.to_string()} onchange={on_select}
                    options={leaders.iter().map(|l| (AttrValue::from(l.id.0.to_string()), AttrValue::from(l.name.clone()))).collect::<Vec<_>>()} />
                <button type="button" onclick={act(Action::Write { leader: chosen, op: write_op })} disabled={!can_write}>
                    { if counter { format!("Count a view on {chosen_name}") } else { format!("Write on {chosen_name}") } }
                </button>
                if !counter {
                    <button type="button" onclick={act(Action::Write { leader: chosen, op: Op::Delete })} disabled={!can_delete}>
                        { format!("Delete on {chosen_name}") }
                    </button>
                }
                if chosen_up {
                    <button type="button" class="danger" onclick={act(Action::KillLeader(chosen))} disabled={!can_toggle}>{ format!("Kill {chosen_name}") }</button>
                } else {
                    <button type="button" onclick={act(Action::RestartLeader(chosen))} disabled={!can_toggle}>{ format!("Restart {chosen_name}") }</button>
                }
            </div>
            if !siblings.is_empty() {
                <div class="sim-actions" role="group" aria-label={format!("A reader on {chosen_name} picks a version")}>
                    { for siblings.iter().enumerate().map(|(keep, v)| html! {
                        <button type="button" onclick={act(Action::ResolveSiblings { leader: chosen, keep })}>
                            { format!("Keep {v} on {chosen_name}") }
                        </button>
                    }) }
                </div>
            }
            <div class="sim-settings">
                <Choice label="Resolution" value={strategy_value(current.strategy)} onchange={on_strategy}
                    options={Strategy::ALL.iter().map(|s| (AttrValue::from(strategy_value(*s)), AttrValue::from(s.label()))).collect::<Vec<_>>()} />
                <Choice label="Topology" value={current.shape.value()} onchange={on_shape}
                    options={Shape::ALL.iter().map(|s| (AttrValue::from(s.value()), AttrValue::from(s.label()))).collect::<Vec<_>>()} />
                <Choice label="Scenario" value={current.scenario.value()} onchange={on_scenario}
                    options={vec![
                        (Scenario::Address.value().into(), "Customer 42's address".into()),
                        (Scenario::CreateDelete.value().into(), "Create at t=100, delete at t=99".into()),
                    ]} />
                <Slider label="Leaders" min={LEADERS_MIN as i64} max={LEADERS_MAX as i64} value={current.leader_count() as i64} onchange={on_count} />
                <Slider label="Second write of a conflict comes after" min={0} max={GAP_SLIDER_MS} value={current.gap_ms as i64} unit="ms" onchange={on_gap} />
                { for leaders.iter().enumerate().map(|(i, l)| {
                    let value = current.skews_ms.get(i).copied().unwrap_or(l.clock_skew_ms);
                    let change = change.clone();
                    let current = current.clone();
                    let onchange = Callback::from(move |v: i64| {
                        let mut next = current.with_leaders(current.leader_count() as i64);
                        if let Some(skew) = next.skews_ms.get_mut(i) {
                            *skew = v.clamp(-SKEW_SLIDER_MS, SKEW_SLIDER_MS);
                        }
                        change(next);
                    });
                    html! { <Slider label={format!("{} clock skew", l.name)} min={-SKEW_SLIDER_MS} max={SKEW_SLIDER_MS} {value} unit="ms" {onchange} /> }
                }) }
            </div>
            <PlayerControls ..player.controls() />
            <CopyLink sim="multi-leader" chapter={props.chapter} {pairs} />
            <Narration text={player.narration()} />
            <div class="sim-panel">
                <p>{ agree_words }</p>
                if metrics.writes_accepted == 0 && current.scenario == Scenario::Address {
                    <p class="sim-note">{ "Press Trigger Conflict: Virginia and Frankfurt change the address at the same moment, then press Play." }</p>
                }
                <p class="sim-note">{ format!("Resolution: {}.", current.strategy.rule()) }</p>
                if !anomalies.is_empty() {
                    <ul>
                        { for anomalies.iter().rev().take(3).map(|a| html! { <li>{ format!("{}: {}", a.at, a.text) }</li> }) }
                    </ul>
                }
            </div>
            <dl class="sim-metrics">
                <div><dt>{ "Writes accepted" }</dt><dd>{ metrics.writes_accepted }</dd></div>
                <div><dt>{ "Conflicts detected" }</dt><dd>{ metrics.conflicts_detected }</dd></div>
                <div><dt>{ "Writes silently lost" }</dt><dd>{ metrics.writes_discarded }</dd></div>
                <div><dt>{ "Wrong winners (clock skew)" }</dt><dd>{ metrics.wrong_winners }</dd></div>
                <div><dt>{ "Deletes undone" }</dt><dd>{ lost_deletes }</dd></div>
                <div><dt>{ "Messages lost at a down leader" }</dt><dd>{ metrics.messages_lost }</dd></div>
            </dl>
            <div class="sim-panel">
                <h3>{ match current.scenario {
                    Scenario::Address => "One Trigger Conflict at t=0 under each resolution, with these clocks and this topology",
                    Scenario::CreateDelete => "The create and the delete under each resolution, with these clocks and this topology",
                } }</h3>
                <ul class="outcomes">
                    { for table.iter().map(|o| html! {
                        <li><strong>{ o.strategy.label() }</strong>{ format!(": {}", outcome_words(o)) }</li>
                    }) }
                </ul>
            </div>
            <div class="sim-panel">
                <h3>{ "Operational transformation: two concurrent edits of HELLO" }</h3>
                <div class="sim-settings">
                    <Slider label="A inserts X at position" min={0} max={OT_INSERT_MAX} value={*ot_a} onchange={on_ot_a} />
                    <Slider label="B deletes position" min={0} max={OT_DELETE_MAX} value={*ot_b} onchange={on_ot_b} />
                    <div class="checkbox">
                        <input id={(*ot_id).clone()} type="checkbox" checked={*ot_on} onchange={on_ot_toggle} />
                        <label for={(*ot_id).clone()}>{ "Transform the incoming edit (OT)" }</label>
                    </div>
                </div>
                <p class="ot-replica">{ format!("A's site: {}", at_a.steps) }</p>
                <p class="ot-replica">{ format!("B's site: {}", at_b.steps) }</p>
                <p class="ot-verdict"><strong>{ verdict }</strong></p>
            </div>
            <TableToggle>
                <table class="state-table">
                    <caption>{ format!("Leaders ({record})") }</caption>
                    <thead><tr>
                        <th scope="col">{ "Leader" }</th><th scope="col">{ "State" }</th><th scope="col">{ "Value shown" }</th>
                        <th scope="col">{ "Clock reads" }</th><th scope="col">{ "Skew" }</th><th scope="col">{ "Priority" }</th>
                        <th scope="col">{ "Version vector" }</th><th scope="col">{ "Log entries" }</th><th scope="col">{ "Held back" }</th>
                    </tr></thead>
                    <tbody>
                        { for leaders.iter().map(|l| html! {
                            <tr>
                                <th scope="row">{ format!("{} ({})", l.name, l.short) }</th>
                                <td>{ if l.health == LeaderHealth::Up { "up" } else { "down" } }</td>
                                <td>{ l.shown.to_string() }</td>
                                <td>{ stamp(l.clock_ms) }</td>
                                <td>{ format!("{:+} ms", l.clock_skew_ms) }</td>
                                <td>{ l.priority }</td>
                                <td>{ version_vector(l, &leaders) }</td>
                                <td>{ l.log_len }</td>
                                <td>{ l.pending }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                <table class="state-table">
                    <caption>{ "Logs (most recent entries of each leader)" }</caption>
                    <thead><tr>
                        <th scope="col">{ "Leader" }</th><th scope="col">{ "Entry" }</th><th scope="col">{ "Value" }</th>
                        <th scope="col">{ "Stamped" }</th><th scope="col">{ "Applied at" }</th>
                    </tr></thead>
                    <tbody>
                        { for leaders.iter().flat_map(|l| l.log.iter().map(move |e| (l, e))).map(|(l, e)| html! {
                            <tr>
                                <th scope="row">{ l.name.clone() }</th>
                                <td>{ format!("{} {}", short_of(&leaders, e.id.origin), e.id.lsn) }</td>
                                <td>{ e.value.to_string() }</td>
                                <td>{ stamp(e.stamp_ms) }</td>
                                <td>{ e.applied_at.to_string() }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                <table class="state-table">
                    <caption>{ "In flight" }</caption>
                    <thead><tr>
                        <th scope="col">{ "From" }</th><th scope="col">{ "To" }</th><th scope="col">{ "Kind" }</th>
                        <th scope="col">{ "Carries" }</th><th scope="col">{ "Arrives" }</th>
                    </tr></thead>
                    <tbody>
                        { for messages.iter().map(|m| html! {
                            <tr>
                                <th scope="row">{ short_of(&leaders, m.from) }</th>
                                <td>{ short_of(&leaders, m.to) }</td>
                                <td>{ match m.kind { MessageKind::Change => "change", MessageKind::CatchUp => "catch-up", MessageKind::Resync => "resync request" } }</td>
                                <td>{ m.changes.iter().map(|w| format!("{} {}", short_of(&leaders, w.origin), w.lsn)).collect::<Vec<_>>().join(", ") }</td>
                                <td>{ m.deliver_at.to_string() }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                <table class="state-table">
                    <caption>{ "Anomalies" }</caption>
                    <thead><tr><th scope="col">{ "When" }</th><th scope="col">{ "Where" }</th><th scope="col">{ "What" }</th></tr></thead>
                    <tbody>
                        { for anomalies.iter().map(|a| html! {
                            <tr>
                                <th scope="row">{ a.at.to_string() }</th>
                                <td>{ short_of(&leaders, a.leader) }</td>
                                <td>{ a.text.clone() }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </TableToggle>
        </SimFigure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(settings: &Settings, script: &[(u64, Action)], until_ms: u64) -> Replay<MultiLeader> {
        let mut r = Replay::new(settings.build(1), SETUP.horizon);
        for (at, action) in script {
            r.seek(Time::from_ms(*at));
            r.act(action.clone());
        }
        r.seek(Time::from_ms(until_ms));
        r
    }

    fn text(s: &str) -> Shown {
        Shown::One(Value::Text(s.to_owned()))
    }

    #[test]
    fn the_address_example_under_every_resolution() {
        let two = Settings::default().with_leaders(2);
        let table = outcomes(&two, 1);
        let by = |s: Strategy| table.iter().find(|o| o.strategy == s).unwrap().clone();
        let every = |shown: Shown| vec![("every leader".to_owned(), shown)];
        assert_eq!(
            outcome_words(&by(Strategy::LastWriteWinsTimestamp)),
            "every leader shows \"123 Main Street, NYC\"; 1 write(s) silently lost."
        );
        assert_eq!(by(Strategy::LastWriteWinsTimestamp).shown, every(text("123 Main Street, NYC")));
        assert_eq!(by(Strategy::LastWriteWinsTimestamp).lost, 1);
        assert_eq!(by(Strategy::LastWriteWinsPriority).shown, every(text("456 Oak Ave, NYC")));
        assert_eq!(by(Strategy::LastWriteWinsPriority).lost, 1);
        assert_eq!(by(Strategy::MergeValues).shown, every(text("456 Oak Ave, NYC/123 Main Street, NYC")));
        assert!(matches!(&by(Strategy::KeepSiblings).shown[0].1, Shown::Siblings(v) if v.len() == 2));
        assert_eq!(by(Strategy::KeepSiblings).lost, 0);
        let counted = by(Strategy::GCounter);
        assert!(matches!(&counted.shown[0].1, Shown::One(Value::Count(c)) if c.value() == 8), "{counted:?}");
    }

    #[test]
    fn the_default_run_is_the_course_conflict_and_fits_the_figure() {
        let r = run(&Settings::default(), &[(0, Action::TriggerConflict)], 100);
        let m = r.model();
        let eu = m.leader(NodeId(2)).unwrap();
        assert_eq!(stamp(eu.log[0].stamp_ms), "1705312000.003");
        for narrow in [false, true] {
            let s = scene(m, r.now(), narrow);
            assert_eq!(s.nodes.len(), 3);
            assert_eq!(s.dots.len(), m.messages().len());
            assert!(s.dots.iter().all(|d| d.at.x >= 0.0 && d.at.x <= s.width && d.at.y >= 0.0 && d.at.y <= s.height));
            assert_eq!(s.nodes[0].detail, "456 Oak Ave, NYC");
            assert_eq!(s.nodes[1].detail, "123 Main Street…");
        }
        let after = run(&Settings::default(), &[(0, Action::TriggerConflict)], 1_000);
        let s = scene(after.model(), after.now(), false);
        assert!(s.nodes.iter().all(|n| n.detail == "123 Main Street…"));
        assert!(s.captions.iter().any(|c| c.text == "1 write(s) silently lost" && c.tone == Tone::Bad));
    }

    #[test]
    fn every_layout_keeps_nodes_and_captions_inside() {
        for count in LEADERS_MIN..=LEADERS_MAX {
            for shape in Shape::ALL {
                let settings = Settings { shape, ..Settings::default().with_leaders(count as i64) };
                let r = run(&settings, &[(0, Action::TriggerConflict)], 120);
                for narrow in [false, true] {
                    let s = scene(r.model(), r.now(), narrow);
                    assert_eq!(s.nodes.len(), count);
                    for node in &s.nodes {
                        assert!(node.at.x - 52.0 >= 0.0 && node.at.x + 52.0 <= s.width, "{count} {narrow} {node:?}");
                        assert!(node.at.y - 30.0 >= 56.0 && node.at.y + 50.0 <= s.height, "{count} {narrow} {node:?}");
                    }
                    for (i, a) in s.nodes.iter().enumerate() {
                        for b in &s.nodes[i + 1..] {
                            let apart = (a.at.x - b.at.x).abs() > 104.0 || (a.at.y - b.at.y).abs() > 60.0;
                            assert!(apart, "{count} leaders, narrow {narrow}: boxes overlap");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn links_follow_the_topology_and_break_at_a_dead_leader() {
        let three = |shape| Settings { shape, ..Settings::default() };
        let links = |s: &Settings, script: &[(u64, Action)]| scene(run(s, script, 10).model(), Time::ZERO, false).links;
        assert_eq!(links(&three(Shape::AllToAll), &[]).len(), 3);
        assert_eq!(links(&three(Shape::Circular), &[]).len(), 3);
        assert_eq!(links(&three(Shape::Star), &[]).len(), 2);
        let killed = links(&three(Shape::Star), &[(0, Action::KillLeader(NodeId(1)))]);
        assert!(killed.iter().all(|l| l.style == LinkStyle::Broken), "the hub touches every link");
        let leaf = links(&three(Shape::Circular), &[(0, Action::KillLeader(NodeId(2)))]);
        assert_eq!(leaf.iter().filter(|l| l.style == LinkStyle::Broken).count(), 2);
    }

    #[test]
    fn a_broken_ring_leaves_the_leaders_disagreeing_and_all_to_all_does_not() {
        let script = [(0, Action::KillLeader(NodeId(2))), (100, Action::TriggerConflict)];
        let ring = run(&Settings { shape: Shape::Circular, ..Settings::default() }, &script, 5_000);
        let s = scene(ring.model(), ring.now(), false);
        assert_ne!(s.nodes[0].detail, s.nodes[2].detail, "Tokyo never hears of Virginia's write");
        let mesh = run(&Settings::default(), &script, 5_000);
        let s = scene(mesh.model(), mesh.now(), false);
        assert_eq!(s.nodes[0].detail, s.nodes[2].detail);
    }

    #[test]
    fn the_create_delete_scenario_brings_the_record_back_unless_the_clocks_agree() {
        let hazard = Settings::default().with_leaders(2).with_scenario(Scenario::CreateDelete);
        assert_eq!(hazard.skews_ms, [0, -1_000]);
        let r = run(&hazard, &[], 1_000);
        let m = r.model();
        assert_eq!(stamp(m.leader(NodeId(1)).unwrap().log[0].stamp_ms), "100.000");
        assert_eq!(stamp(m.leader(NodeId(2)).unwrap().log[0].stamp_ms), "99.000");
        assert!(m.leaders().iter().all(|l| l.shown == text(CREATED)));
        assert!(m.anomalies().iter().any(|a| a.kind == AnomalyKind::Resurrected));
        let s = scene(m, r.now(), true);
        assert!(s.captions.iter().any(|c| c.text == "a deleted record is back"));
        let mut synced = hazard.clone();
        synced.skews_ms[1] = 0;
        let r = run(&synced, &[], 1_000);
        assert!(r.model().leaders().iter().all(|l| l.shown == Shown::One(Value::Deleted)));
        // Back to the address example: the course's clocks return.
        assert_eq!(hazard.with_scenario(Scenario::Address).skews_ms, [1, 3]);
    }

    #[test]
    fn operational_transformation_on_hello() {
        let (a, b, verdict) = ot_panel(1, 4, false);
        assert_eq!(a.result, Ok("HXELO".to_owned()));
        assert_eq!(b.result, Ok("HXELL".to_owned()));
        assert!(a.steps.contains("delete position 4 (\"L\")"), "{}", a.steps);
        assert!(verdict.contains("deleted \"L\" where B meant \"O\""), "{verdict}");
        let (a, b, verdict) = ot_panel(1, 4, true);
        assert_eq!(a.result, Ok("HXELL".to_owned()));
        assert_eq!(b.result, Ok("HXELL".to_owned()));
        assert!(a.steps.contains("delete position 5 (\"O\")"), "{}", a.steps);
        assert!(verdict.starts_with("Both replicas end with HXELL"), "{verdict}");
        // Out-of-range positions are clamped, never a panic.
        let (a, _, _) = ot_panel(99, 99, true);
        assert!(a.result.is_ok());
    }

    #[test]
    fn settings_and_values_are_clamped() {
        let s = Settings { skews_ms: vec![i64::MAX; 9], gap_ms: u64::MAX, ..Settings::default() };
        let config = s.config();
        assert_eq!(config.leaders.len(), LEADERS_MAX);
        assert!(config.leaders.iter().all(|l| l.clock_skew_ms == CLOCK_SKEW_MS_MAX));
        assert_eq!(config.conflict_gap_ms, GAP_SLIDER_MS as u64);
        assert_eq!(Settings::default().with_leaders(0).leader_count(), LEADERS_MIN);
        assert_eq!(parse_strategy("nonsense"), Strategy::LastWriteWinsTimestamp);
        assert_eq!(Shape::parse("nonsense"), Shape::AllToAll);
        assert_eq!(fit("123 Main Street, NYC", 16), "123 Main Street…");
        for s in Strategy::ALL {
            assert_eq!(parse_strategy(strategy_value(s)), s);
        }
    }

    #[test]
    fn the_write_button_sends_what_the_record_holds() {
        let r = run(&Settings::default(), &[], 0);
        assert!(matches!(next_op(r.model(), NodeId(3)), Op::Set(t) if t == "10 Harbor Rd (TYO)"));
        let counter = Settings { strategy: Strategy::GCounter, ..Settings::default() };
        assert_eq!(next_op(run(&counter, &[], 0).model(), NodeId(1)), Op::Increment(1));
    }
}
