//! The simulated network: latency distributions, per-link settings, message loss and partitions,
//! and the single time-ordered event queue every model drives itself with.

use std::collections::{BTreeMap, BTreeSet};

use crate::rng::Rng;
use crate::time::Time;

/// No single message takes longer than a minute; distributions with heavy tails are cut here so that
/// a run stays bounded whatever the reader picks.
pub const LATENCY_MS_MAX: u64 = 60_000;

/// How long one message takes on a link.
#[derive(Clone, Debug, PartialEq)]
pub enum Latency {
    Constant {
        ms: u64,
    },
    /// Uniform over `min_ms..=max_ms`.
    Uniform {
        min_ms: u64,
        max_ms: u64,
    },
    /// `floor_ms` plus an exponential tail with the given mean: most messages are quick, a few are slow.
    Exponential {
        floor_ms: u64,
        mean_ms: f64,
    },
}

impl Latency {
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        let ms = match *self {
            Latency::Constant { ms } => ms,
            Latency::Uniform { min_ms, max_ms } => rng.range_inclusive(min_ms, max_ms.max(min_ms)),
            Latency::Exponential { floor_ms, mean_ms } => {
                // Inverse-transform sampling; 1 - u is in (0, 1], so the logarithm is finite.
                let u = rng.next_f64();
                let tail = -(1.0 - u).ln() * mean_ms.max(0.0);
                floor_ms + tail.round() as u64
            }
        };
        ms.min(LATENCY_MS_MAX)
    }
}

/// The settings of one directed link.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub latency: Latency,
    /// Probability in [0, 1] that a message on this link silently disappears.
    pub loss: f64,
}

/// Who can reach whom, and how fast. Addresses are any small ordered type the model chooses.
#[derive(Clone, Debug, PartialEq)]
pub struct Network<A: Ord + Copy> {
    default_link: Link,
    links: BTreeMap<(A, A), Link>,
    /// Directed pairs that cannot currently talk. A partition between two sides cuts both directions.
    cut: BTreeSet<(A, A)>,
}

impl<A: Ord + Copy> Network<A> {
    pub fn new(default_link: Link) -> Network<A> {
        Network { default_link, links: BTreeMap::new(), cut: BTreeSet::new() }
    }

    pub fn set_link(&mut self, from: A, to: A, link: Link) {
        self.links.insert((from, to), link);
    }

    pub fn link(&self, from: A, to: A) -> &Link {
        self.links.get(&(from, to)).unwrap_or(&self.default_link)
    }

    /// Cuts both directions between `a` and `b`.
    pub fn partition(&mut self, a: A, b: A) {
        self.cut.insert((a, b));
        self.cut.insert((b, a));
    }

    pub fn heal(&mut self, a: A, b: A) {
        self.cut.remove(&(a, b));
        self.cut.remove(&(b, a));
    }

    pub fn heal_all(&mut self) {
        self.cut.clear();
    }

    pub fn is_cut(&self, from: A, to: A) -> bool {
        self.cut.contains(&(from, to))
    }

    /// How long a message sent now from `from` to `to` takes, or `None` if it will never arrive
    /// (the link is cut, or the message is lost). Draws from `rng` in a fixed order so runs replay exactly.
    pub fn transit_ms(&self, from: A, to: A, rng: &mut Rng) -> Option<u64> {
        let link = self.link(from, to);
        let delay_ms = link.latency.sample(rng);
        let lost = link.loss > 0.0 && rng.chance(link.loss);
        if lost || self.is_cut(from, to) {
            None
        } else {
            Some(delay_ms)
        }
    }
}

/// Everything that will happen, in time order; ties break by insertion order, so the run is a pure
/// function of its inputs. A `BTreeMap` rather than a heap because the widgets also list what is pending
/// (messages in flight) and a model must be cheap to clone for step-back checkpoints.
#[derive(Clone, Debug, PartialEq)]
pub struct EventQueue<E> {
    pending: BTreeMap<(Time, u64), E>,
    next_seq: u64,
}

/// The queue refused an event because it already holds [`EventQueue::CAPACITY`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueFull;

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue { pending: BTreeMap::new(), next_seq: 0 }
    }
}

impl<E> EventQueue<E> {
    /// A bound well above what any scenario keeps pending (a few hundred), low enough to stop a runaway.
    pub const CAPACITY: usize = 50_000;

    pub fn push(&mut self, at: Time, event: E) -> Result<(), QueueFull> {
        if self.pending.len() >= Self::CAPACITY {
            return Err(QueueFull);
        }
        self.pending.insert((at, self.next_seq), event);
        self.next_seq += 1;
        Ok(())
    }

    pub fn next_at(&self) -> Option<Time> {
        self.pending.keys().next().map(|&(at, _)| at)
    }

    pub fn pop(&mut self) -> Option<(Time, E)> {
        self.pending.pop_first().map(|((at, _), event)| (at, event))
    }

    pub fn iter(&self) -> impl Iterator<Item = (Time, &E)> {
        self.pending.iter().map(|(&(at, _), event)| (at, event))
    }

    /// Drops every pending event for which `keep` is false (used when a node crashes and its timers die).
    pub fn retain(&mut self, mut keep: impl FnMut(&E) -> bool) {
        self.pending.retain(|_, event| keep(event));
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_orders_by_time_then_insertion() {
        let mut q = EventQueue::default();
        q.push(Time::from_ms(5), "b").unwrap();
        q.push(Time::from_ms(1), "a").unwrap();
        q.push(Time::from_ms(5), "c").unwrap();
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["a", "b", "c"]);
    }

    #[test]
    fn partitions_cut_both_directions_until_healed() {
        let mut net = Network::new(Link { latency: Latency::Constant { ms: 10 }, loss: 0.0 });
        let mut rng = Rng::new(1);
        net.partition(1u8, 2u8);
        assert_eq!(net.transit_ms(1, 2, &mut rng), None);
        assert_eq!(net.transit_ms(2, 1, &mut rng), None);
        assert_eq!(net.transit_ms(1, 3, &mut rng), Some(10));
        net.heal(2, 1);
        assert_eq!(net.transit_ms(1, 2, &mut rng), Some(10));
    }

    #[test]
    fn latency_samples_respect_their_distribution() {
        let mut rng = Rng::new(9);
        let uniform = Latency::Uniform { min_ms: 30, max_ms: 60 };
        assert!((0..1000).all(|_| (30..=60).contains(&uniform.sample(&mut rng))));
        let exp = Latency::Exponential { floor_ms: 5, mean_ms: 20.0 };
        let draws: Vec<u64> = (0..20_000).map(|_| exp.sample(&mut rng)).collect();
        assert!(draws.iter().all(|&d| d >= 5));
        let mean = draws.iter().sum::<u64>() as f64 / draws.len() as f64;
        assert!((mean - 25.0).abs() < 1.0, "mean {mean}");
    }

    #[test]
    fn total_loss_drops_everything() {
        let net = Network::new(Link { latency: Latency::Constant { ms: 1 }, loss: 1.0 });
        let mut rng = Rng::new(2);
        assert!((0..100).all(|_| net.transit_ms(0u8, 1u8, &mut rng).is_none()));
    }
}
