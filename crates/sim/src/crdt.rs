//! Conflict-free replicated data types: the G-Counter (chapters 5 and 7).
