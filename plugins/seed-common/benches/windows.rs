//! The seed plugins' trailing windows over a whole history, every day asked in order: the
//! per-day definitions (a rescan of the window for each day) against the sliding forms the
//! phase classifier uses, and the classifier itself over the whole range.
//!
//! Run: `cargo bench -p cyclebt-seed-common --bench windows`. Results are in BENCHMARKS.md.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use cyclebt_seed_common::Columns;
use cyclebt_seed_common::phase::{PhaseParams, classify};
use cyclebt_seed_common::rolling::percentile_rank;
use cyclebt_seed_common::sliding::SlidingRank;
use cyclebt_seed_common::zone::{ZoneCache, ZoneParams, bear_market};

/// Days in the Shanghai Composite history.
const DAYS: usize = 8_700;

/// A wavy series with a slow drift, so troughs and peaks keep moving.
fn wave(scale: f64, period: f64) -> Vec<f64> {
    (0..DAYS)
        .map(|i| scale * (1.5 + (i as f64 / period).sin() + i as f64 / DAYS as f64))
        .collect()
}

fn windows(c: &mut Criterion) {
    let close = wave(1000.0, 97.0);
    let amount = wave(1e9, 13.0);
    let pe = wave(15.0, 211.0);
    let zone = ZoneParams::default();
    let mut group = c.benchmark_group("every day of 8,700");
    group.bench_function("bear market, per-day rescan", |b| {
        b.iter(|| {
            (0..DAYS)
                .filter_map(|t| bear_market(black_box(&close), t, &zone))
                .count()
        })
    });
    group.bench_function("bear market, sliding", |b| {
        b.iter(|| {
            let mut zones = ZoneCache::new(black_box(&close), &amount, &zone);
            (0..DAYS).filter_map(|t| zones.bear_market(t)).count()
        })
    });
    group.bench_function("1,250-day percentile rank, per-day rescan", |b| {
        b.iter(|| {
            (0..DAYS)
                .filter_map(|t| percentile_rank(black_box(&pe), t, 1250, 20))
                .count()
        })
    });
    group.bench_function("1,250-day percentile rank, sliding", |b| {
        b.iter(|| {
            let mut ranks = SlidingRank::new(black_box(&pe), 0, 1250);
            (0..DAYS).filter_map(|t| ranks.rank(t, 1250, 20)).count()
        })
    });
    let financing = vec![f64::NAN; DAYS];
    let columns = Columns {
        close: &close,
        amount: &amount,
        turnover: &pe,
        pe: &pe,
        financing: &financing,
        financing_buy: &financing,
        lending: &financing,
        market_cap: &financing,
    };
    let params = PhaseParams::default();
    group.bench_function("phase classifier, whole range", |b| {
        b.iter(|| classify(black_box(&columns), 0, &params).len())
    });
    group.finish();
}

criterion_group!(benches, windows);
criterion_main!(benches);
