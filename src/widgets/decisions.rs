//! Decision walks as data: questions whose answers lead to further questions or to a recommendation. Two walks:
//! chapter 8's PostgreSQL-or-Cassandra framework (five questions) and chapter 9's replication decision tree.
//! [`Walk::validate`] checks the graph (no dangling ids, no cycles, every path ends in a recommendation); the
//! unit tests run it on both walks.

#[derive(Debug, PartialEq, Eq)]
pub struct Walk {
    /// The `{{#sim}}` name.
    pub name: &'static str,
    pub title: &'static str,
    pub start: &'static str,
    pub steps: &'static [Step],
    /// Said once the walk reaches any recommendation.
    pub closing: &'static str,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Step {
    pub id: &'static str,
    pub kind: StepKind,
}

#[derive(Debug, PartialEq, Eq)]
pub enum StepKind {
    Question { text: &'static str, help: &'static str, answers: &'static [Answer] },
    Recommendation { title: &'static str, reasoning: &'static str, presets: &'static [&'static str] },
}

#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    pub label: &'static str,
    /// The step this answer leads to.
    pub next: &'static str,
    /// What the answer settles, kept in the path and repeated beside the recommendation.
    pub settles: &'static str,
}

/// Walks are small; a path longer than this is a cycle the validator missed.
pub const PATH_STEPS_MAX: usize = 16;

impl Walk {
    pub fn step(&self, id: &str) -> Option<&'static Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    pub fn questions(&self) -> usize {
        self.steps.iter().filter(|s| matches!(s.kind, StepKind::Question { .. })).count()
    }

    /// Every problem with the graph, in words; empty when it is sound.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (i, s) in self.steps.iter().enumerate() {
            if self.steps[..i].iter().any(|o| o.id == s.id) {
                problems.push(format!("step {} is defined twice", s.id));
            }
            match &s.kind {
                StepKind::Question { answers, .. } => {
                    if answers.len() < 2 {
                        problems.push(format!("question {} offers fewer than two answers", s.id));
                    }
                    for a in *answers {
                        if self.step(a.next).is_none() {
                            problems.push(format!("{} → {:?} leads to missing step {}", s.id, a.label, a.next));
                        }
                    }
                }
                StepKind::Recommendation { presets, .. } => {
                    for p in *presets {
                        if super::presets::find(p).is_none() {
                            problems.push(format!("recommendation {} links to missing preset {p}", s.id));
                        }
                    }
                }
            }
        }
        if self.step(self.start).is_none() {
            problems.push(format!("the start step {} does not exist", self.start));
            return problems;
        }
        // Depth-first over every path from the start: a step seen again on the same path is a cycle.
        let mut reached = Vec::new();
        let mut stack: Vec<Vec<&str>> = vec![vec![self.start]];
        while let Some(path) = stack.pop() {
            let here = path[path.len() - 1];
            if !reached.contains(&here) {
                reached.push(here);
            }
            let Some(step) = self.step(here) else { continue };
            if let StepKind::Question { answers, .. } = &step.kind {
                for a in *answers {
                    if path.contains(&a.next) {
                        problems.push(format!("cycle: {} → {}", path.join(" → "), a.next));
                    } else if path.len() >= PATH_STEPS_MAX {
                        problems.push(format!("path longer than {PATH_STEPS_MAX} steps: {}", path.join(" → ")));
                    } else {
                        let mut longer = path.clone();
                        longer.push(a.next);
                        stack.push(longer);
                    }
                }
            }
        }
        for s in self.steps {
            if !reached.contains(&s.id) {
                problems.push(format!("step {} cannot be reached from the start", s.id));
            }
        }
        problems
    }

    /// Every path from the start to a recommendation, as step ids. Only meaningful on a valid walk.
    pub fn paths(&self) -> Vec<Vec<&'static str>> {
        let mut done = Vec::new();
        let mut stack = vec![vec![self.start]];
        while let Some(path) = stack.pop() {
            let Some(step) = self.step(path[path.len() - 1]) else { continue };
            match &step.kind {
                StepKind::Recommendation { .. } => done.push(path),
                StepKind::Question { answers, .. } => {
                    for a in answers.iter().filter(|a| !path.contains(&a.next) && path.len() < PATH_STEPS_MAX) {
                        let mut longer = path.clone();
                        longer.push(a.next);
                        stack.push(longer);
                    }
                }
            }
        }
        done
    }
}

const fn question(id: &'static str, text: &'static str, help: &'static str, answers: &'static [Answer]) -> Step {
    Step { id, kind: StepKind::Question { text, help, answers } }
}

const fn recommend(
    id: &'static str,
    title: &'static str,
    reasoning: &'static str,
    presets: &'static [&'static str],
) -> Step {
    Step { id, kind: StepKind::Recommendation { title, reasoning, presets } }
}

const fn answer(label: &'static str, next: &'static str, settles: &'static str) -> Answer {
    Answer { label, next, settles }
}

/// Chapter 8: PostgreSQL or Cassandra, in the course's five questions. The first decisive answer ends the walk.
pub static PG_VS_CASSANDRA: Walk = Walk {
    name: "pg-vs-cassandra",
    title: "PostgreSQL or Cassandra? Five questions",
    start: "acid",
    steps: &[
        question(
            "acid",
            "Do you need strong consistency and ACID transactions?",
            "Money moving between accounts, stock that must not be sold twice, anything where two writes must succeed or fail together.",
            &[
                answer("Yes", "pg-acid", "Transactions are required."),
                answer("No", "write-rate", "Transactions are not required."),
            ],
        ),
        question(
            "write-rate",
            "Will you sustain more than 50,000 writes per second?",
            "Count peak writes across the whole system, not the average.",
            &[
                answer("Yes", "cassandra-scale", "More than 50,000 writes per second."),
                answer("No", "multi-region", "A write rate one PostgreSQL leader handles comfortably."),
            ],
        ),
        question(
            "multi-region",
            "Must every region accept writes locally?",
            "Users on several continents who each write, where a round trip to one home region is too slow.",
            &[
                answer("Yes", "multi-region-writes", "Writes must be accepted in every region."),
                answer("No", "data-model", "Writes can go to one region; other regions can hold read-only followers."),
            ],
        ),
        question(
            "data-model",
            "Is the data mostly key-value or wide-column?",
            "Lookups and scans by a known key, rather than joins across tables and ad hoc queries.",
            &[
                answer("Yes", "eventual", "Key-value or wide-column data."),
                answer("No", "pg-relational", "Relational data with joins and complex queries."),
            ],
        ),
        question(
            "eventual",
            "Can the application live with eventual consistency?",
            "A read may briefly miss a recent write, and two concurrent writes to one value may keep only one.",
            &[
                answer("Yes", "cassandra-eventual", "Eventual consistency is acceptable."),
                answer("No", "pg-sync", "Reads must not miss acknowledged writes."),
            ],
        ),
        recommend(
            "pg-acid",
            "PostgreSQL, or CockroachDB if it must span regions",
            "Transactions need one place that orders the writes. PostgreSQL's single leader does that; for a database spread over regions, CockroachDB keeps ACID transactions by running Raft on every range.",
            &["postgres-sync", "cockroach-raft"],
        ),
        recommend(
            "cassandra-scale",
            "Cassandra",
            "Past about 50,000 writes per second a single leader is the bottleneck. Cassandra has no leader: adding nodes adds write capacity. Keep the data append-friendly, because concurrent writes to one value are settled by last-write-wins.",
            &["cassandra-quorum", "cassandra-lww"],
        ),
        recommend(
            "multi-region-writes",
            "Cassandra (leaderless) or CockroachDB (Raft)",
            "Both accept writes in every region. Cassandra answers locally and reconciles later with last-write-wins; CockroachDB stays strongly consistent and pays for it with cross-region round trips on each write.",
            &["cassandra-quorum", "cockroach-raft"],
        ),
        recommend(
            "pg-relational",
            "PostgreSQL",
            "Joins and ad hoc queries are what a relational database is for, and at this write rate one leader with followers (in other regions too, for reads) carries the load.",
            &["postgres-async"],
        ),
        recommend(
            "cassandra-eventual",
            "Cassandra, with a consistency level per query",
            "Key-value data, no transactions and tolerance for brief staleness is Cassandra's home ground. Choose ONE where speed matters most and QUORUM where a read must see the latest quorum write.",
            &["cassandra-one", "cassandra-quorum"],
        ),
        recommend(
            "pg-sync",
            "PostgreSQL with synchronous replication",
            "If no acknowledged write may be missed, a leader that waits for a standby before saying OK gives you that, at the price of the standby's round trip on every commit.",
            &["postgres-sync"],
        ),
    ],
    closing: "Many systems use both: PostgreSQL for the transactional core (accounts, orders, payments) and Cassandra for high-volume events (clickstreams, sensor readings, logs), with change data capture streaming from the first into the second.",
};

/// Chapter 9: the replication decision tree. Three questions pick the topology and its conflict handling; the
/// fourth, asked on every branch, picks the read path.
pub static DECISION_TREE: Walk = Walk {
    name: "decision-tree",
    title: "The replication decision tree",
    start: "regions",
    steps: &[
        question(
            "regions",
            "Do you need writes accepted in more than one region?",
            "Not reads: writes. Followers in other regions already serve local reads.",
            &[
                answer("No", "reads", "Topology: leader-follower, the simplest and most battle-tested design."),
                answer("Yes", "conflicts", "Writes must be accepted in several regions."),
            ],
        ),
        question(
            "conflicts",
            "Can you tolerate write conflicts?",
            "Two regions changing the same record at the same moment, and something deciding afterwards which change stands or how they merge.",
            &[
                answer(
                    "No",
                    "reads",
                    "Topology: consensus (Raft or Paxos). An elected leader orders every write and a majority confirms it; writes pay a cross-region round trip.",
                ),
                answer("Yes", "data-model", "Topology: multi-leader or leaderless, with conflicts resolved after the fact."),
            ],
        ),
        question(
            "data-model",
            "What kind of data is it?",
            "How the data changes decides how conflicts can be resolved.",
            &[
                answer(
                    "Append-only (logs, events)",
                    "reads",
                    "Conflicts: rare, because records are only added; leaderless with last-write-wins is fine.",
                ),
                answer(
                    "Mutable rows",
                    "reads",
                    "Conflicts: real, and last-write-wins would lose updates; use CRDTs or application-level resolution.",
                ),
                answer(
                    "Collaborative text",
                    "reads",
                    "Conflicts: constant, as people type in the same document; use operational transformation or a text CRDT.",
                ),
            ],
        ),
        question(
            "reads",
            "What consistency do reads need?",
            "Whatever the topology, this picks how reads are served.",
            &[
                answer("Eventual", "eventual-reads", "Reads may lag behind writes."),
                answer("Read-your-writes", "ryw-reads", "Each user must see their own writes."),
                answer("Strong", "strong-reads", "Every read must see every acknowledged write."),
            ],
        ),
        recommend(
            "eventual-reads",
            "Serve reads from any replica, replicated asynchronously",
            "Reads that may lag can go to any copy, so every asynchronous follower or replica adds read capacity; watch the lag so \"eventually\" stays short.",
            &["postgres-async"],
        ),
        recommend(
            "ryw-reads",
            "Route a user's reads after their writes: sticky sessions or reads from the leader",
            "Keep each user on one replica, or send their reads to the leader (or to a follower that has reached their last write's log position) for a while after they write; everyone else can read anywhere.",
            &["mysql-semisync"],
        ),
        recommend(
            "strong-reads",
            "Synchronous replication or consensus",
            "A read sees every acknowledged write only if the write waited for the copies that reads consult: synchronous followers, overlapping quorums (W + R > N) or a Raft majority.",
            &["postgres-sync", "cockroach-raft"],
        ),
    ],
    closing: "Start from leader-follower and let a requirement push you off it: writes in many regions, offline clients or extreme availability each justify the conflict handling that comes with the alternatives.",
};

pub static WALKS: [&Walk; 2] = [&PG_VS_CASSANDRA, &DECISION_TREE];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_walks_are_sound_graphs() {
        for walk in WALKS {
            assert_eq!(walk.validate(), Vec::<String>::new(), "{}", walk.name);
        }
    }

    #[test]
    fn every_path_ends_in_a_recommendation_and_every_recommendation_is_reached() {
        for walk in WALKS {
            let paths = walk.paths();
            assert!(!paths.is_empty());
            for path in &paths {
                let last = walk.step(path[path.len() - 1]).unwrap();
                assert!(matches!(last.kind, StepKind::Recommendation { .. }), "{}: {path:?}", walk.name);
            }
            for s in walk.steps.iter().filter(|s| matches!(s.kind, StepKind::Recommendation { .. })) {
                assert!(paths.iter().any(|p| p.last() == Some(&s.id)), "{}: {} is never reached", walk.name, s.id);
            }
        }
    }

    #[test]
    fn the_walks_ask_the_courses_questions() {
        assert_eq!(PG_VS_CASSANDRA.questions(), 5);
        assert_eq!(DECISION_TREE.questions(), 4);
        // The longest path asks all five questions; saying "no" to ACID and the write rate, no to multi-region
        // writes and yes to key-value data reaches the eventual-consistency question.
        assert!(PG_VS_CASSANDRA.paths().iter().any(|p| p.len() == 6));
        // Every path of the tree ends with the read-consistency question.
        for path in DECISION_TREE.paths() {
            assert_eq!(path[path.len() - 2], "reads");
        }
        assert_eq!(DECISION_TREE.paths().len(), 5 * 3, "five topology branches, three read paths");
    }

    #[test]
    fn the_validator_finds_broken_graphs() {
        static BROKEN: Walk = Walk {
            name: "broken",
            title: "broken",
            start: "a",
            steps: &[
                question("a", "A?", "", &[answer("to b", "b", ""), answer("nowhere", "missing", "")]),
                question("b", "B?", "", &[answer("back to a", "a", ""), answer("end", "end", "")]),
                recommend("end", "End", "", &["no-such-preset"]),
                recommend("orphan", "Orphan", "", &[]),
            ],
            closing: "",
        };
        let problems = BROKEN.validate().join("\n");
        assert!(problems.contains("leads to missing step missing"), "{problems}");
        assert!(problems.contains("cycle: a → b → a"), "{problems}");
        assert!(problems.contains("missing preset no-such-preset"), "{problems}");
        assert!(problems.contains("step orphan cannot be reached"), "{problems}");
    }
}
