//! `exp` and `ln` for the Monte Carlo loops: table-driven, division-free, and bit-identical on every platform.
//!
//! The WARS model draws more than a million Pareto and exponential delays each time a reader moves a slider,
//! and the logarithms and exponentials behind those draws were most of its cost in wasm (`libm`'s versions
//! are the classic fdlibm ones, each with a floating-point division on its critical path). These follow the
//! table-driven design of Arm's optimized-routines (the `exp` and `log` of glibc ≥ 2.28 and musl ≥ 1.2):
//!
//! - `exp(x) = 2^(k/128) · e^r`, with k = round(x · 128 / ln 2), `2^(j/128)` read from a 128-entry table and
//!   `e^r` a degree-5 Taylor polynomial on |r| ≤ ln 2 / 256.
//! - `ln(x) = k · ln 2 + ln c + ln(1 + r)` with `x = 2^k · z`, `c` the centre of one of 128 subintervals that
//!   z falls in, `r = (z − c) / c` (z − c is exact by Sterbenz's lemma) and a degree-7 series on |r| < 2^-8.
//!
//! Both are within 2 ulp of the correctly rounded result (tested against `libm` below). They use only
//! IEEE-754 additions and multiplications in a fixed order — Rust never contracts them into fused
//! multiply-adds — and their tables are built from `libm`, a pure-Rust port of musl, so the same input gives
//! the same bits natively and in wasm, which is what keeps a seed's run identical in the book and in tests.
//! Arguments outside the fast paths (non-finite, subnormal, |x| > 700 for `exp`) go to `libm`.
//!
//! [`standard_exponential`] draws from Exp(1) with Marsaglia and Tsang's ziggurat ("The Ziggurat Method for
//! Generating Random Variables", 2000): 98.9 % of draws cost one random number, a table lookup and a
//! multiplication, where inverting the CDF costs a logarithm every time.

use std::sync::OnceLock;

use crate::rng::Rng;

const TABLE_BITS: u32 = 7;
const TABLE_SIZE: usize = 1 << TABLE_BITS;

/// ln 2 in two parts (fdlibm's `ln2_hi` and `ln2_lo`): the high part has its low 21 bits cleared, so `k · LN2_HI`
/// is exact for |k| < 2^20, and the low part carries the next 53 bits of ln 2 — more than a single double holds,
/// which is what keeps `k · ln 2` accurate when k is large.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// The same split of ln 2 / 128 (dividing by a power of two is exact).
const LN2_BY_N_HI: f64 = LN2_HI / TABLE_SIZE as f64;
const LN2_BY_N_LO: f64 = LN2_LO / TABLE_SIZE as f64;
/// 1.5 · 2^52: adding and subtracting it rounds a float of magnitude below 2^51 to the nearest integer (ties to
/// even), with no call to a rounding function, and leaves that integer in the low bits of the sum.
const ROUNDER: f64 = 6_755_399_441_055_744.0;
/// Where the reduced argument z of `ln` starts: about 0.6875, so z covers [0.6875, 1.375), an interval around
/// 1, and ln x near x = 1 is computed without cancellation. It is moved half a subinterval (2^44 bit patterns)
/// down from 0.6875 exactly so that 1.0 is the centre of its subinterval: then ln 1 = 0 and ln 2^k = k · ln 2
/// come out exact.
const LN_OFFSET: u64 = 0x3fe6_0000_0000_0000 - (1 << (51 - TABLE_BITS));

/// Layers of the exponential ziggurat, and where its base layer's rectangle ends (Doornik's value for 256
/// layers, as the `rand_distr` crate uses it).
const ZIGGURAT_LAYERS: usize = 256;
const ZIGGURAT_R: f64 = 7.697_117_470_131_05;
/// 2^53: the number of values a 53-bit uniform takes.
const UNIT_STEPS: f64 = (1u64 << 53) as f64;

struct Tables {
    /// 2^(j/128) for j = 0 … 127.
    exp2: [f64; TABLE_SIZE],
    /// Per subinterval of the reduced argument's range: its centre c, 1/c, and ln c.
    ln: [(f64, f64, f64); TABLE_SIZE],
    /// The density e^(−x_i) at each of the ziggurat's layer widths x_0 > x_1 = r > … > x_256 = 0 (which
    /// `zig_w` holds, scaled). Layer i spans x in [0, x_i) and heights between e^(−x_i) and e^(−x_(i+1)); every
    /// layer has the same area v.
    zig_f: [f64; ZIGGURAT_LAYERS + 1],
    /// The fast path in integers: a draw's 53-bit integer j lies wholly under the density in layer i exactly
    /// when j < `zig_k[i]`, and is then `j · zig_w[i]` with `zig_w[i] = x_i / 2^53`. One comparison of
    /// integers instead of a conversion, a multiplication and two loads before the branch; the value and the
    /// decision are bit for bit those of the float test `j / 2^53 · x_i < x_(i+1)`.
    zig_k: [u64; ZIGGURAT_LAYERS],
    zig_w: [f64; ZIGGURAT_LAYERS],
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut exp2 = [0.0; TABLE_SIZE];
        let mut ln = [(0.0, 0.0, 0.0); TABLE_SIZE];
        for j in 0..TABLE_SIZE {
            exp2[j] = libm::exp2(j as f64 / TABLE_SIZE as f64);
            // Subinterval j spans 2^45 bit patterns from LN_OFFSET + j · 2^45; its centre is half-way along.
            let centre = f64::from_bits(LN_OFFSET + ((j as u64) << (52 - TABLE_BITS)) + (1 << (51 - TABLE_BITS)));
            ln[j] = (centre, 1.0 / centre, libm::log(centre));
        }
        // The base layer is the rectangle [0, r] × [0, e^−r] plus the whole tail beyond r: area v = e^−r (r + 1).
        // Its width x_0 = v / e^−r is that of a rectangle of the same area; the layers above follow from
        // x_(i+1) = −ln(v / x_i + e^(−x_i)), so that each has area v too.
        let mut zig_x = [0.0; ZIGGURAT_LAYERS + 1];
        let mut zig_f = [0.0; ZIGGURAT_LAYERS + 1];
        let v = libm::exp(-ZIGGURAT_R) * (ZIGGURAT_R + 1.0);
        zig_x[0] = v / libm::exp(-ZIGGURAT_R);
        zig_x[1] = ZIGGURAT_R;
        for i in 1..ZIGGURAT_LAYERS - 1 {
            zig_x[i + 1] = -libm::log(v / zig_x[i] + libm::exp(-zig_x[i]));
        }
        zig_x[ZIGGURAT_LAYERS] = 0.0;
        for i in 0..=ZIGGURAT_LAYERS {
            zig_f[i] = libm::exp(-zig_x[i]);
        }
        let mut zig_k = [0u64; ZIGGURAT_LAYERS];
        let mut zig_w = [0.0; ZIGGURAT_LAYERS];
        for i in 0..ZIGGURAT_LAYERS {
            // Scaling by a power of two is exact, so `j · zig_w[i]` is the float path's `(j / 2^53) · x_i`.
            zig_w[i] = zig_x[i] * (1.0 / UNIT_STEPS);
            let under = |j: u64| (j as f64) * zig_w[i] < zig_x[i + 1];
            // That product grows with j, so the accepted j are 0 … k − 1: start from the real ratio, then step
            // to the exact edge (a step or two at most).
            let mut k = ((zig_x[i + 1] / zig_x[i] * UNIT_STEPS) as u64).min(1 << 53);
            while k > 0 && !under(k - 1) {
                k -= 1;
            }
            while k < 1 << 53 && under(k) {
                k += 1;
            }
            zig_k[i] = k;
        }
        Tables { exp2, ln, zig_f, zig_k, zig_w }
    })
}

/// The tables, fetched once: a loop that draws millions of values holds one of these rather than checking on
/// every draw that the tables were built (a synchronised load the compiler cannot move out of the loop).
#[derive(Clone, Copy)]
pub struct Maths(&'static Tables);

/// The tables are thousands of numbers, the same in every run: a run's debug output leaves them out.
impl std::fmt::Debug for Maths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Maths").finish_non_exhaustive()
    }
}

impl Maths {
    pub fn get() -> Maths {
        Maths(tables())
    }

    /// e^x.
    #[inline(always)]
    pub fn exp(self, x: f64) -> f64 {
        if !(-700.0..=700.0).contains(&x) {
            // Overflow, underflow to subnormals, infinities and NaN: rare, and libm gets them right.
            return libm::exp(x);
        }
        let shifted = x * (TABLE_SIZE as f64 / std::f64::consts::LN_2) + ROUNDER;
        let k = shifted.to_bits() as i64 - ROUNDER.to_bits() as i64;
        let kd = shifted - ROUNDER;
        // r = x − k · ln 2 / 128, in two steps so no bits of x are lost; |r| ≤ ln 2 / 256.
        let r = (x - kd * LN2_BY_N_HI) - kd * LN2_BY_N_LO;
        let r2 = r * r;
        let e_r_minus_1 = r + r2 * (0.5 + r * (1.0 / 6.0) + r2 * (1.0 / 24.0 + r * (1.0 / 120.0)));
        let two_to_j = self.0.exp2[(k & (TABLE_SIZE as i64 - 1)) as usize];
        // |x| ≤ 700 keeps k >> 7 well inside the normal exponent range, so 2^(k >> 7) is a plain exponent field.
        let two_to_e = f64::from_bits(((1023 + (k >> TABLE_BITS)) as u64) << 52);
        (two_to_j + two_to_j * e_r_minus_1) * two_to_e
    }

    /// One draw from the exponential distribution with mean 1, using as many random numbers as it needs from `rng`
    /// (one, 98.9 % of the time). Never negative, always finite.
    #[inline(always)]
    pub fn standard_exponential(self, rng: &mut Rng) -> f64 {
        let tables = self.0;
        // Bounded in theory by the rejection rate (1.1 % per try); 64 tries fail with probability below 10^-120.
        for _ in 0..64 {
            let bits = rng.next_u64();
            let layer = (bits & 0xff) as usize;
            // The other 53 bits: a uniform j / 2^53 in [0, 1) across the layer.
            let j = bits >> 11;
            // Through i64, which is exact below 2^53: converting a signed integer is one instruction on x86-64
            // and in V8's wasm code, an unsigned one several.
            let x = j as i64 as f64 * tables.zig_w[layer];
            if j < tables.zig_k[layer] {
                // Inside the part of the layer that lies wholly under the density.
                return x;
            }
            if layer == 0 {
                // The tail beyond r: by memorylessness, r plus another Exp(1), here by inversion.
                return ZIGGURAT_R - ln(1.0 - rng.next_f64());
            }
            // The layer's sliver beside the curve: accept where a uniform height falls under the density.
            let (f_low, f_high) = (tables.zig_f[layer], tables.zig_f[layer + 1]);
            if f_low + (f_high - f_low) * rng.next_f64() < self.exp(-x) {
                return x;
            }
        }
        -ln(1.0 - rng.next_f64())
    }
}

/// e^x. See [`Maths::exp`].
pub fn exp(x: f64) -> f64 {
    Maths::get().exp(x)
}

/// The natural logarithm of x.
pub fn ln(x: f64) -> f64 {
    if !(x.is_normal() && x > 0.0) {
        // Zero, negatives, subnormals, infinities and NaN.
        return libm::log(x);
    }
    let bits = x.to_bits();
    let from_offset = bits.wrapping_sub(LN_OFFSET);
    let k = (from_offset as i64) >> 52;
    let j = ((from_offset >> (52 - TABLE_BITS)) as usize) & (TABLE_SIZE - 1);
    let z = f64::from_bits(bits.wrapping_sub(from_offset & (0xfff << 52)));
    let (centre, inverse_centre, ln_centre) = tables().ln[j];
    let r = (z - centre) * inverse_centre;
    let r2 = r * r;
    // ln(1 + r) = r − r²/2 + r³/3 − … ; the first term left out, r⁸/8, is below 2^-67.
    let odd = r + r2 * (r * (1.0 / 3.0) + r2 * (r * (1.0 / 5.0) + r2 * (r * (1.0 / 7.0))));
    let even = r2 * (-0.5 + r2 * (-0.25 + r2 * (-1.0 / 6.0)));
    let kd = k as f64;
    (kd * LN2_HI + ln_centre) + (kd * LN2_LO + (odd + even))
}

/// One draw from Exp(1). See [`Maths::standard_exponential`].
pub fn standard_exponential(rng: &mut Rng) -> f64 {
    Maths::get().standard_exponential(rng)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many representable doubles apart two finite results are.
    fn ulps(a: f64, b: f64) -> u64 {
        let key = |x: f64| {
            let bits = x.to_bits() as i64;
            if bits < 0 {
                i64::MIN - bits
            } else {
                bits
            }
        };
        key(a).abs_diff(key(b))
    }

    #[test]
    fn exp_is_within_two_ulp_of_libm() {
        let mut rng = Rng::new(11);
        let mut worst = 0;
        for _ in 0..200_000 {
            let x = (rng.next_f64() - 0.5) * 1_400.0;
            worst = worst.max(ulps(exp(x), libm::exp(x)));
        }
        for _ in 0..200_000 {
            // The range the Pareto draws use: −ln(1 − u)/α for α ≥ 1 is mostly in [0, 40].
            let x = rng.next_f64() * 40.0;
            worst = worst.max(ulps(exp(x), libm::exp(x)));
        }
        assert!(worst <= 2, "exp is {worst} ulp from libm");
    }

    #[test]
    fn ln_is_within_two_ulp_of_libm() {
        let mut rng = Rng::new(12);
        let mut worst = 0;
        for _ in 0..200_000 {
            // 1 − u as the samplers use it, u uniform in [0, 1): many values just below 1.
            let x = 1.0 - rng.next_f64();
            worst = worst.max(ulps(ln(x), libm::log(x)));
        }
        for _ in 0..200_000 {
            // Spread over many binades, both sides of 1.
            let x = libm::exp2((rng.next_f64() - 0.5) * 200.0);
            worst = worst.max(ulps(ln(x), libm::log(x)));
        }
        assert!(worst <= 2, "ln is {worst} ulp from libm");
    }

    #[test]
    fn exact_and_edge_values() {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(ln(2.0), std::f64::consts::LN_2);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert!(ln(-1.0).is_nan());
        assert_eq!(ln(f64::INFINITY), f64::INFINITY);
        // The smallest 1 − u the samplers can produce, 2^-53, and the largest below 1.
        assert!(ulps(ln(f64::EPSILON / 2.0), libm::log(f64::EPSILON / 2.0)) <= 1);
        assert_eq!(ulps(ln(1.0 - f64::EPSILON / 2.0), -f64::EPSILON / 2.0), 0);
        // Either side of the fast path's edges.
        for x in [-700.0, -700.000_000_1, 700.0, 700.000_000_1, 709.7, -745.0] {
            assert!(ulps(exp(x), libm::exp(x)) <= 2, "exp({x})");
        }
    }

    /// The layer widths x_0 … x_256, recovered exactly from their scaled copies.
    fn zig_x(t: &Tables) -> Vec<f64> {
        t.zig_w.iter().map(|w| w * UNIT_STEPS).chain([0.0]).collect()
    }

    #[test]
    fn ziggurat_layers_are_decreasing_and_end_near_zero() {
        let t = tables();
        let zig_x = zig_x(t);
        assert!(zig_x.windows(2).all(|w| w[0] > w[1]));
        // The top layer's area must come out as v too: the recursion's check that r and v belong together.
        let v = libm::exp(-ZIGGURAT_R) * (ZIGGURAT_R + 1.0);
        let top_area = zig_x[ZIGGURAT_LAYERS - 1] * (1.0 - t.zig_f[ZIGGURAT_LAYERS - 1]);
        assert!((top_area - v).abs() < 1e-9 * v, "top layer area {top_area}, expected {v}");
    }

    #[test]
    fn integer_fast_path_decides_as_the_float_test() {
        let t = tables();
        let zig_x = zig_x(t);
        let mut rng = Rng::new(53);
        for layer in 0..ZIGGURAT_LAYERS {
            let k = t.zig_k[layer];
            // Either side of each layer's edge, and random points.
            let edge = [k.saturating_sub(2), k.saturating_sub(1), k, k + 1, k + 2];
            for j in edge.into_iter().chain((0..200).map(|_| rng.next_u64() >> 11)).filter(|&j| j < 1 << 53) {
                let x = (j as f64 / UNIT_STEPS) * zig_x[layer];
                assert_eq!(j as f64 * t.zig_w[layer], x, "layer {layer}, j {j}");
                assert_eq!(j < k, x < zig_x[layer + 1], "layer {layer}, j {j}");
            }
        }
    }

    #[test]
    fn standard_exponential_has_the_exponential_distribution() {
        let mut rng = Rng::new(2012);
        const DRAWS: usize = 200_000;
        let mut draws: Vec<f64> = (0..DRAWS).map(|_| standard_exponential(&mut rng)).collect();
        assert!(draws.iter().all(|x| x.is_finite() && *x >= 0.0));
        let mean = draws.iter().sum::<f64>() / DRAWS as f64;
        let variance = draws.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / DRAWS as f64;
        // Standard errors at 200,000 draws: 0.0022 for the mean, about 0.01 for the variance.
        assert!((mean - 1.0).abs() < 0.01, "mean {mean}");
        assert!((variance - 1.0).abs() < 0.04, "variance {variance}");
        // Kolmogorov–Smirnov against 1 − e^−x; the 0.1 % critical value is 1.95 / √n.
        draws.sort_by(f64::total_cmp);
        let ks = draws
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let cdf = 1.0 - libm::exp(-x);
                (cdf - i as f64 / DRAWS as f64).abs().max(((i + 1) as f64 / DRAWS as f64 - cdf).abs())
            })
            .fold(0.0, f64::max);
        assert!(ks < 1.95 / (DRAWS as f64).sqrt(), "KS distance {ks}");
        // The tail beyond r is reached (e^−7.7 ≈ 0.05 % of draws) and is not truncated.
        assert!(draws.iter().filter(|&&x| x > ZIGGURAT_R).count() > 50);
    }
}
