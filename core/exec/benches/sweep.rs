#![allow(missing_docs)] // criterion_group! generates undocumented items
//! The issue-9 grid through the executor: SMA(fast, slow), fast 5..50 step 5 x slow 20..200
//! step 20 without the 10 pairs fast >= slow (90 runs), zero costs, next-open fills, full
//! sizing, over the Shanghai Composite's whole history of the bundled snapshot.
//!
//! The 90 strategies come from the grid expansion `cyclebt sweep` uses (`cyclebt_exec::grid`).
//!
//! - `executor`: `Executor::run` as `cyclebt sweep` calls it (signals evaluated, runs in
//!   parallel, each run reduced to its final equity);
//! - `day loop`: the 90 runs alone on signal values evaluated beforehand, on one thread,
//!   keeping the whole ledger (`run_on`, as `compare --out` runs);
//! - `day loop, summary`: the same runs as a sweep makes them (`Keep::Summary`: no ledger, the
//!   curve as `f64`): the sweep's engine cost per day-step.
//!
//! Run: `cargo bench -p cyclebt-exec --bench sweep`. Results are in BENCHMARKS.md.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use cyclebt_data::{Manifest, MarketData, Origin, WindowSpan};
use cyclebt_engine::{
    BuiltinSignals, Keep, Regulation, Strategy, evaluate_signals, run_keeping, run_on,
};
use cyclebt_exec::grid::{Grid, parse_param};
use cyclebt_exec::{Executor, Job};

fn project() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn market() -> MarketData {
    let origin = Origin::Snapshot(project().join("datasets/snapshot"));
    let manifest = Manifest::read(&project().join("datasets/sh000001.toml")).expect("manifest");
    cyclebt_data::load_from(&manifest, &origin)
        .expect("the snapshot loads")
        .market
}

/// The grid's valid combinations, expanded as `cyclebt sweep --param trend.fast=5:50:5 --param
/// trend.slow=20:200:20` expands them: `Grid::apply` on the base file, each combination parsed,
/// the invalid ones (fast >= slow) skipped.
fn strategies() -> Vec<Strategy> {
    let base = r#"name = "sma"
[[signal]]
id = "trend"
builtin = "sma_cross"
params = { fast = 20, slow = 60 }
[[entry]]
signal = "trend"
above = 0.0
[[exit]]
signal = "trend"
below = 0.0
[[sizing]]
name = "full"
rule = "full"
[costs]
commission_bps = 0
min_commission = 0
stamp_duty = false
"#;
    let (base, mut grid) = Grid::from_file(base).expect("a valid base file");
    for param in ["trend.fast=5:50:5", "trend.slow=20:200:20"] {
        let (key, values) = parse_param(param).expect("a valid --param");
        grid.set(key, values);
    }
    grid.check(&base).expect("the grid's keys are in the file");
    let regulation = Regulation::default();
    let valid: Vec<Strategy> = (0..grid.len())
        .filter_map(|index| {
            let file = grid.apply(&base, index).expect("applies");
            Strategy::parse(Path::new("grid.toml"), &file, &regulation, &BuiltinSignals).ok()
        })
        .collect();
    assert_eq!(
        (grid.len(), valid.len()),
        (100, 90),
        "10 of 100 pairs have fast >= slow"
    );
    valid
}

fn bench_sweep(c: &mut Criterion) {
    let market = market();
    let span = WindowSpan {
        first: 0,
        last: market.len() - 1,
    };
    let strategies = strategies();
    let jobs: Vec<Job> = (0..strategies.len())
        .map(|strategy| Job {
            dataset: 0,
            span,
            strategy,
            sizing: 0,
            benchmark: None,
        })
        .collect();
    let markets = [&market];
    let executor = Executor {
        markets: &markets,
        strategies: &strategies,
        factory: &BuiltinSignals,
        keep: Keep::Summary,
    };
    let mut group = c.benchmark_group("sma_grid_90_full_history");
    group.throughput(Throughput::Elements(
        (strategies.len() * span.days()) as u64,
    ));
    group.sample_size(20);
    group.bench_function("executor", |b| {
        b.iter(|| {
            executor
                .run(black_box(&jobs), |done| {
                    done.outcome
                        .map(|run| run.equity[run.equity.len() - 1])
                        .ok()
                })
                .expect("buy-and-hold runs")
        })
    });
    let values: Vec<_> = strategies
        .iter()
        .map(|s| {
            let mut signals = s.signals(&BuiltinSignals).expect("built-in");
            evaluate_signals(&market, span, &mut signals).expect("evaluates")
        })
        .collect();
    group.bench_function("day loop", |b| {
        b.iter(|| {
            for (s, v) in strategies.iter().zip(&values) {
                black_box(
                    run_on(&market, span, v, &s.plan, &s.sizings[0], &s.setup).expect("runs"),
                );
            }
        })
    });
    group.bench_function("day loop, summary", |b| {
        b.iter(|| {
            for (s, v) in strategies.iter().zip(&values) {
                black_box(
                    run_keeping(
                        &market,
                        span,
                        v,
                        &s.plan,
                        &s.sizings[0],
                        &s.setup,
                        Keep::Summary,
                    )
                    .expect("runs"),
                );
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_sweep);
criterion_main!(benches);
