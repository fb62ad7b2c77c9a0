//! The executor: a signal with the same parameters over the same window is evaluated once and
//! shared, and what comes back, in job order, is what each run on its own fresh signals gives.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cyclebt_data::{History, WindowSpan};
use cyclebt_engine::{
    BuiltinSignals, DayError, Keep, Regulation, Signal, SignalError, SignalFactory, SignalSpec,
    Strategy, run,
};
use cyclebt_exec::{Executor, Job};

use crate::util::wavy_market;

/// Built-in signals that count how many times a window is evaluated.
struct Counting(Arc<AtomicUsize>);

struct Counted {
    inner: Box<dyn Signal>,
    windows: Arc<AtomicUsize>,
}

impl Signal for Counted {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn evaluate(&mut self, history: History<'_>) -> Result<f64, SignalError> {
        self.inner.evaluate(history)
    }

    fn evaluate_days(
        &mut self,
        history: History<'_>,
        first: usize,
        out: &mut Vec<f64>,
    ) -> Result<(), DayError> {
        self.windows.fetch_add(1, Ordering::SeqCst);
        self.inner.evaluate_days(history, first, out)
    }
}

impl SignalFactory for Counting {
    fn create(&self, spec: &SignalSpec) -> Result<Box<dyn Signal>, String> {
        Ok(Box::new(Counted {
            inner: BuiltinSignals.create(spec)?,
            windows: self.0.clone(),
        }))
    }
}

fn strategy(fast: usize, slow: usize, slippage: u32) -> Strategy {
    let text = format!(
        r#"name = "s{fast}-{slow}-{slippage}"
[[signal]]
id = "trend"
builtin = "sma_cross"
params = {{ fast = {fast}, slow = {slow} }}
[[entry]]
signal = "trend"
above = 0.0
[[exit]]
signal = "trend"
below = 0.0
[[sizing]]
name = "full"
rule = "full"
[[sizing]]
name = "half"
rule = "fixed_fraction"
fraction = 0.5
[costs]
slippage_bps = {slippage}
"#
    );
    Strategy::parse(
        Path::new("s.toml"),
        &text,
        &Regulation::default(),
        &BuiltinSignals,
    )
    .unwrap()
}

#[test]
fn shared_signal_evaluations_give_each_runs_own_results_in_job_order() {
    let market = wavy_market(600);
    // Two strategies with the same signal (different costs), one with another signal.
    let strategies = vec![strategy(5, 20, 0), strategy(5, 20, 10), strategy(10, 30, 0)];
    let spans = [
        WindowSpan {
            first: 0,
            last: 299,
        },
        WindowSpan {
            first: 250,
            last: 599,
        },
    ];
    let mut jobs = Vec::new();
    for span in spans {
        for (s, strategy) in strategies.iter().enumerate() {
            for sizing in 0..strategy.sizings.len() {
                jobs.push(Job {
                    dataset: 0,
                    span,
                    strategy: s,
                    sizing,
                    benchmark: None,
                });
            }
        }
    }
    let windows = Arc::new(AtomicUsize::new(0));
    let factory = Counting(windows.clone());
    let markets = [&market];
    let executor = Executor {
        markets: &markets,
        strategies: &strategies,
        factory: &factory,
        keep: Keep::Ledger,
    };
    let results = executor
        .run(&jobs, |done| {
            (
                done.index,
                done.outcome.expect("runs").equity,
                done.benchmark.equity.clone(),
            )
        })
        .unwrap();
    // 2 distinct signals x 2 windows, not 12 jobs' or 6 strategy-windows' worth.
    assert_eq!(windows.load(Ordering::SeqCst), 4);
    for (i, (index, equity, benchmark)) in results.into_iter().enumerate() {
        assert_eq!(index, i, "job order");
        let job = &jobs[i];
        let strategy = &strategies[job.strategy];
        let mut signals = strategy.signals(&BuiltinSignals).unwrap();
        let alone = run(
            &market,
            job.span,
            &mut signals,
            &strategy.plan,
            &strategy.sizings[job.sizing],
            &strategy.setup,
        )
        .unwrap();
        assert_eq!(equity, alone.equity, "job {i}");
        let holding = Strategy::buy_and_hold(strategy.setup.clone());
        let bench = run(
            &market,
            job.span,
            &mut Vec::new(),
            &holding.plan,
            &holding.sizings[0],
            &holding.setup,
        )
        .unwrap();
        assert_eq!(
            benchmark, bench.equity,
            "job {i}'s buy-and-hold, with its own costs"
        );
    }
}
