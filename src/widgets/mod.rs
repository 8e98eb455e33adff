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

/// The widget for simulation `name`, placed in chapter `chapter`. The build rejects unknown names, so the
/// fallback arm is only reachable if `names.rs` lists a simulation this function forgot.
pub fn mount(name: &str, chapter: &'static str) -> Html {
    match name {
        "single-node" => html! { <SingleNodeSim {chapter} /> },
        "leader-follower" => html! { <LeaderFollowerSim {chapter} /> },
        "log-formats" => html! { <LogFormatsSim {chapter} /> },
        "failover" => html! { <FailoverSim {chapter} /> },
        "multi-leader" => html! { <MultiLeaderSim {chapter} /> },
        "quorum" => html! { <QuorumSim {chapter} /> },
        "version-vectors" => html! { <VersionVectorsSim {chapter} /> },
        "lag-anomalies" => html! { <LagAnomaliesSim {chapter} /> },
        "code-drills" => html! { <CodeDrillsSim {chapter} /> },
        other => {
            html! { <p class="notice" role="alert">{ format!("The simulation {other:?} is not available in this build.") }</p> }
        }
    }
}
