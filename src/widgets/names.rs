/// The simulations a chapter may mount with `{{#sim NAME}}`. Shared by the build script (which rejects any
/// other name) and the app (which maps each name to its widget), so the two cannot drift apart.
pub const SIMULATIONS: &[&str] = &["single-node", "leader-follower", "log-formats", "quorum", "failover", "multi-leader", "version-vectors", "lag-anomalies", "code-drills", "strategy-comparison", "pg-vs-cassandra", "decision-tree"];
