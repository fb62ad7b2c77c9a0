#![allow(missing_docs)] // criterion_group! generates undocumented items
//! Engine throughput over the full Shanghai Composite history (about 8,700 trading days).
//!
//! Run: `cargo bench -p cyclebt-engine --bench engine` (reads the exports under
//! `$CYCLEBT_DATA`, else the bundled snapshot). Results and the machine are in BENCHMARKS.md.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use cyclebt_data::{Manifest, MarketData, Origin, WindowSpan};
use cyclebt_engine::{
    CostsConfig, Execution, MarginTerms, Plan, Rules, Setup, Signal, Sizing, SmaCross,
    SmaCrossParams, StampDutySchedule, run,
};

fn project() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn market() -> MarketData {
    let origin = match std::env::var_os("CYCLEBT_DATA") {
        Some(root) => Origin::Exports(PathBuf::from(root)),
        None => Origin::Snapshot(project().join("datasets/snapshot")),
    };
    let manifest = Manifest::read(&project().join("datasets/sh000001.toml")).expect("manifest");
    match cyclebt_data::load_from(&manifest, &origin) {
        Ok(dataset) => dataset.market,
        Err(e) => panic!("the engine bench cannot load its data: {e}"),
    }
}

fn setup() -> Setup {
    let text = std::fs::read_to_string(project().join("datasets/stamp_duty.toml")).unwrap();
    let schedule = StampDutySchedule::parse(&text).unwrap();
    Setup {
        capital: cyclebt_engine::DEFAULT_CAPITAL,
        costs: CostsConfig::default().model(&schedule),
        execution: Execution::default(),
        margin: MarginTerms::none(),
    }
}

fn bench_engine(c: &mut Criterion) {
    let market = market();
    let span = WindowSpan {
        first: 0,
        last: market.len() - 1,
    };
    let setup = setup();
    let trend = Plan::from(Rules::follow_sign(0));
    let mut group = c.benchmark_group("engine_full_history");
    group.throughput(Throughput::Elements(span.days() as u64));
    group.bench_function("sma_cross_20_60", |b| {
        let signal = SmaCross::new(SmaCrossParams::default()).unwrap();
        let mut signals: Vec<Box<dyn Signal>> = vec![Box::new(signal)];
        b.iter(|| {
            run(
                black_box(&market),
                span,
                &mut signals,
                &trend,
                &Sizing::full(),
                &setup,
            )
            .unwrap()
        })
    });
    group.bench_function("buy_and_hold", |b| {
        b.iter(|| {
            run(
                black_box(&market),
                span,
                &mut [],
                &Plan::Rules(Rules::default()),
                &Sizing::full(),
                &setup,
            )
            .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_engine);
criterion_main!(benches);
