//! The seed-study plugins on series built so that the right answer is known, at known
//! episodes of the real data, and for look-ahead; the n/a rule and the phase tables.

use cyclebt_data::{Field, MarketData};
use cyclebt_engine::{Signal, SignalFactory, SignalRole, SignalSource, SignalSpec};
use cyclebt_host::PluginSignal;

use crate::lookahead::assert_prefix_stable;
use crate::plugins::{factory, plugin_dir};
use crate::util::{cyclebt, date, shipped_market, stderr, stdout, synthetic_market};

pub(crate) fn plugin(name: &str, params: &str) -> PluginSignal {
    factory()
        .plugin_signal(
            &SignalSource::Plugin(name.into()),
            &params.parse().unwrap(),
            SignalRole::Signal,
        )
        .unwrap()
}

pub(crate) fn boxed(name: &'static str, params: &'static str) -> impl Fn() -> Box<dyn Signal> {
    move || {
        factory()
            .create(&SignalSpec {
                source: SignalSource::Plugin(name.into()),
                params: params.parse().unwrap(),
                role: SignalRole::Signal,
                isolate: false,
            })
            .unwrap()
    }
}

/// Value and label of every day of `market`.
pub(crate) fn outputs(signal: &mut PluginSignal, market: &MarketData) -> Vec<(f64, u32)> {
    signal
        .outputs(market.history(market.len() - 1), 0)
        .unwrap()
        .iter()
        .map(|o| (o.value, o.label))
        .collect()
}

fn text(values: &[f64]) -> Vec<String> {
    values.iter().map(|v| format!("{v:.4}")).collect()
}

/// A market from closes and amounts (open = close x 0.999), with extra columns.
pub(crate) fn market(closes: &[f64], amounts: &[f64], extra: Vec<(Field, Vec<f64>)>) -> MarketData {
    let opens: Vec<f64> = closes.iter().map(|c| c * 0.999).collect();
    let (opens, closes) = (text(&opens), text(closes));
    let opens: Vec<&str> = opens.iter().map(String::as_str).collect();
    let closes: Vec<&str> = closes.iter().map(String::as_str).collect();
    let mut columns = extra;
    columns.push((Field::Amount, amounts.to_vec()));
    synthetic_market(&opens, &closes, &columns)
}

/// 300 quiet days around 100 on a steady amount, then 100 days rising 0.5% a day on an amount
/// growing 1.5% a day: every day of the rise clears its 60-day high, rises, trades more than
/// its recent average, and (without margin data) buys on balance more and more.
fn breakout() -> MarketData {
    let mut closes: Vec<f64> = (0..300)
        .map(|i| 100.0 + 2.0 * (i as f64 / 5.0).sin())
        .collect();
    let mut amounts = vec![100.0; 300];
    for i in 0..100 {
        closes.push(102.0 * 1.005f64.powi(i + 1));
        amounts.push(100.0 * 1.015f64.powi(i + 1));
    }
    market(&closes, &amounts, Vec::new())
}

#[test]
fn a_breakout_with_rising_amount_is_fomo_and_enters_once() {
    let market = breakout();
    let phases = outputs(&mut plugin("fomo-phase", ""), &market);
    // From 30 days into the rise (gain over 15%, marginal amount about 1.17) every day is FOMO.
    for (t, (value, label)) in phases.iter().enumerate().skip(330) {
        assert_eq!((*value, *label), (1.0, 3), "day {t}");
    }
    assert!(
        phases[..300].iter().all(|(v, l)| *v == 0.0 && *l != 3),
        "no FOMO before the breakout"
    );
    let entries = outputs(&mut plugin("fomo-phase", "output = \"entry\""), &market);
    let days: Vec<usize> = entries
        .iter()
        .enumerate()
        .filter(|(_, (v, _))| *v == 1.0)
        .map(|(t, _)| t)
        .collect();
    assert_eq!(days.len(), 1, "one entry event: {days:?}");
    // The entry is the first FOMO day with the gain from the trailing low at 20% or more.
    let close = market.column(Field::Close);
    let t = days[0];
    let low = close[t + 1 - 250..=t]
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min);
    assert!(
        close[t] / low - 1.0 >= 0.20 && close[t - 1] / low - 1.0 < 0.20 + 0.006,
        "entry on day {t}"
    );
}

/// Up from 150 to 200, a hundred days of heavy trading at 184-186 (the zone), down to 100 on
/// light amount, back up to 185, then a stall at 185 on heavy amount.
fn rally_into_the_zone() -> MarketData {
    let mut closes = Vec::new();
    let mut amounts = Vec::new();
    let mut push = |close: f64, amount: f64| {
        closes.push(close);
        amounts.push(amount);
    };
    (0..100).for_each(|i| push(150.0 + 0.5 * i as f64, 100.0));
    (0..100).for_each(|i| push(185.0 + (i as f64 / 3.0).sin(), 500.0));
    (0..100).for_each(|i| push(185.0 - 0.85 * i as f64, 100.0));
    (0..100).for_each(|i| push(100.0 + 0.85 * i as f64, 150.0));
    (0..20).for_each(|i| push(185.0 + 0.3 * (i as f64).sin(), 400.0));
    market(&closes, &amounts, Vec::new())
}

#[test]
fn a_rally_into_a_heavy_volume_zone_that_stalls_exits() {
    let market = rally_into_the_zone();
    let exits = outputs(&mut plugin("breakeven-zone", ""), &market);
    let zone_exits: Vec<usize> = exits
        .iter()
        .enumerate()
        .filter(|(_, o)| **o == (-1.0, 1))
        .map(|(t, _)| t)
        .collect();
    assert!(!zone_exits.is_empty(), "the stall at 185 must exit");
    assert!(
        zone_exits.iter().all(|t| *t >= 400),
        "only in the stall: {zone_exits:?}"
    );
    // On the way up through 150 (day 359), far under the zone, nothing.
    assert_eq!(exits[359], (0.0, 0));
}

pub(crate) fn quiet(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 100.0 + 0.5 * (i as f64 / 4.0).sin())
        .collect()
}

#[test]
fn a_fast_fall_of_the_balance_in_a_decline_with_a_volume_spike_is_capitulation() {
    let mut closes = quiet(250);
    closes.extend((0..50).map(|i| 100.0 * 0.99f64.powi(i + 1)));
    let balance: Vec<f64> = (0..300)
        .map(|i| 1e12 * 0.98f64.powi(i.max(280) - 280))
        .collect();
    let mut amounts = vec![100.0; 300];
    amounts[299] = 300.0;
    let market = market(&closes, &amounts, vec![(Field::FinancingBalance, balance)]);
    let signal = outputs(&mut plugin("margin-divergence", ""), &market);
    assert_eq!(signal[299], (1.0, 3));
    // The day before: same fall, no spike: no capitulation.
    assert_ne!(signal[298], (1.0, 3));
}

#[test]
fn the_leverage_gauges_are_ratios_of_their_inputs() {
    let balance = vec![2e11; 30];
    let buys = vec![1e10; 30];
    let caps = vec![1e13; 30];
    let extra = vec![
        (Field::FinancingBalance, balance),
        (Field::FinancingBuy, buys),
        (Field::MarketCap, caps),
    ];
    let market = market(&quiet(30), &[5e10; 30], extra);
    let share = outputs(
        &mut plugin("margin-divergence", "output = \"buy_share\""),
        &market,
    );
    // 1e10 of purchases over 5e10 of turnover the day before.
    assert_eq!(share[10], (0.2, 4));
    assert_eq!(share[0], (0.0, 0), "no turnover a day earlier: no gauge");
    let leverage = outputs(
        &mut plugin("margin-divergence", "output = \"balance_to_cap\""),
        &market,
    );
    assert_eq!(leverage[10], (0.02, 4));
}

#[test]
fn seed_plugins_are_prefix_stable_on_constructed_series() {
    for market in [breakout(), rally_into_the_zone()] {
        assert_prefix_stable(&boxed("fomo-phase", ""), &market, 7);
        assert_prefix_stable(&boxed("fomo-phase", "output = \"entry\""), &market, 7);
        assert_prefix_stable(&boxed("breakeven-zone", ""), &market, 7);
    }
    let balance: Vec<f64> = (0..300)
        .map(|i| 1e12 * (1.0 + 0.2 * (i as f64 / 17.0).sin()))
        .collect();
    let market = market(
        &quiet(300),
        &[100.0; 300],
        vec![(Field::FinancingBalance, balance)],
    );
    assert_prefix_stable(&boxed("margin-divergence", ""), &market, 3);
}

#[test]
fn seed_plugins_are_prefix_stable_on_real_data() {
    let full = shipped_market();
    // 2013-2016: the 2015 boom and bust, with margin data and PE.
    let first = full.first_on_or_after(date("2013-01-04")).unwrap();
    let last = full.last_on_or_before(date("2016-12-30")).unwrap();
    let market = full.truncated(last);
    let stride = (last - first) / 12;
    for (name, params) in [
        ("fomo-phase", "output = \"entry\""),
        ("breakeven-zone", ""),
        ("margin-divergence", ""),
    ] {
        assert_prefix_stable(&boxed(name, params), &market, stride);
    }
}

/// Days between two dates on which `signal` gives a value satisfying `test`.
fn days_where(
    market: &MarketData,
    values: &[(f64, u32)],
    from: &str,
    to: &str,
    test: impl Fn(f64) -> bool,
) -> usize {
    (0..market.len())
        .filter(|t| {
            market.dates[*t] >= date(from) && market.dates[*t] <= date(to) && test(values[*t].0)
        })
        .count()
}

#[test]
fn the_2015_margin_peak_warns_and_its_unwind_capitulates() {
    let full = shipped_market();
    let market = full.truncated(full.last_on_or_before(date("2015-12-31")).unwrap());
    let signal = outputs(&mut plugin("margin-divergence", ""), &market);
    // The balance ran ahead of the index into the June 2015 peak: warnings are at least twice
    // as frequent in the run-up as in the calm two and a half years before it, and absent in
    // the bear year 2011 (a signal that warned on any day would fail this).
    let rate = |from: &str, to: &str| {
        days_where(&market, &signal, from, to, |v| v < 0.0) as f64
            / days_where(&market, &signal, from, to, |_| true) as f64
    };
    let (run_up, calm) = (
        rate("2014-07-01", "2015-06-18"),
        rate("2012-01-01", "2014-06-30"),
    );
    assert!(
        run_up > 2.0 * calm && run_up > 0.2,
        "run-up {run_up:.3}, calm {calm:.3}"
    );
    assert_eq!(rate("2011-01-01", "2011-12-31"), 0.0);
    // The forced unwind of late June to early July, and again in August: capitulation.
    // (Value +1 is a capitulation only: healthy days and squeeze setups are +0.5.)
    assert!(days_where(&market, &signal, "2015-06-19", "2015-09-30", |v| v == 1.0) > 0);
    // Before margin trading began the signal has nothing to say.
    assert_eq!(
        days_where(&market, &signal, "2005-01-04", "2010-03-31", |v| v != 0.0),
        0
    );
}

#[test]
fn the_2007_top_is_fomo_before_it_and_an_exit_at_it() {
    let full = shipped_market();
    let market = full.truncated(full.last_on_or_before(date("2008-06-30")).unwrap());
    let phases = outputs(&mut plugin("fomo-phase", ""), &market);
    // FOMO chasing through the first half of 2007 (no margin data then: the signed-amount
    // fallback carries net buying).
    assert!(days_where(&market, &phases, "2007-01-01", "2007-06-30", |v| v > 0.0) >= 10);
    let exits = outputs(&mut plugin("breakeven-zone", ""), &market);
    // The exit fires around the October 2007 top.
    assert!(days_where(&market, &exits, "2007-09-01", "2007-11-30", |v| v < 0.0) > 0);
}

#[test]
fn margin_strategies_are_not_applicable_before_margin_trading() {
    let strategy = crate::util::shipped_strategy("margin-timing");
    let strategy = strategy.as_str();
    let dirs = plugin_dir().to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let args = [
        "compare",
        strategy,
        "--window",
        "bull2",
        "--window",
        "bull3",
        "--window",
        "full",
        "--plugin-dir",
        dirs,
        "--out",
        out.path().to_str().unwrap(),
    ];
    let output = cyclebt(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(
        table
            .replace("\n    ", " ")
            .contains("n/a: no margin (financing_balance) data in the window; signal margin-divergence needs it (margin-timing (full, half, vol15, kelly, pyramid) in bull2)"),
        "{table}"
    );
    let summary = std::fs::read_to_string(out.path().join("summary.csv")).unwrap();
    let row = summary
        .lines()
        .find(|l| l.starts_with("bull2,margin-timing,full,"))
        .unwrap();
    // Metrics empty (n/a), never zeros; the benchmark is still reported.
    assert!(row.contains(",258,,,,,,,,,,,,,,,,,,,"), "{row}");
    assert!(row.contains(",n/a,n/a: no margin"), "{row}");
    assert!(!out.path().join("runs/bull2/margin-timing").exists());
    assert!(
        out.path()
            .join("runs/bull3/margin-timing/full/ledger.csv")
            .exists()
    );
}

#[test]
fn phases_prints_and_writes_the_study_tables() {
    let out = tempfile::tempdir().unwrap();
    let args = [
        "phases",
        "--out",
        out.path().to_str().unwrap(),
        "--plugin-dir",
        plugin_dir().to_str().unwrap(),
    ];
    let output = cyclebt(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    for window in ["bull1:", "bull2:", "bull3:", "bull4:", "bull5:"] {
        assert!(text.contains(window), "{text}");
    }
    let gain = std::fs::read_to_string(out.path().join("phases_gain.csv")).unwrap();
    assert_eq!(
        gain.lines().next(),
        Some("window,bucket,days,fomo_days,fomo_share,avg_amount,avg_pe")
    );
    assert_eq!(gain.lines().count(), 1 + 5 * 12);
    // Each cycle's FOMO shares add up to one.
    for window in ["bull1", "bull3", "bull5"] {
        let total: f64 = gain
            .lines()
            .filter(|l| l.starts_with(&format!("{window},")))
            .map(|l| l.split(',').nth(4).unwrap().parse::<f64>().unwrap_or(0.0))
            .sum();
        assert!((total - 1.0).abs() < 1e-5, "{window}: {total}");
    }
    let stretches = std::fs::read_to_string(out.path().join("fomo_stretches.csv")).unwrap();
    assert!(
        stretches.lines().any(|l| l.starts_with("bull1,2007-")),
        "{stretches}"
    );
    // Phase shares add up to one per cycle; each cycle gets a scenario.
    let summary = std::fs::read_to_string(out.path().join("phases_summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 1 + 5);
    for line in summary.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let total: f64 = fields[3..8].iter().map(|f| f.parse::<f64>().unwrap()).sum();
        assert!((total - 1.0).abs() < 1e-5, "{line}");
        assert!(
            ["optimistic", "neutral", "pessimistic"].contains(&fields[8]),
            "{line}"
        );
    }
    // The marginal amount's buckets add up to one in every part that has days; bull1's middle
    // part starts on its first FOMO stretch, 2006-12-04.
    let marginal = std::fs::read_to_string(out.path().join("phases_marginal.csv")).unwrap();
    for part in ["bull1,early,", "bull1,middle,", "bull3,middle,"] {
        let total: f64 = marginal
            .lines()
            .filter(|l| l.starts_with(part))
            .map(|l| l.rsplit(',').next().unwrap().parse::<f64>().unwrap())
            .sum();
        assert!((total - 1.0).abs() < 1e-5, "{part} {total}");
    }
    assert!(marginal.contains("bull1,middle,2006-12-04,"), "{marginal}");
}

#[test]
fn margin_divergence_rejects_a_zero_warning_period() {
    let error = factory()
        .plugin_signal(
            &SignalSource::Plugin("margin-divergence".into()),
            &"warning_days = 0".parse().unwrap(),
            SignalRole::Signal,
        )
        .err()
        .unwrap();
    assert!(
        error
            .to_string()
            .contains("every *_days parameter must be positive"),
        "{error}"
    );
}
