//! Leader-follower replication with synchronous, asynchronous and semi-synchronous modes (chapter 1).
