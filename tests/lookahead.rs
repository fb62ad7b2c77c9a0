//! No look-ahead: whatever is computed for day t is the same whether the data ends at t or
//! years later, and margin figures become visible only after their publication lag.

use cyclebt_data::{Field, Manifest, MarketData, WindowSpan};
use cyclebt_engine::*;

use crate::util::{date, shipped_market, synthetic_market, wavy_market};

/// Checks a signal's prefix property on every `stride`-th day, for both ways of asking: the
/// value for day t from the full history equals the value from the history cut at t, the
/// whole-range answer (`evaluate_days`) on data cut at t equals the day-by-day answers on the
/// full data, and one instance asked for the days in reverse order answers the same as in
/// order (no state carried between calls changes an answer). Used for every shipped signal
/// and plugin.
pub fn assert_prefix_stable(
    make: &dyn Fn() -> Box<dyn Signal>,
    market: &MarketData,
    stride: usize,
) {
    let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
    let mut on_full = make();
    let by_day: Vec<f64> = (0..market.len())
        .map(|t| on_full.evaluate(market.history(t)).unwrap())
        .collect();
    let mut backwards = make();
    for t in (0..market.len()).rev().step_by(stride) {
        let value = backwards.evaluate(market.history(t)).unwrap();
        assert!(
            same(value, by_day[t]),
            "{} on day {t}: {value} after later days, {} in order",
            on_full.name(),
            by_day[t]
        );
    }
    for t in (0..market.len()).step_by(stride) {
        let cut = market.truncated(t);
        let expected = make().evaluate(cut.history(t)).unwrap();
        assert!(
            same(by_day[t], expected),
            "{} on day {t}: {} with full history, {expected} with history cut at t",
            on_full.name(),
            by_day[t]
        );
        let mut range = Vec::new();
        make().evaluate_days(cut.history(t), 0, &mut range).unwrap();
        assert_eq!(range.len(), t + 1);
        let agree = range.iter().zip(&by_day).all(|(a, b)| same(*a, *b));
        // A range that starts mid-history, as a window does, gives the same days' values.
        let first = t / 2;
        let mut late = Vec::new();
        make()
            .evaluate_days(cut.history(t), first, &mut late)
            .unwrap();
        let late_agree = late.iter().zip(&by_day[first..]).all(|(a, b)| same(*a, *b));
        assert!(
            late_agree,
            "{}: values from day {first} on differ when the range starts there",
            on_full.name()
        );
        assert!(
            agree,
            "{}: whole-range values on data cut at {t} differ from day by day",
            on_full.name()
        );
    }
}

fn sma() -> Box<dyn Signal> {
    Box::new(SmaCross::new(SmaCrossParams::default()).unwrap())
}

#[test]
fn sma_cross_is_prefix_stable_on_synthetic_data() {
    assert_prefix_stable(&sma, &wavy_market(600), 1);
}

#[test]
fn sma_cross_is_prefix_stable_on_real_data() {
    let market = shipped_market();
    assert_prefix_stable(&sma, &market, 97);
}

/// `sma_cross` answers a range from sums moved day by day and re-sums a day only when the two
/// averages are too close for the moved sums to decide; its values must still be `evaluate`'s
/// bit for bit. Flat stretches (averages equal up to rounding), a stretch that sits exactly on
/// the averages' crossing, and a zero close (which the moved sums' error bound does not cover).
#[test]
fn sma_cross_over_a_range_equals_day_by_day_at_ties_and_odd_prices() {
    let closes: Vec<String> = (0..700)
        .map(|i| match i {
            0..150 => "3000.10".to_string(),
            150..300 => format!("{}.{:02}", 3000 + i % 2, (i * 37) % 100),
            300..450 => format!("{}.{:02}", 2000 + (i % 7) * 3, (i * 13) % 100),
            _ => format!("{}.05", 1000 + (i as i64 - 575).abs()),
        })
        .collect();
    let mut with_zero = closes.clone();
    with_zero[400] = "0".into();
    for closes in [&closes, &with_zero] {
        let closes: Vec<&str> = closes.iter().map(String::as_str).collect();
        let market = synthetic_market(&closes, &closes, &[]);
        for (fast, slow) in [(1, 2), (5, 20), (7, 21), (20, 60), (3, 300)] {
            let make = || SmaCross::new(SmaCrossParams { fast, slow }).unwrap();
            let mut day_by_day = make();
            let expected: Vec<f64> = (0..market.len())
                .map(|t| day_by_day.evaluate(market.history(t)).unwrap())
                .collect();
            let mut range = Vec::new();
            make()
                .evaluate_days(market.history(market.len() - 1), 0, &mut range)
                .unwrap();
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&range), bits(&expected), "fast {fast}, slow {slow}");
        }
    }
}

#[test]
fn the_series_signal_is_prefix_stable_and_reads_the_day_s_own_value() {
    let market = wavy_market(300);
    let values: Vec<f64> = (0..market.len())
        .map(|t| ((t % 7) as f64 - 3.0) / 3.0)
        .collect();
    let info = cyclebt_data::SeriesInfo {
        name: "mine".into(),
        unit: "number".into(),
        description: String::new(),
    };
    let market = market.with_series(info, values.clone());
    let make =
        || -> Box<dyn Signal> { builtin_signal("series", toml::toml! { name = "mine" }).unwrap() };
    assert_prefix_stable(&make, &market, 1);
    let mut signal = make();
    assert_eq!(signal.requires_series(), ["mine"]);
    for t in [0, 1, 150, 299] {
        assert_eq!(signal.evaluate(market.history(t)).unwrap(), values[t]);
    }
}

#[test]
fn a_run_cut_at_day_t_matches_the_full_run_up_to_t() {
    let market = wavy_market(900);
    let setup = crate::util::free_setup();
    let rules = Plan::from(Rules::follow_sign(0));
    let full_span = WindowSpan {
        first: 100,
        last: 899,
    };
    let full = run(
        &market,
        full_span,
        &mut [sma()],
        &rules,
        &Sizing::full(),
        &setup,
    )
    .unwrap();
    for t in [101, 150, 333, 500, 898] {
        let cut = market.truncated(t);
        let span = WindowSpan {
            first: 100,
            last: t,
        };
        let part = run(&cut, span, &mut [sma()], &rules, &Sizing::full(), &setup).unwrap();
        let days = t - 100 + 1;
        assert_eq!(part.equity, full.equity[..days], "equity up to day {t}");
        assert_eq!(part.cash, full.cash[..days], "cash up to day {t}");
        assert_eq!(part.units, full.units[..days], "units up to day {t}");
    }
}

#[test]
fn margin_data_is_visible_one_trading_day_after_its_date() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("raw")).unwrap();
    std::fs::write(
        dir.path().join("raw/index.csv"),
        "date,open,close,high,low,volume,amount,turn,pctChg\n\
         2020-01-02,10,11,12,9,100,1000,0.01,0\n\
         2020-01-03,11,12,13,10,100,1000,0.01,0\n\
         2020-01-06,12,13,14,11,100,1000,0.01,0\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("raw/margin.csv"),
        "\u{feff}日期,融资买入额,融资余额,融券卖出量,融券余量,融券余额,融资融券余额\n\
         2020-01-02,5,100,0,0,1,101\n\
         2020-01-03,6,200,0,0,2,202\n\
         2020-01-06,7,300,0,0,3,303\n",
    )
    .unwrap();
    let manifest = Manifest::parse(
        std::path::Path::new("lag.toml"),
        r#"
        name = "lag"
        [index]
        file = "raw/index.csv"
        format = "baostock"
        [margin]
        sources = [{ file = "raw/margin.csv", format = "akshare_margin" }]
        "#,
    )
    .unwrap();
    let market = cyclebt_data::load(&manifest, dir.path()).unwrap().market;
    let balance = market.column(Field::FinancingBalance);
    assert!(
        balance[0].is_nan(),
        "day 0's own figure is not yet published at its close"
    );
    assert_eq!(&balance[1..], &[100.0, 200.0]);
    let visible = market.history(1).column(Field::MarginTotal);
    assert_eq!(visible.len(), 2, "the history of day 1 ends at day 1");
    assert!(visible[0].is_nan());
    assert_eq!(visible[1], 101.0);
    assert_eq!(market.coverage[1].lag_days, 1);
    assert_eq!(market.dates[1], date("2020-01-03"));
}
