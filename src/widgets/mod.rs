//! One widget per simulation, mounted by `{{#sim NAME}}` in a chapter.

mod code_drills;
mod failover;
mod lag_anomalies;
mod leader_follower;
mod log_formats;
mod multi_leader;
mod quorum;
mod single_node;
mod version_vectors;

#[cfg(test)]
mod link_tests;

pub mod databases;
mod decision_walk;
pub mod decisions;
pub mod presets;
mod strategy_comparison;

use std::rc::Rc;

use yew::prelude::*;

use crate::share::Params;

include!("names.rs");

pub use code_drills::CodeDrillsSim;
pub use failover::FailoverSim;
pub use lag_anomalies::LagAnomaliesSim;
pub use leader_follower::LeaderFollowerSim;
pub use log_formats::LogFormatsSim;
pub use multi_leader::MultiLeaderSim;
pub use quorum::QuorumSim;
pub use single_node::SingleNodeSim;
pub use version_vectors::VersionVectorsSim;

pub use decision_walk::DecisionWalk;
pub use presets::PresetHost;
pub use strategy_comparison::StrategyComparison;

/// The widget for simulation `name`, placed in chapter `chapter`. The build rejects unknown names, so the
/// fallback arm is only reachable if `names.rs` lists a simulation this function forgot.
pub fn mount(name: &str, chapter: &'static str) -> Html {
    match name {
        "single-node" => {
            html! { <PresetHost simulation="single-node" {chapter} render={single_node as presets::RenderSim} /> }
        }
        "leader-follower" => {
            html! { <PresetHost simulation="leader-follower" {chapter} render={leader_follower as presets::RenderSim} /> }
        }
        "log-formats" => {
            html! { <PresetHost simulation="log-formats" {chapter} render={log_formats as presets::RenderSim} /> }
        }
        "failover" => html! { <PresetHost simulation="failover" {chapter} render={failover as presets::RenderSim} /> },
        "multi-leader" => {
            html! { <PresetHost simulation="multi-leader" {chapter} render={multi_leader as presets::RenderSim} /> }
        }
        "quorum" => html! { <PresetHost simulation="quorum" {chapter} render={quorum as presets::RenderSim} /> },
        "version-vectors" => {
            html! { <PresetHost simulation="version-vectors" {chapter} render={version_vectors as presets::RenderSim} /> }
        }
        "lag-anomalies" => {
            html! { <PresetHost simulation="lag-anomalies" {chapter} render={lag_anomalies as presets::RenderSim} /> }
        }
        "code-drills" => html! { <CodeDrillsSim {chapter} /> },
        "strategy-comparison" => html! { <StrategyComparison {chapter} /> },
        "pg-vs-cassandra" => html! { <DecisionWalk walk={&decisions::PG_VS_CASSANDRA} {chapter} /> },
        "decision-tree" => html! { <DecisionWalk walk={&decisions::DECISION_TREE} {chapter} /> },
        other => {
            html! { <p class="notice" role="alert">{ format!("The simulation {other:?} is not available in this build.") }</p> }
        }
    }
}

// The simulations that take a preset or a shared link from the address, drawn by their `PresetHost`.
fn single_node(chapter: &'static str, _: Option<&'static presets::Preset>, link: Option<Rc<Params>>) -> Html {
    html! { <SingleNodeSim {chapter} {link} /> }
}

fn leader_follower(chapter: &'static str, preset: Option<&'static presets::Preset>, link: Option<Rc<Params>>) -> Html {
    html! { <LeaderFollowerSim {chapter} {preset} {link} /> }
}

fn log_formats(chapter: &'static str, _: Option<&'static presets::Preset>, link: Option<Rc<Params>>) -> Html {
    html! { <LogFormatsSim {chapter} {link} /> }
}

fn version_vectors(chapter: &'static str, _: Option<&'static presets::Preset>, link: Option<Rc<Params>>) -> Html {
    html! { <VersionVectorsSim {chapter} {link} /> }
}

fn failover(chapter: &'static str, preset: Option<&'static presets::Preset>, link: Option<Rc<Params>>) -> Html {
    html! { <FailoverSim {chapter} {preset} {link} /> }
}

fn lag_anomalies(chapter: &'static str, _: Option<&'static presets::Preset>, link: Option<Rc<Params>>) -> Html {
    html! { <LagAnomaliesSim {chapter} {link} /> }
}

fn multi_leader(chapter: &'static str, preset: Option<&'static presets::Preset>, link: Option<Rc<Params>>) -> Html {
    html! { <MultiLeaderSim {chapter} {preset} {link} /> }
}

fn quorum(chapter: &'static str, preset: Option<&'static presets::Preset>, link: Option<Rc<Params>>) -> Html {
    html! { <QuorumSim {chapter} {preset} {link} /> }
}
