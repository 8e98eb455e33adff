//! S4 "Replication lag anomalies" (chapter 4): the chapter's three stories, each happening to a named user —
//! Alice's comment that vanishes on reload (read-your-writes), Bob's comment count going 10 → 9 → 10 (monotonic
//! reads), Carol seeing the answer before the question (consistent prefix) — played on leaders and lagging
//! followers, with the consistency checker's findings in the narration. A lag slider beside the course's "How
//! much lag is dangerous?" table reshapes the run; a Fix toggle per anomaly re-runs the same seed with the fix,
//! and a result line compares the story without and with each fix, both run to the end in the background.

use std::collections::BTreeSet;
use std::rc::Rc;

use sim::checker::{FindingKind, Kind, Operation, Response};
use sim::lag::{
    Action, Config, Endpoint, Fix, FollowerLag, Lag, MessageKind, NodeRef, NodeView, PartitionId, Replica, Story,
    UserOp, FOLLOWERS, LAG_MS_MAX,
};
use sim::{Model, Salience, Time};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::canvas::{
    Align, Band, Caption, Dot, DotKind, Glyph, Health, Link, LinkStyle, NodeGlyph, Point, Scene, SimCanvas, Tone,
};
use crate::player::{
    link_notices, use_link, use_link_run, use_media_query, use_player, Choice, CopyLink, LastMove, Narration,
    PlayerControls, PlayerSetup, SimFigure, TableToggle,
};
use crate::progress::{use_progress, ProgressAction};
use crate::share::{shown, ActionToken, Pairs, Params, Reader, Shareable};

const TITLE: &str = "Replication lag anomalies";
/// The stories last about 3.5 s (Bob's lagging follower catches up at about 3.4 s, Carol reloads at 3 s); at a
/// fifth of real time a 300 ms replication crawls across the figure in 1.5 s and the whole story plays in 20 s.
pub(crate) const SETUP: PlayerSetup =
    PlayerSetup { horizon: Time::from_ms(4_000), default_seed: 1, sim_ms_per_real_ms: 0.2 };
/// The lag slider's stops: fine below a second, where the anomalies begin, coarse up to the model's minute.
pub const LAG_STOPS_MS: [u64; 17] =
    [0, 20, 50, 100, 200, 300, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 10_000, 20_000, 30_000, 60_000];

/// One row of the course's "How much lag is dangerous?" table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LagRow {
    pub range: &'static str,
    pub cause: &'static str,
    pub impact: &'static str,
    pub action: &'static str,
}

/// The chapter's table, row for row.
pub const LAG_TABLE: [LagRow; 5] = [
    LagRow {
        range: "Under 100 ms",
        cause: "Normal asynchronous operation",
        impact: "Most applications never notice",
        action: "Monitor; nothing to do",
    },
    LagRow {
        range: "100 ms – 1 s",
        cause: "Follower under load, minor network trouble",
        impact: "Read-your-writes failures in fast UIs",
        action: "Implement sticky sessions",
    },
    LagRow {
        range: "1 – 10 s",
        cause: "A large transaction; follower disk I/O saturated",
        impact: "Visibly stale data, customer complaints",
        action: "Route time-sensitive reads to the leader",
    },
    LagRow {
        range: "10 – 60 s",
        cause: "Schema migration replaying, vacuum, batch import on the leader",
        impact: "Significant staleness; widespread monotonic-read violations",
        action: "Consider pausing non-critical reads from followers",
    },
    LagRow {
        range: "Over 60 s",
        cause: "Follower network partition, disk failure, a bug",
        impact: "The follower is effectively a different database",
        action: "Remove it from rotation and investigate immediately",
    },
];

/// Which row of [`LAG_TABLE`] a lag falls in (60 s itself is the top of "10 – 60 s").
pub fn lag_row(lag_ms: u64) -> usize {
    match lag_ms {
        0..=99 => 0,
        100..=999 => 1,
        1_000..=9_999 => 2,
        10_000..=60_000 => 3,
        _ => 4,
    }
}

/// The slider stop nearest a lag.
pub fn stop_index(lag_ms: u64) -> usize {
    LAG_STOPS_MS.iter().enumerate().min_by_key(|(_, stop)| stop.abs_diff(lag_ms)).map_or(0, |(i, _)| i)
}

pub fn story_value(story: Story) -> &'static str {
    match story {
        Story::ReadYourWrites => "read-your-writes",
        Story::MonotonicReads => "monotonic-reads",
        Story::ConsistentPrefix => "consistent-prefix",
    }
}

pub fn parse_story(value: &str) -> Story {
    Story::ALL.into_iter().find(|s| story_value(*s) == value).unwrap_or(Story::ReadYourWrites)
}

/// The select's words: the guarantee; the story's title is on the figure.
fn story_label(story: Story) -> &'static str {
    match story {
        Story::ReadYourWrites => "Read-your-writes",
        Story::MonotonicReads => "Monotonic reads",
        Story::ConsistentPrefix => "Consistent prefix",
    }
}

/// The story in one sentence, as the model's script plays it.
fn story_words(story: Story) -> &'static str {
    match story {
        Story::ReadYourWrites => {
            "Alice posts a comment at t=0 and reloads the page at 0.1 s and again at 1.5 s; the load balancer sends \
             each page load to follower 1 and follower 2 in turn."
        }
        Story::MonotonicReads => {
            "Dave's comment takes the count from 9 to 10 at t=0; Bob refreshes at 0.5 s, 1.0 s and 1.5 s, and the \
             load balancer alternates his reads between follower 1 and follower 2."
        }
        Story::ConsistentPrefix => {
            "Alice's messages live on partition A, Bob's on partition B. Alice asks at t=0; Bob reads the question at \
             0.2 s and answers at 0.3 s; Carol loads the chat at 0.5 s and 3.0 s, each partition from one of its \
             followers."
        }
    }
}

/// What the lag slider moves in each story: (partition, follower). The first is the one whose lag it shows.
fn scaled(story: Story) -> &'static [(usize, usize)] {
    match story {
        // Both followers are behind in this story: the slider keeps their 3 : 5 proportion.
        Story::ReadYourWrites => &[(0, 0), (0, 1)],
        // The lagging follower only; the other stays nearly caught up.
        Story::MonotonicReads | Story::ConsistentPrefix => &[(0, 1)],
    }
}

fn slider_words(story: Story) -> &'static str {
    match story {
        Story::ReadYourWrites => "The slider sets follower 1's lag; follower 2 stays 5/3 as far behind.",
        Story::MonotonicReads => "The slider sets the lagging follower 2; follower 1 stays close to the leader.",
        Story::ConsistentPrefix => "The slider sets follower A2, which serves Carol's first read of partition A.",
    }
}

/// The story's lag for its main follower, as the chapter tells it.
pub fn default_lag_ms(story: Story) -> u64 {
    let (p, f) = scaled(story)[0];
    Config::story(story).lags.get(p).map_or(0, |l| l[f].lag_ms)
}

/// The story's follower lags with its main follower at `lag_ms`: every follower the slider moves is scaled by
/// the same factor, jitter included, so the story's own setting gives back exactly the story.
pub fn lags_for(story: Story, lag_ms: u64) -> Vec<[FollowerLag; FOLLOWERS]> {
    let mut lags = Config::story(story).lags;
    let reference = u128::from(default_lag_ms(story).max(1));
    let lag_ms = u128::from(lag_ms.min(LAG_MS_MAX));
    let scale = |v: u64| ((u128::from(v) * lag_ms + reference / 2) / reference).min(u128::from(LAG_MS_MAX)) as u64;
    for &(p, f) in scaled(story) {
        if let Some(l) = lags.get_mut(p).and_then(|l| l.get_mut(f)) {
            *l = FollowerLag { lag_ms: scale(l.lag_ms), jitter_ms: scale(l.jitter_ms) };
        }
    }
    lags
}

/// The reader's settings; every change builds a new run from the same seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub story: Story,
    pub fixes: BTreeSet<Fix>,
    pub lag_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::story(Story::ReadYourWrites)
    }
}

impl Settings {
    /// The story as the chapter tells it: its own lag, no fix.
    pub fn story(story: Story) -> Settings {
        Settings { story, fixes: BTreeSet::new(), lag_ms: default_lag_ms(story) }
    }

    /// The fixes that apply to this story (others are ignored).
    pub fn active_fixes(&self) -> BTreeSet<Fix> {
        self.fixes.iter().copied().filter(|f| self.story.fixes().contains(f)).collect()
    }

    pub fn with_fix(&self, fix: Fix, on: bool) -> Settings {
        let mut next = self.clone();
        if on {
            next.fixes.insert(fix);
        } else {
            next.fixes.remove(&fix);
        }
        next
    }

    pub fn with_lag(&self, lag_ms: u64) -> Settings {
        Settings { lag_ms: lag_ms.min(LAG_MS_MAX), ..self.clone() }
    }

    pub fn config(&self) -> Config {
        let mut config = Config::story(self.story);
        config.lags = lags_for(self.story, self.lag_ms);
        config.fixes = self.active_fixes();
        config
    }

    pub fn build(&self, seed: u64) -> Lag {
        Lag::new(seed, self.config())
    }
}

/// The user the story happens to, and the keys their page reads: the last page load of the script.
pub fn watcher(story: Story) -> (String, Vec<String>) {
    Config::story(story)
        .script
        .iter()
        .rev()
        .find_map(|step| match &step.op {
            UserOp::Read { user, keys } => Some((user.clone(), keys.clone())),
            UserOp::Write { .. } => None,
        })
        .unwrap_or_default()
}

/// One page load as a user saw it: the reads it made at one moment, across partitions.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub invoked_at: Time,
    /// When the last of its reads was answered; `None` while one is still on its way.
    pub answered_at: Option<Time>,
    pub replicas: Vec<String>,
    pub values: Vec<(String, Option<String>)>,
}

/// A user's page loads, in order.
pub fn pages(history: &[Operation], user: &str) -> Vec<Page> {
    let mut out: Vec<Page> = Vec::new();
    for op in history.iter().filter(|op| op.client == user) {
        let Kind::Read { value } = &op.kind else { continue };
        let answered = match op.response {
            Response::Ok { at } | Response::Failed { at } => Some(at),
            Response::Missing => None,
        };
        let replica = op.replica.clone().unwrap_or_default();
        match out.last_mut() {
            Some(page) if page.invoked_at == op.invoked_at => {
                page.answered_at = page.answered_at.zip(answered).map(|(a, b)| a.max(b));
                if !page.replicas.contains(&replica) {
                    page.replicas.push(replica);
                }
                page.values.push((op.key.clone(), value.clone()));
            }
            _ => out.push(Page {
                invoked_at: op.invoked_at,
                answered_at: answered,
                replicas: vec![replica],
                values: vec![(op.key.clone(), value.clone())],
            }),
        }
    }
    out
}

/// What a page load showed, in the story's words: "no comment", "9", "the answer without the question"; `short`
/// for a caption under the user ("answer only").
pub fn page_words(story: Story, values: &[(String, Option<String>)], short: bool) -> String {
    let find = |suffix: &str| values.iter().find(|(k, _)| k.ends_with(suffix)).map(|(_, v)| v.is_some());
    let pick = |long: &str, brief: &str| if short { brief.to_owned() } else { long.to_owned() };
    match story {
        Story::ReadYourWrites => match values.first() {
            Some((_, Some(_))) => "her comment".to_owned(),
            _ => "no comment".to_owned(),
        },
        Story::MonotonicReads => match values.first() {
            Some((_, Some(v))) if short => format!("{} comments", fit(v, 6)),
            Some((_, Some(v))) => v.clone(),
            _ => "no count".to_owned(),
        },
        Story::ConsistentPrefix => match (find("/question"), find("/answer")) {
            (Some(true), Some(true)) => pick("question and answer", "both"),
            (Some(false), Some(true)) => pick("the answer without the question", "answer only"),
            (Some(true), Some(false)) => pick("the question without the answer", "question only"),
            (Some(false), Some(false)) => pick("neither message", "neither"),
            (Some(true), None) => pick("the question", "question"),
            (Some(false), None) => "no question".to_owned(),
            (None, Some(true)) => pick("the answer", "answer"),
            (None, Some(false)) => "no answer".to_owned(),
            (None, None) => "nothing".to_owned(),
        },
    }
}

/// A confirmed write, in a few words for a caption: "posted a comment", "asked".
fn write_words(key: &str, value: &str) -> String {
    if key.ends_with("/question") {
        "asked".to_owned()
    } else if key.ends_with("/answer") {
        "answered".to_owned()
    } else if key.ends_with("comment-count") {
        format!("set the count to {}", fit(value, 6))
    } else if key.contains("/comment:") {
        "posted a comment".to_owned()
    } else {
        format!("wrote \"{}\"", fit(value, 10))
    }
}

/// What one variant of the story (no fix, or some fixes) comes to, run to the end.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub fixes: BTreeSet<Fix>,
    /// What the story's user saw on each page load.
    pub seen: Vec<String>,
    /// How many violations of the story's guarantee the checker found.
    pub anomalies: usize,
}

/// Runs `settings` from `seed` to the end of the figure's timeline, without the reader's actions.
pub fn run_to_end(settings: &Settings, seed: u64) -> Lag {
    let mut run = settings.build(seed);
    while run.next_event_at().is_some_and(|t| t <= SETUP.horizon) {
        run.process_next();
    }
    run
}

pub fn outcome(settings: &Settings, seed: u64) -> Outcome {
    let run = run_to_end(settings, seed);
    let (user, _) = watcher(settings.story);
    let seen = pages(run.history(), &user)
        .iter()
        .filter(|p| p.answered_at.is_some())
        .map(|p| page_words(settings.story, &p.values, false))
        .collect();
    Outcome { fixes: settings.active_fixes(), seen, anomalies: run.anomalies(settings.story.anomaly()) }
}

/// The story without a fix, with each of its fixes alone, and with the reader's combination if it has several.
pub fn outcomes(settings: &Settings, seed: u64) -> Vec<Outcome> {
    let bare = Settings { fixes: BTreeSet::new(), ..settings.clone() };
    let mut variants = vec![bare.clone()];
    variants.extend(settings.story.fixes().iter().map(|f| bare.with_fix(*f, true)));
    if settings.active_fixes().len() > 1 {
        variants.push(settings.clone());
    }
    variants.iter().map(|s| outcome(s, seed)).collect()
}

/// Text for the middle of a sentence: the first letter lowered unless it begins an acronym ("LSN", "UIs").
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if !b.is_uppercase() => a.to_lowercase().chain(text.chars().skip(1)).collect(),
        _ => text.to_owned(),
    }
}

/// A fix's name inside a sentence: "sticky sessions", "LSN-tracked reads".
fn fix_in_sentence(fix: Fix) -> String {
    lower_first(fix.name())
}

/// One row of the chapter's table as a line of the scale beside the slider.
pub fn lag_row_words(row: &LagRow) -> String {
    format!(
        "{}: {}; {}. Action: {}.",
        row.range,
        lower_first(row.cause),
        lower_first(row.impact),
        lower_first(row.action)
    )
}

/// "Without a fix", "With sticky sessions".
pub fn variant_name(fixes: &BTreeSet<Fix>) -> String {
    if fixes.is_empty() {
        return "Without a fix".to_owned();
    }
    let names: Vec<String> = fixes.iter().map(|f| fix_in_sentence(*f)).collect();
    format!("With {}", names.join(" and "))
}

fn kind_count(kind: FindingKind, n: usize) -> String {
    match n {
        0 => format!("no {kind}"),
        1 => format!("1 {kind}"),
        n => format!("{n} {kind}s"),
    }
}

/// "Bob sees 10 → 9 → 10; the checker finds 1 monotonic-reads violation."
pub fn outcome_words(story: Story, o: &Outcome) -> String {
    let (user, _) = watcher(story);
    let seen = if o.seen.is_empty() { "nothing yet".to_owned() } else { o.seen.join(" → ") };
    format!("{user} sees {seen}; the checker finds {}.", kind_count(story.anomaly(), o.anomalies))
}

/// What a fix does in this story, with its numbers.
fn fix_words(fix: Fix, config: &Config) -> String {
    match fix {
        Fix::LeaderWindow => format!(
            "For {} ms after a user's write is confirmed, that user's reads go to the leader.",
            config.leader_window_ms
        ),
        Fix::LsnTracking => {
            "A user's read goes to a follower only if it has applied the LSN of the user's last write; otherwise to \
             the leader."
                .to_owned()
        }
        Fix::StickySessions => {
            "Each user always reads from the same follower, chosen by a hash of the name.".to_owned()
        }
        Fix::SamePartition => {
            "Every message of a conversation goes to the partition it began on, so one log orders question before \
             answer."
                .to_owned()
        }
    }
}

/// The line the narration reads: the player's (the step just taken, or the latest key event), except that when
/// one page load breaks several guarantees at once, the checker's finding for the story's own guarantee is read.
pub fn narrate(model: &Lag, story: Story, last_move: LastMove) -> String {
    let events = model.trace().events();
    let shown = match last_move {
        LastMove::Step => events.last(),
        LastMove::Flow => events.iter().rev().find(|e| e.salience == Salience::Key),
    };
    let Some(event) = shown else { return "Nothing has happened yet.".to_owned() };
    let kind = story.anomaly();
    let findings = model.findings();
    let other_finding = findings.iter().any(|f| f.text == event.text && f.kind != kind);
    let own = findings
        .iter()
        .rev()
        .find(|f| f.kind == kind && f.at == event.at && events.iter().any(|e| e.at == event.at && e.text == f.text));
    let text = match own {
        Some(f) if other_finding => f.text.as_str(),
        _ => event.text.as_str(),
    };
    format!("{}: {text}", event.at)
}

/// A value cut to `chars` characters, with an ellipsis when something was cut.
fn fit(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(chars.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// What a node would return, in the story's words, short enough for its box.
pub fn holds(story: Story, data: &[(String, String)]) -> String {
    let has = |suffix: &str| data.iter().any(|(k, _)| k.ends_with(suffix));
    match story {
        Story::ReadYourWrites => {
            let n = data.iter().filter(|(k, _)| k.starts_with("post:7/comment:")).count();
            if n == 1 {
                "1 comment".to_owned()
            } else {
                format!("{n} comments")
            }
        }
        Story::MonotonicReads => data
            .iter()
            .find(|(k, _)| k == "post:7/comment-count")
            .map_or_else(|| "no count".to_owned(), |(_, v)| format!("count {v}")),
        Story::ConsistentPrefix => match (has("/question"), has("/answer")) {
            (true, true) => "question, answer".to_owned(),
            (true, false) => "question".to_owned(),
            (false, true) => "answer".to_owned(),
            (false, false) => "no messages".to_owned(),
        },
    }
}

/// "LSN 2 · 1 behind", "LSN 3 · up to date".
fn position_words(n: &NodeView) -> String {
    if n.behind == 0 {
        format!("{} · up to date", n.applied)
    } else {
        format!("{} · {} behind", n.applied, n.behind)
    }
}

fn short_name(n: &NodeView) -> String {
    if n.name == "the leader" {
        "leader".to_owned()
    } else {
        n.name.clone()
    }
}

fn size(partitions: usize, narrow: bool) -> (f64, f64) {
    match (narrow, partitions > 1) {
        (false, false) => (720.0, 400.0),
        (false, true) => (720.0, 440.0),
        (true, false) => (360.0, 440.0),
        (true, true) => (360.0, 650.0),
    }
}

/// Where a database node sits. Wide: users on the left, each partition a row with its leader and followers to
/// the right. Narrow: users on top, each partition a block of a leader over its two followers.
pub fn node_at(node: NodeRef, partitions: usize, narrow: bool) -> Point {
    let p = f64::from(node.partition.0.min(1));
    match (narrow, partitions > 1) {
        (false, false) => match node.replica {
            Replica::Leader => Point::new(300.0, 230.0),
            Replica::Follower(f) => Point::new(500.0, 150.0 + 160.0 * f64::from(f.min(1))),
        },
        (false, true) => {
            let cy = 145.0 + 190.0 * p;
            match node.replica {
                Replica::Leader => Point::new(300.0, cy),
                Replica::Follower(f) => Point::new(500.0, cy - 45.0 + 90.0 * f64::from(f.min(1))),
            }
        }
        (true, _) => {
            let top = 240.0 * p;
            match node.replica {
                Replica::Leader => Point::new(180.0, top + if partitions > 1 { 230.0 } else { 240.0 }),
                Replica::Follower(f) => {
                    Point::new(95.0 + 170.0 * f64::from(f.min(1)), top + if partitions > 1 { 330.0 } else { 360.0 })
                }
            }
        }
    }
}

/// Where user `i` of `n` stands.
pub fn user_at(i: usize, n: usize, partitions: usize, narrow: bool) -> Point {
    let n = n.max(1) as f64;
    let i = i as f64;
    if narrow {
        Point::new((i + 0.5) * 360.0 / n, 100.0)
    } else {
        let (_, height) = size(partitions, narrow);
        Point::new(80.0, 90.0 + (i + 0.5) * (height - 110.0) / n)
    }
}

/// Who served a request, for a caption: "from follower 2", "from the leader", "from A2 + B1".
fn from_words(replicas: &[String]) -> String {
    match replicas {
        [one] => format!("from {one}"),
        many => {
            let short: Vec<&str> = many.iter().map(|r| r.trim_start_matches("follower ")).collect();
            format!("from {}", short.join(" + "))
        }
    }
}

/// The latest thing a user did that has been answered, for the two lines under the user: what ("saw 9
/// comments", "posted a comment") and from where.
fn last_seen(story: Story, history: &[Operation], user: &str) -> Option<(String, String, Time)> {
    let page = pages(history, user)
        .into_iter()
        .filter_map(|p| {
            let words = format!("saw {}", page_words(story, &p.values, true));
            p.answered_at.map(|at| (words, from_words(&p.replicas), at))
        })
        .next_back();
    let write = history
        .iter()
        .filter(|op| op.client == user)
        .filter_map(|op| match (&op.kind, op.response) {
            (Kind::Write { value }, Response::Ok { at }) => {
                let to = op.replica.as_deref().map_or_else(String::new, |r| format!("on {r}"));
                Some((write_words(&op.key, value), to, at))
            }
            _ => None,
        })
        .next_back();
    match (page, write) {
        (Some(p), Some(w)) => Some(if w.2 > p.2 { w } else { p }),
        (p, w) => p.or(w),
    }
}

/// The figure for the current moment: users, each partition's leader and followers with how far they have
/// applied the log, the messages in flight, and a headline counting the story's anomaly.
pub fn scene(model: &Lag, story: Story, now: Time, narrow: bool) -> Scene {
    let partitions = usize::from(model.config().partitions);
    let (width, height) = size(partitions, narrow);
    let mut scene = Scene { width, height, ..Scene::default() };
    let nodes = model.nodes();
    let users = model.users();
    let node_pos = |n: NodeRef| node_at(n, partitions, narrow);
    let user_pos = |name: &str| {
        let i = users.iter().position(|u| u.name == name).unwrap_or(0);
        user_at(i, users.len(), partitions, narrow)
    };
    let at = |e: &Endpoint| match e {
        Endpoint::User(name) => user_pos(name),
        Endpoint::Node(n) => node_pos(*n),
    };

    if partitions > 1 {
        for (p, n) in nodes.iter().filter(|n| n.node.replica == Replica::Leader).enumerate() {
            let leader = node_pos(n.node);
            let (x, y, w, h) = if narrow {
                (4.0, leader.y - 44.0, width - 8.0, 214.0)
            } else {
                (215.0, leader.y - 85.0, width - 225.0, 172.0)
            };
            scene.bands.push(Band {
                x,
                y,
                width: w,
                height: h,
                tone: Tone::Muted,
                hatched: false,
                label: String::new(),
            });
            let label = if narrow { Point::new(12.0, leader.y) } else { Point::new(225.0, y + 14.0) };
            scene.captions.push(Caption {
                at: label,
                text: format!("partition {}", char::from(b'A' + p as u8)),
                tone: Tone::Muted,
                strong: false,
                align: Align::Left,
            });
        }
    }
    for n in nodes.iter().filter(|n| n.node.replica != Replica::Leader) {
        let leader = NodeRef { partition: n.node.partition, replica: Replica::Leader };
        scene.links.push(Link { from: node_pos(leader), to: node_pos(n.node), style: LinkStyle::Solid });
    }
    let history = model.history();
    for n in &nodes {
        let p = node_pos(n.node);
        let leader = n.node.replica == Replica::Leader;
        scene.nodes.push(NodeGlyph {
            at: p,
            glyph: if leader { Glyph::Leader } else { Glyph::Follower },
            health: Health::Up,
            name: short_name(n),
            detail: holds(story, &n.data),
        });
        let lines = if leader {
            vec![format!("log to {}", n.applied)]
        } else {
            vec![position_words(n), format!("lag {} ms", n.lag_ms)]
        };
        for (i, text) in lines.into_iter().enumerate() {
            // Under a follower on a phone; beside it otherwise. A leader's links leave downwards on a phone and
            // to the right otherwise, so its one line goes where they do not.
            let (at, align) = match (narrow, leader) {
                (true, false) | (false, true) => (Point::new(p.x, p.y + 44.0 + 16.0 * i as f64), Align::Center),
                (false, false) | (true, true) => (Point::new(p.x + 60.0, p.y - 8.0 + 18.0 * i as f64), Align::Left),
            };
            let tone = if !leader && i == 0 && n.behind > 0 { Tone::Bad } else { Tone::Muted };
            scene.captions.push(Caption { at, text, tone, strong: false, align });
        }
    }
    let waiting: BTreeSet<String> =
        history.iter().filter(|op| op.response == Response::Missing).map(|op| op.client.clone()).collect();
    let kind = story.anomaly();
    let involved: BTreeSet<u64> =
        model.findings().iter().filter(|f| f.kind == kind).flat_map(|f| f.ops.iter().map(|o| o.0)).collect();
    for u in &users {
        let p = user_pos(&u.name);
        scene.nodes.push(NodeGlyph {
            at: p,
            glyph: Glyph::Client,
            health: Health::Up,
            name: u.name.clone(),
            detail: if waiting.contains(&u.name) { "waiting".to_owned() } else { String::new() },
        });
        if let Some((what, from, _)) = last_seen(story, history, &u.name) {
            // The user's latest answer, if it was a read the checker holds against the story's guarantee.
            let last = history.iter().rev().find(|op| op.client == u.name && op.response != Response::Missing);
            let bad = last.is_some_and(|op| matches!(op.kind, Kind::Read { .. }) && involved.contains(&op.id.0));
            let tone = if bad { Tone::Bad } else { Tone::Normal };
            scene.captions.push(Caption {
                at: Point::new(p.x, p.y + 44.0),
                text: what,
                tone,
                strong: false,
                align: Align::Center,
            });
            scene.captions.push(Caption {
                at: Point::new(p.x, p.y + 60.0),
                text: from,
                tone: Tone::Muted,
                strong: false,
                align: Align::Center,
            });
        }
    }
    for m in model.messages() {
        let span = m.deliver_at.ms_since(m.sent_at).max(1) as f64;
        let t = now.ms_since(m.sent_at) as f64 / span;
        let kind = match m.kind {
            MessageKind::ReadRequest => DotKind::Read,
            MessageKind::WriteRequest => DotKind::Write,
            MessageKind::Reply => DotKind::ReplyOk,
            MessageKind::Replication => DotKind::Replication,
        };
        scene.dots.push(Dot { at: at(&m.from).lerp(at(&m.to), t), kind });
    }
    let n = model.anomalies(kind);
    let (headline, tone) = match (n, narrow) {
        (0, false) => (format!("{} so far", kind_count(kind, 0)), Tone::Good),
        (0, true) => (kind_count(kind, 0), Tone::Good),
        (n, _) => (kind_count(kind, n), Tone::Bad),
    };
    scene.captions.push(Caption {
        at: Point::new(width / 2.0, 22.0),
        text: headline,
        tone,
        strong: true,
        align: Align::Center,
    });
    let fixes: Vec<String> = model.config().fixes.iter().map(|f| fix_in_sentence(*f)).collect();
    let fix = match fixes.len() {
        0 => "no fix".to_owned(),
        n if narrow && n > 1 => format!("{n} fixes on"),
        _ => format!("fix: {}", fixes.join(", ")),
    };
    scene.captions.push(Caption {
        at: Point::new(width / 2.0, 46.0),
        text: if narrow { fix } else { format!("{} · {fix}", story.title()) },
        tone: Tone::Muted,
        strong: false,
        align: Align::Center,
    });
    scene
}

fn endpoint_name(model: &Lag, e: &Endpoint) -> String {
    match e {
        Endpoint::User(name) => name.clone(),
        Endpoint::Node(n) => model.name(*n),
    }
}

fn message_words(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::ReadRequest => "read request",
        MessageKind::WriteRequest => "write request",
        MessageKind::Reply => "reply",
        MessageKind::Replication => "log entries",
    }
}

#[derive(Properties, PartialEq)]
struct LagSliderProps {
    value_ms: u64,
    onchange: Callback<u64>,
}

/// A labelled range over [`LAG_STOPS_MS`]: fine steps below a second, coarse ones up to a minute.
#[function_component(LagSlider)]
fn lag_slider(props: &LagSliderProps) -> Html {
    let id = use_memo((), |_| format!("lag-{}", crate::player::unique_id()));
    let index = stop_index(props.value_ms);
    let text = format!("{} ms", LAG_STOPS_MS[index]);
    let oninput = {
        let onchange = props.onchange.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                if let Ok(v) = input.value().parse::<f64>() {
                    let i = (v.round().max(0.0) as usize).min(LAG_STOPS_MS.len() - 1);
                    onchange.emit(LAG_STOPS_MS[i]);
                }
            }
        })
    };
    html! {
        <div class="slider">
            <label for={(*id).clone()}>{ "Replication lag" }</label>
            <input id={(*id).clone()} type="range" min="0" max={(LAG_STOPS_MS.len() - 1).to_string()} step="1"
                value={index.to_string()} aria-valuetext={text.clone()} {oninput} />
            <output for={(*id).clone()} aria-hidden="true">{ text }</output>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct LagAnomaliesProps {
    pub chapter: &'static str,
    /// A shared link's state for this simulation.
    #[prop_or_default]
    pub link: Option<Rc<Params>>,
}

/// A fix's name in a link.
fn fix_value(fix: Fix) -> &'static str {
    match fix {
        Fix::LeaderWindow => "leader-window",
        Fix::LsnTracking => "lsn",
        Fix::StickySessions => "sticky",
        Fix::SamePartition => "one-partition",
    }
}

impl Shareable for Settings {
    fn write(&self, out: &mut Pairs) {
        out.push(("story", story_value(self.story).to_owned()));
        out.push(("lag", self.lag_ms.to_string()));
        let fixes: Vec<&str> = self.fixes.iter().map(|f| fix_value(*f)).collect();
        out.push(("fixes", fixes.join(".")));
    }

    fn read(reader: &mut Reader<'_>) -> Self {
        let stories: Vec<(&str, Story)> = Story::ALL.iter().map(|s| (story_value(*s), *s)).collect();
        let story = reader.choice("story", "anomaly", &stories, Story::ReadYourWrites);
        let mut settings = Settings::story(story);
        // The slider has stops; a lag between them goes to the nearest, as the slider would show it.
        let asked = reader.number("lag", "Lag (ms)", 0..=LAG_MS_MAX, settings.lag_ms);
        let lag_ms = LAG_STOPS_MS[stop_index(asked)];
        if lag_ms != asked {
            reader.notices.push(format!("Lag {asked} ms is not on the slider; using the nearest stop, {lag_ms} ms."));
        }
        settings.lag_ms = lag_ms;
        let names: Vec<(&str, Fix)> = Fix::ALL.iter().map(|f| (fix_value(*f), *f)).collect();
        for name in reader.list("fixes") {
            match names.iter().find(|(n, _)| *n == name) {
                Some((_, fix)) if story.fixes().contains(fix) => {
                    settings.fixes.insert(*fix);
                }
                Some((_, fix)) => reader.notices.push(format!(
                    "The fix '{}' does not apply to {}; leaving it off.",
                    fix.name(),
                    story_label(story).to_lowercase()
                )),
                None => reader.notices.push(format!("Unknown fix '{}'; leaving it off.", shown(&name))),
            }
        }
        settings
    }
}

/// The reader's one button, reloading the watcher's page: `read-<user>-<key>,<key>`. The stories' other steps
/// are scripted, not the reader's, so nothing else needs a token.
impl ActionToken for Action {
    fn token(&self) -> Option<String> {
        match self {
            Action::Do(UserOp::Read { user, keys }) => Some(format!("read-{user}-{}", keys.join(","))),
            _ => None,
        }
    }

    fn from_token(token: &str) -> Option<Self> {
        let (user, keys) = token.strip_prefix("read-")?.split_once('-')?;
        let keys: Vec<String> = keys.split(',').filter(|k| !k.is_empty()).map(str::to_owned).collect();
        (!user.is_empty() && !keys.is_empty()).then(|| Action::Do(UserOp::Read { user: user.to_owned(), keys }))
    }
}

#[function_component(LagAnomaliesSim)]
pub fn lag_anomalies_sim(props: &LagAnomaliesProps) -> Html {
    let progress = use_progress();
    let on_first_use = {
        let chapter = props.chapter.to_owned();
        Callback::from(move |_| {
            progress
                .dispatch(ProgressAction::TriedSimulation { chapter: chapter.clone(), name: "lag-anomalies".into() })
        })
    };
    let linked = use_link::<Settings, Action, _>(&props.link, SETUP.default_seed, Settings::default);
    let settings = use_state(|| linked.settings.clone());
    let narrow = use_media_query("(max-width: 600px)");
    let initial = (*settings).clone();
    let player = use_player(move |seed| initial.build(seed), SETUP, on_first_use.clone());
    let notices = use_link_run(&player, &linked);
    let pairs = player.link_pairs((*settings).clone());
    let fix_id = use_memo((), |_| format!("lag-fix-{}", crate::player::unique_id()));
    let table = use_memo(((*settings).clone(), *player.seed), |(s, seed)| outcomes(s, *seed));

    // A new story starts at t=0; a new lag or fix re-runs the same seed and returns to the same moment.
    let change = {
        let settings = settings.clone();
        let player = player.clone();
        let tried = on_first_use.clone();
        move |next: Settings, keep_time: bool| {
            tried.emit(());
            let at_ms = player.with(|r| r.now().as_ms());
            let build = next.clone();
            settings.set(next);
            player.rebuild(move |seed| build.build(seed));
            if keep_time && at_ms > 0 {
                player.seek_ms(at_ms);
            }
        }
    };
    let current = (*settings).clone();
    let story = current.story;
    let on_story = {
        let change = change.clone();
        Callback::from(move |v: AttrValue| change(Settings::story(parse_story(&v)), false))
    };
    let on_lag = {
        let (change, current) = (change.clone(), current.clone());
        Callback::from(move |ms: u64| change(current.with_lag(ms), true))
    };
    let (user, keys) = watcher(story);
    let reload = {
        let player = player.clone();
        let op = UserOp::Read { user: user.clone(), keys };
        Callback::from(move |_: MouseEvent| player.act(Action::Do(op.clone())))
    };

    // A page load needs a round trip before the end of the timeline, or its answer would never be seen.
    let can_reload = player.with(|r| r.now() + 2 * r.model().config().client_ms <= r.horizon());
    let (scene, nodes, users, history, findings, messages, narration, config) = player.with(|r| {
        let m = r.model();
        let messages: Vec<(String, String, &'static str, Time, Time)> = m
            .messages()
            .iter()
            .map(|msg| {
                (
                    endpoint_name(m, &msg.from),
                    endpoint_name(m, &msg.to),
                    message_words(msg.kind),
                    msg.sent_at,
                    msg.deliver_at,
                )
            })
            .collect();
        (
            Rc::new(scene(m, story, r.now(), narrow)),
            m.nodes(),
            m.users(),
            m.history().to_vec(),
            m.findings().to_vec(),
            messages,
            narrate(m, story, player.last_move()),
            m.config().clone(),
        )
    });
    let name_of = |n: NodeRef| nodes.iter().find(|v| v.node == n).map_or_else(String::new, |v| v.name.clone());
    let follower_lags: Vec<String> = config
        .lags
        .iter()
        .enumerate()
        .flat_map(|(p, lags)| lags.iter().enumerate().map(move |(f, l)| (p, f, *l)))
        .map(|(p, f, l)| {
            let node = NodeRef { partition: PartitionId(p as u8), replica: Replica::Follower(f as u8) };
            format!("{} {} ms (± {})", name_of(node), l.lag_ms, l.jitter_ms)
        })
        .collect();
    let row = lag_row(current.lag_ms);
    let active = current.active_fixes();
    let finding_kinds = |id: u64| -> String {
        let kinds: Vec<String> =
            findings.iter().filter(|f| f.ops.iter().any(|o| o.0 == id)).map(|f| f.kind.to_string()).collect();
        if kinds.is_empty() {
            "—".to_owned()
        } else {
            kinds.join("; ")
        }
    };

    let label = format!(
        "{} as it happens to {user}: circles are users, boxes the leader and followers with what each holds and how \
         far behind it is; squares are writes, hollow circles reads, filled circles replies, diamonds log entries \
         on their way to a follower.",
        story.title()
    );
    html! {
        <SimFigure label={TITLE} onkeydown={player.on_key()}>
            { link_notices(&notices) }
            <SimCanvas {scene} label={label} />
            <div class="sim-settings">
                <Choice label="Anomaly" value={story_value(story)} onchange={on_story}
                    options={Story::ALL.iter().map(|s| (AttrValue::from(story_value(*s)), AttrValue::from(story_label(*s)))).collect::<Vec<_>>()} />
            </div>
            <p class="sim-note">{ story_words(story) }</p>
            <div class="sim-actions" role="group" aria-label="Fix">
                { for story.fixes().iter().enumerate().map(|(i, fix)| {
                    let id = format!("{}-{i}", *fix_id);
                    let fix = *fix;
                    let onchange = {
                        let (change, current) = (change.clone(), current.clone());
                        Callback::from(move |e: Event| {
                            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                                change(current.with_fix(fix, input.checked()), true);
                            }
                        })
                    };
                    html! {
                        <div class="checkbox">
                            <input id={id.clone()} type="checkbox" checked={active.contains(&fix)} {onchange} />
                            <label for={id}>{ format!("Fix: {}", fix_in_sentence(fix)) }</label>
                        </div>
                    }
                }) }
                <button type="button" onclick={reload} disabled={!can_reload}>{ format!("{user} reloads the page") }</button>
            </div>
            <p class="sim-note">{ story.fixes().iter().map(|f| fix_words(*f, &config)).collect::<Vec<_>>().join(" ") }</p>
            <div class="sim-panel">
                <LagSlider value_ms={current.lag_ms} onchange={on_lag} />
                <p class="sim-note">{ format!("{} Follower lags now: {}.", slider_words(story), follower_lags.join(", ")) }</p>
                <h3>{ "How much lag is dangerous? (the chapter's table)" }</h3>
                <ul class="lag-scale sim-note">
                    { for LAG_TABLE.iter().enumerate().map(|(i, r)| {
                        let words = lag_row_words(r);
                        if i == row {
                            html! { <li aria-current="true"><strong>{ words }</strong>{ format!(" ← the lag now ({} ms)", current.lag_ms) }</li> }
                        } else {
                            html! { <li>{ words }</li> }
                        }
                    }) }
                </ul>
            </div>
            <PlayerControls ..player.controls() />
            <CopyLink sim="lag-anomalies" chapter={props.chapter} {pairs} />
            <Narration text={narration} />
            <div class="sim-panel">
                <h3>{ format!("Same seed, to {}: without and with the fix", SETUP.horizon) }</h3>
                <ul class="lag-outcomes">
                    { for table.iter().map(|o| {
                        let shown = o.fixes == active;
                        html! {
                            <li>
                                <strong>{ variant_name(&o.fixes) }</strong>
                                { format!(": {}", outcome_words(story, o)) }
                                if shown { <em>{ " (shown in the figure)" }</em> }
                            </li>
                        }
                    }) }
                </ul>
            </div>
            <TableToggle>
                <table class="state-table">
                    <caption>{ "Nodes" }</caption>
                    <thead><tr>
                        <th scope="col">{ "Node" }</th><th scope="col">{ "Applied" }</th><th scope="col">{ "Entries behind" }</th>
                        <th scope="col">{ "Lag" }</th><th scope="col" class="wrap">{ "Holds" }</th>
                    </tr></thead>
                    <tbody>
                        { for nodes.iter().map(|n| html! {
                            <tr>
                                <th scope="row">{ n.name.clone() }</th>
                                <td>{ n.applied.to_string() }</td>
                                <td>{ n.behind }</td>
                                <td>{ if n.node.replica == Replica::Leader { "—".to_owned() } else { format!("{} ms", n.lag_ms) } }</td>
                                <td class="wrap">{ n.data.iter().map(|(k, v)| format!("{k} = \"{v}\"")).collect::<Vec<_>>().join("; ") }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                <table class="state-table">
                    <caption>{ "Users" }</caption>
                    <thead><tr>
                        <th scope="col">{ "User" }</th><th scope="col">{ "Last write confirmed" }</th>
                        <th scope="col">{ "Its LSN" }</th><th scope="col">{ "Sticky follower" }</th>
                    </tr></thead>
                    <tbody>
                        { for users.iter().map(|u| html! {
                            <tr>
                                <th scope="row">{ u.name.clone() }</th>
                                <td>{ u.last_write_at.map_or("—".to_owned(), |t| t.to_string()) }</td>
                                <td>{ if u.last_write_lsn.is_empty() { "—".to_owned() } else {
                                    u.last_write_lsn.iter().map(|(p, l)| format!("{l} on {p}")).collect::<Vec<_>>().join(", ")
                                } }</td>
                                <td>{ format!("follower {}", u.sticky_follower + 1) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                <table class="state-table">
                    <caption>{ "What the users saw (the checker's input)" }</caption>
                    <thead><tr>
                        <th scope="col">{ "Op" }</th><th scope="col">{ "User" }</th><th scope="col">{ "Did" }</th>
                        <th scope="col">{ "Key" }</th><th scope="col" class="wrap">{ "Value" }</th><th scope="col">{ "Served by" }</th>
                        <th scope="col">{ "LSN" }</th><th scope="col">{ "Asked" }</th><th scope="col">{ "Answered" }</th>
                        <th scope="col" class="wrap">{ "Finding" }</th>
                    </tr></thead>
                    <tbody>
                        { for history.iter().map(|op| {
                            let (did, value) = match (&op.kind, op.response) {
                                (Kind::Write { value }, _) => ("write", format!("\"{value}\"")),
                                (Kind::Read { .. }, Response::Missing) => ("read", "—".to_owned()),
                                (Kind::Read { value: Some(v) }, _) => ("read", format!("\"{v}\"")),
                                (Kind::Read { value: None }, _) => ("read", "nothing".to_owned()),
                            };
                            html! {
                                <tr>
                                    <th scope="row">{ op.id.to_string() }</th>
                                    <td>{ op.client.clone() }</td>
                                    <td>{ did }</td>
                                    <td>{ op.key.clone() }</td>
                                    <td class="wrap">{ value }</td>
                                    <td>{ op.replica.clone().unwrap_or_default() }</td>
                                    <td>{ op.lsn.map_or("—".to_owned(), |l| l.0.to_string()) }</td>
                                    <td>{ op.invoked_at.to_string() }</td>
                                    <td>{ match op.response {
                                        Response::Ok { at } => at.to_string(),
                                        Response::Failed { at } => format!("failed {at}"),
                                        Response::Missing => "waiting".to_owned(),
                                    } }</td>
                                    <td class="wrap">{ finding_kinds(op.id.0) }</td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
                <table class="state-table">
                    <caption>{ "The checker's findings" }</caption>
                    <thead><tr>
                        <th scope="col">{ "When" }</th><th scope="col">{ "Kind" }</th><th scope="col">{ "Ops" }</th>
                        <th scope="col" class="wrap">{ "What it found" }</th>
                    </tr></thead>
                    <tbody>
                        { for findings.iter().map(|f| html! {
                            <tr>
                                <th scope="row">{ f.at.to_string() }</th>
                                <td>{ f.kind.to_string() }</td>
                                <td>{ f.ops.iter().map(|o| o.to_string()).collect::<Vec<_>>().join(", ") }</td>
                                <td class="wrap">{ f.text.clone() }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                <table class="state-table">
                    <caption>{ "In flight" }</caption>
                    <thead><tr>
                        <th scope="col">{ "From" }</th><th scope="col">{ "To" }</th><th scope="col">{ "Kind" }</th>
                        <th scope="col">{ "Sent" }</th><th scope="col">{ "Arrives" }</th>
                    </tr></thead>
                    <tbody>
                        { for messages.iter().map(|(from, to, what, sent, arrives)| html! {
                            <tr>
                                <th scope="row">{ from.clone() }</th>
                                <td>{ to.clone() }</td>
                                <td>{ *what }</td>
                                <td>{ sent.to_string() }</td>
                                <td>{ arrives.to_string() }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </TableToggle>
        </SimFigure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::Replay;

    fn run(settings: &Settings, until_ms: u64) -> Replay<Lag> {
        let mut r = Replay::new(settings.build(1), SETUP.horizon);
        r.seek(Time::from_ms(until_ms));
        r
    }

    #[test]
    fn each_story_at_its_own_lag_is_the_chapter_story() {
        for story in Story::ALL {
            let s = Settings::story(story);
            assert_eq!(s.config(), Config::story(story), "{story:?}");
            assert!(LAG_STOPS_MS.contains(&s.lag_ms), "{story:?}: the slider can return to {} ms", s.lag_ms);
        }
        assert_eq!(default_lag_ms(Story::ReadYourWrites), 300);
        assert_eq!(default_lag_ms(Story::MonotonicReads), 3_000);
        assert_eq!(default_lag_ms(Story::ConsistentPrefix), 2_000);
    }

    #[test]
    fn the_stories_without_and_with_their_fixes() {
        let words = |story: Story| -> Vec<String> {
            outcomes(&Settings::story(story), 1)
                .iter()
                .map(|o| format!("{}: {}", variant_name(&o.fixes), outcome_words(story, o)))
                .collect()
        };
        assert_eq!(
            words(Story::ReadYourWrites),
            [
                "Without a fix: Alice sees no comment → her comment; the checker finds 1 read-your-writes violation.",
                "With read from the leader after a write: Alice sees her comment → her comment; the checker finds no read-your-writes violation.",
                "With LSN-tracked reads: Alice sees her comment → her comment; the checker finds no read-your-writes violation.",
            ]
        );
        assert_eq!(
            words(Story::MonotonicReads),
            [
                "Without a fix: Bob sees 10 → 9 → 10; the checker finds 1 monotonic-reads violation.",
                "With sticky sessions: Bob sees 10 → 10 → 10; the checker finds no monotonic-reads violation.",
            ]
        );
        assert_eq!(
            words(Story::ConsistentPrefix),
            [
                "Without a fix: Carol sees the answer without the question → question and answer; the checker finds 1 consistent-prefix violation.",
                "With causally related writes on one partition: Carol sees neither message → question and answer; the checker finds no consistent-prefix violation.",
            ]
        );
        // Every seed: the anomaly without the fix, never with it (the course's claim, through the widget's runs).
        for story in Story::ALL {
            for seed in 0..20 {
                let table = outcomes(&Settings::story(story), seed);
                assert!(table[0].anomalies >= 1, "{story:?} seed {seed}");
                assert!(table[1..].iter().all(|o| o.anomalies == 0), "{story:?} seed {seed}: {table:?}");
            }
        }
    }

    #[test]
    fn a_window_shorter_than_the_lag_lets_the_comment_vanish_again() {
        let slow = Settings::story(Story::ReadYourWrites).with_lag(2_000);
        assert_eq!(slow.config().lags[0].map(|l| (l.lag_ms, l.jitter_ms)), [(2_000, 667), (3_333, 667)]);
        let table = outcomes(&slow, 1);
        assert_eq!(variant_name(&table[1].fixes), "With read from the leader after a write");
        assert_eq!(table[1].seen, ["her comment", "no comment"], "after the 1000 ms window, follower 2 is 3 s behind");
        assert_eq!(table[1].anomalies, 1);
        assert_eq!(table[2].anomalies, 0, "LSN tracking adapts to the lag");
        // And at a lag nobody notices, there is nothing to fix.
        let fast = Settings::story(Story::ReadYourWrites).with_lag(50);
        assert_eq!(outcomes(&fast, 1)[0].anomalies, 0);
    }

    #[test]
    fn the_lag_scale_follows_the_chapter_table() {
        assert_eq!(lag_row(0), 0);
        assert_eq!(lag_row(99), 0);
        assert_eq!(lag_row(100), 1);
        assert_eq!(lag_row(300), 1);
        assert_eq!(lag_row(1_000), 2);
        assert_eq!(lag_row(3_000), 2);
        assert_eq!(lag_row(10_000), 3);
        assert_eq!(lag_row(60_000), 3);
        assert_eq!(lag_row(60_001), 4);
        assert_eq!(LAG_TABLE[1].impact, "Read-your-writes failures in fast UIs");
        assert_eq!(stop_index(300), 5);
        assert_eq!(stop_index(u64::MAX), LAG_STOPS_MS.len() - 1);
        assert_eq!(Settings::default().with_lag(u64::MAX).lag_ms, LAG_MS_MAX);
        assert_eq!(lags_for(Story::ReadYourWrites, u64::MAX)[0][1].lag_ms, LAG_MS_MAX);
        assert_eq!(parse_story("nonsense"), Story::ReadYourWrites);
        for s in Story::ALL {
            assert_eq!(parse_story(story_value(s)), s);
        }
    }

    #[test]
    fn the_narration_reads_the_story_finding() {
        // Bob's second refresh breaks monotonic reads and is a stale read at once: the narration reads the first.
        let r = run(&Settings::story(Story::MonotonicReads), 1_020);
        let text = narrate(r.model(), Story::MonotonicReads, LastMove::Flow);
        assert!(
            text.starts_with(
                "t=1.020 s: Bob's read #3 of post:7/comment-count at follower 2 returns \"9\", older than the \"10\""
            ),
            "{text}"
        );
        assert_eq!(text, narrate(r.model(), Story::MonotonicReads, LastMove::Step));
        let r = run(&Settings::story(Story::ReadYourWrites), 120);
        let text = narrate(r.model(), Story::ReadYourWrites, LastMove::Flow);
        assert!(
            text.starts_with("t=0.120 s: Alice's read #2 of post:7/comment:alice at follower 1 returns nothing"),
            "{text}"
        );
        let r = run(&Settings::story(Story::ConsistentPrefix), 0);
        assert!(narrate(r.model(), Story::ConsistentPrefix, LastMove::Flow).contains("2 partitions"));
    }

    #[test]
    fn every_story_fits_the_figure() {
        for story in Story::ALL {
            for at in [0, 15, 120, 520, 1_020, 2_000, 4_000] {
                let r = run(&Settings::story(story), at);
                let m = r.model();
                for narrow in [false, true] {
                    let s = scene(m, story, r.now(), narrow);
                    let partitions = usize::from(m.config().partitions);
                    assert_eq!(s.nodes.len(), 3 * partitions + m.users().len(), "{story:?}");
                    assert_eq!(s.dots.len(), m.messages().len());
                    for node in &s.nodes {
                        let (hw, hh) = if node.glyph == Glyph::Client { (30.0, 30.0) } else { (52.0, 30.0) };
                        assert!(node.at.x - hw >= 0.0 && node.at.x + hw <= s.width, "{story:?} {narrow} {node:?}");
                        assert!(node.at.y - hh >= 56.0 && node.at.y + hh <= s.height, "{story:?} {narrow} {node:?}");
                    }
                    for (i, a) in s.nodes.iter().enumerate() {
                        for b in &s.nodes[i + 1..] {
                            let apart = (a.at.x - b.at.x).abs() > 104.0 || (a.at.y - b.at.y).abs() > 60.0;
                            assert!(apart, "{story:?} narrow {narrow}: {} and {} overlap", a.name, b.name);
                        }
                    }
                    for c in &s.captions {
                        assert!(c.at.y > 0.0 && c.at.y < s.height, "{story:?} {narrow} {c:?}");
                    }
                    for d in &s.dots {
                        assert!(d.at.x >= 0.0 && d.at.x <= s.width && d.at.y >= 0.0 && d.at.y <= s.height);
                    }
                }
            }
        }
    }

    #[test]
    fn the_scene_shows_the_count_going_back() {
        let r = run(&Settings::story(Story::MonotonicReads), 1_020);
        let s = scene(r.model(), Story::MonotonicReads, r.now(), false);
        let node = |name: &str| s.nodes.iter().find(|n| n.name == name).unwrap().detail.clone();
        assert_eq!(node("leader"), "count 10");
        assert_eq!(node("follower 1"), "count 10");
        assert_eq!(node("follower 2"), "count 9");
        assert!(s.captions.iter().any(|c| c.text == "saw 9 comments" && c.tone == Tone::Bad));
        assert!(s.captions.iter().any(|c| c.text == "1 monotonic-reads violation" && c.tone == Tone::Bad));
        assert!(s.captions.iter().any(|c| c.text == "LSN 1 · 1 behind"));
        assert!(s.captions.iter().any(|c| c.text == "lag 3000 ms"));
        let before = run(&Settings::story(Story::MonotonicReads), 0);
        let s = scene(before.model(), Story::MonotonicReads, before.now(), false);
        assert!(s.captions.iter().any(|c| c.text == "no monotonic-reads violation so far"));
        // Carol's page: the answer without the question, from follower A2 and follower B1.
        let r = run(&Settings::story(Story::ConsistentPrefix), 520);
        let carol = pages(r.model().history(), "Carol");
        assert_eq!(carol[0].replicas, ["follower A2", "follower B1"]);
        assert_eq!(page_words(Story::ConsistentPrefix, &carol[0].values, false), "the answer without the question");
        let s = scene(r.model(), Story::ConsistentPrefix, r.now(), false);
        assert_eq!(s.bands.len(), 2);
        assert!(s.captions.iter().any(|c| c.text == "saw answer only" && c.tone == Tone::Bad));
    }

    #[test]
    fn the_reload_button_reads_the_story_keys() {
        assert_eq!(watcher(Story::ReadYourWrites), ("Alice".to_owned(), vec!["post:7/comment:alice".to_owned()]));
        assert_eq!(watcher(Story::ConsistentPrefix).1, ["chat:1/question", "chat:1/answer"]);
        let mut r = run(&Settings::story(Story::ReadYourWrites), 2_000);
        let (user, keys) = watcher(Story::ReadYourWrites);
        r.act(Action::Do(UserOp::Read { user, keys }));
        r.seek(Time::from_ms(2_100));
        let seen = pages(r.model().history(), "Alice");
        assert_eq!(seen.len(), 3);
        assert_eq!(page_words(Story::ReadYourWrites, &seen[2].values, true), "her comment");
    }
}
