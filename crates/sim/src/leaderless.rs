//! Leaderless replication: quorums, read repair, anti-entropy, sloppy quorums (chapter 6).
