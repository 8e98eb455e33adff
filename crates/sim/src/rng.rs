//! The model's only source of randomness: a small seeded generator owned by the run.
//!
//! SplitMix64 (Steele, Lea and Flood, 2014) is tiny, fast, passes BigCrush, and — the property that matters
//! here — gives the same sequence on every platform, native and wasm alike, for the same seed.

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float uniform in [0, 1), from the top 53 bits so every value is exactly representable.
    pub fn next_f64(&mut self) -> f64 {
        // Through i64, exact below 2^53, because a signed conversion is one instruction and an unsigned one several.
        (self.next_u64() >> 11) as i64 as f64 / (1u64 << 53) as f64
    }

    /// An integer uniform in `low..=high`. Uses Lemire's widening multiply, whose bias is below 2^-64 per draw.
    pub fn range_inclusive(&mut self, low: u64, high: u64) -> u64 {
        if high <= low {
            return low;
        }
        let span = high - low + 1;
        let wide = u128::from(self.next_u64()) * u128::from(span);
        low + (wide >> 64) as u64
    }

    /// True with probability `p` (clamped to [0, 1]).
    pub fn chance(&mut self, p: f64) -> bool {
        self.next_f64() < p.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn first_value_is_the_published_splitmix64_output() {
        // Reference value of SplitMix64 seeded with 0 (from the authors' C code): guards against a typo in the
        // constants, which would still look random but would no longer be SplitMix64.
        assert_eq!(Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn range_stays_inside_bounds() {
        let mut rng = Rng::new(42);
        for _ in 0..10_000 {
            let x = rng.range_inclusive(30, 60);
            assert!((30..=60).contains(&x));
        }
        assert_eq!(rng.range_inclusive(5, 5), 5);
        assert_eq!(rng.range_inclusive(9, 3), 9);
    }

    #[test]
    fn floats_are_in_unit_interval_and_spread() {
        let mut rng = Rng::new(3);
        let draws: Vec<f64> = (0..10_000).map(|_| rng.next_f64()).collect();
        assert!(draws.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((mean - 0.5).abs() < 0.02, "mean {mean}");
    }
}
