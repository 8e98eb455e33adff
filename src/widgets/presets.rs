//! Named starting states for the simulations, so a link can say "show me what MongoDB does with `w:1`".
//!
//! A preset is read from the address: `#/<chapter>/<section>?preset=<name>`. The widgets that take presets
//! (leader-follower, failover, multi-leader, quorum) are mounted inside [`PresetHost`], which reads the name,
//! shows a line saying which preset is on (or why none is), and gives the widget its preset as a prop. The
//! widget turns it into its own settings (`Settings::from_preset` in each widget). An unknown name, or a preset
//! meant for another simulation, leaves the widget in its default state with a visible notice: a bad link never
//! blanks the page. The same host reads a shared link's state (`?sim=<name>&…`, see [`crate::share`]) and hands
//! it to the widget, which mounts the single-node and lag-anomaly simulations through it too.

use std::rc::Rc;

use gloo_events::EventListener;
use sim::leader_follower::Durability;
use sim::multi_leader::Strategy;
use yew::prelude::*;

use crate::content;
use crate::share::{shown, Params};

/// The state a preset puts its simulation in. Only what differs from the widget's default is named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PresetState {
    /// Leader-follower: how the leader acknowledges a write.
    LeaderFollower { durability: Durability },
    /// Failover: whether one follower is synchronous, and how long the leader may be silent before it is
    /// declared dead.
    Failover { synchronous: bool, detection_timeout_s: u64 },
    /// Multi-leader: how the leaders resolve the conflict.
    MultiLeader { strategy: Strategy },
    /// Quorum calculator: replicas, write quorum, read quorum.
    Quorum { n: u32, w: u32, r: u32 },
}

impl PresetState {
    /// The `{{#sim}}` name of the simulation this state belongs to.
    pub fn simulation(&self) -> &'static str {
        match self {
            PresetState::LeaderFollower { .. } => "leader-follower",
            PresetState::Failover { .. } => "failover",
            PresetState::MultiLeader { .. } => "multi-leader",
            PresetState::Quorum { .. } => "quorum",
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Preset {
    /// The name in the address: lowercase, digits and hyphens.
    pub name: &'static str,
    /// The database whose behaviour it shows, as the comparison table names it.
    pub database: &'static str,
    /// What it sets, in a few words ("asynchronous streaming, the default").
    pub label: &'static str,
    /// What to watch for once it is on, in one sentence.
    pub watch: &'static str,
    /// The heading the simulation sits under, so the link lands on it.
    pub section: &'static str,
    pub state: PresetState,
}

pub static PRESETS: &[Preset] = &[
    Preset {
        name: "postgres-async",
        database: "PostgreSQL",
        label: "asynchronous streaming (the default)",
        watch: "The client gets its OK as soon as the leader's WAL is on disk; kill the leader right after an OK and the followers may not have the write.",
        section: "watch-a-write-flow-through-the-cluster",
        state: PresetState::LeaderFollower { durability: Durability::Asynchronous },
    },
    Preset {
        name: "postgres-sync",
        database: "PostgreSQL",
        label: "synchronous standbys",
        watch: "Every OK waits for the followers, so the slowest link sets the write latency, and killing the leader loses nothing acknowledged.",
        section: "watch-a-write-flow-through-the-cluster",
        state: PresetState::LeaderFollower { durability: Durability::Synchronous },
    },
    Preset {
        name: "mysql-semisync",
        database: "MySQL",
        label: "semi-synchronous (one replica must confirm)",
        watch: "The OK waits for the fastest follower only; the others catch up in the background.",
        section: "watch-a-write-flow-through-the-cluster",
        state: PresetState::LeaderFollower { durability: Durability::SemiSynchronous { sync_count: 1 } },
    },
    Preset {
        name: "mongodb-w1",
        database: "MongoDB",
        label: "write concern w:1 and a 10 s election timeout",
        watch: "The primary acknowledges on its own; when it dies, the writes the new primary never received are gone although clients were told they succeeded.",
        section: "try-it-failover-simulation",
        state: PresetState::Failover { synchronous: false, detection_timeout_s: 10 },
    },
    Preset {
        name: "mongodb-majority",
        database: "MongoDB",
        label: "write concern w:majority and a 10 s election timeout",
        watch: "A write is acknowledged only once a majority (the primary and one secondary) has it, so the failover loses no acknowledged write.",
        section: "try-it-failover-simulation",
        state: PresetState::Failover { synchronous: true, detection_timeout_s: 10 },
    },
    Preset {
        name: "cassandra-lww",
        database: "Cassandra",
        label: "last-write-wins by timestamp, with skewed clocks",
        watch: "Trigger the conflict: the write with the larger timestamp wins even if it happened first, and the other is silently discarded.",
        section: "try-it-a-multi-leader-conflict",
        state: PresetState::MultiLeader { strategy: Strategy::LastWriteWinsTimestamp },
    },
    Preset {
        name: "cassandra-quorum",
        database: "Cassandra",
        label: "QUORUM reads and writes with replication factor 3 (N=3, W=2, R=2)",
        watch: "W + R = 4 > 3: every read set meets every write set, so a quorum read sees the latest quorum write.",
        section: "try-it-the-quorum-calculator",
        state: PresetState::Quorum { n: 3, w: 2, r: 2 },
    },
    Preset {
        name: "cassandra-one",
        database: "Cassandra",
        label: "consistency level ONE (N=3, W=1, R=1)",
        watch: "W + R = 2 is not more than 3: a read can miss the replica that took the write and return stale data.",
        section: "try-it-the-quorum-calculator",
        state: PresetState::Quorum { n: 3, w: 1, r: 1 },
    },
    Preset {
        name: "cockroach-raft",
        database: "CockroachDB",
        label: "a Raft majority on a five-replica range (N=5, W=3, R=3)",
        watch: "Raft commits a write once a majority has it, and any two majorities share a replica, so no committed write can be missed.",
        section: "try-it-the-quorum-calculator",
        state: PresetState::Quorum { n: 5, w: 3, r: 3 },
    },
];

pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

impl Preset {
    /// The chapter that mounts this preset's simulation.
    pub fn chapter(&self) -> Option<&'static content::Chapter> {
        let sim = self.state.simulation();
        content::CHAPTERS.iter().find(|c| c.simulations.contains(&sim))
    }

    /// The address that opens the simulation in this state, as a hash route.
    pub fn href(&self) -> String {
        let slug = self.chapter().map_or("", |c| c.slug);
        format!("#/{slug}/{}?preset={}", self.section, self.name)
    }
}

/// The `preset` parameter of a hash route (`#/slug/section?preset=name&…`), if there is one.
pub fn requested_name(hash: &str) -> Option<&str> {
    let (_, query) = hash.split_once('?')?;
    query.split('&').find_map(|pair| pair.strip_prefix("preset="))
}

/// What a simulation does with the address it was opened at.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// No preset named: the default state, and nothing to say.
    None,
    Apply(&'static Preset),
    /// A name no preset has.
    Unknown(String),
    /// A real preset, for a different simulation.
    Elsewhere(&'static Preset),
}

pub fn request(simulation: &str, hash: &str) -> Request {
    let Some(name) = requested_name(hash) else { return Request::None };
    match find(name) {
        Some(p) if p.state.simulation() == simulation => Request::Apply(p),
        Some(p) => Request::Elsewhere(p),
        // The name comes from the address, which anyone can write: cut it short before repeating it.
        None => Request::Unknown(shown(name)),
    }
}

impl Request {
    pub fn preset(&self) -> Option<&'static Preset> {
        match self {
            Request::Apply(p) => Some(p),
            _ => None,
        }
    }

    /// The line shown above the simulation, if any.
    pub fn notice(&self) -> Option<String> {
        match self {
            Request::None => None,
            Request::Apply(p) => Some(format!("Preset '{}': {}, {}. {}", p.name, p.database, p.label, p.watch)),
            Request::Unknown(name) => Some(format!("Unknown preset '{name}'; showing the default.")),
            Request::Elsewhere(p) => {
                let place = p.chapter().map_or_else(String::new, |c| format!(" in chapter {}", c.number));
                Some(format!(
                    "Preset '{}' belongs to the {} simulation{place}; showing the default.",
                    p.name,
                    p.state.simulation()
                ))
            }
        }
    }
}

fn current_hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// What a simulation was asked to show by a shared link (`?sim=NAME&…`, see [`crate::share`]).
#[derive(Clone, Debug, PartialEq)]
pub enum LinkRequest {
    /// No link state for this simulation.
    None,
    /// A link for this simulation: its settings and run, still to be read (and clamped) by the widget.
    Apply(Rc<Params>),
    /// A link naming a simulation the book does not have.
    Unknown(String),
}

pub fn link_request(simulation: &str, hash: &str) -> LinkRequest {
    let params = Params::from_hash(hash);
    match params.simulation() {
        None => LinkRequest::None,
        Some(name) if name == simulation => LinkRequest::Apply(Rc::new(params)),
        // Another simulation of the book: it reads the link itself where it is mounted.
        Some(name) if crate::widgets::SIMULATIONS.contains(&name) => LinkRequest::None,
        Some(name) => LinkRequest::Unknown(shown(name)),
    }
}

impl LinkRequest {
    pub fn params(&self) -> Option<Rc<Params>> {
        match self {
            LinkRequest::Apply(params) => Some(params.clone()),
            _ => None,
        }
    }

    pub fn notice(&self) -> Option<String> {
        match self {
            LinkRequest::Unknown(name) => {
                Some(format!("The link names a simulation this book does not have, '{name}'; showing the default."))
            }
            _ => None,
        }
    }
}

/// How a [`PresetHost`] draws its simulation: the chapter, the preset and the shared link in, the widget out.
pub type RenderSim = fn(&'static str, Option<&'static Preset>, Option<Rc<Params>>) -> Html;

#[derive(Properties)]
pub struct PresetHostProps {
    pub simulation: &'static str,
    pub chapter: &'static str,
    pub render: RenderSim,
}

/// Function pointers do not compare reliably, and need not: one simulation name always comes with one renderer.
impl PartialEq for PresetHostProps {
    fn eq(&self, other: &Self) -> bool {
        self.simulation == other.simulation && self.chapter == other.chapter
    }
}

/// Reads the preset and any shared link state from the address (again whenever the hash changes), says what it
/// did, and mounts the simulation keyed by both, so a different preset or link starts the widget afresh.
#[function_component(PresetHost)]
pub fn preset_host(props: &PresetHostProps) -> Html {
    let simulation = props.simulation;
    let request = use_state(|| request(simulation, &current_hash()));
    let link = use_state(|| link_request(simulation, &current_hash()));
    {
        let (request, link) = (request.clone(), link.clone());
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                EventListener::new(&window, "hashchange", move |_| {
                    let hash = current_hash();
                    let next = self::request(simulation, &hash);
                    // Moving between sections of the chapter keeps the preset or link the reader is looking at.
                    if next != Request::None {
                        request.set(next);
                    }
                    let next = link_request(simulation, &hash);
                    if next != LinkRequest::None {
                        link.set(next);
                    }
                })
            });
            move || drop(listener)
        });
    }
    let preset = request.preset();
    let params = link.params();
    let key = match (&params, preset) {
        (Some(params), _) => format!("link:{params:?}"),
        (None, Some(p)) => p.name.to_owned(),
        (None, None) => "default".to_owned(),
    };
    let tone = if preset.is_some() { "preset-notice" } else { "notice preset-notice" };
    html! {
        <div class="preset-host" key={key}>
            { request.notice().map(|text| html! { <p class={tone} role="status">{ text }</p> }) }
            { link.notice().map(|text| html! { <p class="notice preset-notice" role="status">{ text }</p> }) }
            { (props.render)(props.chapter, preset, params) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_has_a_unique_url_safe_name() {
        for (i, p) in PRESETS.iter().enumerate() {
            assert!(
                !p.name.is_empty() && p.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            );
            assert!(PRESETS[..i].iter().all(|q| q.name != p.name), "{} is listed twice", p.name);
            assert_eq!(find(p.name), Some(p));
        }
        assert!(PRESETS.len() >= 8);
    }

    #[test]
    fn every_preset_link_lands_on_the_heading_above_its_simulation() {
        for p in PRESETS {
            let chapter = p.chapter().unwrap_or_else(|| panic!("no chapter mounts {}", p.state.simulation()));
            assert!(
                chapter.headings.iter().any(|h| h.id == p.section),
                "{}: no heading {} in {}",
                p.name,
                p.section,
                chapter.slug
            );
            assert_eq!(p.href(), format!("#/{}/{}?preset={}", chapter.slug, p.section, p.name));
            assert_eq!(request(p.state.simulation(), &p.href()), Request::Apply(p));
        }
    }

    #[test]
    fn the_preset_is_read_from_the_query_of_the_hash_route() {
        assert_eq!(requested_name("#/leaderless/try-it?preset=cassandra-quorum"), Some("cassandra-quorum"));
        assert_eq!(requested_name("#/leaderless?x=1&preset=cockroach-raft&y=2"), Some("cockroach-raft"));
        assert_eq!(requested_name("#/leaderless/try-it"), None);
        assert_eq!(requested_name(""), None);
        assert_eq!(requested_name("#/leaderless?presets=x"), None);
        assert_eq!(request("quorum", "#/leaderless"), Request::None);
        assert_eq!(request("quorum", "#/leaderless").notice(), None);
    }

    #[test]
    fn an_unknown_preset_says_so_and_leaves_the_default() {
        let r = request("quorum", "#/leaderless?preset=nope");
        assert_eq!(r, Request::Unknown("nope".into()));
        assert_eq!(r.preset(), None);
        assert_eq!(r.notice().as_deref(), Some("Unknown preset 'nope'; showing the default."));
        let empty = request("quorum", "#/leaderless?preset=");
        assert_eq!(empty.notice().as_deref(), Some("Unknown preset ''; showing the default."));
        let long = request("quorum", &format!("#/leaderless?preset={}", "x".repeat(500)));
        assert!(long.notice().is_some_and(|n| n.len() < 100), "an address cannot flood the page");
    }

    #[test]
    fn a_preset_for_another_simulation_is_not_applied() {
        let r = request("quorum", "#/leaderless?preset=mongodb-w1");
        assert_eq!(r.preset(), None);
        assert_eq!(
            r.notice().as_deref(),
            Some("Preset 'mongodb-w1' belongs to the failover simulation in chapter 2; showing the default.")
        );
    }

    /// The presets are only worth linking to if they show what the comparison table says; these run them.
    mod behaviour {
        use sim::leader_follower::{Action as LfAction, WriteStatus};
        use sim::{Replay, Time};

        use super::super::find;
        use crate::widgets::{failover, leader_follower, multi_leader, quorum};

        /// Leader-follower: send a write, kill the leader the moment the client has its OK, and count the
        /// acknowledged writes no follower holds.
        fn lost_after_kill_at_ok(name: &str) -> usize {
            let settings = leader_follower::Settings::from_preset(find(name));
            let mut replay = Replay::new(settings.build(1), Time::from_ms(2_000));
            let mut t = 0;
            while replay.model().writes()[0].status != WriteStatus::Acknowledged {
                t += 1;
                assert!(t < 1_000, "{name}: the write is never acknowledged");
                replay.seek(Time::from_ms(t));
            }
            replay.act(LfAction::KillLeader);
            replay.seek(Time::from_ms(t + 100));
            replay.model().loss_report().map_or(usize::MAX, |r| r.lost.len())
        }

        #[test]
        fn postgres_async_loses_an_acknowledged_write_and_sync_does_not() {
            assert_eq!(lost_after_kill_at_ok("postgres-async"), 1);
            assert_eq!(lost_after_kill_at_ok("postgres-sync"), 0);
            assert_eq!(lost_after_kill_at_ok("mysql-semisync"), 0);
        }

        #[test]
        fn mongodb_w1_loses_acknowledged_writes_in_a_failover_and_majority_does_not() {
            let run = |name: &str| {
                let settings = failover::Settings::from_preset(find(name));
                assert_eq!(settings.detection_timeout_s, 10);
                let mut replay = Replay::new(settings.build(1), Time::from_ms(60_000));
                replay.seek(Time::from_ms(30_000));
                let m = replay.model();
                let failover = m.failovers()[0].clone();
                assert!(failover.writes_resumed_at.is_some(), "{name}: a new primary takes over within 30 s");
                m.metrics().acknowledged_writes_lost
            };
            assert!(run("mongodb-w1") > 0);
            assert_eq!(run("mongodb-majority"), 0);
        }

        #[test]
        fn cassandra_lww_silently_drops_one_of_two_concurrent_writes() {
            let settings = multi_leader::Settings::from_preset(find("cassandra-lww"));
            let outcome = multi_leader::outcomes(&settings, 1)
                .into_iter()
                .find(|o| o.strategy == settings.strategy)
                .expect("every strategy has an outcome");
            assert_eq!(outcome.lost, 1);
        }

        #[test]
        fn quorum_presets_overlap_exactly_when_the_table_says_reads_see_the_latest_write() {
            for (name, strict) in [("cassandra-quorum", true), ("cassandra-one", false), ("cockroach-raft", true)] {
                let q = quorum::Knobs::from_preset(find(name)).quorum();
                let (write, _) = quorum::example_sets(q);
                let missing = q.read_sets_missing(write).map(|sets| sets.count()).unwrap_or(u128::MAX);
                assert_eq!(missing == 0, strict, "{name}");
            }
        }

        #[test]
        fn a_preset_for_another_widget_leaves_each_widget_at_its_default() {
            let elsewhere = find("cassandra-quorum");
            assert_eq!(leader_follower::Settings::from_preset(elsewhere), leader_follower::Settings::default());
            assert_eq!(failover::Settings::from_preset(elsewhere), failover::Settings::default());
            assert_eq!(multi_leader::Settings::from_preset(elsewhere), multi_leader::Settings::default());
            assert_eq!(quorum::Knobs::from_preset(find("mongodb-w1")), quorum::Knobs::from_preset(None));
        }
    }
}
