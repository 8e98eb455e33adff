//! Version vectors, siblings and tombstones (chapter 7).
