//! Entry and exit conditions: edge-triggered crosses worked by hand, their decisions cut at
//! any day, the classic SMA(10, 30) crossover against backtesting.py's trades, and a plugin
//! `path` resolved against the strategy file's folder.

use cyclebt_data::WindowSpan;
use cyclebt_engine::*;

use crate::plugins::plugin_dir;
use crate::util::{
    Scripted, date, free_setup, shipped_manifest, shipped_market, synthetic_market, without_days,
};

/// Runs all in, without costs.
fn run_free(
    market: &cyclebt_data::MarketData,
    span: WindowSpan,
    signals: &mut [Box<dyn Signal>],
    plan: &Plan,
) -> RunResult {
    run(market, span, signals, plan, &Sizing::full(), &free_setup()).unwrap()
}

fn crossover_rules() -> Plan {
    Rules {
        entry: vec![Condition {
            signal: 0,
            threshold: Threshold::CrossAbove(0.0),
        }],
        exit: vec![Condition {
            signal: 0,
            threshold: Threshold::CrossBelow(0.0),
        }],
    }
    .into()
}

#[test]
fn a_cross_holds_on_the_day_the_value_passes_strictly_from_one_side_to_the_other() {
    // Decision day:  0     1    2    3     4    5    6     7    8    (9: last, no decision)
    // value:        0.5  -1   0.5   1  -0.5   0  0.5   -1    1
    // Day 0 has no day before it in the run: 0.5 there is no cross. Day 2 crosses above
    // (-1 -> 0.5): buy at day 3's open. Day 4 crosses below (1 -> -0.5): sell at day 5.
    // Day 6 is not a cross (0 is not below 0), day 7 is no cross below (0.5 -> -1 is, but
    // nothing is held), day 8 crosses above: buy at day 9.
    let values = vec![0.5, -1.0, 0.5, 1.0, -0.5, 0.0, 0.5, -1.0, 1.0];
    let prices = ["100"; 10];
    let market = synthetic_market(&prices, &prices, &[]);
    let mut signals: Vec<Box<dyn Signal>> = vec![Box::new(Scripted(values))];
    let span = WindowSpan { first: 0, last: 9 };
    let result = run_free(&market, span, &mut signals, &crossover_rules());
    let fills: Vec<(chrono::NaiveDate, Side)> =
        result.fills.iter().map(|f| (f.date, f.side)).collect();
    assert_eq!(
        fills,
        vec![
            (market.dates[3], Side::Buy),
            (market.dates[5], Side::Sell),
            (market.dates[9], Side::Buy),
        ]
    );
    // Level rules on the same values enter on day 0 already, and again on day 6.
    let mut signals: Vec<Box<dyn Signal>> = vec![Box::new(Scripted(vec![
        0.5, -1.0, 0.5, 1.0, -0.5, 0.0, 0.5, -1.0, 1.0,
    ]))];
    let level = run_free(&market, span, &mut signals, &Rules::follow_sign(0).into());
    assert_eq!(level.fills[0].date, market.dates[1]);
    assert_eq!(level.trades.len(), 4);
}

#[test]
fn cross_decisions_do_not_change_when_the_history_is_cut() {
    let market = crate::util::wavy_market(400);
    let sma = || -> Vec<Box<dyn Signal>> {
        vec![Box::new(
            SmaCross::new(SmaCrossParams { fast: 5, slow: 20 }).unwrap(),
        )]
    };
    let full = run_free(
        &market,
        WindowSpan {
            first: 30,
            last: 399,
        },
        &mut sma(),
        &crossover_rules(),
    );
    assert!(full.trades.len() > 5, "{} trades", full.trades.len());
    for cut in [120, 200, 333] {
        let part = run_free(
            &market,
            WindowSpan {
                first: 30,
                last: cut,
            },
            &mut sma(),
            &crossover_rules(),
        );
        let days = part.dates.len();
        assert_eq!(
            part.orders[..days - 1],
            full.orders[..days - 1],
            "cut at {cut}"
        );
        assert_eq!(part.equity, full.equity[..days], "cut at {cut}");
    }
}

/// backtesting.py 0.6.6 (`pip install backtesting`), with `crossover(sma10, sma30)` to buy
/// (when flat), `crossover(sma30, sma10)` to close, no commission, on the baostock Shanghai
/// Composite bars cyclebt reads: the bundled snapshot's (8,694 rows, the 18 bad 1990s bars
/// repaired) and those it read when the manifest dropped them (8,676 rows): 144 trades on
/// each, every entry and exit on the same days as cyclebt's. Its first two and last two trades
/// are these (entry, exit); the second trade enters on 1991-06-04 on the repaired bars, a day
/// before it does without them. The same rule with level conditions (above / below 0) makes
/// 145: it enters on the first day the fast average is above, crossing or not.
const BACKTESTING_PY_TRADES: usize = 144;
const BACKTESTING_PY_FIRST: [(&str, &str); 2] =
    [("1991-02-25", "1991-03-13"), ("1991-06-05", "1991-10-10")];
const BACKTESTING_PY_FIRST_REPAIRED: [(&str, &str); 2] =
    [("1991-02-25", "1991-03-13"), ("1991-06-04", "1991-10-10")];
const BACKTESTING_PY_LAST: [(&str, &str); 2] =
    [("2026-04-21", "2026-06-01"), ("2026-06-26", "2026-07-08")];

#[test]
fn the_classic_crossover_makes_backtesting_py_s_trades_on_the_shanghai_bars() {
    let repaired = shipped_market();
    let dropped = without_days(&repaired, &shipped_manifest().index.bad_bar_dates);
    assert_eq!((repaired.len(), dropped.len()), (8694, 8676));
    let sma = || -> Vec<Box<dyn Signal>> {
        vec![Box::new(
            SmaCross::new(SmaCrossParams { fast: 10, slow: 30 }).unwrap(),
        )]
    };
    let expected = |pairs: [(&str, &str); 2]| pairs.map(|(a, b)| (date(a), Some(date(b))));
    for (market, first) in [
        (&repaired, BACKTESTING_PY_FIRST_REPAIRED),
        (&dropped, BACKTESTING_PY_FIRST),
    ] {
        let span = WindowSpan {
            first: 0,
            last: market.dates.len() - 1,
        };
        let mut signals = sma();
        let result = run_free(market, span, &mut signals, &crossover_rules());
        let trades: Vec<(chrono::NaiveDate, Option<chrono::NaiveDate>)> =
            result.trades.iter().map(|t| (t.entry, t.exit)).collect();
        assert_eq!(trades.len(), BACKTESTING_PY_TRADES);
        assert_eq!(trades[..2], expected(first));
        assert_eq!(trades[trades.len() - 2..], expected(BACKTESTING_PY_LAST));
        let mut signals = sma();
        let level = run_free(market, span, &mut signals, &Rules::follow_sign(0).into());
        assert_eq!(level.trades.len(), BACKTESTING_PY_TRADES + 1);
    }
}

#[test]
fn a_plugin_path_resolves_against_the_strategy_file_s_folder() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("mine");
    std::fs::create_dir(&folder).unwrap();
    let library = cyclebt_host::PluginDirs::file_name("sma-cross");
    std::fs::copy(plugin_dir().join(&library), folder.join(&library)).unwrap();
    std::fs::write(
        folder.join("s.toml"),
        format!(
            "name = \"s\"\n[[signal]]\nid = \"t\"\npath = \"{library}\"\n[[entry]]\nsignal = \"t\"\nabove = 0\n"
        ),
    )
    .unwrap();
    // From the strategy's own folder (a bare file name) and from its parent.
    for (cwd, strategy) in [
        (&folder, "s.toml"),
        (&dir.path().to_path_buf(), "mine/s.toml"),
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_cyclebt"))
            .args(["compare", strategy, "--window", "bull3"])
            .current_dir(cwd)
            .env_remove("CYCLEBT_DATA")
            .env_remove("CYCLEBT_PLUGIN_PATH")
            // cargo's test environment puts target/ on the loader's path, where a bare library
            // name would otherwise be found by accident.
            .env_remove("LD_LIBRARY_PATH")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{strategy}: {stderr}");
        assert!(String::from_utf8_lossy(&output.stdout).contains("bull3   s "));
    }
}
