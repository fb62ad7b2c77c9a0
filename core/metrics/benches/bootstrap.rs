#![allow(missing_docs)] // criterion_group! generates undocumented items
//! How long one Sharpe ratio's bootstrap interval takes: 8,694 daily returns (the Shanghai
//! Composite's full history), the default 400 resamples, what report.html computes per run.
//!
//! Run: `cargo bench -p cyclebt-metrics --bench bootstrap`. Results are in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use cyclebt_metrics::{Bootstrap, sharpe_confidence_interval};

fn bench_bootstrap(c: &mut Criterion) {
    // A deterministic, serially dependent series with a drift: no generator needed.
    let returns: Vec<f64> = (0..8694)
        .map(|i| 0.0004 + 0.015 * ((i * 7919 % 1009) as f64 / 504.5 - 1.0))
        .collect();
    let spec = Bootstrap::default();
    c.bench_function("sharpe interval, 8694 returns, 400 resamples", |b| {
        b.iter(|| black_box(sharpe_confidence_interval(&returns, 0.0, 252.0, &spec)))
    });
}

criterion_group!(benches, bench_bootstrap);
criterion_main!(benches);
