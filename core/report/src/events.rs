//! Two studies of leverage over the index's history, for `cyclebt events`:
//!
//! - **Rule changes.** Around each dated change to leverage or costs, the index return, the
//!   change of the financing balance and of the average maintenance ratio over each horizon,
//!   measured from the last close before the announcement, and where each move ranks among the
//!   same horizon's moves over all days (its percentile), so that a move can be seen to be
//!   ordinary or not.
//! - **Warnings before drawdowns.** For each fall of the index deeper than a threshold from a
//!   peak, when the margin signal first warned relative to that peak; and how often a warning
//!   day was followed by a fall within a horizon, against the same share over all days.
//!
//! Both are descriptions after the fact: they read later rows on purpose and feed no decision.

use std::io::{self, Write};

use chrono::NaiveDate;

use crate::number;

/// A dated change to leverage or costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Short name (`margin-ratio-2015-11-23`).
    pub id: String,
    /// Day it was made public; moves are measured from the last close before it.
    pub announced: NaiveDate,
    /// Day it took effect, when it differs or is known.
    pub effective: Option<NaiveDate>,
    /// What changed.
    pub note: String,
}

/// The daily series the studies read, on one calendar.
#[derive(Debug, Clone, Copy)]
pub struct EventSeries<'a> {
    /// Trading days.
    pub dates: &'a [NaiveDate],
    /// Index close.
    pub close: &'a [f64],
    /// Financing balance (NaN where missing).
    pub financing: &'a [f64],
    /// Average maintenance ratio (NaN where missing), or None when the dataset has no such
    /// series.
    pub maintenance: Option<&'a [f64]>,
}

/// One measure of one event over one horizon.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Move {
    /// The move (NaN when either end is missing).
    pub value: f64,
    /// Share of the baseline's moves over the same horizon at or below it (NaN when n/a).
    pub percentile: f64,
}

/// One event over one horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// The event's id.
    pub event: String,
    /// Its announcement day.
    pub announced: NaiveDate,
    /// Its effective day, if given.
    pub effective: Option<NaiveDate>,
    /// The last close before the announcement (None: the data starts later).
    pub base: Option<NaiveDate>,
    /// Trading days from the base day (negative: the days before it).
    pub horizon: i64,
    /// Index return.
    pub index: Move,
    /// Relative change of the financing balance.
    pub financing: Move,
    /// Change of the average maintenance ratio, in ratio points (2.5 to 2.4 is -0.1); None
    /// when the series is not loaded.
    pub maintenance: Option<Move>,
}

/// How a measure moves.
#[derive(Clone, Copy)]
enum Change {
    /// `later / earlier - 1`.
    Relative,
    /// `later - earlier`.
    Difference,
}

/// The move of `values` over `horizon` trading days from `base`: for a positive horizon from
/// `base` to `base + horizon`, for a negative one from `base + horizon` to `base`.
fn move_over(values: &[f64], base: usize, horizon: i64, change: Change) -> f64 {
    let other = base as i64 + horizon;
    if other < 0 || other as usize >= values.len() {
        return f64::NAN;
    }
    let (earlier, later) = if horizon >= 0 {
        (values[base], values[other as usize])
    } else {
        (values[other as usize], values[base])
    };
    match change {
        Change::Relative if earlier != 0.0 => later / earlier - 1.0,
        Change::Relative => f64::NAN,
        Change::Difference => later - earlier,
    }
}

/// Share of the finite values of `baseline` at or below `value`; NaN if `value` is not finite
/// or the baseline is empty.
fn percentile(baseline: &[f64], value: f64) -> f64 {
    if !value.is_finite() || baseline.is_empty() {
        return f64::NAN;
    }
    baseline.iter().filter(|v| **v <= value).count() as f64 / baseline.len() as f64
}

/// The rule-change study: each event over each horizon, with its percentile among the moves
/// of every day from `baseline_first` on over the same horizon.
pub fn event_study(
    series: &EventSeries<'_>,
    events: &[Event],
    horizons: &[i64],
    baseline_first: usize,
) -> Vec<EventRow> {
    let measure = |values: &[f64], change: Change, base: Option<usize>, horizon: i64| {
        let baseline: Vec<f64> = (baseline_first..values.len())
            .map(|t| move_over(values, t, horizon, change))
            .filter(|v| v.is_finite())
            .collect();
        let value = base.map_or(f64::NAN, |b| move_over(values, b, horizon, change));
        Move {
            value,
            percentile: percentile(&baseline, value),
        }
    };
    let mut rows = Vec::new();
    for event in events {
        // The last trading day strictly before the announcement day: an announcement during
        // or after a session is measured from the close before it, never from a close that
        // may already hold the news.
        let base = series
            .dates
            .partition_point(|d| *d < event.announced)
            .checked_sub(1);
        for &horizon in horizons {
            rows.push(EventRow {
                event: event.id.clone(),
                announced: event.announced,
                effective: event.effective,
                base: base.map(|b| series.dates[b]),
                horizon,
                index: measure(series.close, Change::Relative, base, horizon),
                financing: measure(series.financing, Change::Relative, base, horizon),
                maintenance: series
                    .maintenance
                    .map(|m| measure(m, Change::Difference, base, horizon)),
            });
        }
    }
    rows
}

use crate::percent as pct;

fn rank(value: f64) -> String {
    if value.is_finite() {
        format!("p{:.0}", value * 100.0)
    } else {
        "".into()
    }
}

fn day(date: Option<NaiveDate>) -> String {
    date.map_or_else(|| "n/a".into(), |d| d.to_string())
}

/// The rule-change table for people: percents (the maintenance ratio's change in percentage
/// points: 275% to 255% is -20.0pp), each move with its percentile.
pub fn write_event_text(out: &mut dyn Write, rows: &[EventRow]) -> io::Result<()> {
    writeln!(
        out,
        "{:<28} {:>10} {:>10} {:>10} {:>5} {:>14} {:>14} {:>14}",
        "event", "announced", "effective", "base", "days", "index", "financing", "maint. ratio"
    )?;
    for r in rows {
        let maintenance = match &r.maintenance {
            None => "n/a (series not loaded)".to_string(),
            Some(m) if m.value.is_finite() => {
                format!("{:+.1}pp {}", m.value * 100.0, rank(m.percentile))
            }
            Some(_) => "n/a".into(),
        };
        writeln!(
            out,
            "{:<28} {:>10} {:>10} {:>10} {:>+5} {:>14} {:>14} {:>14}",
            r.event,
            r.announced,
            day(r.effective),
            day(r.base),
            r.horizon,
            format!("{} {}", pct(r.index.value), rank(r.index.percentile)),
            format!(
                "{} {}",
                pct(r.financing.value),
                rank(r.financing.percentile)
            ),
            maintenance
        )?;
    }
    Ok(())
}

/// `events.csv`: fractions and ratio points, percentiles as fractions, empty where n/a.
pub fn write_events_csv(out: &mut dyn Write, rows: &[EventRow]) -> io::Result<()> {
    writeln!(
        out,
        "event,announced,effective,base,horizon,index_return,index_percentile,financing_change,financing_percentile,maintenance_change,maintenance_percentile"
    )?;
    for r in rows {
        let (m, mp) = r
            .maintenance
            .map_or((f64::NAN, f64::NAN), |m| (m.value, m.percentile));
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{}",
            r.event,
            r.announced,
            r.effective.map(|d| d.to_string()).unwrap_or_default(),
            r.base.map(|d| d.to_string()).unwrap_or_default(),
            r.horizon,
            number(r.index.value),
            number(r.index.percentile),
            number(r.financing.value),
            number(r.financing.percentile),
            number(m),
            number(mp)
        )?;
    }
    Ok(())
}

/// A fall of the index from a peak deeper than the study's threshold, and the first margin
/// warning of its run-up.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawdown {
    /// Where the run-up to the peak began: the previous drawdown's trough, or the series'
    /// first day.
    pub run_up_start: NaiveDate,
    /// Day of the highest close before the fall.
    pub peak: NaiveDate,
    /// Day of the lowest close before the rebound.
    pub trough: NaiveDate,
    /// `trough close / peak close - 1`.
    pub depth: f64,
    /// First day the close stood the threshold above the trough, ending the drawdown (None:
    /// still open at the end of the data).
    pub rebound: Option<NaiveDate>,
    /// First warning day from the run-up's start to the trough.
    pub first_warning: Option<NaiveDate>,
    /// Trading days from the first warning to the peak (negative: it came after the peak).
    pub lead: Option<i64>,
    /// Close on the first warning day against the peak's close, minus 1: how far below the
    /// peak the index was when the warning came (before the peak: the rise still to come).
    pub warning_vs_peak: Option<f64>,
}

/// The drawdowns of `close` at least `min_depth` deep (0.15 for 15%), as a zig-zag: a peak is
/// the highest close before the index falls `min_depth` under it, its trough the lowest close
/// before the index rises `min_depth` above it, which starts the next run-up. So the falls
/// inside a long bear market count one by one, not as one fall from a peak never regained.
/// Each comes with the first `warning` day of its run-up.
pub fn drawdown_warnings(
    dates: &[NaiveDate],
    close: &[f64],
    warning: &[bool],
    min_depth: f64,
) -> Vec<Drawdown> {
    let mut episodes: Vec<(usize, usize, Option<usize>)> = Vec::new();
    let (mut peak, mut trough, mut falling) = (0, 0, false);
    for t in 1..close.len() {
        if !falling {
            if close[t] > close[peak] {
                peak = t;
            } else if close[t] <= close[peak] * (1.0 - min_depth) {
                (trough, falling) = (t, true);
            }
        } else if close[t] < close[trough] {
            trough = t;
        } else if close[t] >= close[trough] * (1.0 + min_depth) {
            episodes.push((peak, trough, Some(t)));
            (peak, falling) = (t, false);
        }
    }
    if falling {
        episodes.push((peak, trough, None));
    }
    let mut previous_trough = 0;
    episodes
        .into_iter()
        .map(|(peak, trough, rebound)| {
            let start = previous_trough;
            previous_trough = trough;
            let first = (start..=trough).find(|t| warning[*t]);
            Drawdown {
                run_up_start: dates[start],
                peak: dates[peak],
                trough: dates[trough],
                depth: close[trough] / close[peak] - 1.0,
                rebound: rebound.map(|t| dates[t]),
                first_warning: first.map(|t| dates[t]),
                lead: first.map(|t| peak as i64 - t as i64),
                warning_vs_peak: first.map(|t| close[t] / close[peak] - 1.0),
            }
        })
        .collect()
}

/// How often a fall followed: among warning days and among all days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FallRates {
    /// The fall looked for (0.10 for a 10% fall).
    pub fall: f64,
    /// Within this many trading days.
    pub horizon: usize,
    /// Warning days with the whole horizon after them in the data.
    pub warning_days: usize,
    /// Of those, the days followed by the fall.
    pub warning_hits: usize,
    /// All days with the whole horizon after them.
    pub days: usize,
    /// Of those, the days followed by the fall.
    pub hits: usize,
}

impl FallRates {
    /// Share of warning days followed by the fall.
    pub fn warning_rate(&self) -> f64 {
        self.warning_hits as f64 / self.warning_days as f64
    }

    /// Share of all days followed by the fall: the base rate.
    pub fn base_rate(&self) -> f64 {
        self.hits as f64 / self.days as f64
    }
}

/// For each day with `horizon` days after it: whether some close within them is at least
/// `fall` under that day's close; counted over warning days and over all days.
pub fn falls_after(close: &[f64], warning: &[bool], fall: f64, horizon: usize) -> FallRates {
    let mut rates = FallRates {
        fall,
        horizon,
        warning_days: 0,
        warning_hits: 0,
        days: 0,
        hits: 0,
    };
    for t in 0..close.len().saturating_sub(horizon) {
        let hit = close[t + 1..=t + horizon]
            .iter()
            .any(|c| *c <= close[t] * (1.0 - fall));
        rates.days += 1;
        rates.hits += usize::from(hit);
        if warning[t] {
            rates.warning_days += 1;
            rates.warning_hits += usize::from(hit);
        }
    }
    rates
}

/// The drawdown table and the fall rates for people.
pub fn write_warning_text(
    out: &mut dyn Write,
    drawdowns: &[Drawdown],
    rates: &FallRates,
) -> io::Result<()> {
    writeln!(
        out,
        "{:<10} {:>10} {:>10} {:>7} {:>10} {:>13} {:>11} {:>12}",
        "run-up", "peak", "trough", "depth", "rebound", "first warning", "days before", "vs peak"
    )?;
    for d in drawdowns {
        writeln!(
            out,
            "{:<10} {:>10} {:>10} {:>7} {:>10} {:>13} {:>11} {:>12}",
            d.run_up_start,
            d.peak,
            d.trough,
            pct(d.depth),
            day(d.rebound),
            day(d.first_warning),
            d.lead.map_or_else(|| "n/a".into(), |l| l.to_string()),
            d.warning_vs_peak.map_or_else(|| "n/a".into(), pct)
        )?;
    }
    writeln!(
        out,
        "followed by a {} fall within {} trading days: {} of {} warning days ({}), {} of {} days in all ({}, the base rate)",
        pct(rates.fall),
        rates.horizon,
        rates.warning_hits,
        rates.warning_days,
        pct(rates.warning_rate()),
        rates.hits,
        rates.days,
        pct(rates.base_rate())
    )
}

/// `warnings.csv`: one row per drawdown.
pub fn write_warnings_csv(out: &mut dyn Write, drawdowns: &[Drawdown]) -> io::Result<()> {
    writeln!(
        out,
        "run_up_start,peak,trough,depth,rebound,first_warning,lead_days,warning_vs_peak"
    )?;
    for d in drawdowns {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            d.run_up_start,
            d.peak,
            d.trough,
            number(d.depth),
            d.rebound.map(|x| x.to_string()).unwrap_or_default(),
            d.first_warning.map(|x| x.to_string()).unwrap_or_default(),
            d.lead.map(|x| x.to_string()).unwrap_or_default(),
            d.warning_vs_peak.map(number).unwrap_or_default()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(n: usize) -> Vec<NaiveDate> {
        let first = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        (0..n as u64)
            .map(|i| first + chrono::Days::new(i))
            .collect()
    }

    #[test]
    fn drawdowns_deeper_than_the_threshold_with_their_first_warning() {
        // Threshold 15%. 100 up to 120 (day 2), down to 96 (day 4: -20%, the fall is
        // confirmed on day 3 at 100 <= 102); 112 on day 5 is 16.7% above 96: the rebound. Up
        // to 130 (day 7), down to 117 (-10%, too shallow), 125; then 104 on day 10 (-20% from
        // 130), still open at the end.
        let close = [
            100.0, 110.0, 120.0, 100.0, 96.0, 112.0, 121.0, 130.0, 117.0, 125.0, 104.0,
        ];
        let mut warning = [false; 11];
        warning[1] = true; // a day before the first peak
        warning[8] = true; // a day after the second
        let dates = days(11);
        let found = drawdown_warnings(&dates, &close, &warning, 0.15);
        assert_eq!(found.len(), 2);
        let d = &found[0];
        assert_eq!(
            (d.run_up_start, d.peak, d.trough),
            (dates[0], dates[2], dates[4])
        );
        assert!((d.depth - (96.0 / 120.0 - 1.0)).abs() < 1e-12);
        assert_eq!(d.rebound, Some(dates[5]));
        assert_eq!((d.first_warning, d.lead), (Some(dates[1]), Some(1)));
        assert!((d.warning_vs_peak.unwrap() - (110.0 / 120.0 - 1.0)).abs() < 1e-12);
        // The second run-up starts at the first trough; its first warning, day 8, is one day
        // after its peak (day 7); the fall is open at the end.
        let d = &found[1];
        assert_eq!(
            (d.run_up_start, d.peak, d.trough),
            (dates[4], dates[7], dates[10])
        );
        assert_eq!((d.rebound, d.lead), (None, Some(-1)));
        assert!((d.warning_vs_peak.unwrap() - (117.0 / 130.0 - 1.0)).abs() < 1e-12);
        // Falls short of the threshold are no drawdowns.
        assert!(drawdown_warnings(&dates[..3], &[100.0, 90.0, 95.0], &[false; 3], 0.15).is_empty());
    }

    #[test]
    fn fall_rates_count_warning_days_and_all_days() {
        // Horizon 2, fall 10%: day 0 (100 -> 95, 89) hit; day 1 (95 -> 89, 92) no (89/95 =
        // -6.3%); day 2 (89 -> 92, 80) hit (80/89 = -10.1%); days 3 and 4 lack the horizon.
        let close = [100.0, 95.0, 89.0, 92.0, 80.0];
        let warning = [true, true, false, false, true];
        let rates = falls_after(&close, &warning, 0.10, 2);
        assert_eq!(
            (
                rates.days,
                rates.hits,
                rates.warning_days,
                rates.warning_hits
            ),
            (3, 2, 2, 1)
        );
        assert_eq!(rates.warning_rate(), 0.5);
    }

    #[test]
    fn events_are_measured_from_the_last_close_before_the_announcement() {
        let dates = days(8);
        let close = [100.0, 101.0, 102.0, 110.0, 99.0, 100.0, 120.0, 90.0];
        let financing = [10.0, 10.0, 10.0, 10.0, 12.0, 12.0, 12.0, 12.0];
        let series = EventSeries {
            dates: &dates,
            close: &close,
            financing: &financing,
            maintenance: None,
        };
        let event = Event {
            id: "rule".into(),
            announced: dates[3],
            effective: None,
            note: String::new(),
        };
        let rows = event_study(&series, &[event], &[-2, 1, 3], 0);
        // Base: day 2 (102), the close before the announcement day.
        assert_eq!(rows[0].base, Some(dates[2]));
        // -2: from day 0 to day 2: 102 / 100 - 1.
        assert!((rows[0].index.value - 0.02).abs() < 1e-12);
        // +1: day 3, 110 / 102 - 1; +3: day 5, 100 / 102 - 1; the balance +20% by day 5.
        assert!((rows[1].index.value - (110.0 / 102.0 - 1.0)).abs() < 1e-12);
        assert!((rows[2].index.value - (100.0 / 102.0 - 1.0)).abs() < 1e-12);
        assert!((rows[2].financing.value - 0.2).abs() < 1e-12);
        // Percentile of +1 among every day's one-day return (7 of them): 110/102 - 1 = 7.8% is
        // beaten only by 120/100 - 1 = 20%: 6 of 7 at or below it.
        assert!((rows[1].index.percentile - 6.0 / 7.0).abs() < 1e-12);
        assert!(rows[0].maintenance.is_none());
    }
}
