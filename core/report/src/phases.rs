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
//!   days;
//! - phase shares: the share of the cycle's days the classifier puts in each phase (bottom
//!   building, breakeven, FOMO, right-side profit taking, none), so that "2015 was FOMO-led,
//!   the others bottom-building or profit-taking" can be checked;
//! - the marginal amount (today's amount against the mean of the days before it, minus 1) in
//!   buckets of 10%, for the cycle's early part, middle (from the first to the last day of its
//!   FOMO stretches of two FOMO days or more) and late part, as the study's bull1 passage
//!   splits it around its FOMO period;
//! - the scenario the study's rule puts the cycle in by where its FOMO days sit: optimistic
//!   when a large share of them comes at 80% of the rise or more (bull5: 33.3% in 90-100%,
//!   bull2: over 39% in 80-100%), pessimistic when they were spent early (under 30% of the
//!   rise) and fade late (little at 70% or more: bull1's 33.33% in 10-20% and 3.45% in
//!   70-80%), neutral otherwise (bull4: about 60% in 60-80%, none concentrated above 80%).
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
    /// The classifier's phase for the day ([`PHASES`]).
    pub phase: u32,
    /// Today's amount over the mean amount of the days before it, minus 1 (NaN if missing).
    pub marginal: f64,
}

/// The phase labels of the fomo-phase classifier, by label: 0 none, 1 bottom building
/// (底部建仓), 2 breakeven (盈亏平衡), 3 FOMO (踏空追涨), 4 right-side profit taking (右侧止盈).
pub const PHASES: [&str; 5] = [
    "none",
    "bottom building",
    "breakeven",
    "FOMO",
    "profit taking",
];

/// The FOMO phase's label.
pub const FOMO: u32 = 3;

impl PhaseDay {
    /// Whether the classifier put the day in the FOMO phase.
    pub fn is_fomo(&self) -> bool {
        self.phase == FOMO
    }
}

/// Edges of the marginal-amount buckets: below -30%, -30..-20%, ..., 30..50%, 50% and more.
const MARGINAL_EDGES: [f64; 8] = [-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3, 0.5];

/// Names of the marginal-amount buckets.
pub fn marginal_labels() -> Vec<String> {
    let pct = |e: f64| format!("{:.0}%", e * 100.0);
    let mut labels = vec![format!("below {}", pct(MARGINAL_EDGES[0]))];
    labels.extend(
        MARGINAL_EDGES
            .windows(2)
            .map(|w| format!("{}..{}", pct(w[0]), pct(w[1]))),
    );
    labels.push(format!("{} and more", pct(MARGINAL_EDGES[7])));
    labels
}

fn marginal_bucket(value: f64) -> usize {
    MARGINAL_EDGES.partition_point(|e| *e <= value)
}

/// One part of a cycle (early, middle, late) and how its marginal amounts spread.
#[derive(Debug, Clone, PartialEq)]
pub struct MarginalPart {
    /// `early`, `middle` or `late`.
    pub part: &'static str,
    /// First and last day, if the part has any.
    pub span: Option<(NaiveDate, NaiveDate)>,
    /// Days with a marginal amount.
    pub days: usize,
    /// Share of those days in each bucket of [`marginal_labels`].
    pub shares: Vec<f64>,
}

/// Where a cycle's FOMO days sit, by the study's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// FOMO days keep coming high in the rise.
    Optimistic,
    /// FOMO days concentrated in the middle of the rise.
    Neutral,
    /// FOMO days spent early and fading late.
    Pessimistic,
    /// No FOMO days.
    None,
}

impl Scenario {
    /// The name printed.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Optimistic => "optimistic",
            Scenario::Neutral => "neutral",
            Scenario::Pessimistic => "pessimistic",
            Scenario::None => "n/a (no FOMO days)",
        }
    }
}

/// The scenario rule's thresholds, shares of a cycle's FOMO days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScenarioRule {
    /// Optimistic when at least this share sits at 80% of the rise or more (0.33: bull5's
    /// 33.3% in 90-100%, bull2's over 39% in 80-100%).
    pub high_share: f64,
    /// Pessimistic when at least this share sits under 30% of the rise (0.33: bull1's 33.33%
    /// in 10-20% alone)...
    pub early_share: f64,
    /// ...and at most this share at 70% of the rise or more (0.10: bull1's 3.45% in 70-80%).
    pub late_share: f64,
}

impl Default for ScenarioRule {
    fn default() -> Self {
        ScenarioRule {
            high_share: 0.33,
            early_share: 0.33,
            late_share: 0.10,
        }
    }
}

/// A cycle's scenario and the shares it was decided on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScenarioCall {
    /// The scenario.
    pub scenario: Scenario,
    /// Share of FOMO days at 80% of the rise or more (the above-100% bucket included).
    pub high: f64,
    /// Share under 30% of the rise (the below-0% bucket included).
    pub early: f64,
    /// Share at 70% of the rise or more.
    pub late: f64,
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
    /// Share of the cycle's days in each phase, by label ([`PHASES`]).
    pub phase_shares: [f64; 5],
    /// The marginal amount's spread in the early, middle and late part.
    pub marginal: Vec<MarginalPart>,
    /// The study's scenario for the cycle.
    pub scenario: ScenarioCall,
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
            let fomo_days = members.iter().filter(|d| d.is_fomo()).count();
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

/// The scenario of a cycle from its gain buckets ([`gain_labels`] order: below 0%, ten tenths,
/// above 100%).
fn scenario(by_gain: &[Bucket], fomo_total: usize, rule: &ScenarioRule) -> ScenarioCall {
    let share = |range: std::ops::Range<usize>| {
        by_gain[range].iter().map(|b| b.fomo_days).sum::<usize>() as f64 / fomo_total as f64
    };
    // Buckets: 0 below 0%, 1 0-10%, ..., 3 20-30%, ..., 8 70-80%, 9 80-90%, 10 90-100%, 11 above.
    let (high, early, late) = (share(9..12), share(0..4), share(8..12));
    let scenario = if fomo_total == 0 {
        Scenario::None
    } else if high >= rule.high_share {
        Scenario::Optimistic
    } else if early >= rule.early_share && late <= rule.late_share {
        Scenario::Pessimistic
    } else {
        Scenario::Neutral
    };
    ScenarioCall {
        scenario,
        high,
        early,
        late,
    }
}

/// FOMO stretches with fewer FOMO days than this do not bound the middle of a cycle: a lone
/// FOMO day near the peak (bull1's 2007-10-12) would otherwise leave the late part two days
/// long.
pub const MIDDLE_MIN_FOMO_DAYS: usize = 2;

/// The marginal amount's spread over the early part (before the middle), the middle (from the
/// first to the last day of the FOMO stretches with at least [`MIDDLE_MIN_FOMO_DAYS`] FOMO
/// days, or of all stretches if none has that many) and the late part (after it).
fn marginal_parts(days: &[PhaseDay], stretches: &[Stretch]) -> Vec<MarginalPart> {
    let long: Vec<&Stretch> = stretches
        .iter()
        .filter(|s| s.fomo_days >= MIDDLE_MIN_FOMO_DAYS)
        .collect();
    let bounds = if long.is_empty() {
        stretches.first().zip(stretches.last())
    } else {
        long.first().copied().zip(long.last().copied())
    };
    let index = |date: NaiveDate| days.partition_point(|d| d.date < date);
    let ranges = match bounds {
        Some((first, last)) => {
            let (f, l) = (index(first.start), index(last.end));
            [(0, f), (f, l + 1), (l + 1, days.len())]
        }
        None => [(0, days.len()), (0, 0), (0, 0)],
    };
    ["early", "middle", "late"]
        .into_iter()
        .zip(ranges)
        .map(|(part, (from, to))| {
            let members = &days[from..to];
            let values: Vec<f64> = members
                .iter()
                .map(|d| d.marginal)
                .filter(|v| v.is_finite())
                .collect();
            let mut counts = vec![0usize; MARGINAL_EDGES.len() + 1];
            for v in &values {
                counts[marginal_bucket(*v)] += 1;
            }
            MarginalPart {
                part,
                span: members
                    .first()
                    .zip(members.last())
                    .map(|(a, b)| (a.date, b.date)),
                days: values.len(),
                shares: counts
                    .iter()
                    .map(|c| *c as f64 / values.len() as f64)
                    .collect(),
            }
        })
        .collect()
}

/// The tables of the cycle `days` (its first day the low, its last the peak).
pub fn phase_tables(
    window: &str,
    days: &[PhaseDay],
    stretch_gap: usize,
    rule: &ScenarioRule,
) -> PhaseTables {
    let n = days.len();
    let (low, high) = (days[0].close, days[n - 1].close);
    let fomo_total = days.iter().filter(|d| d.is_fomo()).count();
    let rise = high - low;
    let gain_of = |i: usize| gain_bucket((days[i].close - low) / rise);
    let time_of = |i: usize| tenth(i as f64 / (n - 1).max(1) as f64);
    let mut stretches: Vec<Stretch> = Vec::new();
    let mut current: Option<(usize, usize, usize)> = None;
    for i in (0..n).filter(|&i| days[i].is_fomo()) {
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
    let by_gain = buckets(days, gain_labels(), gain_of, fomo_total);
    let phase_shares: [f64; 5] = std::array::from_fn(|label| {
        days.iter().filter(|d| d.phase as usize == label).count() as f64 / n as f64
    });
    PhaseTables {
        window: window.into(),
        days: n,
        fomo_days: fomo_total,
        low_high: (low, high),
        scenario: scenario(&by_gain, fomo_total, rule),
        by_gain,
        by_time: buckets(days, tenths(), time_of, fomo_total),
        phase_shares,
        marginal: marginal_parts(days, &stretches),
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
        let shares: Vec<String> = PHASES
            .iter()
            .zip(t.phase_shares)
            .skip(1)
            .chain(PHASES.iter().zip(t.phase_shares).take(1))
            .map(|(name, share)| format!("{name} {:.1}%", share * 100.0))
            .collect();
        writeln!(out, "  days by phase: {}", shares.join(", "))?;
        let call = &t.scenario;
        writeln!(
            out,
            "  scenario: {} (FOMO days at 80% of the rise or more {:.1}%, under 30% {:.1}%, at 70% or more {:.1}%)",
            call.scenario.name(),
            call.high * 100.0,
            call.early * 100.0,
            call.late * 100.0
        )?;
        let labels = marginal_labels();
        writeln!(
            out,
            "  marginal amount  {}",
            labels
                .iter()
                .map(|l| format!("{l:>13}"))
                .collect::<String>()
        )?;
        for part in &t.marginal {
            let span = part
                .span
                .map_or("(no days)".to_string(), |(a, b)| format!("{a}..{b}"));
            let cells: String = if part.days == 0 {
                String::new()
            } else {
                part.shares
                    .iter()
                    .map(|s| format!("{:>12.1}%", s * 100.0))
                    .collect()
            };
            writeln!(out, "  {:<6} {:<22} {}", part.part, span, cells)?;
        }
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

/// Writes `phases_summary.csv`: per cycle the share of days in each phase and the scenario
/// with the shares it was decided on.
pub fn write_summary_csv(out: &mut dyn Write, tables: &[PhaseTables]) -> io::Result<()> {
    writeln!(
        out,
        "window,days,fomo_days,none,bottom_building,breakeven,fomo,profit_taking,scenario,fomo_share_high,fomo_share_early,fomo_share_late"
    )?;
    for t in tables {
        let s = t.phase_shares;
        let c = &t.scenario;
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{}",
            t.window,
            t.days,
            t.fomo_days,
            cell(s[0], 6),
            cell(s[1], 6),
            cell(s[2], 6),
            cell(s[3], 6),
            cell(s[4], 6),
            c.scenario.name(),
            cell(c.high, 6),
            cell(c.early, 6),
            cell(c.late, 6)
        )?;
    }
    Ok(())
}

/// Writes `phases_marginal.csv`: per cycle and part, the share of days in each
/// marginal-amount bucket.
pub fn write_marginal_csv(out: &mut dyn Write, tables: &[PhaseTables]) -> io::Result<()> {
    writeln!(out, "window,part,start,end,days,bucket,share")?;
    for t in tables {
        for part in &t.marginal {
            let (start, end) = part.span.map_or((String::new(), String::new()), |(a, b)| {
                (a.to_string(), b.to_string())
            });
            for (label, share) in marginal_labels().iter().zip(&part.shares) {
                writeln!(
                    out,
                    "{},{},{},{},{},{},{}",
                    t.window,
                    part.part,
                    start,
                    end,
                    part.days,
                    label,
                    cell(*share, 6)
                )?;
            }
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
            phase: if fomo { FOMO } else { 1 },
            marginal: 0.0625 * f64::from(i) - 0.25,
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
        let t = phase_tables("x", &days, 2, &ScenarioRule::default());
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
        // Phases: 4 of 11 days FOMO, the other 7 bottom building.
        assert_eq!(t.phase_shares[FOMO as usize], 4.0 / 11.0);
        assert_eq!(t.phase_shares[1], 7.0 / 11.0);
        // Scenario: FOMO days at 20%, 30%, 40% and 90% of the rise: 1 of 4 at 80% or more
        // (25% < 33%), 1 under 30% (25% < 33%): neutral.
        assert_eq!(t.scenario.scenario, Scenario::Neutral);
        assert_eq!(
            (t.scenario.high, t.scenario.early, t.scenario.late),
            (0.25, 0.25, 0.25)
        );
        // Parts: the middle is the stretch of days 2-4 (day 9 alone is too short a stretch to
        // bound it): early days 0-1, late days 5-10. Marginal amounts 0.0625 i - 0.25, exact
        // in binary: early -25% (bucket -30..-20%) and -18.75% (-20..-10%); middle -12.5%,
        // -6.25%, 0% (one each in -20..-10%, -10..0%, 0..10%); late 6.25%, 12.5%, 18.75%,
        // 25%, 31.25%, 37.5% (0..10%: 1, 10..20%: 2, 20..30%: 1, 30..50%: 2).
        let (early, middle, late) = (&t.marginal[0], &t.marginal[1], &t.marginal[2]);
        assert_eq!((early.days, middle.days, late.days), (2, 3, 6));
        assert_eq!(early.span, Some((days[0].date, days[1].date)));
        assert_eq!((early.shares[1], early.shares[2]), (0.5, 0.5));
        assert_eq!(
            middle.shares[2..5]
                .iter()
                .map(|s| s * 3.0)
                .collect::<Vec<_>>(),
            [1.0, 1.0, 1.0]
        );
        assert_eq!(
            late.shares[4..8]
                .iter()
                .map(|s| s * 6.0)
                .collect::<Vec<_>>(),
            [1.0, 2.0, 1.0, 2.0]
        );
    }

    #[test]
    fn the_scenario_follows_where_fomo_days_sit() {
        let rule = ScenarioRule::default();
        // Gain buckets as in gain_labels; FOMO days per bucket.
        let call = |fomo: [usize; 12]| {
            let total = fomo.iter().sum();
            let buckets: Vec<Bucket> = fomo
                .iter()
                .map(|f| Bucket {
                    label: String::new(),
                    days: 0,
                    fomo_days: *f,
                    fomo_share: f64::NAN,
                    average_amount: f64::NAN,
                    average_pe: f64::NAN,
                })
                .collect();
            scenario(&buckets, total, &rule).scenario
        };
        // bull5 in the study: a third of the FOMO days in 90-100%.
        assert_eq!(
            call([0, 0, 0, 2, 2, 2, 2, 2, 2, 0, 6, 0]),
            Scenario::Optimistic
        );
        // bull1: 33.33% in 10-20%, 3.45% in 70-80%, none higher.
        assert_eq!(
            call([0, 0, 29, 14, 12, 10, 9, 10, 3, 0, 0, 0]),
            Scenario::Pessimistic
        );
        // bull4: about 60% in 60-80%, 16% in 40-60%.
        assert_eq!(
            call([0, 0, 0, 5, 5, 4, 4, 30, 30, 7, 5, 0]),
            Scenario::Neutral
        );
        assert_eq!(call([0; 12]), Scenario::None);
    }
}
