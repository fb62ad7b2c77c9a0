//! The shipped test windows: each whole cycle is its bull plus the bear after it, and windows
//! are selected by id or by group.

use std::path::Path;

use cyclebt_data::{Window, parse_cycles};

use crate::util::{date, shipped_cycles, shipped_market};

fn group<'a>(cycles: &'a cyclebt_data::CycleList, name: &str) -> Vec<&'a Window> {
    cycles.select(&[name.to_string()]).unwrap()
}

#[test]
fn each_whole_cycle_starts_at_its_bull_and_covers_its_bear_in_calendar_dates() {
    let cycles = shipped_cycles();
    let (bulls, wholes, bears) = (
        group(&cycles, "bulls"),
        group(&cycles, "cycles"),
        group(&cycles, "bears"),
    );
    assert_eq!((bulls.len(), wholes.len(), bears.len()), (5, 5, 5));
    for n in 1..=5 {
        let id = |prefix: &str| format!("{prefix}{n}");
        let bull = cycles.window(&id("bull")).unwrap();
        let whole = cycles.window(&id("cycle")).unwrap();
        let bear = cycles.window(&id("bear")).unwrap();
        assert_eq!(
            whole.start, bull.start,
            "cycle{n} starts at bull{n}'s trough"
        );
        assert_eq!(bear.start, bull.end, "bear{n} starts at bull{n}'s peak");
        assert_eq!(whole.end, bear.end, "cycle{n} ends where bear{n} ends");
        // The next trough is the next bull's first day.
        if n < 5 {
            let next = cycles.window(&format!("bull{}", n + 1)).unwrap();
            assert_eq!(
                whole.end,
                next.start,
                "cycle{n} ends at bull{}'s trough",
                n + 1
            );
        }
        for w in [bull, whole, bear] {
            assert!(!w.source.is_empty(), "{} states its source", w.id);
        }
    }
    // After bull5: the lowest Shanghai close between its peak and the data's end (2702.19).
    assert_eq!(
        cycles.window("cycle5").unwrap().end,
        Some(date("2024-02-05"))
    );
    assert_eq!(
        cycles.window("margin-era").unwrap().start,
        Some(date("2010-03-31"))
    );
}

#[test]
fn each_whole_cycle_covers_its_bull_and_bear_trading_days() {
    let market = shipped_market();
    let cycles = shipped_cycles();
    let close = market.column(cyclebt_data::Field::Close);
    for n in 1..=5 {
        let span = |prefix: &str| {
            cycles
                .window(&format!("{prefix}{n}"))
                .unwrap()
                .span(&market)
                .unwrap()
        };
        let (bull, whole, bear) = (span("bull"), span("cycle"), span("bear"));
        assert_eq!(whole.first, bull.first, "cycle{n}");
        assert_eq!(bear.first, bull.last, "bear{n}");
        assert_eq!(whole.last, bear.last, "cycle{n}");
        assert_eq!(whole.days(), bull.days() + bear.days() - 1, "cycle{n}");
    }
    // cycle5's end is the lowest close from bull5's peak to the data's last day.
    let bear5 = cycles.window("bear5").unwrap().span(&market).unwrap();
    let lowest = (bear5.first..market.len())
        .min_by(|&a, &b| close[a].total_cmp(&close[b]))
        .unwrap();
    assert_eq!(lowest, bear5.last);
}

#[test]
fn windows_are_selected_by_group_or_id_and_the_default_leaves_the_bears_out() {
    let cycles = shipped_cycles();
    let ids = |selected: Vec<&Window>| selected.iter().map(|w| w.id.clone()).collect::<Vec<_>>();
    let default = ids(cycles.select(&[]).unwrap());
    assert_eq!(default.len(), 12, "{default:?}");
    assert!(default.contains(&"cycle3".to_string()) && default.contains(&"full".to_string()));
    assert!(
        !default.iter().any(|id| id.starts_with("bear")),
        "{default:?}"
    );
    assert_eq!(
        ids(cycles
            .select(&["bear3".to_string(), "bulls".to_string()])
            .unwrap()),
        ["bull1", "bull2", "bull3", "bull4", "bull5", "bear3"]
    );
    let unknown = cycles.select(&["bull9".to_string()]).unwrap_err();
    assert!(
        unknown.contains("unknown window or group \"bull9\"") && unknown.contains("cycles"),
        "{unknown}"
    );
}

#[test]
fn a_cycle_list_is_refused_when_a_group_is_also_a_window_or_the_default_is_unknown() {
    let path = Path::new("my_cycles.toml");
    let clash = "[[window]]\nid = \"a\"\ngroup = \"b\"\n[[window]]\nid = \"b\"\n";
    let error = parse_cycles(path, clash).unwrap_err().to_string();
    assert!(
        error.contains("group \"b\"") && error.contains("also a window id"),
        "{error}"
    );
    let bad_default = "default = [\"bulls\"]\n[[window]]\nid = \"a\"\n";
    let error = parse_cycles(path, bad_default).unwrap_err().to_string();
    assert!(
        error.contains("default: unknown window or group \"bulls\""),
        "{error}"
    );
    // Without a default, every window runs.
    let plain = parse_cycles(path, "[[window]]\nid = \"a\"\n[[window]]\nid = \"c\"\n").unwrap();
    assert_eq!(plain.select(&[]).unwrap().len(), 2);
}
