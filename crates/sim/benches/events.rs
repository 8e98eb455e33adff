//! How fast the model runs: simulated events processed per second of wall time.
//! `cargo bench -p sim --bench events`. Figures go in the closing notes; they are not asserted in tests.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use sim::service::{Action, Config, Service};
use sim::{Model, Time};

/// A busy run: four database nodes (the most chapter 0 allows), a request every 150 ms, heartbeats, shipping.
fn busy_service() -> Service {
    let mut service = Service::new(7, Config::default());
    for _ in 0..3 {
        service.apply(&Action::AddReplica);
    }
    service
}

fn count_events(until: Time) -> u64 {
    let mut service = busy_service();
    let mut events = 0;
    while service.next_event_at().is_some_and(|t| t <= until) && service.process_next() {
        events += 1;
    }
    events
}

fn bench_service(c: &mut Criterion) {
    let until = Time::from_ms(60_000);
    let events = count_events(until);
    let mut group = c.benchmark_group("service");
    group.throughput(Throughput::Elements(events));
    group.bench_function("60 s, 4 nodes", |b| {
        b.iter_batched(
            busy_service,
            |mut service| {
                while service.next_event_at().is_some_and(|t| t <= until) && service.process_next() {}
                service
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// 100,000 WARS trials (Bailis et al.'s Monte Carlo) for one point of the staleness curve; the book recomputes
/// such curves as the reader moves a slider, so this is the figure that decides how live that feels.
fn bench_wars(c: &mut Criterion) {
    use sim::staleness::{Preset, Quorum, Wars};
    let wars = Wars::new(Quorum::clamped(3, 1, 1), Preset::LnkdSsd.latencies(), 100_000, 1);
    let mut group = c.benchmark_group("wars");
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("100k trials, N=3 W=1 R=1, LNKD-SSD", |b| {
        b.iter(|| wars.run(&[0.0, 1.0, 5.0]).expect("valid"))
    });
    group.finish();
}

criterion_group!(benches, bench_service, bench_wars);
criterion_main!(benches);
