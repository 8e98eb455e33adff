//! The five databases of chapter 8, described along the same replication dimensions: the data behind the
//! strategy comparison widget. Facts from the course's chapter 8 tables and its failover-in-production table.

/// One row of the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dimension {
    Topology,
    LogFormat,
    SyncMode,
    Failover,
    DataLoss,
    FollowerReads,
    Conflicts,
    Gotcha,
}

impl Dimension {
    pub const ALL: [Dimension; 8] = [
        Dimension::Topology,
        Dimension::LogFormat,
        Dimension::SyncMode,
        Dimension::Failover,
        Dimension::DataLoss,
        Dimension::FollowerReads,
        Dimension::Conflicts,
        Dimension::Gotcha,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Dimension::Topology => "Topology",
            Dimension::LogFormat => "Log format",
            Dimension::SyncMode => "Sync mode",
            Dimension::Failover => "Failover",
            Dimension::DataLoss => "Data lost in a failover",
            Dimension::FollowerReads => "Reads from followers",
            Dimension::Conflicts => "Write conflicts",
            Dimension::Gotcha => "Gotcha",
        }
    }

    /// The value of a checkbox and the id fragment of a row.
    pub fn key(self) -> &'static str {
        match self {
            Dimension::Topology => "topology",
            Dimension::LogFormat => "log-format",
            Dimension::SyncMode => "sync-mode",
            Dimension::Failover => "failover",
            Dimension::DataLoss => "data-loss",
            Dimension::FollowerReads => "follower-reads",
            Dimension::Conflicts => "conflicts",
            Dimension::Gotcha => "gotcha",
        }
    }

    fn index(self) -> usize {
        Dimension::ALL.iter().position(|d| *d == self).unwrap_or(0)
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Database {
    pub key: &'static str,
    pub name: &'static str,
    /// In the order of [`Dimension::ALL`].
    facts: [&'static str; Dimension::ALL.len()],
    /// Names of presets (see `presets.rs`) that show this database's behaviour in a simulation.
    pub presets: &'static [&'static str],
}

impl Database {
    pub fn fact(&self, dimension: Dimension) -> &'static str {
        self.facts[dimension.index()]
    }
}

pub static DATABASES: &[Database] = &[
    Database {
        key: "postgresql",
        name: "PostgreSQL",
        facts: [
            "Leader-follower: one primary and any number of standbys.",
            "The physical write-ahead log, byte for byte, so it is tied to the storage engine and the major version. Logical replication (pgoutput) exists alongside it since version 10.",
            "Your choice: asynchronous by default, synchronous, or remote_apply, which also waits until the standby has applied the change.",
            "Not built in: promote a standby by hand (pg_ctl promote) or let Patroni or pg_auto_failover do it. With Patroni, about 15–35 s.",
            "Asynchronous: up to the replication lag. Synchronous: none.",
            "Yes, from hot standbys; but a long query on a standby can be cancelled when replaying the WAL needs the rows it is reading.",
            "None: the primary orders every write.",
            "Physical WAL only replays into the same major version, so a rolling upgrade needs logical replication or a dump and restore.",
        ],
        presets: &["postgres-async", "postgres-sync"],
    },
    Database {
        key: "mysql",
        name: "MySQL",
        facts: [
            "Leader-follower; Group Replication adds a multi-leader mode that orders writes with Paxos.",
            "The binlog: row-based (the default since 5.7), the older statement-based format, or a mix of the two.",
            "Asynchronous unless you install the semi-synchronous plugin, which waits for at least one replica to confirm.",
            "External tools (Orchestrator, MHA), or Group Replication's automatic failover. With Orchestrator, about 15–35 s.",
            "Asynchronous: up to the lag. Semi-synchronous: about one transaction at most.",
            "Yes; a proxy such as ProxySQL or MySQL Router sends reads to replicas.",
            "None with a single primary; Group Replication's multi-leader mode has to settle them.",
            "Without GTIDs (global transaction ids), working out where a promoted replica should resume in the binlog is a painful manual hunt; turn them on before you need a failover.",
        ],
        presets: &["mysql-semisync"],
    },
    Database {
        key: "mongodb",
        name: "MongoDB",
        facts: [
            "Replica sets: one primary and secondaries, plus optional arbiters that only vote.",
            "The oplog: a logical log of operations, much like a row-based binlog.",
            "Per write, the write concern: w:1 (the primary alone), w:majority, or w:N.",
            "Automatic: the members elect a new primary with a protocol inspired by Raft. Detection about 10 s, election 2–12 s.",
            "w:majority: none. w:1: up to the oplog lag.",
            "Yes, chosen by read preference: primary, primaryPreferred, secondary or nearest.",
            "None between members: only the primary takes writes. Writes an old primary never replicated are rolled back when it rejoins.",
            "An election during a network partition can roll back writes the old primary accepted but had not replicated.",
        ],
        presets: &["mongodb-w1", "mongodb-majority"],
    },
    Database {
        key: "cassandra",
        name: "Cassandra",
        facts: [
            "Leaderless, in the Dynamo style: any node can coordinate any read or write.",
            "Mutations sent to every replica, each carrying a timestamp; replicas merge them column by column.",
            "Chosen per request, the consistency level: ONE, QUORUM, LOCAL_QUORUM or ALL.",
            "Nothing to fail over: there is no leader. Nodes join and leave the ring by gossip.",
            "No failover to lose writes in; a write acknowledged by fewer replicas than later reads consult can be missed.",
            "There are no followers: every replica serves reads and writes.",
            "Last write wins, by timestamp, per column: one of two concurrent writes silently disappears.",
            "Last-write-wins loses data quietly; deleted rows can come back once tombstones expire; counter columns need special care.",
        ],
        presets: &["cassandra-lww", "cassandra-quorum", "cassandra-one"],
    },
    Database {
        key: "cockroachdb",
        name: "CockroachDB",
        facts: [
            "Data split into ranges; each range is its own Raft group with its own leader, so leadership is per range, not per cluster.",
            "The Raft log, holding logical operations.",
            "Always synchronous: Raft commits a write only when a majority of the range's replicas have it.",
            "Automatic, per range: Raft elects a new leader in under a second once the node is declared dead (about 9 s), roughly 10 s in all.",
            "None: a committed write is on a majority.",
            "Follower reads are available, with a timestamp check that bounds how stale they can be.",
            "None between replicas: Raft puts every range's writes in one order.",
            "A majority that spans regions puts cross-region round trips into every write, so place each table's data near the users who write it.",
        ],
        presets: &["cockroach-raft"],
    },
];

pub fn find(key: &str) -> Option<&'static Database> {
    DATABASES.iter().find(|d| d.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::widgets::presets;

    #[test]
    fn every_database_describes_every_dimension() {
        assert_eq!(DATABASES.len(), 5);
        for db in DATABASES {
            for d in Dimension::ALL {
                let fact = db.fact(d);
                assert!(fact.len() > 10, "{} has no real entry for {}", db.name, d.title());
                assert!(fact.ends_with('.'), "{} / {}: a sentence", db.name, d.title());
            }
        }
    }

    #[test]
    fn keys_and_titles_are_unique() {
        for (i, db) in DATABASES.iter().enumerate() {
            assert!(DATABASES[..i].iter().all(|o| o.key != db.key && o.name != db.name));
            assert_eq!(find(db.key), Some(db));
        }
        for (i, d) in Dimension::ALL.iter().enumerate() {
            assert_eq!(d.index(), i);
            assert!(Dimension::ALL[..i].iter().all(|o| o.key() != d.key() && o.title() != d.title()));
        }
    }

    #[test]
    fn every_database_links_to_presets_that_exist_and_name_it() {
        for db in DATABASES {
            assert!(!db.presets.is_empty(), "{} shows nothing", db.name);
            for name in db.presets {
                let preset = presets::find(name).unwrap_or_else(|| panic!("{}: no preset {name}", db.name));
                assert_eq!(preset.database, db.name);
            }
        }
        // And every preset is reachable from the table.
        for p in presets::PRESETS {
            assert!(DATABASES.iter().any(|db| db.presets.contains(&p.name)), "{} is linked from nowhere", p.name);
        }
    }
}
