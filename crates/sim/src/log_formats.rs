//! One change in four replication log formats, and statement replay divergence (chapter 3).
