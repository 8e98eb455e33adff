//! Where the book covers the main course source (`001_…txt`): every chapter, section, table, worked example,
//! checkpoint and simulation of the source, each with its home in the book. The source is plain text without
//! Markdown markers, so an item is named by the start of its line there; [`check`] proves every item is found in
//! the source, every home exists in the built book, and every heading-like line of the source is either an item
//! or listed in [`NOT_HEADINGS`] with the reason it is not a heading.

use std::fmt::Write;

use crate::{Block, Book};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Chapter,
    Section,
    Table,
    WorkedExample,
    Callout,
    CodeDrill,
    Checkpoint,
    Simulation,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Chapter => "chapter",
            Kind::Section => "section",
            Kind::Table => "table",
            Kind::WorkedExample => "worked example",
            Kind::Callout => "callout",
            Kind::CodeDrill => "code",
            Kind::Checkpoint => "checkpoint",
            Kind::Simulation => "simulation",
        }
    }
}

/// Where an item lives in the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Home {
    /// A chapter, or a heading in it (`anchor` is the heading id).
    At { chapter: &'static str, anchor: Option<&'static str> },
    /// A `{{#sim NAME}}` mounted in the chapter.
    Sim { chapter: &'static str, name: &'static str },
    /// A checkpoint, by id.
    Checkpoint { chapter: &'static str, id: &'static str },
}

impl Home {
    pub fn chapter(self) -> &'static str {
        match self {
            Home::At { chapter, .. } | Home::Sim { chapter, .. } | Home::Checkpoint { chapter, .. } => chapter,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Item {
    /// The start of the item's line in the source.
    pub source: &'static str,
    pub kind: Kind,
    pub home: Home,
}

const fn chapter(source: &'static str, slug: &'static str) -> Item {
    Item { source, kind: Kind::Chapter, home: Home::At { chapter: slug, anchor: None } }
}
const fn at(kind: Kind, source: &'static str, chapter: &'static str, anchor: &'static str) -> Item {
    Item { source, kind, home: Home::At { chapter, anchor: Some(anchor) } }
}
const fn sec(source: &'static str, chapter: &'static str, anchor: &'static str) -> Item {
    at(Kind::Section, source, chapter, anchor)
}
const fn table(source: &'static str, chapter: &'static str, anchor: &'static str) -> Item {
    at(Kind::Table, source, chapter, anchor)
}
const fn worked(source: &'static str, chapter: &'static str, anchor: &'static str) -> Item {
    at(Kind::WorkedExample, source, chapter, anchor)
}
const fn code(source: &'static str, chapter: &'static str, anchor: &'static str) -> Item {
    at(Kind::CodeDrill, source, chapter, anchor)
}
const fn callout(source: &'static str, chapter: &'static str, anchor: &'static str) -> Item {
    at(Kind::Callout, source, chapter, anchor)
}
const fn sim(source: &'static str, chapter: &'static str, name: &'static str) -> Item {
    Item { source, kind: Kind::Simulation, home: Home::Sim { chapter, name } }
}
const fn checkpoint(source: &'static str, chapter: &'static str, id: &'static str) -> Item {
    Item { source, kind: Kind::Checkpoint, home: Home::Checkpoint { chapter, id } }
}

const P: &str = "the-problem";
const LF: &str = "leaders-and-followers";
const NO: &str = "node-outages";
const RL: &str = "replication-logs";
const LAG: &str = "replication-lag";
const ML: &str = "multi-leader";
const LL: &str = "leaderless";
const CW: &str = "concurrent-writes";
const IP: &str = "in-practice";
const IA: &str = "interview-arsenal";
const CX: &str = "connections";

/// Every item of the source, in source order.
pub const ITEMS: &[Item] = &[
    // Chapter 0
    chapter("Chapter 0: The Problem", P),
    sec("Your startup's database runs on a single server", P, "one-server-one-bad-night"),
    sec("Even when the server is up, there's a subtler problem", P, "the-speed-of-light-is-not-negotiable"),
    sec("Why not just use a bigger server?", P, "why-not-buy-a-bigger-machine"),
    sec("The Fundamental Trade-off", P, "the-fundamental-trade-off"),
    table("QuestionEasy answerWhy it's hard", P, "the-fundamental-trade-off"),
    sec("The Three Reasons to Replicate", P, "three-reasons-to-replicate"),
    table("ReasonWhat it gives youExample", P, "three-reasons-to-replicate"),
    worked("The Numbers: Availability Math", P, "availability-math"),
    sec("Replication vs. Backup: They're Not the Same", P, "replication-is-not-a-backup"),
    table("PropertyBackupReplication", P, "replication-is-not-a-backup"),
    callout("Replication replicates mistakes too.", P, "replication-is-not-a-backup"),
    sim("Single Node vs. Replicated System", P, "single-node"),
    checkpoint("Interview warm-up:", P, "the-problem-warmup-read-throughput"),
    // Chapter 1
    chapter("Chapter 1: Leaders and Followers", LF),
    callout("Terminology note.", LF, "synchronous-or-asynchronous"),
    sec("Synchronous vs. Asynchronous", LF, "synchronous-or-asynchronous"),
    sec("Synchronous replication:", LF, "synchronous-replication"),
    sec("Asynchronous replication:", LF, "asynchronous-replication"),
    callout("Semi-synchronous: the practical compromise.", LF, "semi-synchronous-the-practical-compromise"),
    sec("Setting Up a New Follower", LF, "setting-up-a-new-follower"),
    worked("Worked Example: Tracing a Write", LF, "worked-example-tracing-one-write"),
    worked("The Replication Lag Equation", LF, "the-replication-lag-equation"),
    code("Hands-on: Setting Up Replication in PostgreSQL", LF, "hands-on-postgresql-streaming-replication"),
    sim("Leader-Follower Replication", LF, "leader-follower"),
    worked("Read Scaling: The Math Behind Adding Followers", LF, "read-scaling-the-math-behind-adding-followers"),
    checkpoint("System design question: You run a leader-follower", LF, "leaders-and-followers-sync-nic-failure"),
    // Chapter 2
    chapter("Chapter 2: Handling Node Outages", NO),
    sec("Follower Failure: Catch-Up Recovery", NO, "follower-failure-catch-up-recovery"),
    sec("Leader Failure: Failover", NO, "leader-failure-failover"),
    sec("What Can Go Wrong During Failover", NO, "what-can-go-wrong-during-failover"),
    code("Designing a Safe Failover System", NO, "designing-a-safe-failover-system"),
    worked("Worked Example: The Failover Timeline", NO, "worked-example-a-failover-second-by-second"),
    sec("Failover in Production: How Long Does It Take?", NO, "how-long-failover-takes-in-production"),
    table("SystemDetection timeElection time", NO, "how-long-failover-takes-in-production"),
    sim("Failover Simulation", NO, "failover"),
    checkpoint("Debug scenario: After an automated failover", NO, "node-outages-duplicate-key"),
    // Chapter 3
    chapter("Chapter 3: Replication Logs", RL),
    sec("Method 1: Statement-Based Replication", RL, "method-1-statement-based-replication"),
    table("ProblemExampleWhy it breaks", RL, "method-1-statement-based-replication"),
    sec("Method 2: Write-Ahead Log (WAL) Shipping", RL, "method-2-write-ahead-log-shipping"),
    sec("Method 3: Logical (Row-Based) Log Replication", RL, "method-3-logical-row-based-replication"),
    sec("Method 4: Trigger-Based Replication", RL, "method-4-trigger-based-replication"),
    worked(
        "Worked Example: Same Operation, Four Representations",
        RL,
        "worked-example-one-update-four-representations",
    ),
    sec("Change Data Capture: Why Logical Logs Won", RL, "change-data-capture-why-logical-logs-won"),
    code("# Reading PostgreSQL logical replication stream", RL, "a-consumers-core-loop"),
    sim("Replication Log Methods Compared", RL, "log-formats"),
    checkpoint("Design decision: You need to replicate data from PostgreSQL", RL, "replication-logs-elasticsearch"),
    // Chapter 4
    chapter("Chapter 4: Replication Lag Problems", LAG),
    sec("Anomaly 1: Read-Your-Own-Writes", LAG, "anomaly-1-reading-your-own-writes"),
    sec("Anomaly 2: Monotonic Reads", LAG, "anomaly-2-monotonic-reads"),
    sec("Anomaly 3: Consistent Prefix Reads", LAG, "anomaly-3-consistent-prefix-reads"),
    code("Measuring Replication Lag in Production", LAG, "measuring-replication-lag"),
    sec("The \"Replication Window\"", LAG, "how-much-lag-is-dangerous"),
    table("Lag DurationTypical CauseImpactAction", LAG, "how-much-lag-is-dangerous"),
    sim("Replication Lag Anomalies", LAG, "lag-anomalies"),
    checkpoint("Debug scenario: Users report that after updating", LAG, "replication-lag-profile-picture"),
    // Chapter 5
    chapter("Chapter 5: Multi-Leader Replication", ML),
    sec("Use Cases", ML, "where-multiple-leaders-earn-their-keep"),
    sec("The BIG Problem: Write Conflicts", ML, "write-conflicts"),
    sec("Conflict Resolution Strategies", ML, "conflict-resolution-strategies"),
    table("StrategyHow it worksTrade-off", ML, "conflict-resolution-strategies"),
    worked(
        "Worked Example: Google Docs-Style Conflict Resolution",
        ML,
        "collaborative-editing-and-operational-transformation",
    ),
    sec("Multi-Leader Topology", ML, "replication-topologies"),
    worked(
        "Worked Example: Multi-Leader Conflict in an E-Commerce",
        ML,
        "worked-example-two-edits-to-one-shipping-address",
    ),
    code("CRDT: The Mathematical Solution", ML, "code-drill-a-g-counter"),
    sim("Multi-Leader Write Conflict", ML, "multi-leader"),
    checkpoint("Design question: You're building a collaborative note-taking", ML, "multi-leader-notes-app-design"),
    // Chapter 6
    chapter("Chapter 6: Leaderless Replication", LL),
    sec("Quorum Reads and Writes", LL, "quorum-reads-and-writes"),
    worked("Worked Example: The Quorum Math", LL, "worked-example-the-quorum-math"),
    sec("What if W + R ≤ N?", LL, "giving-up-the-overlap"),
    sec("Common Quorum Configurations", LL, "common-quorum-configurations"),
    table("NWRQuorum?Tolerate failuresTrade-off", LL, "common-quorum-configurations"),
    sec("Repairing Stale Replicas", LL, "repairing-stale-replicas"),
    sec("Sloppy Quorums and Hinted Handoff", LL, "sloppy-quorums-and-hinted-handoff"),
    worked("Worked Example: Quorum Write and Read Repair", LL, "worked-example-a-quorum-write-then-read-repair"),
    sec("The Limits of Quorums", LL, "the-limits-of-quorums"),
    table("ScenarioWhy quorum fails", LL, "the-limits-of-quorums"),
    sim("Interactive Quorum Calculator", LL, "quorum"),
    code("Leaderless in the Wild: Cassandra Configuration", LL, "leaderless-in-practice-cassandra"),
    sec("Why Leaderless Databases Are Popular for Time-Series and IoT", LL, "why-time-series-and-iot-love-leaderless"),
    sec("Consistent Hashing: How Leaderless Systems Assign Data", LL, "consistent-hashing-which-replicas-own-a-key"),
    checkpoint("Quorum math: You have N=5 replicas", LL, "leaderless-min-read-quorum"),
    // Chapter 7
    chapter("Chapter 7: Detecting Concurrent Writes", CW),
    sec("The Happens-Before Relationship", CW, "the-happens-before-relationship"),
    table("RelationshipMeaningHow to detect", CW, "the-happens-before-relationship"),
    sec("Version Vectors: The Algorithm", CW, "version-vectors-the-algorithm"),
    worked("The Shopping Cart Example (from the Dynamo Paper)", CW, "the-shopping-cart-from-the-dynamo-paper"),
    code("Version Vector Implementation", CW, "code-drill-version-vectors"),
    code(
        "Complete Leaderless Key-Value Store with Version Vectors",
        CW,
        "code-drill-a-dynamo-style-store-with-siblings",
    ),
    worked("Hand-Worked Exercise: Version Vector Comparison", CW, "hand-worked-exercise-comparing-version-vectors"),
    sec("The Sibling Merge Problem: Deletes and Tombstones", CW, "the-sibling-merge-problem-deletes-and-tombstones"),
    sim("Version Vector Simulation", CW, "version-vectors"),
    sec("Last-Write-Wins: When It Works and When It Kills", CW, "when-last-write-wins-is-acceptable"),
    table("ScenarioLWW behaviorIs this acceptable?", CW, "when-last-write-wins-is-acceptable"),
    sec("The Happens-Before Partial Order: Visualizing Causality", CW, "a-partial-order-not-a-total-order"),
    checkpoint("Version vector exercise:", CW, "concurrent-writes-replica-vectors"),
    // Chapter 8
    chapter("Chapter 8: Replication in Practice", IP),
    sec("PostgreSQL: Leader-Follower with WAL Shipping", IP, "postgresql-shipping-the-wal"),
    table("PropertyPostgreSQL", IP, "comparing-the-five-side-by-side"),
    sec("MySQL: Leader-Follower with Binlog", IP, "mysql-the-binlog-and-gtids"),
    table("PropertyMySQL (InnoDB)", IP, "comparing-the-five-side-by-side"),
    sec("MongoDB: Replica Sets with Raft-like Election", IP, "mongodb-replica-sets-and-write-concern"),
    table("PropertyMongoDB", IP, "comparing-the-five-side-by-side"),
    sec("Cassandra: Leaderless with Tunable Quorums", IP, "cassandra-leaderless-with-tunable-consistency"),
    table("PropertyCassandra", IP, "comparing-the-five-side-by-side"),
    sec("How to Choose Between PostgreSQL and Cassandra", IP, "choosing-between-postgresql-and-cassandra"),
    worked("Real Incident: Cassandra Tombstone Storms", IP, "tombstone-storms-when-deletes-take-a-cluster-down"),
    sec("CockroachDB: Raft-Based, Strongly Consistent", IP, "cockroachdb-raft-for-every-range"),
    table("PropertyCockroachDB", IP, "comparing-the-five-side-by-side"),
    sec("Design Challenge: Global Chat App", IP, "design-challenge-a-global-chat-app"),
    sec(
        "System Design Deep Dive: Twitter's Timeline Replication",
        IP,
        "replication-at-the-application-level-timelines",
    ),
    sec("Debug Scenarios", IP, "debug-lag-keeps-growing"),
    code("Testing Replication: Chaos Engineering", IP, "testing-replication-by-breaking-it"),
    sec(
        "FoundationDB's approach: deterministic simulation testing",
        IP,
        "deterministic-simulation-the-foundationdb-approach",
    ),
    worked("Full Design Walkthrough: Multi-Region E-Commerce", IP, "design-walkthrough-multi-region-e-commerce"),
    sec("Replication Anti-Patterns", IP, "anti-patterns-that-cause-incidents"),
    table("Anti-patternWhy it seems reasonable", IP, "anti-patterns-that-cause-incidents"),
    worked("Capacity Planning: How Many Replicas?", IP, "capacity-planning-how-many-replicas"),
    sim("Replication Strategy Comparison", IP, "strategy-comparison"),
    checkpoint("Design question: You're migrating from a single-region", IP, "in-practice-multi-region-postgres"),
    // Chapter 9
    chapter("Chapter 9: Interview Arsenal", IA),
    sec("The Replication Decision Tree", IA, "the-replication-decision-tree"),
    sec("Cheat Sheet: All Strategies at a Glance", IA, "cheat-sheet-every-strategy-at-a-glance"),
    table("StrategyWrites go toConflict?", IA, "cheat-sheet-every-strategy-at-a-glance"),
    sec("System Design Talking Points", IA, "talking-points"),
    checkpoint("\"Design a multi-region database for a social network.\"", IA, "interview-arsenal-social-network"),
    checkpoint("\"Design a collaborative document editor.\"", IA, "interview-arsenal-collab-editor"),
    code("Coding Drill: Quorum Read/Write", IA, "quorum-reads-and-writes-with-read-repair"),
    sec("System Design Template: Replication Section", IA, "the-replication-section-of-any-design-interview"),
    sec("Common Mistakes in System Design Interviews", IA, "common-mistakes-in-design-interviews"),
    table("MistakeWhy it's wrongWhat to say instead", IA, "common-mistakes-in-design-interviews"),
    sec("Debug Scenario Drills", IA, "debug-drills"),
    table("SymptomLikely causeInvestigation", IA, "debug-drills"),
    code("Coding Drill: Implementing Read-Your-Own-Writes", IA, "read-your-own-writes-routing"),
    code("Coding Drill: Failover Health Check", IA, "a-failover-monitor"),
    sec("Recommended Reading", IA, "recommended-reading"),
    table("Paper/ResourceKey contribution", IA, "recommended-reading"),
    code("Coding Drill: Implementing a Simple Replication Stream", IA, "a-replication-stream"),
    code("Coding Drill: Consistent Hashing for Replica Assignment", IA, "consistent-hashing-for-replica-placement"),
    sec("Interview Rapid-Fire: 10 Questions, 10 One-Line Answers", IA, "rapid-fire-ten-questions-one-line-each"),
    table("#QuestionOne-line answer", IA, "rapid-fire-ten-questions-one-line-each"),
    sec("The Five Dimensions of Replication Knowledge", IA, "the-five-dimensions-of-replication-knowledge"),
    table("DimensionQuestionKey points in your answer", IA, "the-five-dimensions-of-replication-knowledge"),
    checkpoint("Staff-level question:", IA, "interview-arsenal-staff-ryw"),
    // Chapter 10
    chapter("Chapter 10: Connections", CX),
    sec("Where Replication Fits", CX, "where-replication-fits"),
    table("TopicRelationship to ReplicationDDIA Chapter", CX, "where-replication-fits"),
    sec("The Bigger Picture", CX, "cap-pacelc-and-the-bigger-picture"),
    sec("What This Lesson Did NOT Cover", CX, "where-to-go-deeper"),
    table("TopicWhy it mattersWhere to learn it", CX, "where-to-go-deeper"),
    sec("The Replication Landscape: A Visual Summary", CX, "the-replication-landscape"),
    sec("Replication in Managed Cloud Services", CX, "replication-in-managed-cloud-services"),
    table("ServiceReplication ModelWhat you configure", CX, "replication-in-managed-cloud-services"),
    worked("The Cost of Replication", CX, "what-replication-costs"),
    sec("When NOT to Replicate", CX, "choosing-and-choosing-not-to-replicate"),
    table("If your problem is...Replication helps?", CX, "choosing-and-choosing-not-to-replicate"),
    sec("How to Think About CAP in Practice", CX, "cap-in-practice"),
    table("ScenarioWhat you chooseWhat you sacrifice", CX, "cap-in-practice"),
    sec("Key Takeaway", CX, "the-one-page-review"),
    sec("The Local-First Movement: Replication Without Servers", CX, "local-first-replication-without-a-server"),
    table("PropertyCloud-first (traditional)Local-first", CX, "local-first-replication-without-a-server"),
    sec("How Replication Evolved: A Brief History", CX, "how-replication-evolved"),
    table("EraSystemInnovation", CX, "how-replication-evolved"),
    sec("What to Read Next", CX, "where-to-go-deeper"),
    table("Next stepResourceWhat you'll learn", CX, "where-to-go-deeper"),
    sec("One More Design Challenge", CX, "one-more-design-challenge-global-payments"),
    checkpoint("\"Design the replication strategy for a global payments system.\"", CX, "connections-global-payments"),
    checkpoint("Final synthesis:", IA, "interview-arsenal-latency-ranking"),
];

/// Heading-like lines of the source that are not items, each with the reason.
pub const NOT_HEADINGS: &[(&str, &str)] = &[
    ("Designing Data-Intensive Applications — Chapter 6", "the source's title"),
    ("Database Replication", "the source's title"),
    ("1. Consistent Snapshot", "a step of \"Setting Up a New Follower\""),
    ("Write throughput: 1,000 writes/sec", "arithmetic in \"The Replication Lag Equation\""),
    ("Data at risk = ", "arithmetic in \"The Replication Lag Equation\""),
    ("Mode", "a control of the leader-follower simulation"),
    ("Total read capacity = ", "arithmetic in \"Read Scaling\""),
    ("F=0: Total = ", "arithmetic in \"Read Scaling\""),
    ("1. Detect Failure", "a step of \"Leader Failure: Failover\""),
    ("Anomaly", "a control of the lag anomalies simulation"),
    ("LWW (by replica ID):", "a line of the e-commerce worked example"),
    ("Resolution", "a control of the multi-leader simulation"),
    ("Replica A: user:42 = ", "a line of the read repair worked example"),
    ("N (replicas) 3", "a control of the quorum calculator"),
    ("A(hash=10)", "the ring diagram of \"Consistent Hashing\""),
    ("How do you even detect that two writes are concurrent", "the opening question of chapter 7"),
    ("Step 1: Classify the data", "a step of the multi-region e-commerce walkthrough"),
    ("Followers needed: ", "arithmetic in \"Capacity Planning\""),
    ("Do you need multi-region writes?", "the first question of the decision tree"),
    ("WEAKEST CONSISTENCY", "the ASCII landscape diagram, drawn as a figure"),
    ("Strong consistency ←", "a line of \"Key Takeaway\""),
];

/// A heading-like line: short, after a blank line, starting with a capital or digit, not ending a sentence.
/// The source has no Markdown markers; this is how its headings (and tables' header rows) look.
pub fn heading_like_lines(source: &str) -> Vec<(usize, &str)> {
    let lines: Vec<&str> = source.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let text = line.trim();
        let after_blank = i == 0 || lines[i - 1].trim().is_empty();
        let starts = text.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
        if (3..=100).contains(&text.chars().count())
            && after_blank
            && starts
            && !text.ends_with(['.', ',', ';', ':'])
            && !text.starts_with(['#', '/', '-'])
        {
            out.push((i + 1, text));
        }
    }
    out
}

/// The 1-based line of the first source line starting with `prefix`.
pub fn find_line(source: &str, prefix: &str) -> Option<usize> {
    source.lines().position(|l| l.trim_start().starts_with(prefix)).map(|i| i + 1)
}

/// Every problem with the map: items missing from the source, homes missing from the book, heading-like lines
/// of the source with no home.
pub fn check(book: &Book, source: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for item in ITEMS {
        if find_line(source, item.source).is_none() {
            problems.push(format!("{:?} is not a line of the source", item.source));
        }
        if let Err(problem) = resolve(book, item.home) {
            problems.push(format!("{:?}: {problem}", item.source));
        }
    }
    for (line, text) in heading_like_lines(source) {
        let mapped = ITEMS.iter().any(|i| text.starts_with(i.source))
            || NOT_HEADINGS.iter().any(|(prefix, _)| text.starts_with(prefix));
        if !mapped {
            problems.push(format!("source line {line} {text:?} has no home in the book"));
        }
    }
    problems
}

/// The human-readable place of a home ("Chapter 6, Leaderless Replication: Sloppy quorums and hinted handoff"),
/// or why it does not exist.
pub fn resolve(book: &Book, home: Home) -> Result<String, String> {
    let chapter = book
        .chapters
        .iter()
        .find(|c| c.slug == home.chapter())
        .ok_or_else(|| format!("no chapter {:?}", home.chapter()))?;
    let name = format!("Chapter {}, {}", chapter.number, chapter.title);
    match home {
        Home::At { anchor: None, .. } => Ok(name),
        Home::At { anchor: Some(anchor), .. } => chapter
            .headings
            .iter()
            .find(|h| h.id == anchor)
            .map(|h| format!("{name}: {}", h.text))
            .ok_or_else(|| format!("no heading #{anchor} in {}", chapter.slug)),
        Home::Sim { name: sim, .. } => chapter
            .blocks
            .iter()
            .any(|b| matches!(b, Block::Sim(n) if n == sim))
            .then(|| format!("{name}: the {sim} simulation"))
            .ok_or_else(|| format!("{} mounts no simulation {sim:?}", chapter.slug)),
        Home::Checkpoint { id, .. } => chapter
            .blocks
            .iter()
            .find_map(|b| match b {
                Block::Checkpoint(c) if c.id == id => Some(format!("{name}: checkpoint “{}”", c.title)),
                _ => None,
            })
            .ok_or_else(|| format!("{} has no checkpoint {id:?}", chapter.slug)),
    }
}

/// Words in a chapter's Markdown: prose, tables and checkpoints, without fenced code or HTML comments.
pub fn prose_words(markdown: &str) -> usize {
    let mut words = 0;
    // The open fence (its backticks) and whether it is code; checkpoint fences hold prose and count.
    let mut fence: Option<(String, bool)> = None;
    let mut in_comment = false;
    for line in markdown.lines() {
        let trimmed = line.trim();
        let ticks: String = trimmed.chars().take_while(|c| *c == '`').collect();
        if ticks.len() >= 3 {
            match &fence {
                None => fence = Some((ticks, !trimmed.ends_with("checkpoint"))),
                Some((open, _)) if *open == trimmed => fence = None,
                Some(_) => {}
            }
            continue;
        }
        if in_comment || trimmed.starts_with("<!--") {
            in_comment = !line.contains("-->");
            continue;
        }
        if !matches!(fence, Some((_, true))) {
            words += line.split_whitespace().count();
        }
    }
    words
}

/// Words of the source per course chapter (0–10), split at the "Chapter N:" lines.
pub fn source_words_by_chapter(source: &str) -> Vec<usize> {
    let mut counts = vec![0usize; 11];
    let mut current: Option<usize> = None;
    for line in source.lines() {
        if let Some(n) = line.strip_prefix("Chapter ").and_then(|r| r.split(':').next()).and_then(|n| n.parse().ok()) {
            if n < counts.len() {
                current = Some(n);
            }
        }
        if let Some(n) = current {
            counts[n] += line.split_whitespace().count();
        }
    }
    counts
}

/// `docs/source-map.md`: the size of each course chapter in the source, and every item with its home.
pub fn render_markdown(book: &Book, source: &str) -> String {
    let mut out = String::from(
        "# Source coverage map\n\n\
         Generated by `cargo run -p content --bin content-report -- --write-map docs/source-map.md` from\n\
         `crates/content/src/source_map.rs`; a test fails when it is out of date. Each row is one section, table,\n\
         worked example, callout, code listing, checkpoint or simulation of the main course source (`001_…txt`,\n\
         by line), and where the book now covers it.\n\n",
    );
    let words = source_words_by_chapter(source);
    out.push_str(
        "## The source's chapters\n\n| ch | book chapter | source words | items mapped |\n|---|---|---|---|\n",
    );
    for chapter in &book.chapters {
        let items = ITEMS.iter().filter(|i| i.home.chapter() == chapter.slug).count();
        let _ = writeln!(
            out,
            "| {} | [{}](../chapters/{}.md) | {} | {items} |",
            chapter.number,
            chapter.title,
            chapter.slug,
            words.get(chapter.number).copied().unwrap_or(0)
        );
    }
    let _ = write!(
        out,
        "\n## Every item ({} in all)\n\n| line | kind | in the source | in the book |\n|---|---|---|---|\n",
        ITEMS.len()
    );
    for item in ITEMS {
        let line = find_line(source, item.source).map_or("?".to_owned(), |l| l.to_string());
        let place = resolve(book, item.home).unwrap_or_else(|e| format!("MISSING: {e}"));
        let link = match item.home {
            Home::At { chapter, anchor: Some(a) } => format!("[{place}](../chapters/{chapter}.md#{a})"),
            other => format!("[{place}](../chapters/{}.md)", other.chapter()),
        };
        let shown: String = item.source.trim_matches('"').chars().take(70).collect();
        let _ = writeln!(out, "| {line} | {} | {} | {link} |", item.kind.label(), shown.replace('|', "\\|"));
    }
    out
}

/// The main course source: `$BOOK_SOURCE` if set, else the `001_…txt` file in `/work/shared/sources`.
pub fn default_source() -> Option<std::path::PathBuf> {
    if let Some(path) = std::env::var_os("BOOK_SOURCE") {
        return Some(path.into());
    }
    let dir = std::path::Path::new("/work/shared/sources");
    let mut found: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("001_") && n.ends_with(".txt"))
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_words_skip_code_and_comments_but_count_checkpoints() {
        let md = "# T\n\nOne two three.\n\n```rust\nlet a = 1;\n```\n\n<!-- a\nb -->\n\n```checkpoint\nid: x\n---\nQ here\n===\nA\n```\n";
        assert_eq!(prose_words(md), 2 + 3 + 2 + 1 + 2 + 1 + 1);
    }

    #[test]
    fn heading_like_lines_are_short_lines_after_a_blank() {
        let text = "Title\n\nA Heading\nbody text.\n\nA sentence that ends.\n\nWhat if W + R ≤ N?\n";
        let found: Vec<usize> = heading_like_lines(text).into_iter().map(|(l, _)| l).collect();
        assert_eq!(found, vec![1, 3, 8]);
        assert_eq!(source_words_by_chapter("intro words\nChapter 0: A\nx y\nChapter 1: B\nz")[..2], [5, 4]);
    }
}
