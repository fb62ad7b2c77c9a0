//! What the plugin boundary costs per evaluated day: the same signals in-process (through the
//! engine's `Signal` trait) and through a cdylib loaded by the host.
//!
//! Run: `cargo bench -p cyclebt-host --bench plugin`. It builds the plugin libraries it needs
//! (release) first. Results are in BENCHMARKS.md.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use cyclebt_data::{Field, History, MarketData, WindowSpan};
use cyclebt_engine::{
    CostsConfig, DEFAULT_CAPITAL, Execution, MarginTerms, Plan, Rules, Setup, Signal, SignalError,
    SignalRole, SignalSource, Sizing, SmaCross, SmaCrossParams, StampDutySchedule, run,
};
use cyclebt_host::{PluginDirs, PluginFactory};
use rust_decimal::Decimal;

/// Days in the Shanghai Composite history.
const DAYS: usize = 8_700;

/// A synthetic market of `DAYS` days; the cost of these signals does not depend on values.
fn market() -> MarketData {
    let start = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap();
    let dates: Vec<NaiveDate> = (0..DAYS)
        .map(|i| start + chrono::Days::new(i as u64))
        .collect();
    let close: Vec<f64> = (0..DAYS)
        .map(|i| 1000.0 + 300.0 * (i as f64 / 9.0).sin())
        .collect();
    let mut columns = vec![vec![f64::NAN; DAYS]; Field::COUNT];
    for field in [Field::Open, Field::High, Field::Low, Field::Close] {
        columns[field as usize] = close.clone();
    }
    let exact: Vec<Decimal> = close
        .iter()
        .map(|c| Decimal::try_from(*c).unwrap())
        .collect();
    MarketData::from_columns(
        "bench".into(),
        dates,
        columns,
        exact.clone(),
        exact,
        Vec::new(),
    )
}

/// Builds the plugin libraries next to this bench binary (target/release) and returns that
/// folder.
fn plugin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "sma-cross",
            "-p",
            "fixture-misbehaving",
        ])
        .env("CARGO_TARGET_DIR", profile_dir.parent().unwrap())
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .status()
        .unwrap();
    assert!(status.success(), "building the plugins failed");
    profile_dir
}

/// The in-process twin of the `fixture-misbehaving` plugin in its default mode: a constant, so
/// that the pair measures the call alone.
struct Constant;

impl Signal for Constant {
    fn name(&self) -> &str {
        "constant"
    }

    fn evaluate(&mut self, _: History<'_>) -> Result<f64, SignalError> {
        Ok(0.5)
    }
}

fn whole_range(market: &MarketData, signal: &mut dyn Signal) -> f64 {
    let mut values = Vec::with_capacity(market.len());
    signal
        .evaluate_days(black_box(market.history(market.len() - 1)), 0, &mut values)
        .unwrap();
    values.iter().sum()
}

fn every_day(market: &MarketData, signal: &mut dyn Signal) -> f64 {
    let mut sum = 0.0;
    for t in 0..market.len() {
        sum += signal.evaluate(black_box(market.history(t))).unwrap();
    }
    sum
}

fn bench_plugin_calls(c: &mut Criterion) {
    let market = market();
    let factory = PluginFactory::new(PluginDirs::only(vec![plugin_dir()]));
    let plugin = |name: &str, params: &str| -> Box<dyn Signal> {
        let source = SignalSource::Plugin(name.into());
        let params: toml::Table = params.parse().unwrap();
        Box::new(
            factory
                .plugin_signal(&source, &params, SignalRole::Signal)
                .unwrap(),
        )
    };
    let mut group = c.benchmark_group("signal_per_day");
    group.throughput(Throughput::Elements(DAYS as u64));
    let mut builtin: Box<dyn Signal> = Box::new(SmaCross::new(SmaCrossParams::default()).unwrap());
    group.bench_function("sma_cross_in_process", |b| {
        b.iter(|| every_day(&market, builtin.as_mut()))
    });
    let mut cdylib = plugin("sma-cross", "");
    group.bench_function("sma_cross_cdylib", |b| {
        b.iter(|| every_day(&market, cdylib.as_mut()))
    });
    let mut constant: Box<dyn Signal> = Box::new(Constant);
    group.bench_function("constant_in_process", |b| {
        b.iter(|| every_day(&market, constant.as_mut()))
    });
    let mut constant_cdylib = plugin("fixture-misbehaving", "mode = \"fine\"");
    group.bench_function("constant_cdylib", |b| {
        b.iter(|| every_day(&market, constant_cdylib.as_mut()))
    });
    group.bench_function("sma_cross_in_process_range", |b| {
        b.iter(|| whole_range(&market, builtin.as_mut()))
    });
    group.bench_function("sma_cross_cdylib_range", |b| {
        b.iter(|| whole_range(&market, cdylib.as_mut()))
    });
    group.bench_function("constant_in_process_range", |b| {
        b.iter(|| whole_range(&market, constant.as_mut()))
    });
    group.bench_function("constant_cdylib_range", |b| {
        b.iter(|| whole_range(&market, constant_cdylib.as_mut()))
    });
    group.finish();
}

/// A whole backtest over the history with the built-in signal and with the plugin.
fn bench_engine_with_plugin(c: &mut Criterion) {
    let market = market();
    let factory = PluginFactory::new(PluginDirs::only(vec![plugin_dir()]));
    let span = WindowSpan {
        first: 0,
        last: market.len() - 1,
    };
    let setup = Setup {
        capital: DEFAULT_CAPITAL,
        costs: CostsConfig::default().model(&StampDutySchedule::default()),
        execution: Execution::default(),
        margin: MarginTerms::none(),
    };
    let plan = Plan::from(Rules::follow_sign(0));
    let mut group = c.benchmark_group("engine_run");
    group.throughput(Throughput::Elements(DAYS as u64));
    let mut builtin: Vec<Box<dyn Signal>> =
        vec![Box::new(SmaCross::new(SmaCrossParams::default()).unwrap())];
    group.bench_function("sma_cross_builtin", |b| {
        b.iter(|| {
            run(
                black_box(&market),
                span,
                &mut builtin,
                &plan,
                &Sizing::full(),
                &setup,
            )
            .unwrap()
        })
    });
    let source = SignalSource::Plugin("sma-cross".into());
    let plugin = factory
        .plugin_signal(&source, &toml::Table::new(), SignalRole::Signal)
        .unwrap();
    let mut cdylib: Vec<Box<dyn Signal>> = vec![Box::new(plugin)];
    group.bench_function("sma_cross_cdylib", |b| {
        b.iter(|| {
            run(
                black_box(&market),
                span,
                &mut cdylib,
                &plan,
                &Sizing::full(),
                &setup,
            )
            .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_plugin_calls, bench_engine_with_plugin);
criterion_main!(benches);
