//! `report.html`: one self-contained page (no network) with the comparison a researcher reads
//! at a glance: the summary table (click a header to sort), each group of windows (bulls, whole
//! cycles, bears) aggregated per strategy and sizing rule, the honest-comparison figures, per window the equity against
//! buy-and-hold, the drawdowns and the exposure as SVG charts drawn by plotters (FOMO days
//! shaded where the fomo-phase plugin ran), and the broker's forced sales.

use std::fmt::Write as _;
use std::io::{self, Write};

use chrono::NaiveDate;
use plotters::prelude::*;
use rust_decimal::Decimal;

use crate::events::EventRow;
use crate::{Conventions, Summary};

/// One run's daily series for the charts.
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
    /// FOMO days (from the fomo-phase plugin), when a strategy used it.
    pub fomo: Option<Vec<bool>>,
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
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn num(value: f64, decimals: usize) -> String {
    if value.is_finite() {
        format!("{value:.decimals$}")
    } else {
        "n/a".into()
    }
}

use crate::percent as pct;

const STYLE: &str = "body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;font-size:13px;margin:8px 0 24px}\
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#eee;cursor:pointer;position:sticky;top:0}\
td:nth-child(-n+3),th:nth-child(-n+3){text-align:left}.na{color:#999}h2{margin-top:36px}.note{font-size:12px;color:#555;max-width:1100px}\
.legend{font-size:12px;max-width:1100px;margin-bottom:12px}.legend span{display:inline-block;margin:2px 12px 2px 0}\
.legend i{display:inline-block;width:14px;height:3px;margin-right:5px;vertical-align:middle}";

/// Sorts a table by the clicked column; numbers (percent signs dropped) before text, n/a last.
const SORT_SCRIPT: &str = "document.querySelectorAll('table.sortable th').forEach((th,i)=>{th.addEventListener('click',()=>{\
const t=th.closest('table'),b=t.tBodies[0],rows=[...b.rows],asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';\
const key=r=>{const s=r.cells[i].textContent.trim();const v=parseFloat(s.replace('%',''));return isNaN(v)?null:v};\
rows.sort((a,c)=>{const x=key(a),y=key(c);if(x===null&&y===null)return a.cells[i].textContent.localeCompare(c.cells[i].textContent)*(asc?1:-1);\
if(x===null)return 1;if(y===null)return -1;return asc?x-y:y-x});rows.forEach(r=>b.appendChild(r))})});";

/// Writes the page.
pub fn write_html(out: &mut dyn Write, report: &HtmlReport<'_>) -> io::Result<()> {
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>cyclebt comparison</title><style>{STYLE}</style></head><body>\
         <h1>cyclebt: strategies and sizing rules over the bull cycles</h1><p class=\"note\">Run id {} (run.json). {}</p>",
        escape(report.run_id),
        escape(&report.conventions.describe())
    );
    summary_table(&mut page, report);
    aggregate_table(&mut page, report.rows, report.window_groups);
    deflated_table(&mut page, report.deflated);
    events_table(&mut page, report.events, &report.events_note);
    for window in report.windows {
        window_charts(&mut page, window);
    }
    forced_table(&mut page, report.forced);
    let _ = write!(page, "<script>{SORT_SCRIPT}</script></body></html>");
    out.write_all(page.as_bytes())
}

fn summary_table(page: &mut String, report: &HtmlReport<'_>) {
    let _ = write!(
        page,
        "<h2>Summary</h2><p class=\"note\">Click a column to sort. {}</p><table class=\"sortable\" id=\"summary\"><thead><tr>",
        escape(&report.bootstrap_note)
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
    page.push_str("</tbody></table>");
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
        "<h2>Across the cycles</h2><p class=\"note\">Each strategy and sizing rule over each group of windows (bulls: trough to peak; cycles: trough to the next trough; bears: peak to the next trough), every group on its own: mean, median and worst. Windows outside a group (the margin era, the full history) are left out; windows where the run is n/a are left out and counted.</p>\
         <table class=\"sortable\" id=\"aggregate\"><thead><tr><th>group</th><th>strategy</th><th>sizing</th><th>windows</th><th>return mean</th><th>return median</th><th>return worst</th>\
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
    page.push_str("</tbody></table>");
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
    page.push_str("<h2>Forced liquidations</h2>");
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

const WIDTH: u32 = 1100;

/// Line colours, dark enough to read on white, distinct from the benchmark's black (the
/// Tableau 10 palette and darker shades of it); runs past the list reuse it in order.
const LINE_COLOURS: [RGBColor; 16] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(15, 60, 110),
    RGBColor(170, 80, 0),
    RGBColor(20, 95, 20),
    RGBColor(120, 20, 20),
    RGBColor(80, 50, 120),
    RGBColor(0, 110, 120),
];

/// Points drawn per line at most: a chart 1,100 pixels wide shows no more, and the page of a
/// full-history run stays small.
const MAX_POINTS: usize = 1_200;

/// The days drawn for a series of `n`: every k-th (k = ceil(n / MAX_POINTS)) and the last.
fn sampled(n: usize) -> impl Iterator<Item = usize> {
    let step = n.div_ceil(MAX_POINTS).max(1);
    (0..n)
        .step_by(step)
        .chain((n > 0 && !(n - 1).is_multiple_of(step)).then_some(n - 1))
}

/// Runs of consecutive `true` as (first, last) indices.
fn stretches(flags: &[bool]) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (i, _) in flags.iter().enumerate().filter(|(_, f)| **f) {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == i => *last = i,
            _ => runs.push((i, i)),
        }
    }
    runs
}

fn window_charts(page: &mut String, w: &WindowCharts) {
    let _ = write!(
        page,
        "<h2>{} ({} to {})</h2>",
        escape(&w.window),
        w.dates[0],
        w.dates[w.dates.len() - 1]
    );
    if w.fomo.is_some() {
        page.push_str(
            "<p class=\"note\">Shaded: days the fomo-phase plugin puts in the FOMO phase.</p>",
        );
    }
    if w.dates.len() > MAX_POINTS {
        let step = w.dates.len().div_ceil(MAX_POINTS);
        let _ = write!(
            page,
            "<p class=\"note\">Lines show every {step}th trading day; the drawdown line the deepest of each {step} days.</p>"
        );
    }
    // One colour per run on all three charts, and one legend for them, in HTML.
    let colour = |k: usize| LINE_COLOURS[k % LINE_COLOURS.len()].to_rgba();
    let mut growth: Vec<Line<'_>> = vec![Line {
        values: &w.benchmark,
        colour: BLACK.to_rgba(),
    }];
    growth.extend(w.runs.iter().enumerate().map(|(k, r)| Line {
        values: &r.growth,
        colour: colour(k),
    }));
    page.push_str(&chart(
        w,
        "equity over starting capital (buy-and-hold in black)",
        &growth,
        320,
    ));
    let drawdown: Vec<Line<'_>> = w
        .runs
        .iter()
        .enumerate()
        .map(|(k, r)| Line {
            values: &r.drawdown,
            colour: colour(k),
        })
        .collect();
    page.push_str(&chart(w, "drawdown (underwater)", &drawdown, 220));
    let exposure: Vec<Line<'_>> = w
        .runs
        .iter()
        .enumerate()
        .map(|(k, r)| Line {
            values: &r.exposure,
            colour: colour(k),
        })
        .collect();
    page.push_str(&chart(w, "exposure", &exposure, 220));
    page.push_str(
        "<div class=\"legend\"><span><i style=\"background:#000\"></i>buy_and_hold</span>",
    );
    for (k, run) in w.runs.iter().enumerate() {
        let c = colour(k);
        let _ = write!(
            page,
            "<span><i style=\"background:rgb({},{},{})\"></i>{}</span>",
            c.0,
            c.1,
            c.2,
            escape(&run.label)
        );
    }
    page.push_str("</div>");
}

/// A line of a chart.
struct Line<'a> {
    values: &'a [f64],
    colour: RGBAColor,
}

/// One SVG line chart of `lines` over the window's days.
fn chart(w: &WindowCharts, title: &str, lines: &[Line<'_>], height: u32) -> String {
    let mut svg = String::new();
    let finite = lines
        .iter()
        .flat_map(|l| l.values.iter().copied())
        .filter(|v| v.is_finite());
    let (low, high) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    let (low, high) = if low.is_finite() && high > low {
        (low, high)
    } else {
        (0.0, 1.0)
    };
    let pad = (high - low) * 0.05;
    let n = w.dates.len();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let built = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(56)
            .right_y_label_area_size(0)
            .build_cartesian_2d(0..n.saturating_sub(1).max(1), (low - pad)..(high + pad));
        let Ok(mut chart) = built else {
            return String::new();
        };
        let dates = &w.dates;
        let _ = chart
            .configure_mesh()
            .x_labels(8)
            .x_label_formatter(&|i| dates.get(*i).map_or(String::new(), |d| d.to_string()))
            .y_labels(6)
            .draw();
        if let Some(fomo) = &w.fomo {
            let shade = RGBColor(255, 170, 60).mix(0.25).filled();
            let bars = stretches(fomo)
                .into_iter()
                .map(|(a, b)| Rectangle::new([(a, low - pad), (b + 1, high + pad)], shade));
            let _ = chart.draw_series(bars);
        }
        for line in lines {
            let values = line.values;
            // Each drawn point stands for the days up to the next one; a drawdown line takes
            // their deepest value, so thinning never hides a trough.
            let step = n.div_ceil(MAX_POINTS).max(1);
            let points = sampled(n)
                .map(|i| {
                    let days = &values[i..(i + step).min(n)];
                    let value = if title.starts_with("drawdown") {
                        days.iter()
                            .copied()
                            .filter(|v| v.is_finite())
                            .fold(f64::INFINITY, f64::min)
                    } else {
                        values[i]
                    };
                    (i, value)
                })
                .filter(|(_, v)| v.is_finite());
            let _ = chart.draw_series(LineSeries::new(points, line.colour.stroke_width(1)));
        }
        let _ = root.present();
    }
    svg
}
