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

pub mod databases;
mod decision_walk;
pub mod decisions;
pub mod presets;
mod strategy_comparison;

use yew::prelude::*;

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
        "single-node" => html! { <SingleNodeSim {chapter} /> },
        "leader-follower" => {
            html! { <PresetHost simulation="leader-follower" {chapter} render={leader_follower as presets::RenderSim} /> }
        }
        "log-formats" => html! { <LogFormatsSim {chapter} /> },
        "failover" => html! { <PresetHost simulation="failover" {chapter} render={failover as presets::RenderSim} /> },
        "multi-leader" => {
            html! { <PresetHost simulation="multi-leader" {chapter} render={multi_leader as presets::RenderSim} /> }
        }
        "quorum" => html! { <PresetHost simulation="quorum" {chapter} render={quorum as presets::RenderSim} /> },
        "version-vectors" => html! { <VersionVectorsSim {chapter} /> },
        "lag-anomalies" => html! { <LagAnomaliesSim {chapter} /> },
        "code-drills" => html! { <CodeDrillsSim {chapter} /> },
        "strategy-comparison" => html! { <StrategyComparison {chapter} /> },
        "pg-vs-cassandra" => html! { <DecisionWalk walk={&decisions::PG_VS_CASSANDRA} {chapter} /> },
        "decision-tree" => html! { <DecisionWalk walk={&decisions::DECISION_TREE} {chapter} /> },
        other => {
            html! { <p class="notice" role="alert">{ format!("The simulation {other:?} is not available in this build.") }</p> }
        }
    }
}

// The simulations that take a preset from the address, drawn by their `PresetHost`.
fn leader_follower(chapter: &'static str, preset: Option<&'static presets::Preset>) -> Html {
    html! { <LeaderFollowerSim {chapter} {preset} /> }
}

fn failover(chapter: &'static str, preset: Option<&'static presets::Preset>) -> Html {
    html! { <FailoverSim {chapter} {preset} /> }
}

fn multi_leader(chapter: &'static str, preset: Option<&'static presets::Preset>) -> Html {
    html! { <MultiLeaderSim {chapter} {preset} /> }
}

fn quorum(chapter: &'static str, preset: Option<&'static presets::Preset>) -> Html {
    html! { <QuorumSim {chapter} {preset} /> }
}
