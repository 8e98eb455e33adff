//! Consistent hashing with virtual nodes (chapter 6).
