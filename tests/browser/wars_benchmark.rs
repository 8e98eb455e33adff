//! Benchmark: 100,000 WARS trials in wasm, as the quorum calculator computes them. Reports milliseconds; the
//! native figure comes from `cargo bench -p sim --bench events`, and the closing note compares the two.

use sim::staleness::{Preset, Quorum, Wars};
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

#[wasm_bindgen_test]
fn wars_benchmark_100k_trials() {
    let performance = web_sys::window().unwrap().performance().unwrap();
    let wars = Wars::new(Quorum::clamped(3, 1, 1), Preset::LnkdSsd.latencies(), 100_000, 1);
    let _ = wars.run(&[0.0]); // warm-up
    let mut samples_ms: Vec<f64> = (0..5)
        .map(|_| {
            let start = performance.now();
            let report = wars.run(&[0.0, 1.0, 5.0]).expect("valid quorum");
            assert_eq!(report.trials, 100_000);
            performance.now() - start
        })
        .collect();
    samples_ms.sort_by(|a, b| a.total_cmp(b));
    console_log!("wars-benchmark: trials=100000 median_ms={:.1} min_ms={:.1}", samples_ms[2], samples_ms[0]);
}
