//! The phase tables of the bull-cycle study (seed 002): how the days a classifier puts in the
//! FOMO phase spread over a cycle.
//!
//! For a cycle from its low (first day) to its peak (last day):
//! - gain bucket: the share of the cycle's whole rise reached that day, `(close - close_low) /
//!   (close_peak - close_low)`, in tenths (0-10%, ..., 90-100%), with a bucket for days below
//!   the starting low and one for days above the last close. The study's tables are of this kind: bull5 rose 89% in all, yet holds a
//!   third of its FOMO days in its 90-100% bucket;
//! - time bucket: `(day - first) / (last - first)`, in tenths;
//! - per bucket: trading days, FOMO days, the bucket's share of all the cycle's FOMO days,
//!   the average daily amount and the average PE of all its days;
//! - FOMO stretches: runs of FOMO days, joined across gaps of at most `stretch_gap` trading
//!   days.
//!
//! These are ex-post descriptions of a finished cycle (they use its peak); no decision reads
//! them.

use std::io::{self, Write};

use chrono::NaiveDate;

/// One day of a cycle as the tables need it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhaseDay {
    /// Trading day.
    pub date: NaiveDate,
    /// Closing level.
    pub close: f64,
    /// Turnover in yuan (NaN if missing).
    pub amount: f64,
    /// PE (NaN if missing).
    pub pe: f64,
    /// Whether the classifier put the day in the FOMO phase.
    pub fomo: bool,
}

/// One row of a bucket table.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// `0-10%` ... `90-100%`.
    pub label: String,
    /// Trading days in the bucket.
    pub days: usize,
    /// FOMO days in the bucket.
    pub fomo_days: usize,
    /// The bucket's FOMO days over all the cycle's FOMO days (NaN with none).
    pub fomo_share: f64,
    /// Mean daily amount of the bucket's days, yuan (NaN without data).
    pub average_amount: f64,
    /// Mean PE of the bucket's days (NaN without data).
    pub average_pe: f64,
}

/// A run of FOMO days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stretch {
    /// First FOMO day.
    pub start: NaiveDate,
    /// Last FOMO day.
    pub end: NaiveDate,
    /// Trading days from start to end.
    pub days: usize,
    /// FOMO days among them.
    pub fomo_days: usize,
}

/// The tables of one cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseTables {
    /// Window id.
    pub window: String,
    /// Trading days.
    pub days: usize,
    /// FOMO days.
    pub fomo_days: usize,
    /// Close on the first and last day.
    pub low_high: (f64, f64),
    /// By share of the cycle's rise.
    pub by_gain: Vec<Bucket>,
    /// By share of the cycle's time.
    pub by_time: Vec<Bucket>,
    /// FOMO stretches.
    pub stretches: Vec<Stretch>,
}

/// `0-10%` ... `90-100%`.
fn tenths() -> Vec<String> {
    (0..10)
        .map(|b| format!("{}-{}%", b * 10, b * 10 + 10))
        .collect()
}

/// The tenth a share in [0, 1] falls in; 1 itself is in the last.
fn tenth(share: f64) -> usize {
    ((share * 10.0).floor().max(0.0) as usize).min(9)
}

/// Gain buckets: the tenths, with a bucket on either side for days below the cycle's starting
/// low and above its last close (the index can close higher inside a cycle than on its
/// peak date: bull2, bull5), so that no day is filed under a tenth it is not in.
fn gain_labels() -> Vec<String> {
    let mut labels = vec!["below 0%".to_string()];
    labels.extend(tenths());
    labels.push("above 100%".into());
    labels
}

fn gain_bucket(share: f64) -> usize {
    if share < 0.0 {
        0
    } else if share > 1.0 {
        11
    } else {
        1 + tenth(share)
    }
}

fn mean_of(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values
        .filter(|v| v.is_finite())
        .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    if count == 0 {
        f64::NAN
    } else {
        sum / count as f64
    }
}

fn buckets(
    days: &[PhaseDay],
    labels: Vec<String>,
    of: impl Fn(usize) -> usize,
    fomo_total: usize,
) -> Vec<Bucket> {
    labels
        .into_iter()
        .enumerate()
        .map(|(b, label)| {
            let members: Vec<&PhaseDay> = days
                .iter()
                .enumerate()
                .filter(|(i, _)| of(*i) == b)
                .map(|(_, d)| d)
                .collect();
            let fomo_days = members.iter().filter(|d| d.fomo).count();
            Bucket {
                label,
                days: members.len(),
                fomo_days,
                fomo_share: if fomo_total == 0 {
                    f64::NAN
                } else {
                    fomo_days as f64 / fomo_total as f64
                },
                average_amount: mean_of(members.iter().map(|d| d.amount)),
                average_pe: mean_of(members.iter().map(|d| d.pe)),
            }
        })
        .collect()
}

/// The tables of the cycle `days` (its first day the low, its last the peak).
pub fn phase_tables(window: &str, days: &[PhaseDay], stretch_gap: usize) -> PhaseTables {
    let n = days.len();
    let (low, high) = (days[0].close, days[n - 1].close);
    let fomo_total = days.iter().filter(|d| d.fomo).count();
    let rise = high - low;
    let gain_of = |i: usize| gain_bucket((days[i].close - low) / rise);
    let time_of = |i: usize| tenth(i as f64 / (n - 1).max(1) as f64);
    let mut stretches: Vec<Stretch> = Vec::new();
    let mut current: Option<(usize, usize, usize)> = None;
    for i in (0..n).filter(|&i| days[i].fomo) {
        current = match current {
            Some((start, last, count)) if i - last <= stretch_gap + 1 => {
                Some((start, i, count + 1))
            }
            previous => {
                if let Some((start, last, count)) = previous {
                    stretches.push(stretch(days, start, last, count));
                }
                Some((i, i, 1))
            }
        };
    }
    if let Some((start, last, count)) = current {
        stretches.push(stretch(days, start, last, count));
    }
    PhaseTables {
        window: window.into(),
        days: n,
        fomo_days: fomo_total,
        low_high: (low, high),
        by_gain: buckets(days, gain_labels(), gain_of, fomo_total),
        by_time: buckets(days, tenths(), time_of, fomo_total),
        stretches,
    }
}

fn stretch(days: &[PhaseDay], start: usize, last: usize, fomo_days: usize) -> Stretch {
    Stretch {
        start: days[start].date,
        end: days[last].date,
        days: last - start + 1,
        fomo_days,
    }
}

fn cell(value: f64, decimals: usize) -> String {
    if value.is_nan() {
        String::new()
    } else {
        format!("{value:.decimals$}")
    }
}

/// 1 亿元 in yuan, for amounts people read.
const YI: f64 = 1e8;

/// Writes the tables of every cycle as text.
pub fn write_phase_text(out: &mut dyn Write, tables: &[PhaseTables]) -> io::Result<()> {
    for t in tables {
        writeln!(
            out,
            "{}: {} trading days, {} FOMO days; close {:.2} -> {:.2} ({:+.1}%)",
            t.window,
            t.days,
            t.fomo_days,
            t.low_high.0,
            t.low_high.1,
            (t.low_high.1 / t.low_high.0 - 1.0) * 100.0
        )?;
        writeln!(
            out,
            "  {:<10} {:>5} {:>5} {:>8} {:>13} {:>7}   {:<9} {:>5} {:>5} {:>8}",
            "gain",
            "days",
            "FOMO",
            "share",
            "avg amount 亿",
            "avg PE",
            "time",
            "days",
            "FOMO",
            "share"
        )?;
        let share = |b: &Bucket| {
            if b.fomo_share.is_nan() {
                "n/a".to_string()
            } else {
                format!("{:.2}%", b.fomo_share * 100.0)
            }
        };
        // Gain rows beside time rows; the time table has no edge buckets, so it starts one
        // row lower, beside 0-10% of the gain.
        for (row, g) in t.by_gain.iter().enumerate() {
            let time =
                row.checked_sub(1)
                    .and_then(|i| t.by_time.get(i))
                    .map_or(String::new(), |h| {
                        format!(
                            "{:<9} {:>5} {:>5} {:>8}",
                            h.label,
                            h.days,
                            h.fomo_days,
                            share(h)
                        )
                    });
            let line = format!(
                "  {:<10} {:>5} {:>5} {:>8} {:>13} {:>7}   {}",
                g.label,
                g.days,
                g.fomo_days,
                share(g),
                cell(g.average_amount / YI, 0),
                cell(g.average_pe, 1),
                time
            );
            writeln!(out, "{}", line.trim_end())?;
        }
        let stretches: Vec<String> = t
            .stretches
            .iter()
            .map(|s| format!("{}..{} ({} FOMO days)", s.start, s.end, s.fomo_days))
            .collect();
        writeln!(
            out,
            "  FOMO stretches: {}",
            if stretches.is_empty() {
                "none".to_string()
            } else {
                stretches.join(", ")
            }
        )?;
        writeln!(out)?;
    }
    Ok(())
}

/// Writes `phases_gain.csv` or `phases_time.csv` content for every cycle.
pub fn write_bucket_csv(
    out: &mut dyn Write,
    tables: &[PhaseTables],
    by_gain: bool,
) -> io::Result<()> {
    writeln!(
        out,
        "window,bucket,days,fomo_days,fomo_share,avg_amount,avg_pe"
    )?;
    for t in tables {
        for b in if by_gain { &t.by_gain } else { &t.by_time } {
            writeln!(
                out,
                "{},{},{},{},{},{},{}",
                t.window,
                b.label,
                b.days,
                b.fomo_days,
                cell(b.fomo_share, 6),
                cell(b.average_amount, 0),
                cell(b.average_pe, 4)
            )?;
        }
    }
    Ok(())
}

/// Writes `fomo_stretches.csv` content.
pub fn write_stretches_csv(out: &mut dyn Write, tables: &[PhaseTables]) -> io::Result<()> {
    writeln!(out, "window,start,end,days,fomo_days")?;
    for t in tables {
        for s in &t.stretches {
            writeln!(
                out,
                "{},{},{},{},{}",
                t.window, s.start, s.end, s.days, s.fomo_days
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(i: u32, close: f64, fomo: bool) -> PhaseDay {
        PhaseDay {
            date: NaiveDate::from_ymd_opt(2020, 1, 1 + i).unwrap(),
            close,
            amount: 100.0 * f64::from(i + 1),
            pe: 10.0 + f64::from(i),
            fomo,
        }
    }

    #[test]
    fn buckets_count_fomo_days_by_share_of_rise_and_time() {
        // Low 100, peak 200 over 11 days; FOMO on days 2 (close 120: 20% of the rise),
        // 3 (130), 4 (140) and 9 (190).
        let closes = [
            100.0, 110.0, 120.0, 130.0, 140.0, 150.0, 160.0, 170.0, 180.0, 190.0, 200.0,
        ];
        let days: Vec<PhaseDay> = closes
            .iter()
            .enumerate()
            .map(|(i, c)| day(i as u32, *c, [2, 3, 4, 9].contains(&i)))
            .collect();
        let t = phase_tables("x", &days, 2);
        assert_eq!(t.fomo_days, 4);
        // Gain buckets: below 0%, 0-10%, ..., 90-100%, above 100%.
        assert_eq!(t.by_gain[3].fomo_days, 1);
        assert_eq!(t.by_gain[3].fomo_share, 0.25);
        // The peak day (100% of the rise) belongs to the 90-100% bucket, with day 9 (90%).
        assert_eq!(t.by_gain[10].days, 2);
        assert_eq!(t.by_gain[10].fomo_days, 1);
        assert_eq!((t.by_gain[0].days, t.by_gain[11].days), (0, 0));
        // Time: day i of 10 steps is i/10 of the way.
        assert_eq!(t.by_time[4].fomo_days, 1);
        // Amounts 100 x (i + 1): bucket 2 holds day 2 only: 300.
        assert_eq!(t.by_gain[3].average_amount, 300.0);
        // Days 2, 3, 4 form one stretch; day 9 is 5 days later, over the gap of 2: another.
        assert_eq!(t.stretches.len(), 2);
        assert_eq!((t.stretches[0].days, t.stretches[0].fomo_days), (3, 3));
        assert_eq!(t.stretches[1].start, days[9].date);
    }
}
