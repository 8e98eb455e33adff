//! S0 "Single node vs replicated system" (chapter 0): a client workload against one primary; kill it and watch
//! the outage, add replicas and watch reads spread and the service survive a crash through failover.

use std::rc::Rc;

use sim::availability::{at_least_one_up, downtime_s_per_year, format_percent};
use sim::service::{Action, Addr, Config, MessageKind, NodeId, Role, Service, NODES_MAX};
use sim::Time;
use yew::prelude::*;

use crate::canvas::{
    Align, Caption, Dot, DotKind, Glyph, Health, Link, LinkStyle, NodeGlyph, Point, Scene, SimCanvas, Tone,
};
use crate::player::controls_seconds as seconds;
use crate::player::{
    link_notices, use_link, use_link_run, use_media_query, use_player, CopyLink, Narration, PlayerControls,
    PlayerSetup, SimFigure, TableToggle, SIM_MS_PER_REAL_MS,
};
use crate::progress::{use_progress, ProgressAction};
use crate::share::{ActionToken, Params};

pub const HORIZON_MS: u64 = 30_000;
pub const DEFAULT_SEED: u64 = 1;
pub(crate) const SETUP: PlayerSetup = PlayerSetup {
    horizon: Time::from_ms(HORIZON_MS),
    default_seed: DEFAULT_SEED,
    sim_ms_per_real_ms: SIM_MS_PER_REAL_MS,
};
const TITLE: &str = "Single node vs replicated system";

/// Where things sit in the figure. Wide screens get a landscape figure; phones get a portrait one, so labels stay
/// readable instead of shrinking to a third of their size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub client: Point,
    pub monitor: Point,
    /// Seats for n1..n4: a square, so every pair of nodes has a clear line between them.
    pub seats: [Point; 4],
    pub headline: Point,
    pub outage: Point,
}

pub const WIDE: Layout = Layout {
    width: 720.0,
    height: 360.0,
    client: Point::new(100.0, 180.0),
    monitor: Point::new(250.0, 320.0),
    seats: [Point::new(400.0, 80.0), Point::new(620.0, 80.0), Point::new(400.0, 280.0), Point::new(620.0, 280.0)],
    headline: Point::new(110.0, 36.0),
    outage: Point::new(110.0, 250.0),
};

pub const NARROW: Layout = Layout {
    width: 360.0,
    height: 480.0,
    client: Point::new(180.0, 105.0),
    monitor: Point::new(180.0, 450.0),
    seats: [Point::new(72.0, 228.0), Point::new(288.0, 228.0), Point::new(72.0, 362.0), Point::new(288.0, 362.0)],
    headline: Point::new(180.0, 22.0),
    outage: Point::new(180.0, 295.0),
};

impl Layout {
    fn seat(&self, id: NodeId) -> Point {
        self.seats[usize::from(id.0.clamp(1, 4)) - 1]
    }

    fn place(&self, addr: Addr) -> Point {
        match addr {
            Addr::Client => self.client,
            Addr::Monitor => self.monitor,
            Addr::Node(id) => self.seat(id),
        }
    }
}

/// The figure for the current moment: nodes, connections, messages in flight, and headline numbers.
pub fn scene(service: &Service, now: Time, layout: &Layout) -> Scene {
    let nodes = service.nodes();
    let mut scene = Scene { width: layout.width, height: layout.height, ..Scene::default() };
    let primary = nodes.iter().find(|n| n.up && n.role == Role::Primary).map(|n| n.id);
    for n in &nodes {
        let at = layout.seat(n.id);
        if n.in_rotation {
            let style = if n.up { LinkStyle::Solid } else { LinkStyle::Broken };
            scene.links.push(Link { from: layout.client, to: at, style });
        }
        scene.links.push(Link {
            from: at,
            to: layout.monitor,
            style: if n.up { LinkStyle::Faint } else { LinkStyle::Broken },
        });
        if let (Some(p), Role::Replica, true) = (primary, n.role, n.up) {
            scene.links.push(Link { from: layout.seat(p), to: at, style: LinkStyle::Solid });
        }
    }
    scene.nodes.push(NodeGlyph {
        at: layout.client,
        glyph: Glyph::Client,
        health: Health::Up,
        name: "client".into(),
        detail: format!("{} waiting", service.requests_in_flight()),
    });
    scene.nodes.push(NodeGlyph {
        at: layout.monitor,
        glyph: Glyph::Monitor,
        health: Health::Up,
        name: "monitor".into(),
        detail: format!("timeout {} ms", service.config().detection_timeout_ms),
    });
    for n in &nodes {
        let glyph = match n.role {
            Role::Primary => Glyph::Leader,
            Role::Replica => Glyph::Follower,
            Role::Recovering => Glyph::Recovering,
        };
        let detail = if n.role == Role::Replica && n.behind > 0 {
            format!("LSN {} · {} behind", n.last.0, n.behind)
        } else {
            format!("LSN {} · {} reads", n.last.0, n.reads_served)
        };
        scene.nodes.push(NodeGlyph {
            at: layout.seat(n.id),
            glyph,
            health: if n.up { Health::Up } else { Health::Down },
            name: n.id.to_string(),
            detail,
        });
    }
    for m in service.messages() {
        let span = m.deliver_at.ms_since(m.sent_at).max(1) as f64;
        let t = now.ms_since(m.sent_at) as f64 / span;
        let kind = match m.kind {
            MessageKind::ReadRequest => DotKind::Read,
            MessageKind::WriteRequest => DotKind::Write,
            MessageKind::ReplyOk => DotKind::ReplyOk,
            MessageKind::ReplyError => DotKind::ReplyError,
            MessageKind::Replication => DotKind::Replication,
            MessageKind::Heartbeat => DotKind::Heartbeat,
            MessageKind::Control => DotKind::Control,
        };
        scene.dots.push(Dot { at: layout.place(m.from).lerp(layout.place(m.to), t), kind });
    }
    let metrics = service.metrics();
    let (headline, tone) = match metrics.availability() {
        Some(a) => (format!("{:.1} % available", a * 100.0), if a >= 0.99 { Tone::Good } else { Tone::Bad }),
        None => ("no requests yet".to_owned(), Tone::Muted),
    };
    scene.captions.push(Caption { at: layout.headline, text: headline, tone, strong: true, align: Align::Center });
    scene.captions.push(Caption {
        at: Point::new(layout.headline.x, layout.headline.y + 24.0),
        text: format!(
            "{} ok · {} failed",
            metrics.reads_ok + metrics.writes_ok,
            metrics.reads_failed + metrics.writes_failed
        ),
        tone: Tone::Muted,
        strong: false,
        align: Align::Center,
    });
    if metrics.write_outage_ms > 0 {
        scene.captions.push(Caption {
            at: layout.outage,
            text: format!("writes down {}", seconds(metrics.write_outage_ms)),
            tone: Tone::Bad,
            strong: false,
            align: Align::Center,
        });
    }
    scene
}

#[derive(Properties, PartialEq)]
pub struct SingleNodeProps {
    pub chapter: &'static str,
    /// A shared link's state for this simulation.
    #[prop_or_default]
    pub link: Option<Rc<Params>>,
}

/// The reader's buttons, as a link writes them.
impl ActionToken for Action {
    fn token(&self) -> Option<String> {
        Some(
            match self {
                Action::KillPrimary => "kill",
                Action::AddReplica => "add",
                Action::RestartCrashed => "restart",
            }
            .to_owned(),
        )
    }

    fn from_token(token: &str) -> Option<Self> {
        match token {
            "kill" => Some(Action::KillPrimary),
            "add" => Some(Action::AddReplica),
            "restart" => Some(Action::RestartCrashed),
            _ => None,
        }
    }
}

#[function_component(SingleNodeSim)]
pub fn single_node_sim(props: &SingleNodeProps) -> Html {
    let progress = use_progress();
    let on_first_use = {
        let chapter = props.chapter.to_owned();
        Callback::from(move |_| {
            progress.dispatch(ProgressAction::TriedSimulation { chapter: chapter.clone(), name: "single-node".into() })
        })
    };
    let narrow = use_media_query("(max-width: 600px)");
    let layout = if narrow { NARROW } else { WIDE };
    let player = use_player(|seed| Service::new(seed, Config::default()), SETUP, on_first_use);
    let linked = use_link::<(), Action, _>(&props.link, DEFAULT_SEED, || ());
    let notices = use_link_run(&player, &linked);
    let pairs = player.link_pairs(());
    let (scene, nodes, metrics, can_kill, can_add, can_restart, node_count, detection_ms) = player.with(|r| {
        let s = r.model();
        (
            Rc::new(scene(s, r.now(), &layout)),
            s.nodes(),
            s.metrics(),
            s.can(Action::KillPrimary),
            s.can(Action::AddReplica),
            s.can(Action::RestartCrashed),
            s.node_count(),
            s.config().detection_timeout_ms,
        )
    });
    let act = |action: Action| {
        let player = player.clone();
        Callback::from(move |_: MouseEvent| player.act(action))
    };
    let replicas = node_count - 1;
    let theory = at_least_one_up(0.999, node_count as u32);
    let availability = metrics.availability().map_or("—".to_owned(), |a| format!("{:.1} %", a * 100.0));
    let canvas_label = format!(
        "{} node(s): {}. Messages in flight are drawn as dots moving between them.",
        node_count,
        nodes
            .iter()
            .map(|n| format!("{} {}{}", n.id, n.role, if n.up { "" } else { " (down)" }))
            .collect::<Vec<_>>()
            .join(", ")
    );
    html! {
        <SimFigure label={TITLE} onkeydown={player.on_key()}>
            { link_notices(&notices) }
            <SimCanvas {scene} label={canvas_label} />
            <div class="sim-actions" role="group" aria-label="Cluster actions">
                <button type="button" class="danger" onclick={act(Action::KillPrimary)} disabled={!can_kill}>{ "Kill Primary" }</button>
                <button type="button" onclick={act(Action::AddReplica)} disabled={!can_add}>
                    { format!("Add Replica ({replicas} of {})", NODES_MAX - 1) }
                </button>
                <button type="button" onclick={act(Action::RestartCrashed)} disabled={!can_restart}>{ "Restart crashed node" }</button>
            </div>
            <PlayerControls ..player.controls() />
            <CopyLink sim="single-node" chapter={props.chapter} {pairs} />
            <Narration text={player.narration()} />
            <dl class="sim-metrics">
                <div><dt>{ "Requests answered" }</dt><dd>{ metrics.reads_ok + metrics.writes_ok }</dd></div>
                <div><dt>{ "Requests failed" }</dt><dd>{ metrics.reads_failed + metrics.writes_failed }</dd></div>
                <div><dt>{ "Availability so far" }</dt><dd>{ availability }</dd></div>
                <div><dt>{ "Writes unavailable for" }</dt><dd>{ seconds(metrics.write_outage_ms) }</dd></div>
                <div><dt>{ "Nothing available for" }</dt><dd>{ seconds(metrics.full_outage_ms) }</dd></div>
                <div><dt>{ "Acknowledged writes lost" }</dt><dd>{ metrics.acked_writes_lost }</dd></div>
            </dl>
            <p class="sim-note">
                { format!(
                    "In theory, {node_count} {} each up 99.9 % of the time and failing independently {} available {} ({} a year down). \
                     The monitor needs {detection_ms} ms of silence to declare a node dead, and shared causes — power, software, network — make real failures correlated.",
                    if node_count == 1 { "copy" } else { "copies" },
                    if node_count == 1 { "is" } else { "are together" },
                    format_percent(theory),
                    human_duration(downtime_s_per_year(theory)),
                ) }
            </p>
            <TableToggle>
                <table class="state-table">
                    <caption>{ "Nodes" }</caption>
                    <thead><tr>
                        <th scope="col">{ "Node" }</th><th scope="col">{ "Role" }</th><th scope="col">{ "State" }</th>
                        <th scope="col">{ "Last LSN" }</th><th scope="col">{ "Entries behind" }</th>
                        <th scope="col">{ "Reads served" }</th><th scope="col">{ "Writes served" }</th><th scope="col">{ "Client reads here" }</th>
                    </tr></thead>
                    <tbody>
                        { for nodes.iter().map(|n| html! {
                            <tr>
                                <th scope="row">{ n.id.to_string() }</th>
                                <td>{ if n.up { n.role.to_string() } else { format!("was {}", n.role) } }</td>
                                <td>{ if n.up { "up" } else { "down" } }</td>
                                <td>{ n.last.0 }</td>
                                <td>{ n.behind }</td>
                                <td>{ n.reads_served }</td>
                                <td>{ n.writes_served }</td>
                                <td>{ if n.in_rotation { "yes" } else { "no" } }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                <table class="state-table">
                    <caption>{ "Requests" }</caption>
                    <thead><tr><th scope="col">{ "Kind" }</th><th scope="col">{ "Succeeded" }</th><th scope="col">{ "Failed" }</th></tr></thead>
                    <tbody>
                        <tr><th scope="row">{ "Reads" }</th><td>{ metrics.reads_ok }</td><td>{ metrics.reads_failed }</td></tr>
                        <tr><th scope="row">{ "Writes" }</th><td>{ metrics.writes_ok }</td><td>{ metrics.writes_failed }</td></tr>
                    </tbody>
                </table>
            </TableToggle>
        </SimFigure>
    }
}

/// "31.5 s", "8.8 h", "0.03 s": the unit a person would use.
fn human_duration(seconds: f64) -> String {
    if seconds >= 3600.0 {
        format!("{:.1} h", seconds / 3600.0)
    } else if seconds >= 60.0 {
        format!("{:.1} min", seconds / 60.0)
    } else if seconds >= 1.0 {
        format!("{seconds:.1} s")
    } else {
        format!("{seconds:.2} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::{Model, Replay};

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(31.536), "31.5 s");
        assert_eq!(human_duration(0.0315), "0.03 s");
        assert_eq!(human_duration(31_536.0), "8.8 h");
    }

    #[test]
    fn scene_draws_every_node_and_message() {
        let mut replay = Replay::new(Service::new(DEFAULT_SEED, Config::default()), Time::from_ms(HORIZON_MS));
        replay.act(Action::AddReplica);
        replay.seek(Time::from_ms(2_000));
        let service = replay.model();
        let s = scene(service, replay.now(), &WIDE);
        // Client, monitor and two database nodes.
        assert_eq!(s.nodes.len(), 4);
        assert_eq!(s.dots.len(), service.messages().len());
        assert!(s.dots.iter().all(|d| (0.0..=WIDE.width).contains(&d.at.x) && (0.0..=WIDE.height).contains(&d.at.y)));
        let narrow = scene(service, replay.now(), &NARROW);
        assert!(narrow
            .dots
            .iter()
            .all(|d| (0.0..=NARROW.width).contains(&d.at.x) && (0.0..=NARROW.height).contains(&d.at.y)));
        assert!(s.nodes.iter().any(|n| n.glyph == Glyph::Leader && n.name == "n1"));
        let _ = service.now();
    }
}
