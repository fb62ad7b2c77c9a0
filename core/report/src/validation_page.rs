//! `report.html` of `cyclebt validate --out`: the leave-one-cycle-out table, the walk-forward's
//! steps and its stitched out-of-sample curve against buy-and-hold, and the probability of
//! backtest overfitting with the histogram of its logits. In the comparison report's look; the
//! two charts are uPlot plots whose data the page parses when they scroll into view.

use std::fmt::Write as _;
use std::io::{self, Write};

use chrono::NaiveDate;
use serde::Serialize;

use crate::html::{
    Digits, Pool, data_block, escape, num, page_end, page_script, page_start, sampled,
};

/// One window left out: the candidate chosen on the others and how it did on it.
#[derive(Debug, Clone, PartialEq)]
pub struct LeftOut {
    /// The window left out.
    pub window: String,
    /// The candidate with the best mean metric on the other windows.
    pub chosen: String,
    /// That mean.
    pub in_sample: f64,
    /// The chosen candidate's metric on the window left out.
    pub out_of_sample: f64,
    /// Its rank there (1 best) among `ranked` candidates that ran.
    pub rank: usize,
    /// Candidates that ran in the window left out.
    pub ranked: usize,
    /// The best metric any candidate had on the window left out.
    pub best_out_of_sample: f64,
}

/// One walk-forward step.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkStep {
    /// First training day.
    pub train_start: NaiveDate,
    /// First test day.
    pub test_start: NaiveDate,
    /// Last test day.
    pub test_end: NaiveDate,
    /// The candidate with the best Sharpe ratio in training.
    pub chosen: String,
    /// Its annualised Sharpe ratio in training.
    pub in_sample: f64,
    /// Its annualised Sharpe ratio in the test.
    pub out_of_sample: f64,
}

/// The probability of backtest overfitting by CSCV.
#[derive(Debug, Clone, PartialEq)]
pub struct Overfitting {
    /// Blocks the days were cut into.
    pub blocks: usize,
    /// The share of splits whose in-sample best ranked below the median out of sample.
    pub pbo: f64,
    /// Per split, the logit of the in-sample best's relative rank out of sample.
    pub logits: Vec<f64>,
}

/// Everything the page shows.
pub struct ValidationPage<'a> {
    /// The strategy validated.
    pub strategy: &'a str,
    /// What was compared: combinations, sizing rules, candidates, the metric.
    pub candidates: &'a str,
    /// The metric leave-one-out chooses and scores by.
    pub metric: &'a str,
    /// The group of windows left out one at a time.
    pub over: &'a str,
    /// One row per window left out.
    pub left_out: &'a [LeftOut],
    /// Windows of the group where no candidate ran, left out of the leave-one-out.
    pub not_run: &'a [String],
    /// The window of the walk-forward, PBO and deflated Sharpe ratio.
    pub walk_window: &'a str,
    /// How the walk-forward trains and tests, in words.
    pub walk_setup: &'a str,
    /// Its steps.
    pub steps: &'a [WalkStep],
    /// The days of the stitched out-of-sample curve.
    pub curve_dates: &'a [NaiveDate],
    /// Growth of one yuan on those days, out of sample.
    pub curve: &'a [f64],
    /// Buy-and-hold's growth of one yuan on the same days.
    pub benchmark: &'a [f64],
    /// The curve's and buy-and-hold's metrics, in words (or why there is no curve).
    pub curve_note: &'a str,
    /// PBO, when computable.
    pub overfitting: Option<&'a Overfitting>,
    /// The deflated Sharpe ratio of the best candidate, in words.
    pub deflated_note: &'a str,
}

/// Logits per histogram bar: bars start at multiples of it, so zero is an edge and every bar
/// lies wholly on one side.
const LOGIT_BIN: f64 = 0.5;

/// Windows longer than this many trading days (three years) are drawn on a log scale.
const LOG_SCALE_DAYS: usize = 756;

/// A plot's data (`report.js` `drawPlot`).
#[derive(Serialize)]
struct PlotData {
    /// `time`: lines over dates; `bars`: bars over numbers.
    kind: &'static str,
    title: String,
    x: usize,
    log: bool,
    /// How the y axis reads: `gain` (growth as a return), `count`.
    axis: &'static str,
    series: Vec<PlotSeries>,
}

#[derive(Serialize)]
struct PlotSeries {
    name: String,
    data: usize,
    colour: &'static str,
}

/// The bars of a histogram of `values` (non-finite ones left out), `width` wide and starting at
/// multiples of it: (centres, counts below zero, counts at or above zero), a count of zero
/// drawn as no bar.
fn histogram(values: &[f64], width: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let bin = |v: f64| (v / width).floor() as i64;
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let (Some(low), Some(high)) = (
        finite.iter().map(|&v| bin(v)).min(),
        finite.iter().map(|&v| bin(v)).max(),
    ) else {
        return (Vec::new(), Vec::new(), Vec::new());
    };
    let mut counts = vec![0.0; (high - low + 1) as usize];
    for v in finite {
        counts[(bin(v) - low) as usize] += 1.0;
    }
    let centres: Vec<f64> = (low..=high).map(|b| (b as f64 + 0.5) * width).collect();
    let side = |below: bool| -> Vec<f64> {
        centres
            .iter()
            .zip(&counts)
            .map(|(c, n)| {
                if (*c < 0.0) == below && *n > 0.0 {
                    *n
                } else {
                    f64::NAN
                }
            })
            .collect()
    };
    let (below, above) = (side(true), side(false));
    (centres, below, above)
}

/// Writes the page.
pub fn write_validation_page(out: &mut dyn Write, page: &ValidationPage<'_>) -> io::Result<()> {
    let mut html = String::new();
    let title = format!("cyclebt validate: {}", page.strategy);
    page_start(&mut html, &title, &title);
    let _ = write!(
        html,
        "<p class=\"line\">{}</p><nav><a href=\"#loco\">leave one out</a> <a href=\"#walk\">walk-forward</a> <a href=\"#pbo\">overfitting</a></nav>",
        escape(page.candidates)
    );

    let _ = write!(
        html,
        "<h2 id=\"loco\">Leave one window out over {}</h2><p class=\"note\">For each window of the group: the candidate with the best mean {} on the other windows, that mean (in sample), its {} on the window left out (out of sample), its rank there among the candidates that ran, and the best any candidate had there. Click a column to sort.</p>",
        escape(page.over),
        escape(page.metric),
        escape(page.metric)
    );
    if !page.not_run.is_empty() {
        let _ = write!(
            html,
            "<p class=\"note\">Left out of the leave-one-out, no candidate ran there (n/a): {}.</p>",
            escape(&page.not_run.join(", "))
        );
    }
    if page.left_out.is_empty() {
        html.push_str(
            "<p class=\"note\">Not computable: fewer than two windows where a candidate ran.</p>",
        );
    } else {
        html.push_str("<table class=\"sortable\" id=\"loco-table\"><thead><tr><th>left out</th><th>chosen</th><th>in sample</th><th>out of sample</th><th>rank out of sample</th><th>best out of sample</th></tr></thead><tbody>");
        for row in page.left_out {
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} of {}</td><td>{}</td></tr>",
                escape(&row.window),
                escape(&row.chosen),
                num(row.in_sample, 3),
                num(row.out_of_sample, 3),
                row.rank,
                row.ranked,
                num(row.best_out_of_sample, 3)
            );
        }
        html.push_str("</tbody></table>");
    }

    let _ = write!(
        html,
        "<h2 id=\"walk\">Walk-forward over {}</h2><p class=\"note\">{} The candidate with the best Sharpe ratio in training is run in the test; the tests stitched together make the out-of-sample curve. {}</p>",
        escape(page.walk_window),
        escape(page.walk_setup),
        escape(page.curve_note)
    );
    if !page.curve_dates.is_empty() {
        let days = sampled(page.curve_dates.len());
        let mut pool = Pool::default();
        let plot = PlotData {
            kind: "time",
            title: format!(
                "stitched out-of-sample equity against buy-and-hold, as a return{}",
                if page.curve_dates.len() > LOG_SCALE_DAYS {
                    " (log scale)"
                } else {
                    ""
                }
            ),
            x: pool.dates(page.curve_dates, &days),
            log: page.curve_dates.len() > LOG_SCALE_DAYS,
            axis: "gain",
            series: vec![
                PlotSeries {
                    name: "buy-and-hold".into(),
                    data: pool.thinned(page.benchmark, &days, Digits::Significant),
                    colour: "#000",
                },
                PlotSeries {
                    name: "out of sample".into(),
                    data: pool.thinned(page.curve, &days, Digits::Significant),
                    colour: "#1f77b4",
                },
            ],
        };
        html.push_str("<section class=\"plot\" id=\"walk-curve\">");
        data_block(&mut html, &pool, &plot)?;
        html.push_str("<div class=\"charts\"></div></section>");
    }
    html.push_str("<table class=\"sortable\" id=\"walk-steps\"><thead><tr><th>train from</th><th>test from</th><th>test to</th><th>chosen</th><th>Sharpe in training</th><th>Sharpe in the test</th></tr></thead><tbody>");
    for step in page.steps {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            step.train_start,
            step.test_start,
            step.test_end,
            escape(&step.chosen),
            num(step.in_sample, 2),
            num(step.out_of_sample, 2)
        );
    }
    html.push_str("</tbody></table>");

    let _ = write!(
        html,
        "<h2 id=\"pbo\">Probability of backtest overfitting over {}</h2>",
        escape(page.walk_window)
    );
    match page.overfitting {
        Some(o) => {
            let _ = write!(
                html,
                "<p class=\"line\">PBO {:.2} (CSCV: {} blocks, {} splits)</p><p class=\"note\">Each split trains on half the blocks and tests on the other half; the logit of the in-sample best's relative rank out of sample is below 0 when it ranked below the median (red). PBO is the share of splits below 0 (Bailey, Borwein, Lopez de Prado and Zhu, 2017).</p>",
                o.pbo,
                o.blocks,
                o.logits.len()
            );
            let (centres, below, above) = histogram(&o.logits, LOGIT_BIN);
            let mut pool = Pool::default();
            let plot = PlotData {
                kind: "bars",
                title: format!(
                    "logits of the in-sample best's out-of-sample rank, bars {LOGIT_BIN} wide"
                ),
                x: pool.put(centres),
                log: false,
                axis: "count",
                series: vec![
                    PlotSeries {
                        name: "splits below the median".into(),
                        data: pool.put(below),
                        colour: "#d62728",
                    },
                    PlotSeries {
                        name: "splits at or above it".into(),
                        data: pool.put(above),
                        colour: "#2ca02c",
                    },
                ],
            };
            html.push_str("<section class=\"plot\" id=\"pbo-logits\">");
            data_block(&mut html, &pool, &plot)?;
            html.push_str("<div class=\"charts\"></div></section>");
        }
        None => html.push_str(
            "<p class=\"note\">Not computable: fewer than two candidates or too few days.</p>",
        ),
    }
    let _ = write!(html, "<p class=\"note\">{}</p>", escape(page.deflated_note));
    page_script(&mut html);
    page_end(&mut html, true);
    out.write_all(html.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_bars_start_at_multiples_of_their_width_and_split_at_zero() {
        // -0.7 and -0.2 in [-1, -0.5) and [-0.5, 0); 0.0 and 0.3 in [0, 0.5); 1.2 in [1, 1.5),
        // [0.5, 1) empty; infinity left out.
        let (centres, below, above) = histogram(&[-0.7, -0.2, 0.0, 0.3, 1.2, f64::INFINITY], 0.5);
        assert_eq!(centres, [-0.75, -0.25, 0.25, 0.75, 1.25]);
        let shown = |v: &[f64]| -> Vec<Option<f64>> {
            v.iter().map(|x| x.is_finite().then_some(*x)).collect()
        };
        assert_eq!(shown(&below), [Some(1.0), Some(1.0), None, None, None]);
        assert_eq!(shown(&above), [None, None, Some(2.0), None, Some(1.0)]);
        assert!(histogram(&[f64::NAN], 0.5).0.is_empty());
    }
}
