//! Consistent hashing with virtual nodes: how a leaderless store decides which N replicas hold a key
//! (chapter 6, "Consistent Hashing").
//!
//! Nodes and keys sit on the same ring of positions. A key belongs to the first node at or after its position,
//! walking clockwise and wrapping past the end; its N replicas are the first N *distinct* nodes met on that walk.
//! Removing a node hands its keys to the next node clockwise and leaves every other key where it was; adding one
//! takes keys only from its clockwise neighbours. That is the "consistent" in the name, and what the tests check.
//!
//! Two kinds of ring: the course's small ring of 100 positions with hand-placed nodes (A=10, B=30, C=55, D=75,
//! E=90), so a reader can follow a walk by eye, and a hashed ring over all 2^64 positions where each node owns
//! V *virtual nodes* (tokens) at hashed positions. With one token per node the arcs between tokens, and so the
//! load, are very uneven; with a hundred the unevenness averages out — [`Ring::load`] measures it.
//!
//! What it simplifies, and why: tokens are placed by hash alone (no rack or data-centre awareness), there is one
//! ring for all keys, and moving a key is reported, not performed: the book shows *which* keys move; copying
//! the data is the replication the other chapters simulate. The hash is FNV-1a followed by a 64-bit mixing step,
//! written here so that positions are identical on every platform and in every release.
//!
//! ```
//! use sim::ring::Ring;
//!
//! let mut ring = Ring::course_example();
//! let user_42 = ring.key_at("user:42", 40)?;
//! assert_eq!(ring.replicas(user_42.position, 3), ["C", "D", "E"]);
//! let before = ring.clone();
//! ring.remove_node("C")?;
//! assert_eq!(ring.replicas(user_42.position, 3), ["D", "E", "A"]);
//! let moves = Ring::moves(&before, &ring, &[user_42], 3)?;
//! assert_eq!((&moves[0].lost, &moves[0].gained), (&vec!["C".to_owned()], &vec!["A".to_owned()]));
//! # Ok::<(), sim::ring::RingError>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Physical nodes on one ring at most.
pub const NODES_MAX: usize = 64;
/// Virtual nodes per physical node at most.
pub const VNODES_MAX: u32 = 1_024;
/// Tokens on one ring at most (e.g. 64 nodes × 256 virtual nodes).
pub const TOKENS_MAX: usize = 16_384;
/// Keys per placement, move or load computation at most.
pub const KEYS_MAX: usize = 100_000;
/// Attempts to find a free position for one token when its hashed position is taken.
pub const PROBES_MAX: u32 = 16;
/// Characters in a node name at most.
pub const NAME_LEN_MAX: usize = 64;

/// 64-bit FNV-1a (Fowler, Noll, Vo): stable, tiny, and the same everywhere.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// A ring position for a text: FNV-1a, then MurmurHash3's 64-bit finaliser. FNV-1a alone barely changes its top
/// bits when only the last character differs ("user:1", "user:2"), and the top bits decide where on the ring a
/// key lands; the finaliser spreads every input bit over all 64.
pub fn ring_hash(text: &str) -> u64 {
    let mut h = fnv1a64(text.as_bytes());
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// How many positions the ring has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Circumference {
    /// Positions `0..size`, as in the course's ring of 100.
    Positions(u64),
    /// Every `u64`, for hashed tokens and keys.
    Hash64,
}

impl Circumference {
    fn size(self) -> u128 {
        match self {
            Circumference::Positions(size) => u128::from(size.max(1)),
            Circumference::Hash64 => 1u128 << 64,
        }
    }

    fn place(self, hash: u64) -> u64 {
        match self {
            Circumference::Positions(size) => hash % size.max(1),
            Circumference::Hash64 => hash,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RingError {
    /// Names must be 1..=[`NAME_LEN_MAX`] characters.
    BadName {
        name: String,
    },
    NameTaken {
        name: String,
    },
    UnknownNode {
        name: String,
    },
    PositionOutOfRange {
        position: u64,
        size: u64,
    },
    PositionTaken {
        position: u64,
        by: String,
    },
    /// Every probe for a free position collided (a small ring that is nearly full).
    NoFreePosition {
        name: String,
    },
    TooManyNodes,
    TooManyTokens,
    TooManyKeys {
        keys: usize,
    },
}

impl fmt::Display for RingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RingError::BadName { name } => write!(f, "{name:?} is not a node name (1 to {NAME_LEN_MAX} characters)"),
            RingError::NameTaken { name } => write!(f, "a node called {name} is already on the ring"),
            RingError::UnknownNode { name } => write!(f, "no node called {name} is on the ring"),
            RingError::PositionOutOfRange { position, size } => {
                write!(f, "position {position} is outside the ring's 0..{size}")
            }
            RingError::PositionTaken { position, by } => write!(f, "position {position} already belongs to {by}"),
            RingError::NoFreePosition { name } => write!(f, "no free position was found for a token of {name}"),
            RingError::TooManyNodes => write!(f, "the ring already has {NODES_MAX} nodes"),
            RingError::TooManyTokens => write!(f, "the ring already has {TOKENS_MAX} tokens"),
            RingError::TooManyKeys { keys } => write!(f, "{keys} keys is more than the {KEYS_MAX} allowed"),
        }
    }
}

impl std::error::Error for RingError {}

/// One position a node owns on the ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub position: u64,
    pub node: String,
    /// Which of the node's virtual nodes this is, from 0.
    pub vnode: u32,
}

/// A key and where it sits on the ring.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub name: String,
    pub position: u64,
}

/// A key and the nodes that hold it, in walk order (the first is its coordinator).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub key: Key,
    pub replicas: Vec<String>,
}

/// A key whose replica set changed between two rings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyMove {
    pub key: Key,
    pub before: Vec<String>,
    pub after: Vec<String>,
    /// Nodes that must receive a copy.
    pub gained: Vec<String>,
    /// Nodes that no longer hold one.
    pub lost: Vec<String>,
}

impl KeyMove {
    /// "user:42 (at 40) moves from C to A."
    pub fn describe(&self, ring: &Ring) -> String {
        let from = if self.lost.is_empty() { "nowhere".to_owned() } else { self.lost.join(", ") };
        let to = if self.gained.is_empty() { "nowhere".to_owned() } else { self.gained.join(", ") };
        format!("{} (at {}) moves from {from} to {to}.", self.key.name, ring.position_label(self.key.position))
    }
}

/// Copies of keys a node holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeLoad {
    pub node: String,
    pub keys: u64,
}

/// How evenly a key set spreads over the nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct Load {
    /// Every node, in name order, including those holding nothing.
    pub per_node: Vec<NodeLoad>,
    pub max_keys: u64,
    pub mean_keys: f64,
    /// `max_keys / mean_keys`: 1.0 is perfectly even; 2.0 means the busiest node holds twice its share.
    pub spread: f64,
}

/// A node and the share of the ring's positions it owns (the arcs ending at its tokens).
#[derive(Clone, Debug, PartialEq)]
pub struct Ownership {
    pub node: String,
    pub share: f64,
}

/// A consistent-hashing ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ring {
    circumference: Circumference,
    vnodes_per_node: u32,
    /// Position → (node, virtual node number).
    tokens: BTreeMap<u64, (String, u32)>,
    /// Node → number of tokens it owns.
    nodes: BTreeMap<String, u32>,
}

impl Ring {
    /// An empty ring; `vnodes_per_node` (clamped to 1..=[`VNODES_MAX`]) is how many tokens
    /// [`Ring::add_node`] gives each node.
    pub fn new(circumference: Circumference, vnodes_per_node: u32) -> Ring {
        let circumference = match circumference {
            Circumference::Positions(size) => Circumference::Positions(size.max(1)),
            other => other,
        };
        Ring {
            circumference,
            vnodes_per_node: vnodes_per_node.clamp(1, VNODES_MAX),
            tokens: BTreeMap::new(),
            nodes: BTreeMap::new(),
        }
    }

    /// A hashed ring over all 64-bit positions with `vnodes_per_node` tokens per node.
    pub fn hashed(vnodes_per_node: u32) -> Ring {
        Ring::new(Circumference::Hash64, vnodes_per_node)
    }

    /// The course's ring: positions 0..100, A at 10, B at 30, C at 55, D at 75, E at 90.
    pub fn course_example() -> Ring {
        let mut ring = Ring::new(Circumference::Positions(100), 1);
        for (name, position) in [("A", 10), ("B", 30), ("C", 55), ("D", 75), ("E", 90)] {
            // Five distinct positions inside 0..100 on an empty ring: none of these can fail.
            let _ = ring.add_node_at(name, position);
        }
        ring
    }

    pub fn circumference(&self) -> Circumference {
        self.circumference
    }

    pub fn vnodes_per_node(&self) -> u32 {
        self.vnodes_per_node
    }

    /// Node names in order.
    pub fn nodes(&self) -> Vec<String> {
        self.nodes.keys().cloned().collect()
    }

    /// Every token, clockwise from position 0.
    pub fn tokens(&self) -> Vec<Token> {
        self.tokens
            .iter()
            .map(|(&position, (node, vnode))| Token { position, node: node.clone(), vnode: *vnode })
            .collect()
    }

    /// Where a position is, as a fraction of a turn clockwise from the top: for drawing.
    pub fn turn_fraction(&self, position: u64) -> f64 {
        (u128::from(position) % self.circumference.size()) as f64 / self.circumference.size() as f64
    }

    /// A position as the narration says it: "40" on a small ring, "41.2 %" of the way round a hashed one.
    pub fn position_label(&self, position: u64) -> String {
        match self.circumference {
            Circumference::Positions(_) => position.to_string(),
            Circumference::Hash64 => format!("{:.1} %", self.turn_fraction(position) * 100.0),
        }
    }

    fn check_new_name(&self, name: &str) -> Result<(), RingError> {
        if name.is_empty() || name.chars().count() > NAME_LEN_MAX {
            return Err(RingError::BadName { name: name.chars().take(NAME_LEN_MAX).collect() });
        }
        if self.nodes.contains_key(name) {
            return Err(RingError::NameTaken { name: name.to_owned() });
        }
        if self.nodes.len() >= NODES_MAX {
            return Err(RingError::TooManyNodes);
        }
        Ok(())
    }

    /// Places a new node with a single token at `position` (the course's hand-placed ring).
    pub fn add_node_at(&mut self, name: &str, position: u64) -> Result<(), RingError> {
        self.check_new_name(name)?;
        if let Circumference::Positions(size) = self.circumference {
            if position >= size {
                return Err(RingError::PositionOutOfRange { position, size });
            }
        }
        if let Some((by, _)) = self.tokens.get(&position) {
            return Err(RingError::PositionTaken { position, by: by.clone() });
        }
        if self.tokens.len() >= TOKENS_MAX {
            return Err(RingError::TooManyTokens);
        }
        self.tokens.insert(position, (name.to_owned(), 0));
        self.nodes.insert(name.to_owned(), 1);
        Ok(())
    }

    /// Adds a node with [`Ring::vnodes_per_node`] tokens at the hashed positions of "name#0", "name#1", …
    /// A taken position is re-hashed with a probe suffix ("name#3~1"), at most [`PROBES_MAX`] times. Returns the
    /// token positions. On error the ring is unchanged.
    pub fn add_node(&mut self, name: &str) -> Result<Vec<u64>, RingError> {
        self.check_new_name(name)?;
        let v = self.vnodes_per_node;
        if self.tokens.len() + v as usize > TOKENS_MAX {
            return Err(RingError::TooManyTokens);
        }
        let mut placed: Vec<u64> = Vec::with_capacity(v as usize);
        let mut taken: BTreeSet<u64> = BTreeSet::new();
        for vnode in 0..v {
            let free = (0..PROBES_MAX)
                .map(|probe| {
                    let label = if probe == 0 { format!("{name}#{vnode}") } else { format!("{name}#{vnode}~{probe}") };
                    self.circumference.place(ring_hash(&label))
                })
                .find(|p| !self.tokens.contains_key(p) && !taken.contains(p));
            match free {
                Some(position) => {
                    taken.insert(position);
                    placed.push(position);
                }
                None => return Err(RingError::NoFreePosition { name: name.to_owned() }),
            }
        }
        for (vnode, &position) in placed.iter().enumerate() {
            self.tokens.insert(position, (name.to_owned(), vnode as u32));
        }
        self.nodes.insert(name.to_owned(), v);
        Ok(placed)
    }

    /// Takes a node and all its tokens off the ring; returns the positions it held.
    pub fn remove_node(&mut self, name: &str) -> Result<Vec<u64>, RingError> {
        if self.nodes.remove(name).is_none() {
            return Err(RingError::UnknownNode { name: name.to_owned() });
        }
        let mine: Vec<u64> = self.tokens.iter().filter(|(_, (node, _))| node == name).map(|(&p, _)| p).collect();
        for position in &mine {
            self.tokens.remove(position);
        }
        Ok(mine)
    }

    /// A key at its hashed position (reduced modulo the size on a small ring).
    pub fn key(&self, name: &str) -> Key {
        Key { name: name.to_owned(), position: self.circumference.place(ring_hash(name)) }
    }

    /// A key at a position chosen by hand, as in the course's example.
    pub fn key_at(&self, name: &str, position: u64) -> Result<Key, RingError> {
        if let Circumference::Positions(size) = self.circumference {
            if position >= size {
                return Err(RingError::PositionOutOfRange { position, size });
            }
        }
        Ok(Key { name: name.to_owned(), position })
    }

    /// Tokens met walking clockwise from `position` (inclusive), once round the ring.
    fn walk(&self, position: u64) -> impl Iterator<Item = (u64, &str)> {
        self.tokens.range(position..).chain(self.tokens.range(..position)).map(|(&p, (node, _))| (p, node.as_str()))
    }

    /// The node owning `position`: the first token at or after it, clockwise. `None` on an empty ring.
    pub fn owner(&self, position: u64) -> Option<&str> {
        self.walk(position).next().map(|(_, node)| node)
    }

    /// The first `n` distinct nodes clockwise from `position`, each with the position of the token where the
    /// walk first meets it.
    pub fn stops(&self, position: u64, n: usize) -> Vec<(String, u64)> {
        let n = n.min(self.nodes.len());
        let mut seen: Vec<(String, u64)> = Vec::with_capacity(n);
        // The walk visits each token once, so it ends after at most TOKENS_MAX steps.
        for (at, node) in self.walk(position) {
            if seen.len() >= n {
                break;
            }
            if !seen.iter().any(|(s, _)| s == node) {
                seen.push((node.to_owned(), at));
            }
        }
        seen
    }

    /// The first `n` distinct nodes clockwise from `position`: the key's replicas, coordinator first. Fewer when
    /// the ring has fewer than `n` nodes.
    pub fn replicas(&self, position: u64, n: usize) -> Vec<String> {
        self.stops(position, n).into_iter().map(|(node, _)| node).collect()
    }

    fn check_keys(keys: &[Key]) -> Result<(), RingError> {
        if keys.len() > KEYS_MAX {
            return Err(RingError::TooManyKeys { keys: keys.len() });
        }
        Ok(())
    }

    /// Each key with its `n` replicas.
    pub fn placements(&self, keys: &[Key], n: usize) -> Result<Vec<Placement>, RingError> {
        Self::check_keys(keys)?;
        Ok(keys.iter().map(|key| Placement { key: key.clone(), replicas: self.replicas(key.position, n) }).collect())
    }

    /// The keys whose set of `n` replicas differs between `before` and `after` (e.g. a node was added or
    /// removed), in the order given, with the nodes that gain and lose a copy.
    pub fn moves(before: &Ring, after: &Ring, keys: &[Key], n: usize) -> Result<Vec<KeyMove>, RingError> {
        Self::check_keys(keys)?;
        let mut moved = Vec::new();
        for key in keys {
            let old = before.replicas(key.position, n);
            let new = after.replicas(key.position, n);
            let old_set: BTreeSet<&String> = old.iter().collect();
            let new_set: BTreeSet<&String> = new.iter().collect();
            if old_set == new_set {
                continue;
            }
            let gained = new.iter().filter(|x| !old_set.contains(x)).cloned().collect();
            let lost = old.iter().filter(|x| !new_set.contains(x)).cloned().collect();
            moved.push(KeyMove { key: key.clone(), before: old, after: new, gained, lost });
        }
        Ok(moved)
    }

    /// Copies held per node when every key is stored on its `n` replicas (`n = 1`: keys owned), and the spread.
    pub fn load(&self, keys: &[Key], n: usize) -> Result<Load, RingError> {
        Self::check_keys(keys)?;
        let mut counts: BTreeMap<&str, u64> = self.nodes.keys().map(|k| (k.as_str(), 0)).collect();
        for key in keys {
            for node in self.replicas(key.position, n) {
                if let Some(count) = counts.get_mut(node.as_str()) {
                    *count += 1;
                }
            }
        }
        let per_node: Vec<NodeLoad> =
            counts.into_iter().map(|(node, keys)| NodeLoad { node: node.to_owned(), keys }).collect();
        let total: u64 = per_node.iter().map(|l| l.keys).sum();
        let max_keys = per_node.iter().map(|l| l.keys).max().unwrap_or(0);
        let mean_keys = if per_node.is_empty() { 0.0 } else { total as f64 / per_node.len() as f64 };
        let spread = if mean_keys > 0.0 { max_keys as f64 / mean_keys } else { 1.0 };
        Ok(Load { per_node, max_keys, mean_keys, spread })
    }

    /// The share of all positions each node owns, in name order: a token owns the arc from the previous token
    /// (exclusive) to itself (inclusive). The shares sum to 1 on a non-empty ring.
    pub fn ownership(&self) -> Vec<Ownership> {
        let size = self.circumference.size();
        let mut owned: BTreeMap<&str, u128> = self.nodes.keys().map(|k| (k.as_str(), 0)).collect();
        let mut previous = self.tokens.keys().next_back().copied();
        for (&position, (node, _)) in &self.tokens {
            let prev = u128::from(previous.unwrap_or(position));
            let here = u128::from(position);
            // The first token's arc wraps from the last token; a lone token owns the whole ring.
            let arc = if self.tokens.len() == 1 { size } else { (here + size - prev) % size };
            if let Some(total) = owned.get_mut(node.as_str()) {
                *total += arc;
            }
            previous = Some(position);
        }
        owned
            .into_iter()
            .map(|(node, arc)| Ownership { node: node.to_owned(), share: arc as f64 / size as f64 })
            .collect()
    }

    /// "user:42 at 40 walks clockwise to C (55), D (75), E (90): its 3 replicas."
    pub fn describe_placement(&self, key: &Key, n: usize) -> String {
        let stops = self.stops(key.position, n);
        let at = self.position_label(key.position);
        if stops.is_empty() {
            return format!("{} at {at} has nowhere to go: the ring is empty.", key.name);
        }
        let what = if stops.len() == 1 { "its owner".to_owned() } else { format!("its {} replicas", stops.len()) };
        let walk: Vec<String> = stops.iter().map(|(node, p)| format!("{node} ({})", self.position_label(*p))).collect();
        format!("{} at {at} walks clockwise to {}: {what}.", key.name, walk.join(", "))
    }
}
