// The home page's title and lede. Included by the app's home page and by `secure-html`, whose start-up script shows
// them before the app runs: one source, so the app's page can replace that copy without the text changing.

/// The home page's title.
pub const HOME_TITLE: &str = "Replication";
/// The home page's first paragraph: the largest text a reader sees first on a phone.
pub const HOME_LEDE: &str = "Keeping copies of the same data on several machines — and what it costs when they disagree. \
Eleven chapters, each with a live simulation of a replicated system you can break, rewind and replay.";
