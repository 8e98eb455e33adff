//! S6 "Interactive quorum calculator" (chapter 6): N, W and R; whether every read set meets every write set;
//! the sets themselves when they are few; the probability that a partial quorum reads stale data, closed form
//! and k-staleness; "how eventual is eventual" by the WARS Monte Carlo on the paper's latency fits; and the
//! consistent-hashing ring that chooses each key's N replicas.

use std::rc::Rc;

use sim::leaderless::{
    Action as StoreAction, ClientId, Config as StoreConfig, Fanout, Freshness, Leaderless, ReadOutcome, ReadView,
    ReplicaId, ReplyTiming, Speed, WriteOutcome,
};
use sim::replay::Replay;
use sim::ring::{Key, Ring};
use sim::rng::Rng;
use sim::staleness::{percent, replica_name, Latencies, Preset, Quorum, QuorumKind, ReplicaSet, ReplicaSets, Wars};
use sim::Time;
use yew::prelude::*;

use crate::canvas::{Align, Caption, Glyph, Health, Link, LinkStyle, NodeGlyph, Point, Scene, SimCanvas, Tone};
use crate::player::{
    link_notices, settings_pairs, use_link, use_media_query, Choice, CopyLink, Later, Narration, Slider, TableToggle,
};
use crate::progress::{use_progress, ProgressAction};
use crate::share::{numbers_value, NoAction, Pairs, Params, Reader, Shareable};
use crate::widgets::presets::{Preset as BookPreset, PresetState};

const TITLE: &str = "Interactive quorum calculator";
const N_MAX: u32 = 9;
/// Trials per curve: enough for a smooth curve, few enough to recompute as a slider moves.
const TRIALS: u32 = 20_000;
/// Points on the staleness curve.
const CURVE_POINTS: usize = 41;
/// Read sets listed at most in the page; beyond that they are counted.
const MISSING_LISTED_MAX: usize = 24;

/// The reader's N, W and R, kept valid: W and R never exceed N.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Knobs {
    pub n: u32,
    pub w: u32,
    pub r: u32,
}

impl Knobs {
    /// The course's N=3, W=2, R=2, or the knobs a preset names (kept valid like any other setting).
    pub fn from_preset(preset: Option<&BookPreset>) -> Knobs {
        match preset.map(|p| p.state) {
            Some(PresetState::Quorum { n, w, r }) => {
                let n = n.clamp(1, N_MAX);
                Knobs { n, w: w.clamp(1, n), r: r.clamp(1, n) }
            }
            _ => Knobs { n: 3, w: 2, r: 2 },
        }
    }

    /// Sets one knob and clamps the others, returning a sentence when something had to give way.
    pub fn with(self, which: char, value: i64) -> (Knobs, Option<String>) {
        let v = value.clamp(1, i64::from(N_MAX)) as u32;
        match which {
            'n' => {
                let next = Knobs { n: v, w: self.w.min(v), r: self.r.min(v) };
                let mut notes = Vec::new();
                if next.w < self.w {
                    notes.push(format!("W lowered to {v}"));
                }
                if next.r < self.r {
                    notes.push(format!("R lowered to {v}"));
                }
                let note = (!notes.is_empty()).then(|| format!("{}: neither can exceed N.", notes.join(" and ")));
                (next, note)
            }
            'w' => (Knobs { w: v.min(self.n), ..self }, None),
            _ => (Knobs { r: v.min(self.n), ..self }, None),
        }
    }

    pub fn quorum(self) -> Quorum {
        Quorum::clamped(self.n, self.w, self.r)
    }
}

/// The example write set (the first W replicas) and the read set that overlaps it least (the last R).
pub fn example_sets(q: Quorum) -> (ReplicaSet, ReplicaSet) {
    let write: Vec<u32> = (0..q.w()).collect();
    let read: Vec<u32> = (q.n() - q.r()..q.n()).collect();
    (ReplicaSet::from_members(&write), ReplicaSet::from_members(&read))
}

pub fn scene(q: Quorum, narrow: bool) -> Scene {
    let (width, height) = if narrow { (360.0, 380.0) } else { (720.0, 330.0) };
    let centre = if narrow { Point::new(180.0, 200.0) } else { Point::new(360.0, 170.0) };
    let radius = if narrow { 115.0 } else { 125.0 };
    let writer = if narrow { Point::new(60.0, 30.0) } else { Point::new(70.0, 170.0) };
    let reader = if narrow { Point::new(300.0, 30.0) } else { Point::new(650.0, 170.0) };
    let (write, read) = example_sets(q);
    let mut scene = Scene { width, height, ..Scene::default() };
    let at = |i: u32| {
        let angle = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * f64::from(i) / f64::from(q.n().max(1));
        if q.n() == 1 {
            centre
        } else {
            Point::new(centre.x + radius * angle.cos(), centre.y + radius * angle.sin() * 0.9)
        }
    };
    for i in 0..q.n() {
        if write.contains(i) {
            scene.links.push(Link { from: writer, to: at(i), style: LinkStyle::Solid });
        }
        if read.contains(i) {
            scene.links.push(Link { from: reader, to: at(i), style: LinkStyle::Faint });
        }
    }
    scene.nodes.push(NodeGlyph {
        at: writer,
        glyph: Glyph::Client,
        health: Health::Up,
        name: "writer".into(),
        detail: format!("W={}", q.w()),
    });
    scene.nodes.push(NodeGlyph {
        at: reader,
        glyph: Glyph::Client,
        health: Health::Up,
        name: "reader".into(),
        detail: format!("R={}", q.r()),
    });
    for i in 0..q.n() {
        let (w, r) = (write.contains(i), read.contains(i));
        let detail = match (w, r) {
            (true, true) => "v2 · read",
            (true, false) => "v2 (new)",
            (false, true) => "v1 · read",
            (false, false) => "v1 (old)",
        };
        scene.nodes.push(NodeGlyph {
            at: at(i),
            // Leaderless: every replica is a peer; the write set shows in the links and the version it holds.
            glyph: Glyph::Follower,
            health: Health::Up,
            name: replica_name(i),
            detail: detail.into(),
        });
    }
    let (text, tone) = match q.kind() {
        QuorumKind::Strict => {
            (format!("W + R = {} > N = {}: reads always meet the write", q.w() + q.r(), q.n()), Tone::Good)
        }
        QuorumKind::Partial => {
            (format!("W + R = {} ≤ N = {}: this read can miss the write", q.w() + q.r(), q.n()), Tone::Bad)
        }
    };
    let caption_at = if narrow { Point::new(180.0, 365.0) } else { Point::new(360.0, 318.0) };
    scene.captions.push(Caption { at: caption_at, text, tone, strong: false, align: Align::Center });
    scene
}

/// "Run it": on a fresh N/W/R store, write Bob (v1) everywhere, then make one random replica slow and maybe
/// crash another, write Alice (v2), and read. Returns the read and what each write managed, in words.
pub fn run_it(q: Quorum, seed: u64) -> (Option<ReadView>, Vec<String>) {
    let config = StoreConfig { n: q.n() as u8, w: q.w() as u8, r: q.r() as u8, ..StoreConfig::default() };
    let mut replay = Replay::new(Leaderless::new(seed, config), Time::from_ms(3_000));
    let mut rng = Rng::new(seed ^ 0x5EED);
    let (writer, reader) = (ClientId(1), ClientId(2));
    let mut notes = Vec::new();
    let at = |replay: &mut Replay<Leaderless>, ms: u64, action: StoreAction| {
        replay.seek(Time::from_ms(ms));
        replay.act(action);
    };
    at(&mut replay, 0, StoreAction::write(writer, "user:42", "Bob"));
    let slow = ReplicaId(rng.range_inclusive(0, u64::from(q.n()) - 1) as u8);
    at(&mut replay, 500, StoreAction::SetSpeed(slow, Speed::Slow));
    notes.push(format!("Replica {slow} turns slow (+300 ms on every message)."));
    if q.n() > 1 && rng.chance(0.5) {
        let down = ReplicaId(
            ((u64::from(slow.0) + 1 + rng.range_inclusive(0, u64::from(q.n()) - 2)) % u64::from(q.n())) as u8,
        );
        at(&mut replay, 500, StoreAction::Crash(down));
        notes.push(format!("Replica {down} crashes."));
    }
    at(&mut replay, 600, StoreAction::write(writer, "user:42", "Alice"));
    at(&mut replay, 650, StoreAction::Read { client: reader, key: "user:42".to_owned(), fanout: Fanout::All });
    replay.seek(Time::from_ms(3_000));
    let model = replay.model();
    if let Some(w) = model.writes().last() {
        notes.push(match w.outcome {
            WriteOutcome::Acknowledged { at } => format!(
                "The write of Alice (v2) is acknowledged at {at} by {} of {} replicas (W={}).",
                w.acks.len(),
                q.n(),
                q.w()
            ),
            WriteOutcome::Failed { .. } => {
                format!("The write of Alice (v2) fails: fewer than W={} replicas acknowledged it.", q.w())
            }
            WriteOutcome::Pending => "The write of Alice (v2) is still waiting.".to_owned(),
        });
    }
    (model.reads().last().cloned(), notes)
}

fn sets_text(sets: &ReplicaSets) -> String {
    match sets {
        ReplicaSets::Listed(list) => list.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(" "),
        ReplicaSets::Counted(n) => format!("{n} sets (too many to list)"),
    }
}

/// The staleness curve as an SVG line chart; the same numbers are in the table next to it.
fn curve_svg(points: &[(f64, f64)], t_max: f64) -> Html {
    let (w, h, left, bottom) = (600.0, 220.0, 48.0, 30.0);
    let x = |t: f64| left + (t / t_max.max(1e-9)) * (w - left - 12.0);
    let y = |p: f64| 10.0 + (1.0 - p) * (h - bottom - 10.0);
    let path: String = points.iter().map(|(t, p)| format!("{:.1},{:.1}", x(*t), y(*p))).collect::<Vec<_>>().join(" ");
    html! {
        <svg class="curve" viewBox={format!("0 0 {w} {h}")} role="img"
            aria-label="Probability of a consistent read against time after the write commits; the table below lists the same points.">
            <line x1={left.to_string()} y1={y(0.0).to_string()} x2={(w - 12.0).to_string()} y2={y(0.0).to_string()} class="axis" />
            <line x1={left.to_string()} y1={y(0.0).to_string()} x2={left.to_string()} y2={y(1.0).to_string()} class="axis" />
            { for [0.0, 0.5, 0.9, 1.0].iter().map(|p| html! {
                <>
                    <line x1={left.to_string()} y1={y(*p).to_string()} x2={(w - 12.0).to_string()} y2={y(*p).to_string()} class="grid" />
                    <text x={(left - 6.0).to_string()} y={(y(*p) + 4.0).to_string()} text-anchor="end">{ format!("{:.0}%", p * 100.0) }</text>
                </>
            }) }
            // No time axis until there is a curve (for the moment before the first one is computed).
            { for [0.0, 0.5, 1.0].iter().filter(|_| !points.is_empty()).map(|f| html! {
                <text x={x(t_max * f).to_string()} y={(h - 8.0).to_string()} text-anchor="middle">{ format!("{:.1} ms", t_max * f) }</text>
            }) }
            <polyline points={path} class="line" />
        </svg>
    }
}

#[derive(Properties, PartialEq)]
pub struct QuorumProps {
    pub chapter: &'static str,
    #[prop_or_default]
    pub preset: Option<&'static BookPreset>,
    /// A shared link's state for this simulation.
    #[prop_or_default]
    pub link: Option<Rc<Params>>,
}

const LATENCY_PRESETS: &[&str] = &["LNKD-SSD", "LNKD-DISK", "YMMR", "WAN", "custom"];
/// The custom exponential rates' sliders, in tenths per millisecond.
const RATE_TENTHS: std::ops::RangeInclusive<i64> = 1..=50;
const KEY_POSITION_MAX: i64 = 99;
const VNODES_MAX: i64 = 256;

/// Everything the reader can set in this figure; "Run it" is remembered as how many times it was pressed, which
/// is the seed of the run shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Shared {
    pub knobs: Knobs,
    pub latencies: &'static str,
    pub rates: (i64, i64, i64, i64),
    pub key_position: i64,
    pub c_removed: bool,
    pub vnodes: i64,
    pub runs: u64,
}

impl Shared {
    fn new(knobs: Knobs) -> Shared {
        Shared {
            knobs,
            latencies: LATENCY_PRESETS[0],
            rates: (10, 10, 10, 10),
            key_position: 40,
            c_removed: false,
            vnodes: 1,
            runs: 0,
        }
    }
}

impl Shareable for Shared {
    fn write(&self, out: &mut Pairs) {
        out.push(("n", self.knobs.n.to_string()));
        out.push(("w", self.knobs.w.to_string()));
        out.push(("r", self.knobs.r.to_string()));
        out.push(("latencies", self.latencies.to_owned()));
        if self.latencies == "custom" {
            let (a, b, c, d) = self.rates;
            out.push(("rates", numbers_value(&[a, b, c, d])));
        }
        out.push(("key", self.key_position.to_string()));
        out.push(("without-c", if self.c_removed { "1" } else { "0" }.to_owned()));
        out.push(("vnodes", self.vnodes.to_string()));
        out.push(("runs", self.runs.to_string()));
    }

    fn read(reader: &mut Reader<'_>) -> Self {
        let d = Shared::new(Knobs::from_preset(None));
        let n = reader.number("n", "N", 1..=N_MAX as u64, u64::from(d.knobs.n)) as u32;
        // W and R can never exceed N, as on the sliders; the reader is told when one had to come down.
        let w = reader.number("w", "W", 1..=u64::from(n), u64::from(d.knobs.w.min(n))) as u32;
        let r = reader.number("r", "R", 1..=u64::from(n), u64::from(d.knobs.r.min(n))) as u32;
        let options: Vec<(&str, &'static str)> = LATENCY_PRESETS.iter().map(|p| (*p, *p)).collect();
        let latencies = reader.choice("latencies", "latencies", &options, d.latencies);
        let (a, b, c, e) = d.rates;
        let rates = reader.numbers("rates", "rates", 4..=4, RATE_TENTHS, &[a, b, c, e]);
        Shared {
            knobs: Knobs { n, w, r },
            latencies,
            rates: (rates[0], rates[1], rates[2], rates[3]),
            key_position: reader.number("key", "Key position", 0..=KEY_POSITION_MAX, d.key_position),
            c_removed: reader.flag("without-c", "Remove node C", d.c_removed),
            vnodes: reader.number("vnodes", "Virtual nodes", 1..=VNODES_MAX, d.vnodes),
            runs: reader.number("runs", "Runs", 0..=u64::from(u32::MAX), d.runs),
        }
    }
}

/// Trials a WARS slice draws before looking at the clock again: well under a millisecond.
const SLICE_TRIALS: u32 = 500;
/// How long the curve's run may hold the page's thread before it lets the browser paint and handle input: far
/// below the 50 ms that counts as a long task even on a CPU four times slower.
const SLICE_BUDGET_MS: f64 = 4.0;

/// The WARS curve the panel draws, from one run: the plotted range comes from the run's 99.9 % point, and the
/// curve is read off the same trials.
#[derive(PartialEq)]
struct WarsCurve {
    quorum: Quorum,
    latencies: Latencies,
    t_max_ms: f64,
    report: sim::staleness::WarsReport,
    points: Vec<(f64, f64)>,
}

impl WarsCurve {
    fn of(run: sim::staleness::WarsRun, quorum: Quorum, latencies: Latencies) -> Option<WarsCurve> {
        let run = run.finish(&[0.0]).ok()?;
        let horizon = run.t_visibility_ms(0.999).unwrap_or(10.0).clamp(1.0, 5_000.0);
        let t_max_ms = (horizon * 1.3).max(1.0);
        let times: Vec<f64> = (0..CURVE_POINTS).map(|i| t_max_ms * i as f64 / (CURVE_POINTS - 1) as f64).collect();
        let report = run.at_times(&times).ok()?;
        let points = report.points.iter().map(|p| (p.t_ms, p.p_consistent)).collect();
        Some(WarsCurve { quorum, latencies, t_max_ms, report, points })
    }
}

struct WarsState {
    /// The latest finished curve, which may be for the previous settings while `busy`.
    curve: Option<Rc<WarsCurve>>,
    busy: bool,
}

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Runs WARS for the quorum and latencies in slices of at most [`SLICE_BUDGET_MS`], yielding to the browser
/// between them, and keeps the last finished curve. Cold, before the browser has optimised the simulation's
/// code, 20,000 trials took 27 ms in one task (110 ms on Lighthouse's 4x slowed CPU, most of the chapter's
/// blocking time); warm they take about 4 ms, so after a slider move the curve follows a task or two later. The
/// first run waits for the task after the widget's first render.
#[hook]
fn use_wars_curve(quorum: Quorum, latencies: Latencies) -> WarsState {
    let curve = use_state(|| None::<Rc<WarsCurve>>);
    let mounted = use_mut_ref(|| false);
    {
        let curve = curve.clone();
        use_effect_with((quorum, latencies), move |&(quorum, latencies)| {
            let cancelled = Rc::new(std::cell::Cell::new(false));
            let defer = !std::mem::replace(&mut *mounted.borrow_mut(), true);
            if let Ok(mut run) = Wars::new(quorum, latencies, TRIALS, 1).start() {
                let cancelled = cancelled.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    if defer {
                        gloo_timers::future::TimeoutFuture::new(0).await;
                    }
                    // Every slice, and then the finish (which sorts every trial's threshold), in a task of its own.
                    while !cancelled.get() && !run.is_complete() {
                        let started_ms = now_ms();
                        while !run.advance(SLICE_TRIALS) && now_ms() - started_ms < SLICE_BUDGET_MS {}
                        gloo_timers::future::TimeoutFuture::new(0).await;
                    }
                    if !cancelled.get() {
                        curve.set(WarsCurve::of(run, quorum, latencies).map(Rc::new));
                    }
                });
            }
            move || cancelled.set(true)
        });
    }
    let busy = curve.as_ref().is_none_or(|c| c.quorum != quorum || c.latencies != latencies);
    WarsState { curve: (*curve).clone(), busy }
}

#[derive(Properties, PartialEq)]
struct WarsPanelProps {
    quorum: Quorum,
    latencies: Latencies,
    /// The latency preset's name, or "custom".
    preset: AttrValue,
    /// The custom rates, in tenths per ms.
    rates: (i64, i64, i64, i64),
    on_preset: Callback<AttrValue>,
    /// Which rate (0 to 3: W, A, R, S) and its new value.
    on_rate: Callback<(usize, i64)>,
}

/// "How eventual is eventual?": the WARS curve for the quorum and latencies. A component of its own so that the
/// curve, which arrives a few tasks after the settings change, re-renders this panel and not the whole widget.
#[function_component(WarsPanel)]
fn wars_panel(props: &WarsPanelProps) -> Html {
    // Redone only when the quorum or the latencies change; until the first run is done the panel shows the
    // curve's empty frame.
    let wars = use_wars_curve(props.quorum, props.latencies);
    let (t_max, report, curve) = match &wars.curve {
        Some(c) => (c.t_max_ms, Some(&c.report), c.points.as_slice()),
        None => (1.0, None, &[][..]),
    };
    let rate = |i: usize| props.on_rate.reform(move |v: i64| (i, v));
    html! {
        <div class="sim-panel" aria-busy={wars.busy.to_string()}>
            <h3>{ "How eventual is eventual? (WARS, Bailis et al. 2012)" }</h3>
            <div class="sim-settings">
                <Choice label="Latencies" value={props.preset.clone()} onchange={props.on_preset.clone()}
                    options={vec![
                        ("LNKD-SSD".into(), "LinkedIn, SSD".into()),
                        ("LNKD-DISK".into(), "LinkedIn, disk".into()),
                        ("YMMR".into(), "Yammer".into()),
                        ("WAN".into(), "Wide-area (3 data centres)".into()),
                        ("custom".into(), "Custom exponential".into()),
                    ]} />
                { (props.preset.as_str() == "custom").then(|| html! {
                    <>
                        <Slider label="W rate (write to replica), per 10 ms" min={*RATE_TENTHS.start()} max={*RATE_TENTHS.end()} value={props.rates.0} onchange={rate(0)} />
                        <Slider label="A rate (acknowledgement), per 10 ms" min={*RATE_TENTHS.start()} max={*RATE_TENTHS.end()} value={props.rates.1} onchange={rate(1)} />
                        <Slider label="R rate (read request), per 10 ms" min={*RATE_TENTHS.start()} max={*RATE_TENTHS.end()} value={props.rates.2} onchange={rate(2)} />
                        <Slider label="S rate (read response), per 10 ms" min={*RATE_TENTHS.start()} max={*RATE_TENTHS.end()} value={props.rates.3} onchange={rate(3)} />
                    </>
                }) }
            </div>
            { curve_svg(curve, t_max) }
            { report.as_ref().map(|r| html! {
                <>
                    <p>{ format!(
                        "{} trials. Consistent at commit: {}. 99.9 % consistent after {}. Latency at the 99.9th percentile: writes {:.1} ms, reads {:.1} ms.",
                        r.trials,
                        percent(r.p_consistent_at(0.0)),
                        r.t_visibility_ms(0.999).map_or("more than the plotted range".to_owned(), |t| format!("{t:.1} ms")),
                        r.write_latency.p999_ms,
                        r.read_latency.p999_ms
                    ) }</p>
                    <TableToggle>
                        <table class="state-table">
                            <caption>{ "Consistent reads against time after commit" }</caption>
                            <thead><tr><th scope="col">{ "t after commit" }</th><th scope="col">{ "consistent" }</th></tr></thead>
                            <tbody>{ for r.points.iter().step_by(5).map(|p| html! {
                                <tr><th scope="row">{ format!("{:.2} ms", p.t_ms) }</th><td>{ percent(p.p_consistent) }</td></tr>
                            }) }</tbody>
                        </table>
                    </TableToggle>
                </>
            }) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct RingLoadProps {
    vnodes: i64,
}

/// How evenly 2,000 keys spread over five nodes with `vnodes` virtual nodes each. A component of its own so the
/// hashing runs when the ring panel is first shown (after the widget's figure), and again only when the number
/// of virtual nodes changes.
#[function_component(RingLoad)]
fn ring_load(props: &RingLoadProps) -> Html {
    let load = use_memo(props.vnodes, |&vnodes| {
        let mut hashed = Ring::hashed(vnodes.clamp(1, VNODES_MAX) as u32);
        for name in ["A", "B", "C", "D", "E"] {
            let _ = hashed.add_node(name);
        }
        let keys: Vec<Key> = (0..2_000).map(|i| hashed.key(&format!("key:{i}"))).collect();
        hashed.load(&keys, 1).ok()
    });
    match load.as_ref() {
        Some(l) => html! { <p>{ format!(
            "Busiest node holds {} keys against a mean of {:.0}: spread {:.2} (1.00 is perfectly even).",
            l.max_keys, l.mean_keys, l.spread
        ) }</p> },
        None => Html::default(),
    }
}

#[function_component(QuorumSim)]
pub fn quorum_sim(props: &QuorumProps) -> Html {
    let progress = use_progress();
    let linked = use_link::<Shared, NoAction, _>(&props.link, 0, || Shared::new(Knobs::from_preset(props.preset)));
    let shared = &linked.settings;
    let knobs = use_state(|| shared.knobs);
    let note = use_state(|| None::<String>);
    let preset = use_state(|| AttrValue::from(shared.latencies));
    let rates = use_state(|| shared.rates);
    let key_position = use_state(|| shared.key_position);
    let c_removed = use_state(|| shared.c_removed);
    let vnodes = use_state(|| shared.vnodes);
    let run_seed = use_state(|| shared.runs);
    let pairs = settings_pairs(Shared {
        knobs: *knobs,
        latencies: LATENCY_PRESETS.iter().find(|p| **p == preset.as_str()).copied().unwrap_or(LATENCY_PRESETS[0]),
        rates: *rates,
        key_position: *key_position,
        c_removed: *c_removed,
        vnodes: *vnodes,
        runs: *run_seed,
    });
    let narrow = use_media_query("(max-width: 600px)");
    let tried = {
        let chapter = props.chapter.to_owned();
        move || progress.dispatch(ProgressAction::TriedSimulation { chapter: chapter.clone(), name: "quorum".into() })
    };
    let knob = |which: char| {
        let knobs = knobs.clone();
        let note = note.clone();
        let tried = tried.clone();
        Callback::from(move |v: i64| {
            tried();
            let (next, why) = knobs.with(which, v);
            note.set(why);
            knobs.set(next);
        })
    };
    let q = knobs.quorum();
    let (write, _) = example_sets(q);
    let missing = q.read_sets_missing(write).ok();
    let k_rows: Vec<(u32, f64)> = (1..=5).map(|k| (k, q.p_older_than_versions(k))).collect();

    // WARS: the curve for the chosen latencies.
    let latencies = match preset.as_str() {
        "LNKD-DISK" => Preset::LnkdDisk.latencies(),
        "YMMR" => Preset::Ymmr.latencies(),
        "WAN" => Preset::Wan.latencies(),
        "custom" => {
            let (a, b, c, d) = *rates;
            // Sliders give each rate in tenths per ms (mean 1/λ ms).
            Latencies::exponential(a as f64 / 10.0, b as f64 / 10.0, c as f64 / 10.0, d as f64 / 10.0)
                .unwrap_or_else(|_| Preset::LnkdSsd.latencies())
        }
        _ => Preset::LnkdSsd.latencies(),
    };
    // The ring: the course's five nodes, a key, its N replicas, and what moves when C leaves.
    let mut ring = Ring::course_example();
    let before = ring.clone();
    if *c_removed {
        let _ = ring.remove_node("C");
    }
    let n_ring = (q.n() as usize).min(ring.nodes().len());
    let key_pos = (*key_position).clamp(0, 99) as u64;
    let replicas = ring.replicas(key_pos, n_ring);
    let sample_keys: Vec<Key> = [("user:42", 40), ("user:99", 80), ("user:7", 5), ("user:55", 60)]
        .iter()
        .filter_map(|(name, pos)| before.key_at(name, *pos).ok())
        .collect();
    let moves =
        if *c_removed { Ring::moves(&before, &ring, &sample_keys, n_ring).unwrap_or_default() } else { Vec::new() };
    let narration = match &*note {
        Some(n) => format!("{n} {}", q.describe()),
        None => q.describe(),
    };
    let scene = Rc::new(scene(q, narrow));
    let on_preset = {
        let preset = preset.clone();
        Callback::from(move |v: AttrValue| preset.set(v))
    };
    let on_rate = {
        let rates = rates.clone();
        Callback::from(move |(i, v): (usize, i64)| {
            let mut r = *rates;
            match i {
                0 => r.0 = v,
                1 => r.1 = v,
                2 => r.2 = v,
                _ => r.3 = v,
            }
            rates.set(r);
        })
    };
    let on_key = {
        let key_position = key_position.clone();
        Callback::from(move |v: i64| key_position.set(v))
    };
    let toggle_c = {
        let c_removed = c_removed.clone();
        Callback::from(move |_: MouseEvent| c_removed.set(!*c_removed))
    };
    let on_run = {
        let run_seed = run_seed.clone();
        Callback::from(move |_: MouseEvent| run_seed.set(*run_seed + 1))
    };
    let run = (*run_seed > 0).then(|| run_it(q, *run_seed));
    let on_vnodes = {
        let vnodes = vnodes.clone();
        Callback::from(move |v: i64| vnodes.set(v))
    };
    let label =
        format!("{} replicas in a circle; the writer reaches {} of them, the reader asks {}.", q.n(), q.w(), q.r());
    html! {
        <figure class="sim" aria-label={TITLE} tabindex="0">
            <figcaption>
                <span class="sim-kicker">{ "Simulation" }</span>
                <span class="sim-title">{ TITLE }</span>
            </figcaption>
            { link_notices(&linked.notices) }
            <SimCanvas {scene} label={label} />
            <CopyLink sim="quorum" chapter={props.chapter} {pairs} />
            <div class="sim-settings">
                <Slider label="N (replicas)" min={1} max={i64::from(N_MAX)} value={i64::from(q.n())} onchange={knob('n')} />
                <Slider label="W (write quorum)" min={1} max={i64::from(q.n())} value={i64::from(q.w())} onchange={knob('w')} />
                <Slider label="R (read quorum)" min={1} max={i64::from(q.n())} value={i64::from(q.r())} onchange={knob('r')} />
            </div>
            <Narration text={narration} />
            <div class="sim-panel">
                <p>{ format!(
                    "Smallest R that guarantees overlap with W={}: {}. Writes keep working with {} replica(s) down, reads with {}.",
                    q.w(), q.min_strict_read_quorum(), q.write_failures_tolerated(), q.read_failures_tolerated()
                ) }</p>
                <p>{ format!("Write sets ({}): {}", q.write_sets().count(), sets_text(&q.write_sets())) }</p>
                <p>{ format!("Read sets ({}): {}", q.read_sets().count(), sets_text(&q.read_sets())) }</p>
                { missing.map(|m| {
                    let text = match &m {
                        ReplicaSets::Listed(list) if list.is_empty() => format!("Every read set overlaps the write set {write}."),
                        ReplicaSets::Listed(list) if list.len() <= MISSING_LISTED_MAX => format!(
                            "Read sets that miss the write set {write}: {}.",
                            list.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(" ")
                        ),
                        other => format!("{} read sets miss the write set {write}.", other.count()),
                    };
                    html! { <p><strong>{ text }</strong></p> }
                }) }
            </div>
            <Later>
            <div class="sim-panel">
                <h3>{ "Probability a read misses the latest write (random replicas, no repair yet)" }</h3>
                <p>{ format!("p = C(N−W, R) / C(N, R) = {} = {}", q.p_stale_exact(), percent(q.p_stale())) }</p>
                <table class="state-table">
                    <caption>{ "k-staleness: the read is more than k versions old" }</caption>
                    <thead><tr><th scope="col">{ "k" }</th><th scope="col">{ "p^k" }</th></tr></thead>
                    <tbody>{ for k_rows.iter().map(|(k, p)| html! { <tr><th scope="row">{ *k }</th><td>{ percent(*p) }</td></tr> }) }</tbody>
                </table>
            </div>
            <WarsPanel quorum={q} {latencies} preset={(*preset).clone()} rates={*rates} {on_preset} {on_rate} />
            <div class="sim-panel">
                <h3>{ "Run it: a quorum write, then a quorum read" }</h3>
                <div class="sim-actions">
                    <button type="button" class="primary" onclick={on_run}>{ if *run_seed == 0 { "Run it" } else { "Run it again" } }</button>
                </div>
                { run.map(|(read, notes)| html! {
                    <div aria-live="polite">
                        { for notes.iter().map(|n| html! { <p>{ n.clone() }</p> }) }
                        { read.map(|r| {
                            let verdict = match &r.outcome {
                                ReadOutcome::Returned { chosen, freshness, .. } => format!(
                                    "The read takes the highest version among the first {} replies: {}{}.{}",
                                    q.r(),
                                    chosen.as_ref().map_or("nothing".to_owned(), |c| format!("{} {}", c.version, c.value)),
                                    match freshness { Freshness::Fresh => " (the latest)".to_owned(), Freshness::Stale { latest } => format!(", STALE: the latest is {latest}") },
                                    if r.repaired.is_empty() { String::new() } else {
                                        format!(" Read repair sends v2 to {}.", r.repaired.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", "))
                                    }
                                ),
                                ReadOutcome::Failed { .. } => format!("The read fails: fewer than R={} replicas answered in time.", q.r()),
                                ReadOutcome::Pending => "The read is still waiting.".to_owned(),
                            };
                            html! {
                                <>
                                    <table class="state-table">
                                        <caption>{ "Replies to the read" }</caption>
                                        <thead><tr><th scope="col">{ "Replica" }</th><th scope="col">{ "Holds" }</th><th scope="col">{ "Arrived" }</th><th scope="col">{ "Counted" }</th></tr></thead>
                                        <tbody>{ for r.replies.iter().map(|rep| html! {
                                            <tr>
                                                <th scope="row">{ rep.replica.to_string() }</th>
                                                <td>{ rep.stored.as_ref().map_or("nothing".to_owned(), |s| format!("{} {}", s.version, s.value)) }</td>
                                                <td>{ rep.at.to_string() }</td>
                                                <td>{ if rep.timing == ReplyTiming::Counted { "yes" } else { "late" } }</td>
                                            </tr>
                                        }) }</tbody>
                                    </table>
                                    <p><strong>{ verdict }</strong></p>
                                </>
                            }
                        }) }
                    </div>
                }) }
            </div>
            <div class="sim-panel">
                <h3>{ "Which N replicas? The consistent-hashing ring" }</h3>
                <p>{ format!("Nodes at {}.", ring.tokens().iter().map(|t| format!("{} {}", t.node, t.position)).collect::<Vec<_>>().join(", ")) }</p>
                <div class="sim-settings">
                    <Slider label="Key position on the ring (0–99)" min={0} max={KEY_POSITION_MAX} value={*key_position} onchange={on_key} />
                    <div><button type="button" onclick={toggle_c}>{ if *c_removed { "Add node C back" } else { "Remove node C" } }</button></div>
                </div>
                <p>{ format!("A key at {key_pos} is stored on {} (its coordinator first, then the next nodes clockwise).", replicas.join(", ")) }</p>
                { (*c_removed).then(|| html! {
                    <ul>{ for moves.iter().map(|m| html! { <li>{ m.describe(&ring) }</li> }) }</ul>
                }) }
                <Slider label="Virtual nodes per node (hashed ring, 5 nodes, 2,000 keys)" min={1} max={VNODES_MAX} value={*vnodes} onchange={on_vnodes} />
                <RingLoad vnodes={*vnodes} />
            </div>
            </Later>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changing_n_clamps_w_and_r_and_says_so() {
        let k = Knobs { n: 5, w: 4, r: 4 };
        let (next, note) = k.with('n', 3);
        assert_eq!(next, Knobs { n: 3, w: 3, r: 3 });
        assert!(note.unwrap().contains("W lowered to 3 and R lowered to 3"));
        let (next, note) = k.with('n', 99);
        assert_eq!(next.n, N_MAX);
        assert!(note.is_none());
        assert_eq!(k.with('w', 9).0.w, 5, "W cannot exceed N");
    }

    #[test]
    fn run_it_reads_the_latest_value_with_a_strict_quorum() {
        for seed in 1..20 {
            let (read, notes) = run_it(Quorum::clamped(3, 2, 2), seed);
            let read = read.expect("a read");
            if let ReadOutcome::Returned { chosen, freshness, .. } = &read.outcome {
                assert_eq!(chosen.as_ref().map(|c| c.value.as_str()), Some("Alice"), "seed {seed}: {notes:?}");
                assert_eq!(*freshness, Freshness::Fresh);
            }
        }
    }

    #[test]
    fn the_course_example_overlaps_and_the_scene_fits() {
        let q = Knobs { n: 3, w: 2, r: 2 }.quorum();
        let (write, read) = example_sets(q);
        assert!(write.overlaps(read));
        for n in 1..=N_MAX {
            for narrow in [false, true] {
                let s = scene(Quorum::clamped(n, 1, 1), narrow);
                assert_eq!(s.nodes.len() as u32, n + 2);
                assert!(s
                    .nodes
                    .iter()
                    .all(|g| g.at.x >= 0.0 && g.at.x <= s.width && g.at.y >= 0.0 && g.at.y <= s.height));
            }
        }
    }
}
