//! Multi-leader replication: topologies, conflicts and their resolution (chapter 5).
