//! `report.html`: one self-contained page (no network) that a researcher reads top down.
//!
//! First the overview: the run id and the conventions one line each, then per group of
//! windows a strategy x window grid coloured by a metric chosen on the page (Sharpe ratio,
//! return, max drawdown), each cell linking to its window's charts, and the summary table
//! (filterable by window and strategy, sortable by any column). Then the across-cycles and
//! honest-comparison tables, the event study, the per-window charts and one tearsheet per
//! strategy x sizing rule (collapsed until opened), and the broker's forced sales.
//!
//! The charts are drawn in the browser by uPlot (MIT, embedded with its licence in
//! `assets/`): a canvas chart library of 50 kB that gives legend toggles, hover values, drag
//! zoom and log scales, which hand-written SVG does not. Each window section and tearsheet
//! carries its own series as a JSON script element, parsed only when the section scrolls into
//! view or is opened, so the page is ready after parsing its HTML however many runs it holds.
//! Days a plugin labels (the names it declares) are shaded on its strategy's charts; this
//! module knows no plugin by name.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use chrono::{Datelike, NaiveDate};
use cyclebt_metrics as metrics;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use crate::events::EventRow;
use crate::{Conventions, Summary};

/// One run's daily series for a window's charts.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartRun {
    /// `strategy / sizing`.
    pub label: String,
    /// Equity over the starting capital.
    pub growth: Vec<f64>,
    /// Drawdown from the running peak (negative).
    pub drawdown: Vec<f64>,
    /// Exposure at the close.
    pub exposure: Vec<f64>,
}

/// The days a plugin labels over a window, for shading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelTrack {
    /// The strategy whose plugin it is.
    pub strategy: String,
    /// The plugin's name.
    pub plugin: String,
    /// The names the plugin declares: entry `k - 1` names label `k`; an empty name is not
    /// shaded.
    pub names: Vec<String>,
    /// The label of each day of the window (0: none).
    pub labels: Vec<u32>,
}

/// Everything charted for one window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowCharts {
    /// Window id.
    pub window: String,
    /// Trading days.
    pub dates: Vec<NaiveDate>,
    /// Buy-and-hold's equity over its starting capital.
    pub benchmark: Vec<f64>,
    /// The runs.
    pub runs: Vec<ChartRun>,
    /// The days the strategies' plugins label.
    pub labels: Vec<LabelTrack>,
}

/// One closed or open trade, for a tearsheet's trade list.
#[derive(Debug, Clone, PartialEq)]
pub struct TradeRow {
    /// First fill.
    pub entry: NaiveDate,
    /// Average entry price.
    pub entry_price: f64,
    /// Closing fill; None while open.
    pub exit: Option<NaiveDate>,
    /// Average exit price (NaN while open).
    pub exit_price: f64,
    /// Net return on the money put in, fees and interest included (NaN while open).
    pub net_return: f64,
    /// Commission and stamp duty, yuan.
    pub fees: Decimal,
    /// Interest, yuan.
    pub interest: Decimal,
    /// Closed by the broker's forced sale.
    pub forced: bool,
}

/// One strategy x sizing rule over one window (the longest it ran), quantstats-style.
#[derive(Debug, Clone, PartialEq)]
pub struct Tearsheet {
    /// `strategy / sizing`.
    pub run: String,
    /// The window.
    pub window: String,
    /// Trading days.
    pub dates: Vec<NaiveDate>,
    /// Equity over the starting capital.
    pub growth: Vec<f64>,
    /// The benchmark's equity over its starting capital, on the same days.
    pub benchmark: Vec<f64>,
    /// Exposure at the close.
    pub exposure: Vec<f64>,
    /// Debt over equity at the close.
    pub debt: Vec<f64>,
    /// The index close.
    pub close: Vec<f64>,
    /// Trades.
    pub trades: Vec<TradeRow>,
    /// Days of the broker's forced sales.
    pub forced: Vec<NaiveDate>,
    /// The days the strategy's plugins label.
    pub labels: Vec<LabelTrack>,
}

/// A table of values coloured by size: the overview's strategy x window grids, a sweep's metric
/// over a pair of parameters. Several layers (metrics) can
/// be switched on the page.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatTable {
    /// Heading.
    pub title: String,
    /// What the rows are (`strategy / sizing`, `year`, a parameter).
    pub rows_name: String,
    /// Row labels.
    pub rows: Vec<String>,
    /// Column labels.
    pub columns: Vec<String>,
    /// The metrics, the first shown first.
    pub layers: Vec<HeatLayer>,
    /// Link of each cell, row-major; empty for none.
    pub links: Vec<Option<String>>,
    /// How values become colours.
    pub shading: Shading,
}

/// How a [`HeatTable`]'s colours are scaled, each layer on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shading {
    /// Green at and above zero, red below, darker the larger the value against the layer's
    /// largest magnitude: where the sign matters (strategies' returns and Sharpe ratios).
    AroundZero,
    /// Five greens from the layer's lowest value (white) to its highest: where the order
    /// matters (a sweep's metric across parameter values, all of one sign).
    LowToHigh,
}

/// One metric of a [`HeatTable`].
#[derive(Debug, Clone, PartialEq)]
pub struct HeatLayer {
    /// Its name, for the switch.
    pub metric: String,
    /// Row-major values; NaN for none.
    pub values: Vec<f64>,
    /// Shown in percent (else with two decimals).
    pub percent: bool,
}

/// A broker's forced sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForcedSale {
    /// Window id.
    pub window: String,
    /// `strategy / sizing`.
    pub run: String,
    /// Day of the sale.
    pub date: NaiveDate,
    /// Units sold.
    pub units: Decimal,
    /// Proceeds, yuan.
    pub value: Decimal,
    /// Debt repaid, yuan.
    pub repaid: Decimal,
}

/// The deflated Sharpe ratio of the best configuration in a window.
#[derive(Debug, Clone, PartialEq)]
pub struct Deflated {
    /// Window id.
    pub window: String,
    /// Configurations compared (strategy x sizing rule, buy-and-hold included).
    pub trials: usize,
    /// The best one by Sharpe ratio.
    pub best: String,
    /// Its annualised Sharpe ratio.
    pub sharpe: f64,
    /// Probability that its true Sharpe ratio is above zero after deflation.
    pub dsr: f64,
}

/// The page's content besides the summary rows.
pub struct HtmlReport<'a> {
    /// Summary rows, in table order.
    pub rows: &'a [Summary],
    /// Bootstrap interval of each row's Sharpe ratio (NaN for n/a rows).
    pub sharpe_intervals: &'a [(f64, f64)],
    /// Charts per window.
    pub windows: &'a [WindowCharts],
    /// One tearsheet per strategy x sizing rule.
    pub tearsheets: &'a [Tearsheet],
    /// The group of each grouped window, as (window id, group): the across-cycles table
    /// aggregates each group on its own and leaves ungrouped windows (the full history) out.
    pub window_groups: &'a [(String, String)],
    /// Forced sales.
    pub forced: &'a [ForcedSale],
    /// Deflated Sharpe ratios.
    pub deflated: &'a [Deflated],
    /// Metric conventions.
    pub conventions: &'a Conventions,
    /// How the intervals were drawn, for the page.
    pub bootstrap_note: String,
    /// The comparison's run id (`run.json`).
    pub run_id: &'a str,
    /// The rule changes of `datasets/margin_rules.toml` and `datasets/stamp_duty.toml` on the
    /// comparison's first dataset (`cyclebt events`), with the paragraph saying what they
    /// measure; empty when the dataset has no margin series.
    pub events: &'a [EventRow],
    /// What the event table measures.
    pub events_note: String,
    /// Why some plugin's labels are not shaded.
    pub label_notes: &'a [String],
}

/// The start of a page in the report's look (shared by the comparison, sweep and validation
/// pages): its title, the styles and the heading.
pub(crate) fn page_start(page: &mut String, title: &str, heading: &str) {
    let _ = write!(
        page,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>{UPLOT_STYLE}{STYLE}</style></head><body><h1>{}</h1>",
        escape(title),
        escape(heading)
    );
}

/// The page's script: table sorting, the overview's switch and the charts, hooked up once the
/// whole document is parsed, so it may come before what it serves. The comparison page puts
/// it right after its overview; the other pages just before [`page_end`].
pub(crate) fn page_script(page: &mut String) {
    let _ = write!(page, "<script>{SCRIPT}</script>");
}

/// The end of a page: uPlot when the page draws charts (the script, above, uses it only once
/// the document is complete).
pub(crate) fn page_end(page: &mut String, charts: bool) {
    if charts {
        let _ = write!(page, "<script>{UPLOT}</script>");
    }
    page.push_str("</body></html>");
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(crate) fn num(value: f64, decimals: usize) -> String {
    if value.is_finite() {
        format!("{value:.decimals$}")
    } else {
        "n/a".into()
    }
}

use crate::percent as pct;

const STYLE: &str = include_str!("../assets/report.css");
const UPLOT_STYLE: &str = include_str!("../assets/uPlot.min.css");
const UPLOT: &str = include_str!("../assets/uPlot.iife.min.js");
const SCRIPT: &str = include_str!("../assets/report.js");

/// Days in the rolling Sharpe ratio and volatility of a tearsheet: six months of trading.
pub const ROLLING_DAYS: usize = 126;

/// Windows longer than this many trading days (three years) are drawn on a log scale.
const LOG_SCALE_DAYS: usize = 756;

/// Points drawn per line at most: a chart 1,100 pixels wide shows no more, and the page of
/// the shipped strategies stays small.
const MAX_POINTS: usize = 450;

/// An HTML id from free text: letters and digits kept, anything else a dash.
fn anchor(prefix: &str, text: &str) -> String {
    let body: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{prefix}-{body}")
}

/// Writes the page.
pub fn write_html(out: &mut dyn Write, report: &HtmlReport<'_>) -> io::Result<()> {
    let mut page = String::new();
    page_start(
        &mut page,
        "cyclebt comparison",
        "cyclebt: strategies and sizing rules over the bull cycles",
    );
    let _ = write!(
        page,
        "<p class=\"line\">Run id <code>{}</code> (run.json)</p>\
         <p class=\"line\" title=\"{}\">{}</p>\
         <nav><a href=\"#overview\">overview</a> <a href=\"#summary-section\">summary</a> <a href=\"#aggregate-section\">across the cycles</a> \
         <a href=\"#windows\">window charts</a> <a href=\"#tearsheets\">tearsheets</a> <a href=\"#forced-section\">forced sales</a></nav>",
        escape(report.run_id),
        escape(&report.conventions.describe()),
        escape(&one_line(&report.conventions.describe()))
    );
    overview(&mut page, report);
    // The page's script right after the overview (the first screen): the overview works as
    // soon as it is read, and the tables, window charts and tearsheets below (most of the
    // page's bytes) are hooked up when the document is complete (uPlot, at the end, has run by
    // then), each chart drawn when scrolled to or opened.
    page_script(&mut page);
    summary_table(&mut page, report);
    aggregate_table(&mut page, report.rows, report.window_groups);
    deflated_table(&mut page, report.deflated);
    events_table(&mut page, report.events, &report.events_note);
    page.push_str("<h2 id=\"windows\">Windows</h2><p class=\"note\">Per window, equity over the starting capital against buy-and-hold (black), the drawdown and the exposure. Shown at first: each strategy's first sizing rule (seven runs at most). Click a legend entry to show or hide a run (at most 8 colours at once: showing another hides the one shown longest); hover for the date and values; drag across a chart to zoom into the dates, double-click to zoom out. Windows over three years are on a log scale. Where a line has fewer points than the window has days (at most 450), a drawdown point is the deepest of the days it stands for and an exposure point their mean. Shaded: the days a strategy's plugin labels (choose the strategy).</p>");
    if !report.label_notes.is_empty() {
        let _ = write!(
            page,
            "<p class=\"note\">{}</p>",
            report
                .label_notes
                .iter()
                .map(|n| escape(n))
                .collect::<Vec<_>>()
                .join("<br>")
        );
    }
    for window in report.windows {
        window_section(&mut page, window)?;
    }
    page.push_str("<h2 id=\"tearsheets\">Tearsheets</h2><p class=\"note\">One per strategy and sizing rule, over the longest window it ran (click to open).</p>");
    for sheet in report.tearsheets {
        tearsheet(&mut page, sheet, report.conventions)?;
    }
    forced_table(&mut page, report.forced);
    page_end(&mut page, true);
    out.write_all(page.as_bytes())
}

/// The first sentence of a paragraph, for a one-line summary (the whole text is its title).
fn one_line(text: &str) -> String {
    match text.find("; ") {
        Some(end) => format!("{} (hover for all)", &text[..end]),
        None => text.to_string(),
    }
}

/// The overview: per group of windows, every strategy x sizing rule against every window.
fn overview(page: &mut String, report: &HtmlReport<'_>) {
    page.push_str("<h2 id=\"overview\">Overview</h2><p class=\"note\">Colour by <select id=\"metric\"><option value=\"0\">Sharpe ratio</option><option value=\"1\">total return</option><option value=\"2\">max drawdown</option></select> \
        Green is better, red worse, each grid scaled to its own largest value; a cell opens its window's charts. n/a: the strategy does not apply to the window (its reason is in the summary's notes).</p>");
    let mut groups: Vec<String> = Vec::new();
    let group_of = |window: &str| {
        report
            .window_groups
            .iter()
            .find(|(id, _)| id == window)
            .map_or("other windows", |(_, g)| g.as_str())
            .to_string()
    };
    for row in report.rows {
        let group = group_of(&row.window);
        if !groups.contains(&group) {
            groups.push(group);
        }
    }
    for group in groups {
        let mut windows: Vec<&str> = Vec::new();
        let mut runs: Vec<String> = Vec::new();
        for row in report.rows.iter().filter(|r| group_of(&r.window) == group) {
            if !windows.contains(&row.window.as_str()) {
                windows.push(&row.window);
            }
            let run = format!("{} / {}", row.strategy, row.sizing);
            if !runs.contains(&run) {
                runs.push(run);
            }
        }
        let cell = |run: &str, window: &str| {
            report
                .rows
                .iter()
                .find(|r| r.window == window && format!("{} / {}", r.strategy, r.sizing) == run)
        };
        let layer = |metric: &str, percent: bool, value: &dyn Fn(&Summary) -> f64| HeatLayer {
            metric: metric.into(),
            values: runs
                .iter()
                .flat_map(|run| windows.iter().map(move |w| (run, w)))
                .map(|(run, w)| cell(run, w).map_or(f64::NAN, value))
                .collect(),
            percent,
        };
        let map = HeatTable {
            title: group.clone(),
            rows_name: "strategy / sizing".into(),
            rows: runs.clone(),
            columns: windows.iter().map(|w| w.to_string()).collect(),
            layers: vec![
                layer("Sharpe ratio", false, &|r| {
                    r.metrics().map_or(f64::NAN, |m| m.sharpe)
                }),
                layer("total return", true, &|r| {
                    r.metrics().map_or(f64::NAN, |m| m.total_return)
                }),
                layer("max drawdown", true, &|r| {
                    r.metrics().map_or(f64::NAN, |m| m.max_drawdown)
                }),
            ],
            links: runs
                .iter()
                .flat_map(|_| {
                    windows
                        .iter()
                        .map(|w| Some(format!("#{}", anchor("win", w))))
                })
                .collect(),
            shading: Shading::AroundZero,
        };
        heat_map(page, &map, "grid");
    }
}

/// The colour class of a value (report.css) in a layer whose finite values run from `low` to
/// `high`: `g0` to `g5` green, `r1` to `r5` red (below zero, [`Shading::AroundZero`]); `na` for
/// none.
fn heat_class(value: f64, (low, high): (f64, f64), shading: Shading) -> String {
    if !value.is_finite() {
        return "na".into();
    }
    let step = |share: f64| (share * 5.0).round().clamp(0.0, 5.0) as u8;
    match shading {
        Shading::AroundZero => {
            let scale = low.abs().max(high.abs());
            let step = if scale > 0.0 {
                step(value.abs() / scale)
            } else {
                0
            };
            match (value >= 0.0, step) {
                (true, _) | (false, 0) => format!("g{step}"),
                (false, _) => format!("r{step}"),
            }
        }
        Shading::LowToHigh if high > low => format!("g{}", step((value - low) / (high - low))),
        Shading::LowToHigh => "g0".into(),
    }
}

fn heat_text(value: f64, percent: bool) -> String {
    if !value.is_finite() {
        "n/a".into()
    } else if percent {
        format!("{:.1}%", value * 100.0)
    } else {
        format!("{value:.2}")
    }
}

/// A heat map table; each cell carries every layer's text and colour for the metric switch.
pub(crate) fn heat_map(page: &mut String, map: &HeatTable, class: &str) {
    let _ = write!(
        page,
        "<h3>{}</h3><table class=\"heat {class}\"><thead><tr><th>{}</th>",
        escape(&map.title),
        escape(&map.rows_name)
    );
    for column in &map.columns {
        let _ = write!(page, "<th>{}</th>", escape(column));
    }
    page.push_str("</tr></thead><tbody>");
    let ranges: Vec<(f64, f64)> = map
        .layers
        .iter()
        .map(|l| {
            l.values
                .iter()
                .filter(|v| v.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), &v| {
                    (low.min(v), high.max(v))
                })
        })
        .collect();
    for (r, row) in map.rows.iter().enumerate() {
        let _ = write!(page, "<tr><th>{}</th>", escape(row));
        for c in 0..map.columns.len() {
            let i = r * map.columns.len() + c;
            // Every layer's text and colour, for the metric switch, when there is a choice.
            let mut attributes = String::new();
            for (k, (layer, range)) in map.layers.iter().zip(&ranges).enumerate() {
                if map.layers.len() > 1 {
                    let _ = write!(
                        attributes,
                        " data-t{k}=\"{}\" data-c{k}=\"{}\"",
                        heat_text(layer.values[i], layer.percent),
                        heat_class(layer.values[i], *range, map.shading)
                    );
                }
            }
            let first = &map.layers[0];
            let text = heat_text(first.values[i], first.percent);
            let content = match map.links.get(i).and_then(|l| l.as_ref()) {
                Some(link) => format!("<a href=\"{}\">{text}</a>", escape(link)),
                None => text,
            };
            let _ = write!(
                page,
                "<td class=\"{}\"{attributes}>{content}</td>",
                heat_class(first.values[i], ranges[0], map.shading)
            );
        }
        page.push_str("</tr>");
    }
    page.push_str("</tbody></table>");
}

/// The charts' data: every series a JSON array in `pool`, stored once however many charts
/// draw it (a window's buy-and-hold, a run's curves again in its tearsheet, one strategy's
/// labels under each sizing rule), and referred to by its index.
#[derive(Default)]
pub(crate) struct Pool {
    arrays: Vec<String>,
    index: HashMap<String, usize>,
}

impl Pool {
    pub(crate) fn put(&mut self, values: impl IntoIterator<Item = f64>) -> usize {
        let mut text = String::from("[");
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            if v.is_finite() {
                let _ = write!(text, "{v}");
            } else {
                text.push_str("null");
            }
        }
        text.push(']');
        let next = self.arrays.len();
        match self.index.get(&text) {
            Some(&at) => at,
            None => {
                self.index.insert(text.clone(), next);
                self.arrays.push(text);
                next
            }
        }
    }

    /// The pool as a JSON array, safe inside a script element.
    fn json(&self) -> String {
        format!("[{}]", self.arrays.join(","))
    }

    /// Series at the drawn days, rounded.
    pub(crate) fn thinned(&mut self, values: &[f64], days: &[usize], digits: Digits) -> usize {
        self.put(days.iter().map(|&i| digits.round(values[i])))
    }

    /// A drawdown series at the drawn days in thousandths, each point the deepest of the days
    /// up to the next one, so thinning never hides a trough.
    fn deepest(&mut self, values: &[f64], days: &[usize]) -> usize {
        let deepest = days.iter().enumerate().map(|(k, &i)| {
            let end = days.get(k + 1).copied().unwrap_or(values.len()).max(i + 1);
            let low = values[i..end]
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .fold(f64::INFINITY, f64::min);
            // In thousandths, as integers: the page's largest series is the shortest so.
            (Digits::Decimals.round(low) * 1000.0).round()
        });
        self.put(deepest.collect::<Vec<_>>())
    }

    /// An exposure series at the drawn days, each point the mean of the days up to the next
    /// one (a day without a value left out): the share of the stretch spent invested, which a
    /// sample of every k-th day of a strategy that trades often would alias into noise.
    fn averaged(&mut self, values: &[f64], days: &[usize]) -> usize {
        let means = days.iter().enumerate().map(|(k, &i)| {
            let end = days.get(k + 1).copied().unwrap_or(values.len()).max(i + 1);
            let (sum, count) = values[i..end]
                .iter()
                .filter(|v| v.is_finite())
                .fold((0.0, 0), |(sum, count), v| (sum + v, count + 1));
            if count == 0 {
                f64::NAN
            } else {
                Digits::Decimals.round(sum / f64::from(count))
            }
        });
        self.put(means.collect::<Vec<_>>())
    }

    /// The drawn days as the first one (yyyymmdd) followed by the calendar days from each to
    /// the next: a few digits a point instead of eight.
    pub(crate) fn dates(&mut self, dates: &[NaiveDate], days: &[usize]) -> usize {
        let first = days.first().map(|&i| f64::from(yyyymmdd(dates[i])));
        let steps = days
            .windows(2)
            .map(|pair| (dates[pair[1]] - dates[pair[0]]).num_days() as f64);
        self.put(first.into_iter().chain(steps))
    }
}

/// How a series is rounded for drawing: finer than a chart shows, coarse enough to keep the
/// page small.
#[derive(Clone, Copy)]
pub(crate) enum Digits {
    /// Three significant digits (levels: growth, the index).
    Significant,
    /// Three decimals (fractions: drawdown, exposure, a tenth of a percent).
    Decimals,
}

impl Digits {
    fn round(self, value: f64) -> f64 {
        if !value.is_finite() || value == 0.0 {
            return value;
        }
        let digits = match self {
            Digits::Significant => 2 - value.abs().log10().floor() as i32,
            Digits::Decimals => 3,
        };
        let scale = 10f64.powi(digits);
        (value * scale).round() / scale
    }
}

#[derive(Serialize)]
struct WindowData {
    /// Dates drawn, as yyyymmdd.
    x: usize,
    log: bool,
    bench: usize,
    bench_dd: usize,
    runs: Vec<RunData>,
    labels: Vec<TrackData>,
}

#[derive(Serialize)]
struct RunData {
    name: String,
    growth: usize,
    dd: usize,
    exp: usize,
}

#[derive(Serialize)]
struct TrackData {
    strategy: String,
    plugin: String,
    names: Vec<String>,
    /// Stretches of one label as (label, first date, last date) triples, dates as yyyymmdd.
    spans: usize,
}

#[derive(Serialize)]
struct SheetData {
    x: usize,
    log: bool,
    growth: usize,
    bench: usize,
    dd: usize,
    exp: usize,
    debt: usize,
    close: usize,
    sharpe: usize,
    vol: usize,
    /// Trade marks as triples (yyyymmdd, kind: 0 entry, 1 exit, 2 forced sale, the close).
    marks: usize,
    labels: Vec<TrackData>,
    tables: SheetTables,
}

fn yyyymmdd(date: NaiveDate) -> u32 {
    date.year() as u32 * 10_000 + date.month() * 100 + date.day()
}

/// The days drawn for a series of `n`: every k-th and the last, k = ceil((n - 1) /
/// (MAX_POINTS - 1)) so that the steps from the first day to the last take at most
/// MAX_POINTS - 1 of them, the last day included.
pub(crate) fn sampled(n: usize) -> Vec<usize> {
    let step = n.saturating_sub(1).div_ceil(MAX_POINTS - 1).max(1);
    (0..n)
        .step_by(step)
        .chain((n > 0 && !(n - 1).is_multiple_of(step)).then(|| n - 1))
        .collect()
}

/// Runs of one non-zero named label as (label, first day, last day).
fn spans(track: &LabelTrack, dates: &[NaiveDate]) -> Vec<f64> {
    let named = |label: u32| {
        label > 0
            && track
                .names
                .get(label as usize - 1)
                .is_some_and(|n| !n.is_empty())
    };
    let mut out: Vec<(u32, usize, usize)> = Vec::new();
    for (i, &label) in track.labels.iter().enumerate().filter(|(_, l)| named(**l)) {
        match out.last_mut() {
            Some((l, _, last)) if *l == label && *last + 1 == i => *last = i,
            _ => out.push((label, i, i)),
        }
    }
    out.into_iter()
        .flat_map(|(l, a, b)| [l, yyyymmdd(dates[a]), yyyymmdd(dates[b])])
        .map(f64::from)
        .collect()
}

fn tracks(pool: &mut Pool, tracks: &[LabelTrack], dates: &[NaiveDate]) -> Vec<TrackData> {
    tracks
        .iter()
        .map(|t| TrackData {
            strategy: t.strategy.clone(),
            plugin: t.plugin.clone(),
            names: t.names.clone(),
            spans: pool.put(spans(t, dates)),
        })
        .collect()
}

fn window_data(pool: &mut Pool, w: &WindowCharts) -> WindowData {
    let days = sampled(w.dates.len());
    WindowData {
        x: pool.dates(&w.dates, &days),
        log: w.dates.len() > LOG_SCALE_DAYS,
        bench: pool.thinned(&w.benchmark, &days, Digits::Significant),
        bench_dd: pool.deepest(&metrics::drawdowns(&w.benchmark), &days),
        runs: w
            .runs
            .iter()
            .map(|r| RunData {
                name: r.label.clone(),
                growth: pool.thinned(&r.growth, &days, Digits::Significant),
                dd: pool.deepest(&r.drawdown, &days),
                exp: pool.averaged(&r.exposure, &days),
            })
            .collect(),
        labels: tracks(pool, &w.labels, &w.dates),
    }
}

fn sheet_data(pool: &mut Pool, t: &Tearsheet, conventions: &Conventions) -> SheetData {
    let days = sampled(t.dates.len());
    let (sharpe, vol) = rolling(t, conventions);
    let close_on = |date: NaiveDate| {
        t.dates
            .binary_search(&date)
            .map_or(f64::NAN, |i| Digits::Significant.round(t.close[i]))
    };
    let mut marks: Vec<f64> = Vec::new();
    for trade in &t.trades {
        marks.extend([f64::from(yyyymmdd(trade.entry)), 0.0, close_on(trade.entry)]);
        if let Some(exit) = trade.exit.filter(|_| !trade.forced) {
            marks.extend([f64::from(yyyymmdd(exit)), 1.0, close_on(exit)]);
        }
    }
    for &date in &t.forced {
        marks.extend([f64::from(yyyymmdd(date)), 2.0, close_on(date)]);
    }
    SheetData {
        x: pool.dates(&t.dates, &days),
        log: t.dates.len() > LOG_SCALE_DAYS,
        growth: pool.thinned(&t.growth, &days, Digits::Significant),
        bench: pool.thinned(&t.benchmark, &days, Digits::Significant),
        dd: pool.deepest(&metrics::drawdowns(&t.growth), &days),
        exp: pool.averaged(&t.exposure, &days),
        debt: pool.thinned(&t.debt, &days, Digits::Decimals),
        close: pool.thinned(&t.close, &days, Digits::Significant),
        sharpe: pool.thinned(&sharpe, &days, Digits::Decimals),
        vol: pool.thinned(&vol, &days, Digits::Decimals),
        marks: pool.put(marks),
        labels: tracks(pool, &t.labels, &t.dates),
        tables: sheet_tables(pool, t),
    }
}

/// Rolling Sharpe ratio and volatility of a tearsheet's daily returns, one per day (NaN on the
/// first day and before a full window).
fn rolling(t: &Tearsheet, conventions: &Conventions) -> (Vec<f64>, Vec<f64>) {
    let ppy = conventions.periods_per_year;
    let rf = metrics::per_period_rate(conventions.risk_free_annual, ppy);
    let returns = metrics::simple_returns(&t.growth);
    let lead = |mut v: Vec<f64>| {
        v.insert(0, f64::NAN);
        v
    };
    (
        lead(metrics::rolling_sharpe(&returns, ROLLING_DAYS, rf, ppy)),
        lead(metrics::rolling_volatility(&returns, ROLLING_DAYS, ppy)),
    )
}

/// A section's chart data, as a script element the page parses only when it draws the section
/// (scrolled into view, opened): the page is ready without reading any of it.
pub(crate) fn data_block(
    page: &mut String,
    pool: &Pool,
    fields: &impl Serialize,
) -> io::Result<()> {
    // An object's members after its brace, the pool spliced in before them; `</` escaped so
    // that no name closes the script element.
    let fields = serde_json::to_string(fields)
        .map_err(io::Error::other)?
        .replace("</", "<\\/");
    let _ = write!(
        page,
        "<script type=\"application/json\" class=\"data\">{{\"pool\":{},{}</script>",
        pool.json(),
        &fields[1..]
    );
    Ok(())
}

fn window_section(page: &mut String, w: &WindowCharts) -> io::Result<()> {
    let _ = write!(
        page,
        "<section class=\"window\" id=\"{}\"><h3>{} ({} to {})</h3>",
        anchor("win", &w.window),
        escape(&w.window),
        w.dates[0],
        w.dates[w.dates.len() - 1]
    );
    if !w.labels.is_empty() {
        page.push_str("<p class=\"note\">Shade the days labelled by <select class=\"shade\"><option value=\"-1\">nothing</option>");
        for (i, t) in w.labels.iter().enumerate() {
            let _ = write!(
                page,
                "<option value=\"{i}\"{}>{} ({})</option>",
                if i == 0 { " selected" } else { "" },
                escape(&t.plugin),
                escape(&t.strategy)
            );
        }
        page.push_str("</select> <span class=\"keys\"></span></p>");
    }
    let mut pool = Pool::default();
    let data = window_data(&mut pool, w);
    data_block(page, &pool, &data)?;
    page.push_str("<div class=\"charts\"></div></section>");
    Ok(())
}

/// Returns over calendar periods: the equity at each period's last day over the one before
/// (the first period from the first day), as (period, return).
fn period_returns<K: PartialEq + Copy>(
    dates: &[NaiveDate],
    values: &[f64],
    period: impl Fn(NaiveDate) -> K,
) -> Vec<(K, f64)> {
    let mut out: Vec<(K, f64)> = Vec::new();
    let mut base = values[0];
    for i in 0..dates.len() {
        let key = period(dates[i]);
        let last_of_period = i + 1 == dates.len() || period(dates[i + 1]) != key;
        if last_of_period {
            out.push((key, values[i] / base - 1.0));
            base = values[i];
        }
    }
    out
}

fn tearsheet(page: &mut String, t: &Tearsheet, conventions: &Conventions) -> io::Result<()> {
    // The charts and tables are drawn from the section's data when the tearsheet is opened.
    let _ = write!(
        page,
        "<details class=\"sheet\" id=\"{}\"><summary>{} <span class=\"note\">{} ({} to {}), {} trades</span></summary>\
         <div class=\"charts\"></div><p class=\"note\">Index: ▲ entries, ▼ exits, ✕ forced sales. Rolling: {ROLLING_DAYS} trading days (six months), Sharpe ratio left axis (cut at ±5, hover for the value; none where the returns do not move), annualised volatility right; conventions as above. Monthly returns: green up, red down, at full colour from the 90th percentile of the months' sizes.</p>\
         <div class=\"tables\"></div>",
        anchor("sheet", &t.run),
        escape(&t.run),
        escape(&t.window),
        t.dates[0],
        t.dates[t.dates.len() - 1],
        t.trades.len()
    );
    let mut pool = Pool::default();
    let data = sheet_data(&mut pool, t, conventions);
    data_block(page, &pool, &data)?;
    page.push_str("</details>");
    Ok(())
}

/// A tearsheet's tables as numbers: monthly and yearly returns, the worst drawdowns, trades.
#[derive(Serialize)]
struct SheetTables {
    /// The years, one row each of `months`.
    years: Vec<i32>,
    /// Per year, the return of each month (null outside the window) and of the year.
    months: usize,
    /// Buy-and-hold's return of each year.
    bench_years: usize,
    /// The five worst drawdowns as (peak, trough, recovery or 0, depth, trading days, still
    /// under water: 1).
    drawdowns: Vec<(u32, u32, u32, f64, usize, u8)>,
    trades: Vec<TradeCells>,
}

/// A trade as (entry, entry price, exit or 0, exit price, net return, fees, interest, closed by
/// the broker: 1), a JSON array for the page's trade list.
type TradeCells = (u32, f64, u32, f64, f64, f64, f64, u8);

fn sheet_tables(pool: &mut Pool, t: &Tearsheet) -> SheetTables {
    let months = period_returns(&t.dates, &t.growth, |d| (d.year(), d.month()));
    let years = period_returns(&t.dates, &t.growth, |d| d.year());
    let bench_years = period_returns(&t.dates, &t.benchmark, |d| d.year());
    let year_list: Vec<i32> = years.iter().map(|(y, _)| *y).collect();
    let mut grid = vec![f64::NAN; year_list.len() * 13];
    for ((year, month), r) in &months {
        if let Some(row) = year_list.iter().position(|y| y == year) {
            grid[row * 13 + *month as usize - 1] = *r;
        }
    }
    for (row, (_, r)) in years.iter().enumerate() {
        grid[row * 13 + 12] = *r;
    }
    let fraction = |v: f64| (v * 1e4).round() / 1e4;
    let money = |d: Decimal| d.round_dp(2).to_f64().unwrap_or(f64::NAN);
    let cents = |v: f64| (v * 100.0).round() / 100.0;
    let last = t.dates.len() - 1;
    SheetTables {
        years: year_list,
        months: pool.put(grid.into_iter().map(fraction)),
        bench_years: pool.put(bench_years.iter().map(|(_, r)| fraction(*r))),
        drawdowns: metrics::worst_drawdowns(&t.growth, 5)
            .into_iter()
            .map(|d| {
                (
                    yyyymmdd(t.dates[d.peak]),
                    yyyymmdd(t.dates[d.trough]),
                    d.recovery.map_or(0, |i| yyyymmdd(t.dates[i])),
                    fraction(d.depth),
                    d.recovery.unwrap_or(last) - d.peak,
                    u8::from(d.recovery.is_none()),
                )
            })
            .collect(),
        trades: t
            .trades
            .iter()
            .map(|trade| {
                (
                    yyyymmdd(trade.entry),
                    cents(trade.entry_price),
                    trade.exit.map_or(0, yyyymmdd),
                    cents(trade.exit_price),
                    fraction(trade.net_return),
                    money(trade.fees),
                    money(trade.interest),
                    u8::from(trade.forced),
                )
            })
            .collect(),
    }
}

fn summary_table(page: &mut String, report: &HtmlReport<'_>) {
    let _ = write!(
        page,
        "<h2 id=\"summary-section\">Summary</h2><p class=\"note\">Click a column to sort. {}</p>\
         <p class=\"filters\">Window <select id=\"filter-window\"><option value=\"\">all</option>{}</select> \
         strategy <input id=\"filter-strategy\" placeholder=\"part of a name\"></p><div class=\"later\"><table class=\"sortable\" id=\"summary\"><thead><tr>",
        escape(&report.bootstrap_note),
        window_options(report.rows)
    );
    let headers = [
        "window",
        "strategy",
        "sizing",
        "days",
        "return",
        "CAGR",
        "vol",
        "Sharpe",
        "Sharpe 95% CI",
        "Sortino",
        "Calmar",
        "max DD",
        "DD days",
        "exposure",
        "trades",
        "win",
        "fees",
        "bench return",
        "bench max DD",
    ];
    for h in headers {
        let _ = write!(page, "<th>{h}</th>");
    }
    page.push_str("</tr></thead><tbody>");
    for (row, (low, high)) in report.rows.iter().zip(report.sharpe_intervals) {
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            escape(&row.window),
            escape(&row.strategy),
            escape(&row.sizing),
            row.days
        );
        match row.metrics() {
            Some(m) => {
                let _ = write!(
                    page,
                    "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} .. {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td>",
                    pct(m.total_return),
                    pct(m.cagr),
                    pct(m.ann_vol),
                    num(m.sharpe, 2),
                    num(*low, 2),
                    num(*high, 2),
                    num(m.sortino, 2),
                    num(m.calmar, 2),
                    pct(m.max_drawdown),
                    m.max_dd_days,
                    pct(m.exposure),
                    m.trades,
                    pct(m.win_rate),
                    m.fees
                );
            }
            None => {
                let what = match row.outcome {
                    crate::Outcome::Failed(_) => "failed",
                    _ => "n/a",
                };
                for _ in 0..13 {
                    let _ = write!(page, "<td class=\"na\">{what}</td>");
                }
            }
        }
        let _ = write!(
            page,
            "<td>{}</td><td>{}</td></tr>",
            pct(row.bench_total_return),
            pct(row.bench_max_drawdown)
        );
    }
    page.push_str("</tbody></table></div>");
    let notes: Vec<String> = report
        .rows
        .iter()
        .filter_map(|r| {
            r.no_metrics_note()
                .or_else(|| r.note.clone())
                .map(|n| format!("{} {} {}: {}", r.window, r.strategy, r.sizing, n))
        })
        .collect();
    if !notes.is_empty() {
        let _ = write!(
            page,
            "<p class=\"note\">{}</p>",
            notes
                .iter()
                .map(|n| escape(n))
                .collect::<Vec<_>>()
                .join("<br>")
        );
    }
}

/// Mean, median and worst of the values (worst = smallest).
fn aggregate_table(page: &mut String, rows: &[Summary], window_groups: &[(String, String)]) {
    page.push_str(
        "<h2 id=\"aggregate-section\">Across the cycles</h2><p class=\"note\">Each strategy and sizing rule over each group of windows (bulls: trough to peak; cycles: trough to the next trough; bears: peak to the next trough), every group on its own: mean, median and worst. Windows outside a group (the margin era, the full history) are left out; windows where the run is n/a are left out and counted.</p>\
         <div class=\"later\"><table class=\"sortable\" id=\"aggregate\"><thead><tr><th>group</th><th>strategy</th><th>sizing</th><th>windows</th><th>return mean</th><th>return median</th><th>return worst</th>\
         <th>Sharpe mean</th><th>Sharpe median</th><th>Sharpe worst</th><th>max DD mean</th><th>max DD median</th><th>max DD worst</th></tr></thead><tbody>",
    );
    let group_of = |window: &str| {
        window_groups
            .iter()
            .find(|(id, _)| id == window)
            .map(|(_, group)| group.as_str())
    };
    let mut keys: Vec<(&str, &str, &str)> = Vec::new();
    for r in rows {
        let Some(group) = group_of(&r.window) else {
            continue;
        };
        if !keys.contains(&(group, r.strategy.as_str(), r.sizing.as_str())) {
            keys.push((group, &r.strategy, &r.sizing));
        }
    }
    for (group, strategy, sizing) in keys {
        let runs: Vec<&Summary> = rows
            .iter()
            .filter(|r| {
                group_of(&r.window) == Some(group) && r.strategy == strategy && r.sizing == sizing
            })
            .collect();
        let ran: Vec<_> = runs.iter().filter_map(|r| r.metrics()).collect();
        let (rm, rd, rw) = crate::mean_median_worst(ran.iter().map(|m| m.total_return).collect());
        let (sm, sd, sw) = crate::mean_median_worst(ran.iter().map(|m| m.sharpe).collect());
        let (dm, dd, dw) = crate::mean_median_worst(ran.iter().map(|m| m.max_drawdown).collect());
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} of {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(group),
            escape(strategy),
            escape(sizing),
            ran.len(),
            runs.len(),
            pct(rm),
            pct(rd),
            pct(rw),
            num(sm, 2),
            num(sd, 2),
            num(sw, 2),
            pct(dm),
            pct(dd),
            pct(dw)
        );
    }
    page.push_str("</tbody></table></div>");
}

fn deflated_table(page: &mut String, rows: &[Deflated]) {
    page.push_str(
        "<h2>The best configuration, deflated</h2><p class=\"note\">Per window, among the strategies' configurations (buy-and-hold and exact duplicates left out), the one with the highest Sharpe ratio and its deflated Sharpe ratio (Bailey and Lopez de Prado, 2014): the probability that its true Sharpe ratio is above zero once the expected best of that many unskilled trials, and the skewness and kurtosis of its returns, are accounted for. Configurations of one strategy are correlated, so the effective number of trials is smaller than the count and the deflation errs on the strict side; each window is deflated on its own.</p>\
         <table id=\"deflated\"><thead><tr><th>window</th><th>trials</th><th>best</th><th>Sharpe</th><th>deflated Sharpe ratio</th></tr></thead><tbody>",
    );
    for d in rows {
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&d.window),
            d.trials,
            escape(&d.best),
            num(d.sharpe, 2),
            num(d.dsr, 3)
        );
    }
    page.push_str("</tbody></table>");
}

fn events_table(page: &mut String, rows: &[EventRow], note: &str) {
    page.push_str("<h2>Leverage and cost rules: event study</h2>");
    if rows.is_empty() {
        page.push_str("<p class=\"note\">None: the dataset has no margin series.</p>");
        return;
    }
    let _ = write!(
        page,
        "<p class=\"note\">{} The same table is printed by <code>cyclebt events</code>, which also studies the margin warnings before drawdowns.</p>\
         <table class=\"sortable\" id=\"events\"><thead><tr><th>event</th><th>announced</th><th>effective</th><th>base</th><th>days</th><th>index</th><th>pct</th><th>financing</th><th>pct</th><th>maint. ratio (pp)</th><th>pct</th></tr></thead><tbody>",
        escape(note)
    );
    let rank = |p: f64| num(p * 100.0, 0);
    for r in rows {
        let (m, mp) = match &r.maintenance {
            Some(m) if m.value.is_finite() => (num(m.value * 100.0, 1), rank(m.percentile)),
            Some(_) => ("n/a".into(), "n/a".into()),
            None => ("n/a (series not loaded)".into(), "n/a".into()),
        };
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:+}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&r.event),
            r.announced,
            r.effective.map_or_else(|| "n/a".into(), |d| d.to_string()),
            r.base.map_or_else(|| "n/a".into(), |d| d.to_string()),
            r.horizon,
            pct(r.index.value),
            rank(r.index.percentile),
            pct(r.financing.value),
            rank(r.financing.percentile),
            m,
            mp
        );
    }
    page.push_str("</tbody></table>");
}

fn forced_table(page: &mut String, forced: &[ForcedSale]) {
    page.push_str("<h2 id=\"forced-section\">Forced liquidations</h2>");
    if forced.is_empty() {
        page.push_str(
            "<p class=\"note\">None: no leveraged run fell under the maintenance ratio.</p>",
        );
        return;
    }
    page.push_str("<table class=\"sortable\" id=\"forced\"><thead><tr><th>window</th><th>run</th><th>date</th><th>units sold</th><th>proceeds</th><th>debt repaid</th></tr></thead><tbody>");
    for f in forced {
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td><td>{:.2}</td></tr>",
            escape(&f.window),
            escape(&f.run),
            f.date,
            f.units,
            f.value,
            f.repaid
        );
    }
    page.push_str("</tbody></table>");
}

/// The windows of the rows, in order, as options of a select.
fn window_options(rows: &[Summary]) -> String {
    let mut windows: Vec<&str> = Vec::new();
    for r in rows {
        if !windows.contains(&r.window.as_str()) {
            windows.push(&r.window);
        }
    }
    windows
        .iter()
        .map(|w| format!("<option>{}</option>", escape(w)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn period_returns_chain_each_periods_last_close_on_the_one_before() {
        // Equity 100 on 2020-01-30, 110 and 99 in January's last days, 120 on 2020-02-28,
        // 90 on 2020-03-02: January 99/100 - 1 = -1%, February 120/99 - 1 = 21.21%, March
        // 90/120 - 1 = -25%.
        let dates = [
            "2020-01-30",
            "2020-01-31",
            "2020-02-03",
            "2020-02-28",
            "2020-03-02",
        ]
        .map(day);
        let values = [100.0, 99.0, 110.0, 120.0, 90.0];
        let months = period_returns(&dates, &values, |d| (d.year(), d.month()));
        let expected = [
            ((2020, 1), -0.01),
            ((2020, 2), 120.0 / 99.0 - 1.0),
            ((2020, 3), -0.25),
        ];
        assert_eq!(months.len(), 3);
        for ((key, r), (want_key, want)) in months.iter().zip(expected) {
            assert_eq!(*key, want_key);
            assert!((r - want).abs() < 1e-12, "{key:?}: {r} against {want}");
        }
        // A year over the same days: 90/100 - 1.
        let years = period_returns(&dates, &values, |d| d.year());
        assert_eq!(years.len(), 1);
        assert!((years[0].1 + 0.1).abs() < 1e-12);
    }

    #[test]
    fn drawn_days_are_every_kth_and_the_last_written_as_a_first_day_and_steps() {
        // 1,001 days at most 450 a line: every 3rd (0, 3, ..., 999) and the last, 1,000.
        let days = sampled(1001);
        assert_eq!(days.len(), 334 + 1);
        assert_eq!(&days[..3], &[0, 3, 6]);
        assert_eq!(days[days.len() - 2..], [999, 1000]);
        // Days 0..=999 step 3 end on 999, the last day itself: not twice.
        assert_eq!(sampled(1000).len(), 334);
        assert_eq!(sampled(10), (0..10).collect::<Vec<_>>());
        // 900 days: every 3rd, not every 2nd and the last (451 points).
        assert_eq!(sampled(900).len(), 301);
        for n in 1..3000 {
            let days = sampled(n);
            assert!(days.len() <= MAX_POINTS, "{n} days drawn as {}", days.len());
            assert_eq!((days[0], days[days.len() - 1]), (0, n - 1));
        }
        assert!(sampled(0).is_empty());
        // 2024-02-28, 2024-03-01 (a leap day between), 2024-03-04: the first as yyyymmdd, then
        // 2 and 3 calendar days.
        let dates = ["2024-02-28", "2024-03-01", "2024-03-04"].map(day);
        let mut pool = Pool::default();
        let at = pool.dates(&dates, &[0, 1, 2]);
        assert_eq!(pool.arrays[at], "[20240228,2,3]");
        // The same array again is stored once.
        assert_eq!(pool.put([20_240_228.0, 2.0, 3.0]), at);
    }

    #[test]
    fn a_thinned_drawdown_keeps_each_stretchs_deepest_day_in_thousandths() {
        // Drawn days 0, 3, 6 of 8: day 0 stands for days 0-2 (deepest -0.2512 on day 2), day 3
        // for 3-5 (-0.1), day 6 for 6-7 (-0.4 on day 7).
        let drawdown = [0.0, -0.1, -0.2512, -0.05, -0.1, 0.0, -0.3, -0.4];
        let mut pool = Pool::default();
        let at = pool.deepest(&drawdown, &[0, 3, 6]);
        assert_eq!(pool.arrays[at], "[-251,-100,-400]");
    }

    #[test]
    fn a_thinned_exposure_is_the_mean_of_the_days_each_point_stands_for() {
        // Drawn days 0 and 3 of 5: day 0 stands for 1, 0, 1 (mean 0.667), day 3 for 2 and a
        // missing value (mean 2).
        let exposure = [1.0, 0.0, 1.0, 2.0, f64::NAN];
        let mut pool = Pool::default();
        let at = pool.averaged(&exposure, &[0, 3]);
        assert_eq!(pool.arrays[at], "[0.667,2]");
    }

    #[test]
    fn a_track_shades_runs_of_one_named_label_and_never_an_unnamed_one() {
        // Labels 1 1 0 1 2 2 1 with names ["up", ""]: label 2 is unnamed, so only the runs of
        // label 1 are shaded: days 0-1, 3, 6.
        let dates = [
            "2024-01-02",
            "2024-01-03",
            "2024-01-04",
            "2024-01-05",
            "2024-01-08",
            "2024-01-09",
            "2024-01-10",
        ]
        .map(day);
        let track = LabelTrack {
            strategy: "s".into(),
            plugin: "p".into(),
            names: vec!["up".into(), String::new()],
            labels: vec![1, 1, 0, 1, 2, 2, 1],
        };
        let shaded: Vec<u32> = spans(&track, &dates).iter().map(|v| *v as u32).collect();
        assert_eq!(
            shaded,
            [
                1, 20240102, 20240103, 1, 20240105, 20240105, 1, 20240110, 20240110
            ]
        );
    }

    #[test]
    fn heat_classes_around_zero_and_low_to_high() {
        // Around zero against the largest magnitude, 2: 2 -> g5, 1 -> g3 (2.5 rounds to 3),
        // -0.4 -> r1, -0.1 -> g0 (rounds to no step), NaN -> na.
        let range = (-0.4, 2.0);
        let class = |v| heat_class(v, range, Shading::AroundZero);
        assert_eq!(
            [
                class(2.0),
                class(1.0),
                class(-0.4),
                class(-0.1),
                class(f64::NAN)
            ],
            ["g5", "g3", "r1", "g0", "na"]
        );
        // Low to high over 0.2..0.6: 0.2 -> g0, 0.4 -> g3 (2.5 rounds up), 0.6 -> g5.
        let class = |v| heat_class(v, (0.2, 0.6), Shading::LowToHigh);
        assert_eq!([class(0.2), class(0.4), class(0.6)], ["g0", "g3", "g5"]);
    }
}
