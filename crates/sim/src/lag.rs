//! Replication lag anomalies and their fixes (chapter 4).
