//! S1 "Leader-follower replication" (chapter 1): trace one write from the client through the leader's WAL to
//! the followers and back, in synchronous, asynchronous or semi-synchronous mode; kill the leader right after an
//! OK to see what each mode loses; and the read-scaling arithmetic beside it.

use std::rc::Rc;

use sim::leader_follower::{
    Action, Addr, Config, Durability, Fate, FollowerConfig, FollowerId, LeaderFollower, MessageKind, Phase,
    ReadScaling, Replication, Role, WriteStatus, FOLLOWERS_MAX, FOLLOWERS_MIN,
};
use sim::{Model, Time};
use yew::prelude::*;

use crate::canvas::{
    Align, Caption, Dot, DotKind, Glyph, Health, Link, LinkStyle, NodeGlyph, Point, Scene, SimCanvas, Tone,
};
use crate::player::{
    link_notices, use_link, use_link_run, use_media_query, use_player, Choice, CopyLink, Later, Narration,
    PlayerControls, PlayerSetup, SimFigure, Slider, TableToggle,
};
use crate::progress::{use_progress, ProgressAction};
use crate::share::{numbers_value, ActionToken, Pairs, Params, Reader, Shareable};
use crate::widgets::presets::{Preset, PresetState};

const TITLE: &str = "Leader-follower replication";
/// One write takes about a dozen milliseconds, so this figure runs its clock at 1/100 of real time.
pub(crate) const SETUP: PlayerSetup =
    PlayerSetup { horizon: Time::from_ms(2_000), default_seed: 1, sim_ms_per_real_ms: 0.01 };
const LATENCY_MS_MAX: i64 = 40;
const SCALING_FOLLOWERS_MAX: i64 = 20;
const WRITE_CPU_PERCENT_MAX: i64 = 90;

/// The settings the reader picks; every change builds a new run.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub durability: Durability,
    /// One-way latency to each follower, F1 first (2 to 5 of them).
    pub latencies_ms: Vec<u64>,
}

impl Default for Settings {
    /// The course's traced example: semi-synchronous, F1 1 ms away (synchronous), F2 8 ms away (asynchronous).
    fn default() -> Self {
        let config = Config::default();
        Settings {
            durability: config.durability,
            latencies_ms: config.followers.iter().map(|f| f.link_latency_ms).collect(),
        }
    }
}

impl Settings {
    /// The default, with the acknowledgement mode a preset names.
    pub fn from_preset(preset: Option<&Preset>) -> Settings {
        match preset.map(|p| p.state) {
            Some(PresetState::LeaderFollower { durability }) => Settings { durability, ..Settings::default() },
            _ => Settings::default(),
        }
    }

    pub fn config(&self) -> Config {
        let mut config = Config { durability: self.durability, ..Config::default() };
        let template = config.followers[0];
        config.followers = self
            .latencies_ms
            .iter()
            .take(FOLLOWERS_MAX)
            .map(|&ms| FollowerConfig { link_latency_ms: ms, ..template })
            .collect();
        config.clamped()
    }

    /// A new run: the client sends its first write at t=0, as in the course's example.
    pub fn build(&self, seed: u64) -> LeaderFollower {
        let mut model = LeaderFollower::new(seed, self.config());
        model.apply(&Action::SendWrite);
        model
    }
}

fn place(addr: Addr, followers: usize, narrow: bool) -> Point {
    let (width, height) = if narrow { (360.0, 420.0) } else { (720.0, 340.0) };
    match (addr, narrow) {
        (Addr::Client, false) => Point::new(70.0, height / 2.0),
        (Addr::Leader, false) => Point::new(300.0, height / 2.0),
        (Addr::Follower(id), false) => {
            let slot = (height - 40.0) / followers.max(1) as f64;
            Point::new(width - 90.0, 20.0 + slot * (f64::from(id.0) - 0.5))
        }
        (Addr::Client, true) => Point::new(width / 2.0, 50.0),
        (Addr::Leader, true) => Point::new(width / 2.0, 170.0),
        (Addr::Follower(id), true) => {
            // Followers on two rows under the leader.
            let i = f64::from(id.0 - 1);
            let per_row = 3.0;
            let row = (i / per_row).floor();
            let in_row = ((followers as f64) - row * per_row).min(per_row);
            let col = i - row * per_row;
            let gap = width / in_row;
            Point::new(gap * (col + 0.5), 300.0 + row * 80.0)
        }
    }
}

pub fn scene(model: &LeaderFollower, now: Time, narrow: bool) -> Scene {
    let (width, height) = if narrow { (360.0, 420.0) } else { (720.0, 340.0) };
    let nodes = model.nodes();
    let followers = nodes.iter().filter(|n| n.role == Role::Follower).count();
    let mut scene = Scene { width, height, ..Scene::default() };
    let at = |a: Addr| place(a, followers, narrow);
    scene.links.push(Link { from: at(Addr::Client), to: at(Addr::Leader), style: LinkStyle::Solid });
    for n in nodes.iter().filter(|n| n.role == Role::Follower) {
        let style = match (n.is_up(), n.replication) {
            (false, _) => LinkStyle::Broken,
            (true, Some(Replication::Synchronous)) => LinkStyle::Solid,
            _ => LinkStyle::Faint,
        };
        scene.links.push(Link { from: at(Addr::Leader), to: at(n.addr), style });
    }
    let waiting = model.writes().iter().filter(|w| w.status == WriteStatus::Waiting).count();
    scene.nodes.push(NodeGlyph {
        at: at(Addr::Client),
        glyph: Glyph::Client,
        health: Health::Up,
        name: "client".into(),
        detail: if waiting > 0 { format!("{waiting} waiting") } else { String::new() },
    });
    for n in &nodes {
        let glyph = match n.role {
            Role::Leader => Glyph::Leader,
            Role::Follower if matches!(n.phase, Phase::CatchingUp | Phase::RestoringSnapshot) => Glyph::Recovering,
            Role::Follower => Glyph::Follower,
        };
        let mode = match n.replication {
            Some(Replication::Synchronous) => " · sync",
            Some(Replication::Asynchronous) => " · async",
            None => "",
        };
        scene.nodes.push(NodeGlyph {
            at: at(n.addr),
            glyph,
            health: if n.is_up() { Health::Up } else { Health::Down },
            name: match n.addr {
                Addr::Leader => "leader".into(),
                other => other.to_string(),
            },
            detail: format!("LSN {}{mode}", n.applied_lsn.0),
        });
    }
    for m in model.messages() {
        let span = m.deliver_at.ms_since(m.sent_at).max(1) as f64;
        let t = now.ms_since(m.sent_at) as f64 / span;
        let kind = match m.kind {
            MessageKind::Write => DotKind::Write,
            MessageKind::Ok => DotKind::ReplyOk,
            MessageKind::Replicate | MessageKind::Snapshot => DotKind::Replication,
            MessageKind::Ack => DotKind::ReplyOk,
            MessageKind::CatchUpRequest => DotKind::Control,
        };
        scene.dots.push(Dot { at: at(m.from).lerp(at(m.to), t), kind });
    }
    if let Some(w) = model.writes().iter().rev().find(|w| w.wait_ms.is_some()) {
        let client = at(Addr::Client);
        let y = if narrow { client.y + 45.0 } else { client.y + 50.0 };
        scene.captions.push(Caption {
            at: Point::new(client.x, y),
            text: format!("OK after {} ms", w.wait_ms.unwrap_or(0)),
            tone: Tone::Good,
            strong: false,
            align: Align::Center,
        });
    }
    if let Some(report) = model.loss_report() {
        let (text, tone) = if report.lost.is_empty() {
            (format!("leader died: {} acknowledged write(s) survive", report.survived.len()), Tone::Good)
        } else {
            (format!("leader died: {} acknowledged write(s) LOST", report.lost.len()), Tone::Bad)
        };
        scene.captions.push(Caption {
            at: Point::new(if narrow { width / 2.0 } else { 300.0 }, if narrow { 235.0 } else { 28.0 }),
            text,
            tone,
            strong: true,
            align: Align::Center,
        });
    }
    scene
}

fn durability_value(d: Durability) -> &'static str {
    match d {
        Durability::Synchronous => "sync",
        Durability::Asynchronous => "async",
        Durability::SemiSynchronous { .. } => "semi",
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or(String::new(), |c| c.to_uppercase().chain(chars).collect())
}

fn holders(addrs: &[Addr]) -> String {
    let names: Vec<String> = addrs
        .iter()
        .map(|a| match a {
            Addr::Leader => "the leader".to_owned(),
            other => other.to_string(),
        })
        .collect();
    names.join(", ")
}

#[derive(Properties, PartialEq)]
pub struct LeaderFollowerProps {
    pub chapter: &'static str,
    #[prop_or_default]
    pub preset: Option<&'static Preset>,
    /// A shared link's state for this simulation.
    #[prop_or_default]
    pub link: Option<Rc<Params>>,
}

/// Everything the reader can set in this figure: the run's settings and the read-scaling panel beside it.
#[derive(Clone, Debug, PartialEq)]
pub struct Shared {
    pub settings: Settings,
    pub scaling_followers: i64,
    pub write_cpu_percent: i64,
}

impl Default for Shared {
    fn default() -> Self {
        Shared { settings: Settings::default(), scaling_followers: 3, write_cpu_percent: 50 }
    }
}

const MODES: &[(&str, Durability)] = &[
    ("sync", Durability::Synchronous),
    ("semi", Durability::SemiSynchronous { sync_count: 1 }),
    ("async", Durability::Asynchronous),
];

impl Shareable for Shared {
    fn write(&self, out: &mut Pairs) {
        out.push(("mode", durability_value(self.settings.durability).to_owned()));
        out.push(("lat", numbers_value(&self.settings.latencies_ms)));
        out.push(("readers", self.scaling_followers.to_string()));
        out.push(("cpu", self.write_cpu_percent.to_string()));
    }

    fn read(reader: &mut Reader<'_>) -> Self {
        let default = Shared::default();
        let durability = reader.choice("mode", "mode", MODES, default.settings.durability);
        let latencies_ms = reader.numbers(
            "lat",
            "follower latencies (ms)",
            FOLLOWERS_MIN..=FOLLOWERS_MAX,
            0..=LATENCY_MS_MAX as u64,
            &default.settings.latencies_ms,
        );
        let scaling_followers =
            reader.number("readers", "Read-scaling followers", 0..=SCALING_FOLLOWERS_MAX as u64, 3) as i64;
        let write_cpu_percent =
            reader.number("cpu", "Leader CPU spent on writes (%)", 0..=WRITE_CPU_PERCENT_MAX as u64, 50) as i64;
        Shared { settings: Settings { durability, latencies_ms }, scaling_followers, write_cpu_percent }
    }
}

/// The reader's buttons, as a link writes them.
impl ActionToken for Action {
    fn token(&self) -> Option<String> {
        Some(match self {
            Action::SendWrite => "write".to_owned(),
            Action::KillLeader => "kill".to_owned(),
            Action::AddFollower => "add".to_owned(),
            Action::CrashFollower(f) => format!("crash-{}", f.0),
            Action::RestartFollower(f) => format!("restart-{}", f.0),
        })
    }

    fn from_token(token: &str) -> Option<Self> {
        let follower = |rest: &str| rest.parse::<u8>().ok().map(FollowerId);
        match token {
            "write" => Some(Action::SendWrite),
            "kill" => Some(Action::KillLeader),
            "add" => Some(Action::AddFollower),
            _ => {
                if let Some(rest) = token.strip_prefix("crash-") {
                    follower(rest).map(Action::CrashFollower)
                } else {
                    token.strip_prefix("restart-").and_then(follower).map(Action::RestartFollower)
                }
            }
        }
    }
}

#[function_component(LeaderFollowerSim)]
pub fn leader_follower_sim(props: &LeaderFollowerProps) -> Html {
    let progress = use_progress();
    let on_first_use = {
        let chapter = props.chapter.to_owned();
        Callback::from(move |_| {
            progress
                .dispatch(ProgressAction::TriedSimulation { chapter: chapter.clone(), name: "leader-follower".into() })
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
    let player = use_player(move |seed| initial.build(seed), SETUP, on_first_use);
    let notices = use_link_run(&player, &linked);
    let scaling_followers = use_state(|| shared.scaling_followers);
    let write_cpu = use_state(|| shared.write_cpu_percent);
    let pairs = player.link_pairs(Shared {
        settings: (*settings).clone(),
        scaling_followers: *scaling_followers,
        write_cpu_percent: *write_cpu,
    });

    let change = {
        let settings = settings.clone();
        let player = player.clone();
        move |next: Settings| {
            let build = next.clone();
            settings.set(next);
            player.rebuild(move |seed| build.build(seed));
        }
    };
    let on_mode = {
        let change = change.clone();
        let current = (*settings).clone();
        Callback::from(move |v: AttrValue| {
            let durability = match v.as_str() {
                "sync" => Durability::Synchronous,
                "async" => Durability::Asynchronous,
                _ => Durability::SemiSynchronous { sync_count: 1 },
            };
            change(Settings { durability, ..current.clone() });
        })
    };
    let on_count = {
        let change = change.clone();
        let current = (*settings).clone();
        Callback::from(move |n: i64| {
            let mut latencies_ms = current.latencies_ms.clone();
            latencies_ms.resize(n.clamp(FOLLOWERS_MIN as i64, FOLLOWERS_MAX as i64) as usize, 8);
            change(Settings { latencies_ms, ..current.clone() });
        })
    };

    let (scene, nodes, writes, report, can_send, can_kill, can_add) = player.with(|r| {
        let m = r.model();
        (
            Rc::new(scene(m, r.now(), narrow)),
            m.nodes(),
            m.writes().to_vec(),
            m.loss_report().cloned(),
            m.can(Action::SendWrite),
            m.can(Action::KillLeader),
            m.can(Action::AddFollower),
        )
    });
    let act = |action: Action| {
        let player = player.clone();
        Callback::from(move |_: MouseEvent| player.act(action))
    };

    let latest = writes.iter().rev().find(|w| w.status != WriteStatus::Waiting).or(writes.last());
    let summary = match latest {
        Some(w) => match (w.status, w.lsn, w.wait_ms) {
            (WriteStatus::Acknowledged, Some(lsn), Some(wait)) => format!(
                "{} got {} and the client waited {wait} ms. When the OK arrived, the write was on {}.",
                capitalized(&w.id.to_string()),
                lsn,
                holders(&w.held_at_ok)
            ),
            (WriteStatus::Unanswered, _, _) => {
                format!("{} was never answered: the leader died first.", capitalized(&w.id.to_string()))
            }
            _ => format!("{} is on its way; the client is waiting.", capitalized(&w.id.to_string())),
        },
        None => "No write sent yet.".to_owned(),
    };
    let loss = report.map(|r| {
        if r.lost.is_empty() && r.survived.is_empty() {
            format!("The leader died at {} before acknowledging any write.", r.at)
        } else if r.lost.is_empty() {
            format!(
                "The leader died at {}. All {} acknowledged write(s) survive on a follower.",
                r.at,
                r.survived.len()
            )
        } else {
            let lsns: Vec<String> = r.lost.iter().map(|(_, lsn)| lsn.0.to_string()).collect();
            format!(
                "The leader died at {}. {} acknowledged write(s) are lost (LSN {}): the client was told they succeeded.",
                r.at,
                r.lost.len(),
                lsns.join(", ")
            )
        }
    });

    let scaling = ReadScaling { leader_write_cpu_percent: *write_cpu as u32, ..ReadScaling::default() };
    let f = *scaling_followers as u32;
    let row = scaling.row(f);
    let on_scaling = {
        let s = scaling_followers.clone();
        Callback::from(move |v: i64| s.set(v))
    };
    let on_write_cpu = {
        let s = write_cpu.clone();
        Callback::from(move |v: i64| s.set(v))
    };

    let label = format!(
        "A client, a leader and {} followers; dots are messages: squares are writes, diamonds WAL records, circles acknowledgements.",
        nodes.len().saturating_sub(1)
    );
    html! {
        <SimFigure label={TITLE} onkeydown={player.on_key()}>
            { link_notices(&notices) }
            <SimCanvas {scene} label={label} />
            <div class="sim-actions" role="group" aria-label="Cluster actions">
                <button type="button" class="primary" onclick={act(Action::SendWrite)} disabled={!can_send}>{ "Send Write" }</button>
                <button type="button" class="danger" onclick={act(Action::KillLeader)} disabled={!can_kill}>{ "Kill Leader" }</button>
                <button type="button" onclick={act(Action::AddFollower)} disabled={!can_add}>{ "Add Follower" }</button>
            </div>
            <div class="sim-settings">
                <Choice label="Mode" value={durability_value(settings.durability)} onchange={on_mode}
                    options={vec![
                        ("sync".into(), "Synchronous (all followers)".into()),
                        ("semi".into(), "Semi-synchronous (one follower)".into()),
                        ("async".into(), "Asynchronous".into()),
                    ]} />
                <Slider label="Followers" min={FOLLOWERS_MIN as i64} max={FOLLOWERS_MAX as i64}
                    value={settings.latencies_ms.len() as i64} onchange={on_count} />
                { for settings.latencies_ms.iter().enumerate().map(|(i, ms)| {
                    let change = change.clone();
                    let current = (*settings).clone();
                    let onchange = Callback::from(move |v: i64| {
                        let mut latencies_ms = current.latencies_ms.clone();
                        latencies_ms[i] = v.clamp(0, LATENCY_MS_MAX) as u64;
                        change(Settings { latencies_ms, ..current.clone() });
                    });
                    html! { <Slider label={format!("F{} latency", i + 1)} min={0} max={LATENCY_MS_MAX} value={*ms as i64} unit="ms" {onchange} /> }
                }) }
            </div>
            <PlayerControls ..player.controls() />
            <CopyLink sim="leader-follower" chapter={props.chapter} {pairs} />
            <Narration text={player.narration()} />
            <div class="sim-panel">
                <p>{ summary }</p>
                { loss.map(|l| html! { <p><strong>{ l }</strong></p> }) }
            </div>
            // The panels below the figure arrive a task after it, so mounting the widget is two shorter tasks.
            <Later>
            <div class="sim-panel">
                <h3>{ "Read scaling" }</h3>
                <div class="sim-settings">
                    <Slider label="Followers" min={0} max={SCALING_FOLLOWERS_MAX} value={*scaling_followers} onchange={on_scaling} />
                    <Slider label="Leader CPU spent on writes" min={0} max={WRITE_CPU_PERCENT_MAX} value={*write_cpu} unit="%" onchange={on_write_cpu} />
                </div>
                <p>
                    { format!(
                        "Total read capacity = {}K (leader, after writes) + {f} × {}K (each follower, after replaying writes) = {}K reads/s, {:.1}× the leader alone.",
                        row.leader_reads_per_s / 1000,
                        row.follower_reads_per_s / 1000,
                        row.total_reads_per_s / 1000,
                        row.improvement
                    ) }
                </p>
                <p class="sim-note">
                    { if ReadScaling::cascading_advised(f) {
                        "Past about 15–20 followers, the leader spends too much of itself sending the log; real systems switch to cascading replication (followers feeding followers)."
                    } else {
                        "Every follower also replays every write, and each replication stream costs the leader a little: the gains shrink as followers are added."
                    } }
                </p>
            </div>
            <TableToggle>
                <table class="state-table">
                    <caption>{ "Nodes" }</caption>
                    <thead><tr>
                        <th scope="col">{ "Node" }</th><th scope="col">{ "State" }</th><th scope="col">{ "Replication" }</th>
                        <th scope="col">{ "Last LSN" }</th><th scope="col">{ "Applied LSN" }</th><th scope="col">{ "Records behind" }</th><th scope="col">{ "Lag" }</th>
                    </tr></thead>
                    <tbody>
                        { for nodes.iter().map(|n| html! {
                            <tr>
                                <th scope="row">{ match n.addr { Addr::Leader => "leader".to_owned(), other => other.to_string() } }</th>
                                <td>{ n.phase.to_string() }</td>
                                <td>{ n.replication.map_or("—".to_owned(), |r| r.to_string()) }</td>
                                <td>{ n.last_lsn.0 }</td>
                                <td>{ n.applied_lsn.0 }</td>
                                <td>{ n.behind_records }</td>
                                <td>{ format!("{} ms", n.lag_ms) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                <table class="state-table">
                    <caption>{ "Writes" }</caption>
                    <thead><tr>
                        <th scope="col">{ "Write" }</th><th scope="col">{ "LSN" }</th><th scope="col">{ "Sent" }</th>
                        <th scope="col">{ "Client waited" }</th><th scope="col">{ "Held at OK by" }</th><th scope="col">{ "After the leader died" }</th>
                    </tr></thead>
                    <tbody>
                        { for writes.iter().map(|w| html! {
                            <tr>
                                <th scope="row">{ w.id.to_string() }</th>
                                <td>{ w.lsn.map_or("—".to_owned(), |l| l.0.to_string()) }</td>
                                <td>{ w.sent_at.to_string() }</td>
                                <td>{ w.wait_ms.map_or("—".to_owned(), |ms| format!("{ms} ms")) }</td>
                                <td>{ holders(&w.held_at_ok) }</td>
                                <td>{ match &w.fate {
                                    None => "—".to_owned(),
                                    Some(Fate::Lost) => "lost".to_owned(),
                                    Some(Fate::Survives { on }) => format!("survives on {}", on.iter().map(|f| f.to_string()).collect::<Vec<_>>().join(", ")),
                                } }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </TableToggle>
            </Later>
        </SimFigure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::Replay;

    #[test]
    fn the_default_run_is_the_course_example_and_fits_the_figure() {
        let mut replay = Replay::new(Settings::default().build(1), SETUP.horizon);
        replay.seek(Time::from_ms(20));
        let model = replay.model();
        let w = &model.writes()[0];
        assert_eq!(w.lsn.map(|l| l.0), Some(1042));
        assert_eq!(w.wait_ms, Some(6));
        for narrow in [false, true] {
            let s = scene(model, replay.now(), narrow);
            assert_eq!(s.nodes.len(), 4, "client, leader, F1, F2");
            assert!(s.nodes.iter().all(|n| n.at.x > 0.0 && n.at.x < s.width && n.at.y > 0.0 && n.at.y < s.height));
        }
    }

    #[test]
    fn settings_clamp_to_what_the_model_allows() {
        let s = Settings { durability: Durability::Asynchronous, latencies_ms: vec![1; 9] };
        assert_eq!(s.config().followers.len(), FOLLOWERS_MAX);
    }
}
