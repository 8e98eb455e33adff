//! S2 "Failover timeline" (chapter 2): a steady stream of writes, the leader dies, and the cluster goes through
//! detection, election and reconfiguration — drawn to scale, one lane per node, with write downtime hatched.
//! Settings: detection timeout, each follower's lag, the maximum lag allowed for promotion, fencing, sync or
//! async replication. The default run is the course's example: L at LSN 5000, F1 at 4990, F2 at 4970, a 30 s
//! timeout, F1 elected, LSN 4991–5000 lost, 32 s without writes.

use std::rc::Rc;

use sim::failover::{
    node_name, Action, Config, Failover, Fencing, Outcome, Phase, Replication, Role, Status, FOLLOWERS_MAX,
};
use sim::{Model, Time};
use yew::prelude::*;

use crate::canvas::{
    Align, Band, Caption, Dot, DotKind, Glyph, Health, Link, LinkStyle, NodeGlyph, Point, Scene, SimCanvas, Tone,
};
use crate::player::{
    link_notices, use_link, use_link_run, use_media_query, use_player, Choice, CopyLink, Narration, PlayerControls,
    PlayerSetup, SimFigure, Slider, TableToggle,
};
use crate::progress::{use_progress, ProgressAction};
use crate::share::{numbers_value, ActionToken, Pairs, Params, Reader, Shareable};
use crate::widgets::presets::{Preset, PresetState};

const TITLE: &str = "Failover timeline";
const HORIZON_MS: u64 = 60_000;
/// A minute of failover plays in half a minute at 1×.
pub(crate) const SETUP: PlayerSetup =
    PlayerSetup { horizon: Time::from_ms(HORIZON_MS), default_seed: 1, sim_ms_per_real_ms: 2.0 };

/// The reader's settings. Every change replays the story from the start: writes running, the leader dies at t=0.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub detection_timeout_s: u64,
    /// Entries behind the leader, F1 first.
    pub lags: Vec<u64>,
    /// 0 means no limit.
    pub max_lag: u64,
    pub fencing: bool,
    pub sync: bool,
    /// Clients that keep writing to the old leader's address (they make split brain possible).
    pub stale_clients: u8,
}

impl Default for Settings {
    fn default() -> Self {
        let c = Config::default();
        Settings {
            detection_timeout_s: c.detection_timeout_ms / 1000,
            lags: c.lag_entries[1..=usize::from(c.followers)].to_vec(),
            max_lag: 0,
            fencing: c.fencing == Fencing::Stonith,
            sync: c.replication == Replication::Sync,
            stale_clients: c.stale_clients,
        }
    }
}

impl Settings {
    /// The default story, with the replication mode and detection timeout a preset names.
    pub fn from_preset(preset: Option<&Preset>) -> Settings {
        match preset.map(|p| p.state) {
            Some(PresetState::Failover { synchronous, detection_timeout_s }) => {
                Settings { sync: synchronous, detection_timeout_s, ..Settings::default() }
            }
            _ => Settings::default(),
        }
    }

    pub fn config(&self) -> Config {
        let mut c = Config { followers: (self.lags.len() as u8).clamp(2, FOLLOWERS_MAX), ..Config::default() };
        for (i, lag) in self.lags.iter().enumerate().take(usize::from(FOLLOWERS_MAX)) {
            c.lag_entries[i + 1] = *lag;
        }
        c.detection_timeout_ms = self.detection_timeout_s.clamp(2, 120) * 1000;
        c.max_lag_for_promotion = (self.max_lag > 0).then_some(self.max_lag);
        c.fencing = if self.fencing { Fencing::Stonith } else { Fencing::Off };
        c.replication = if self.sync { Replication::Sync } else { Replication::Async };
        c.stale_clients = self.stale_clients;
        c.clamped()
    }

    /// The story: writes are flowing, and the leader dies at t=0.
    pub fn build(&self, seed: u64) -> Failover {
        let mut model = Failover::new(seed, self.config());
        model.apply(&Action::StartWrites);
        model.apply(&Action::KillLeader);
        model
    }
}

struct Geometry {
    width: f64,
    left: f64,
    right: f64,
    phase_y: f64,
    writes_y: f64,
    first_lane_y: f64,
    lane_gap: f64,
}

impl Geometry {
    fn new(narrow: bool) -> Geometry {
        Geometry {
            width: if narrow { 360.0 } else { 720.0 },
            left: if narrow { 118.0 } else { 130.0 },
            right: 14.0,
            phase_y: 30.0,
            writes_y: 72.0,
            first_lane_y: 170.0,
            lane_gap: 72.0,
        }
    }

    fn x(&self, t: Time) -> f64 {
        self.left + (t.as_ms().min(HORIZON_MS) as f64 / HORIZON_MS as f64) * (self.width - self.left - self.right)
    }

    fn lane(&self, index: usize) -> f64 {
        self.first_lane_y + self.lane_gap * index as f64
    }
}

pub fn scene(model: &Failover, now: Time, narrow: bool) -> Scene {
    let g = Geometry::new(narrow);
    let nodes = model.nodes();
    let height = g.lane(nodes.len()) - 10.0;
    let mut scene = Scene { width: g.width, height, ..Scene::default() };
    let band = |x0: f64, x1: f64, y: f64, tone: Tone, hatched: bool, label: &str| Band {
        x: x0,
        y,
        width: (x1 - x0).max(1.0),
        height: 24.0,
        tone,
        hatched,
        label: label.to_owned(),
    };
    let label = |y: f64, text: &str| Caption {
        at: Point::new(8.0, y + 12.0),
        text: text.to_owned(),
        tone: Tone::Muted,
        strong: false,
        align: Align::Left,
    };
    scene.captions.push(label(g.phase_y, "failover"));
    scene.captions.push(label(g.writes_y, "writes"));
    let end = |t: Option<Time>| g.x(t.unwrap_or(now).min(now));
    for f in model.failovers() {
        for span in &f.phases {
            if span.start > now {
                continue;
            }
            let (tone, text) = match span.phase {
                Phase::Detection => (Tone::Muted, "detection"),
                Phase::Election => (Tone::Normal, "election"),
                Phase::Reconfiguration => (Tone::Good, "reconfig"),
            };
            scene.bands.push(band(g.x(span.start), end(span.end), g.phase_y, tone, false, text));
        }
        if f.crashed_at <= now {
            let resumed = f.writes_resumed_at.filter(|t| *t <= now);
            scene.bands.push(band(g.x(f.crashed_at), end(resumed), g.writes_y, Tone::Bad, true, "no writes"));
        }
    }
    let all = model.failovers();
    for (i, n) in nodes.iter().enumerate() {
        let y = g.lane(i);
        let lane_top = y - 12.0;
        // What this node was, from the failover records: leader until it crashed, leader from when it took over.
        for f in &all {
            if f.old_leader == n.id && f.crashed_at <= now {
                let since =
                    all.iter().filter(|e| e.new_leader == Some(n.id)).filter_map(|e| e.writes_resumed_at).next();
                scene.bands.push(band(
                    g.x(since.unwrap_or(Time::ZERO)),
                    g.x(f.crashed_at),
                    lane_top,
                    Tone::Good,
                    false,
                    "leader",
                ));
                if n.status != Status::Running {
                    scene.bands.push(band(g.x(f.crashed_at), g.x(now), lane_top, Tone::Bad, true, "down"));
                }
            }
            if f.new_leader == Some(n.id) {
                if let Some(t) = f.writes_resumed_at.filter(|t| *t <= now) {
                    let until = all
                        .iter()
                        .find(|e| e.old_leader == n.id && e.crashed_at > t)
                        .map_or(now, |e| e.crashed_at.min(now));
                    scene.bands.push(band(g.x(t), g.x(until), lane_top, Tone::Good, false, "leader"));
                }
            }
        }
        let glyph = match n.role {
            Role::Leader => Glyph::Leader,
            Role::DeposedLeader => Glyph::Recovering,
            Role::Follower => Glyph::Follower,
        };
        scene.nodes.push(NodeGlyph {
            at: Point::new(g.left / 2.0 - 4.0, y),
            glyph,
            health: if n.status == Status::Running { Health::Up } else { Health::Down },
            name: n.name.to_owned(),
            detail: format!("LSN {}", n.last.0),
        });
    }
    for m in model.messages() {
        let (Some(a), Some(b)) = (nodes.iter().position(|n| n.id == m.from), nodes.iter().position(|n| n.id == m.to))
        else {
            continue;
        };
        let span = m.deliver_at.ms_since(m.sent_at).max(1) as f64;
        let t = now.ms_since(m.sent_at) as f64 / span;
        let from = Point::new(g.x(now), g.lane(a));
        let to = Point::new(g.x(now), g.lane(b));
        let kind = match m.kind {
            sim::failover::MessageKind::Heartbeat => DotKind::Heartbeat,
            sim::failover::MessageKind::Replication => DotKind::Replication,
        };
        scene.dots.push(Dot { at: from.lerp(to, t), kind });
    }
    // The moment shown, and a scale every 10 seconds.
    scene.links.push(Link {
        from: Point::new(g.x(now), 16.0),
        to: Point::new(g.x(now), height - 4.0),
        style: LinkStyle::Solid,
    });
    let step_s = if narrow { 20 } else { 10 };
    for s in (0..=HORIZON_MS / 1000).step_by(step_s) {
        scene.captions.push(Caption {
            at: Point::new(g.x(Time::from_ms(s * 1000)), 116.0),
            text: format!("{s} s"),
            tone: Tone::Muted,
            strong: false,
            align: Align::Center,
        });
    }
    scene
}

#[derive(Properties, PartialEq)]
pub struct FailoverProps {
    pub chapter: &'static str,
    #[prop_or_default]
    pub preset: Option<&'static Preset>,
    /// A shared link's state for this simulation.
    #[prop_or_default]
    pub link: Option<Rc<Params>>,
}

/// The slider ranges, shared by the sliders and the link reader so a link can ask for nothing a slider cannot.
const DETECTION_S: std::ops::RangeInclusive<u64> = 2..=60;
const LAG_ENTRIES_MAX: u64 = 100;
const STALE_CLIENTS_MAX: u64 = 2;

impl Shareable for Settings {
    fn write(&self, out: &mut Pairs) {
        out.push(("timeout", self.detection_timeout_s.to_string()));
        out.push(("lags", numbers_value(&self.lags)));
        out.push(("maxlag", self.max_lag.to_string()));
        out.push(("stale", self.stale_clients.to_string()));
        out.push(("repl", if self.sync { "sync" } else { "async" }.to_owned()));
        out.push(("fencing", if self.fencing { "1" } else { "0" }.to_owned()));
    }

    fn read(reader: &mut Reader<'_>) -> Self {
        let d = Settings::default();
        let followers = d.lags.len();
        Settings {
            detection_timeout_s: reader.number("timeout", "Detection timeout (s)", DETECTION_S, d.detection_timeout_s),
            lags: reader.numbers("lags", "follower lags (writes)", followers..=followers, 0..=LAG_ENTRIES_MAX, &d.lags),
            max_lag: reader.number("maxlag", "Maximum lag for promotion", 0..=LAG_ENTRIES_MAX, d.max_lag),
            stale_clients: reader.number(
                "stale",
                "Clients at the old leader",
                0..=STALE_CLIENTS_MAX,
                u64::from(d.stale_clients),
            ) as u8,
            sync: reader.choice("repl", "replication", &[("sync", true), ("async", false)], d.sync),
            fencing: reader.flag("fencing", "Fencing", d.fencing),
        }
    }
}

/// The reader's buttons, as a link writes them. Settings changes are not actions here: each starts a new run.
impl ActionToken for Action {
    fn token(&self) -> Option<String> {
        match self {
            Action::StartWrites => Some("start".to_owned()),
            Action::StopWrites => Some("stop".to_owned()),
            Action::KillLeader => Some("kill".to_owned()),
            Action::RestartOldLeader => Some("restart".to_owned()),
            Action::Configure(_) => None,
        }
    }

    fn from_token(token: &str) -> Option<Self> {
        match token {
            "start" => Some(Action::StartWrites),
            "stop" => Some(Action::StopWrites),
            "kill" => Some(Action::KillLeader),
            "restart" => Some(Action::RestartOldLeader),
            _ => None,
        }
    }
}

#[function_component(FailoverSim)]
pub fn failover_sim(props: &FailoverProps) -> Html {
    let progress = use_progress();
    let on_first_use = {
        let chapter = props.chapter.to_owned();
        Callback::from(move |_| {
            progress.dispatch(ProgressAction::TriedSimulation { chapter: chapter.clone(), name: "failover".into() })
        })
    };
    let linked =
        use_link::<Settings, Action, _>(&props.link, SETUP.default_seed, || Settings::from_preset(props.preset));
    let settings = use_state(|| linked.settings.clone());
    let narrow = use_media_query("(max-width: 600px)");
    let initial = (*settings).clone();
    let player = use_player(move |seed| initial.build(seed), SETUP, on_first_use);
    let notices = use_link_run(&player, &linked);
    let pairs = player.link_pairs((*settings).clone());
    let change = {
        let settings = settings.clone();
        let player = player.clone();
        move |next: Settings| {
            let build = next.clone();
            settings.set(next);
            player.rebuild(move |seed| build.build(seed));
        }
    };
    let setting = |update: fn(&mut Settings, i64)| {
        let change = change.clone();
        let current = (*settings).clone();
        Callback::from(move |v: i64| {
            let mut next = current.clone();
            update(&mut next, v);
            change(next);
        })
    };
    let (scene, nodes, metrics, failovers, collisions, can_kill, can_restart, writing, leaders) = player.with(|r| {
        let m = r.model();
        (
            Rc::new(scene(m, r.now(), narrow)),
            m.nodes(),
            m.metrics(),
            m.failovers(),
            m.collisions().to_vec(),
            m.can(&Action::KillLeader),
            m.can(&Action::RestartOldLeader),
            m.writes_running(),
            m.running_leaders().len(),
        )
    });
    let act = |action: Action| {
        let player = player.clone();
        Callback::from(move |_: MouseEvent| player.act(action.clone()))
    };
    let on_fencing = {
        let change = change.clone();
        let current = (*settings).clone();
        Callback::from(move |_: Event| change(Settings { fencing: !current.fencing, ..current.clone() }))
    };
    let on_replication = {
        let change = change.clone();
        let current = (*settings).clone();
        Callback::from(move |v: AttrValue| change(Settings { sync: v.as_str() == "sync", ..current.clone() }))
    };
    let summary = failovers.last().map(|f| {
        let elected = f.new_leader.map_or("nobody yet".to_owned(), |n| node_name(n).to_owned());
        let lost = f.lost.map_or("no writes lost".to_owned(), |l| {
            format!("{} writes lost (LSN {}–{}, {} of them acknowledged)", l.count, l.first.0, l.last.0, l.acknowledged)
        });
        let outcome = match f.outcome {
            Outcome::Completed => "completed",
            Outcome::InProgress => "in progress",
            Outcome::LeaderReturned => "called off: the old leader came back",
            Outcome::NoEligibleCandidate => "stalled: no follower is close enough to promote",
            Outcome::Unnoticed => "not noticed yet",
            Outcome::Interrupted => "interrupted",
        };
        format!(
            "{} died at {} with LSN {}. Failover {outcome}; elected: {elected}; {lost}; writes resumed {}.",
            node_name(f.old_leader),
            f.crashed_at,
            f.old_leader_last.0,
            f.writes_resumed_at.map_or("not yet".to_owned(), |t| format!(
                "at {t}, after {} s",
                f.write_downtime_ms().unwrap_or(0) / 1000
            )),
        )
    });
    let label = format!(
        "One lane per node on a {} s time axis, with the failover's phases and the time without writes shaded.",
        HORIZON_MS / 1000
    );
    html! {
        <SimFigure label={TITLE} onkeydown={player.on_key()}>
            { link_notices(&notices) }
            <SimCanvas {scene} {label} />
            <div class="sim-actions" role="group" aria-label="Cluster actions">
                { if writing {
                    html! { <button type="button" onclick={act(Action::StopWrites)}>{ "Stop Writes" }</button> }
                } else {
                    html! { <button type="button" class="primary" onclick={act(Action::StartWrites)}>{ "Start Writes" }</button> }
                } }
                <button type="button" class="danger" onclick={act(Action::KillLeader)} disabled={!can_kill}>{ "Kill Leader" }</button>
                <button type="button" onclick={act(Action::RestartOldLeader)} disabled={!can_restart}>{ "Restart old leader" }</button>
            </div>
            <div class="sim-settings">
                <Slider label="Detection timeout" min={*DETECTION_S.start() as i64} max={*DETECTION_S.end() as i64} value={settings.detection_timeout_s as i64} unit="s"
                    onchange={setting(|s, v| s.detection_timeout_s = (v.max(0) as u64).clamp(*DETECTION_S.start(), *DETECTION_S.end()))} />
                <Slider label="F1 lag" min={0} max={100} value={settings.lags[0] as i64} unit="writes"
                    onchange={setting(|s, v| s.lags[0] = v.clamp(0, 100) as u64)} />
                <Slider label="F2 lag" min={0} max={100} value={settings.lags[1] as i64} unit="writes"
                    onchange={setting(|s, v| s.lags[1] = v.clamp(0, 100) as u64)} />
                <Slider label="Maximum lag for promotion (0 = any)" min={0} max={100} value={settings.max_lag as i64} unit="writes"
                    onchange={setting(|s, v| s.max_lag = v.clamp(0, 100) as u64)} />
                <Slider label="Clients still pointing at the old leader" min={0} max={2} value={i64::from(settings.stale_clients)}
                    onchange={setting(|s, v| s.stale_clients = v.clamp(0, 2) as u8)} />
                <Choice label="Replication" value={if settings.sync { "sync" } else { "async" }} onchange={on_replication}
                    options={vec![("async".into(), "Asynchronous".into()), ("sync".into(), "Synchronous (one follower)".into())]} />
                <div class="checkbox">
                    <input id="failover-fencing" type="checkbox" checked={settings.fencing} onchange={on_fencing} />
                    <label for="failover-fencing">{ "Fencing (STONITH): shoot the old leader when it returns" }</label>
                </div>
            </div>
            <PlayerControls ..player.controls() />
            <CopyLink sim="failover" chapter={props.chapter} {pairs} />
            <Narration text={player.narration()} />
            <div class="sim-panel">
                { summary.map(|s| html! { <p>{ s }</p> }) }
                <p>{ format!(
                    "Writes: {} acknowledged, {} rejected, {} failed; {} s without a leader to write to; {} acknowledged write(s) lost.",
                    metrics.writes_acknowledged, metrics.writes_rejected, metrics.writes_failed,
                    metrics.write_downtime_ms / 1000, metrics.acknowledged_writes_lost
                ) }</p>
                { (metrics.split_brain_ms > 0 || leaders > 1).then(|| html! {
                    <p><strong>{ format!(
                        "Split brain: {leaders} leaders accept writes; {} ms so far, {} writes taken by the old leader.",
                        metrics.split_brain_ms, metrics.split_brain_writes
                    ) }</strong></p>
                }) }
                { (!collisions.is_empty()).then(|| html! {
                    <p><strong>{ format!(
                        "{} autoincrement id collision(s): ids {} were handed out twice, for different rows.",
                        collisions.len(),
                        collisions.iter().take(6).map(|c| c.row_id.to_string()).collect::<Vec<_>>().join(", ")
                    ) }</strong></p>
                }) }
            </div>
            <TableToggle>
                <table class="state-table">
                    <caption>{ "Nodes" }</caption>
                    <thead><tr>
                        <th scope="col">{ "Node" }</th><th scope="col">{ "Status" }</th><th scope="col">{ "Role" }</th><th scope="col">{ "Epoch" }</th>
                        <th scope="col">{ "Last LSN" }</th><th scope="col">{ "Behind" }</th><th scope="col">{ "Last row id" }</th>
                    </tr></thead>
                    <tbody>
                        { for nodes.iter().map(|n| html! {
                            <tr>
                                <th scope="row">{ n.name }</th>
                                <td>{ format!("{:?}", n.status).to_lowercase() }</td>
                                <td>{ n.role.to_string() }</td>
                                <td>{ n.epoch }</td>
                                <td>{ n.last.0 }</td>
                                <td>{ n.behind }</td>
                                <td>{ n.last_row_id }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                <table class="state-table">
                    <caption>{ "Failover phases" }</caption>
                    <thead><tr><th scope="col">{ "Phase" }</th><th scope="col">{ "Start" }</th><th scope="col">{ "End" }</th></tr></thead>
                    <tbody>
                        { for failovers.iter().flat_map(|f| f.phases.clone()).map(|p| html! {
                            <tr><th scope="row">{ format!("{:?}", p.phase) }</th><td>{ p.start.to_string() }</td><td>{ p.end.map_or("—".to_owned(), |t| t.to_string()) }</td></tr>
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
    use sim::Replay;

    #[test]
    fn the_default_run_is_the_course_example() {
        let mut replay = Replay::new(Settings::default().build(1), SETUP.horizon);
        replay.seek(Time::from_ms(40_000));
        let f = &replay.model().failovers()[0];
        assert_eq!(f.new_leader.map(node_name), Some("F1"));
        let lost = f.lost.unwrap();
        assert_eq!((lost.first.0, lost.last.0, lost.count), (4991, 5000, 10));
        assert_eq!(f.write_downtime_ms(), Some(32_000));
        for narrow in [false, true] {
            let s = scene(replay.model(), replay.now(), narrow);
            assert!(s.bands.iter().any(|b| b.label == "no writes" && b.hatched));
            assert!(s.bands.iter().all(|b| b.x >= 0.0 && b.x + b.width <= s.width + 0.5), "bands stay on the axis");
        }
    }
}
