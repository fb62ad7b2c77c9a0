//! `report.html` of `cyclebt sweep --out`: a heat map per pair of swept parameters per window
//! and sizing rule (the ranking metric as each cell's colour and text), and how stable the
//! ranking is from one window to the next. In the comparison report's look (its styles, its
//! coloured tables, its sortable tables); no charts, so no chart library.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::html::{
    HeatLayer, HeatTable, Shading, escape, heat_map, num, page_end, page_script, page_start,
};

/// One heat map: the metric over two swept parameters, the best over any others.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatMap {
    /// Window id.
    pub window: String,
    /// Sizing rule.
    pub sizing: String,
    /// Column parameter and its values.
    pub x: (String, Vec<String>),
    /// Row parameter and its values.
    pub y: (String, Vec<String>),
    /// `cells[row][column]`; None where no combination ran (invalid, n/a, failed).
    pub cells: Vec<Vec<Option<f64>>>,
}

/// Spearman's rank correlation of the metric across combinations between two windows.
#[derive(Debug, Clone, PartialEq)]
pub struct Stability {
    /// Sizing rule.
    pub sizing: String,
    /// The two windows.
    pub windows: (String, String),
    /// Combinations with a value in both.
    pub combinations: usize,
    /// The correlation (NaN with fewer than three).
    pub rho: f64,
}

/// Spearman's rho: Pearson's correlation of the ranks (ties at their mean rank).
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    fn ranks(values: &[f64]) -> Vec<f64> {
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
        let mut ranks = vec![0.0; values.len()];
        let mut start = 0;
        while start < order.len() {
            let mut end = start;
            while end + 1 < order.len() && values[order[end + 1]] == values[order[start]] {
                end += 1;
            }
            let mean = (start + end) as f64 / 2.0 + 1.0;
            for &i in &order[start..=end] {
                ranks[i] = mean;
            }
            start = end + 1;
        }
        ranks
    }
    if a.len() != b.len() || a.len() < 3 {
        return f64::NAN;
    }
    let (ra, rb) = (ranks(a), ranks(b));
    let n = a.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// The metrics shown in percent (the others with two decimals).
const PERCENT_METRICS: [&str; 3] = ["total_return", "cagr", "max_drawdown"];

/// Writes the sweep's page: the heat maps (none when fewer than two parameters are swept) and
/// the stability table.
pub fn write_sweep_page(
    out: &mut dyn Write,
    title: &str,
    metric: &str,
    maps: &[HeatMap],
    stability: &[Stability],
) -> io::Result<()> {
    let mut page = String::new();
    page_start(&mut page, title, title);
    let _ = write!(
        page,
        "<h2>Heat maps</h2><p class=\"note\">One map per pair of swept parameters, window and sizing rule; with more than two parameters swept, each cell shows the best {} over the others. Darker green is higher, from the map's lowest value (white) to its highest; n/a: no combination ran there (invalid, not applicable or failed).</p>",
        escape(metric)
    );
    if maps.is_empty() {
        page.push_str("<p class=\"note\">Fewer than two parameters were swept: no map.</p>");
    }
    for map in maps {
        let table = HeatTable {
            title: format!(
                "{} / {}: {metric} by {} (columns) and {} (rows)",
                map.window, map.sizing, map.x.0, map.y.0
            ),
            rows_name: format!("{} \\ {}", map.y.0, map.x.0),
            rows: map.y.1.clone(),
            columns: map.x.1.clone(),
            layers: vec![HeatLayer {
                metric: metric.into(),
                values: map
                    .cells
                    .iter()
                    .flatten()
                    .map(|cell| cell.unwrap_or(f64::NAN))
                    .collect(),
                percent: PERCENT_METRICS.contains(&metric),
            }],
            links: Vec::new(),
            shading: Shading::LowToHigh,
        };
        heat_map(&mut page, &table, "sweep");
    }
    let _ = write!(
        page,
        "<h2>Stability of the ranking across windows</h2><p class=\"note\">Spearman's rank correlation of {} across the combinations between two windows: near 1, the same combinations lead in both; near 0, the ranking in one says nothing about the other. Click a column to sort.</p>",
        escape(metric)
    );
    if stability.is_empty() {
        page.push_str("<p class=\"note\">One window: no pair of windows to compare.</p>");
    } else {
        page.push_str("<table class=\"sortable\" id=\"stability\"><thead><tr><th>sizing</th><th>window</th><th>window</th><th>combinations</th><th>rho</th></tr></thead><tbody>");
        for s in stability {
            let _ = write!(
                page,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&s.sizing),
                escape(&s.windows.0),
                escape(&s.windows.1),
                s.combinations,
                num(s.rho, 2)
            );
        }
        page.push_str("</tbody></table>");
    }
    page_script(&mut page);
    page_end(&mut page, false);
    out.write_all(page.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_is_worked_by_hand() {
        // Same order: 1; reversed: -1; ranks (1,2,3,4) against (2,1,4,3): d^2 sums to 4,
        // rho = 1 - 6 x 4 / (4 x 15) = 0.6.
        assert!((spearman(&[1.0, 2.0, 3.0, 4.0], &[10.0, 20.0, 30.0, 40.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&[1.0, 2.0, 3.0, 4.0], &[4.0, 3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        assert!((spearman(&[1.0, 2.0, 3.0, 4.0], &[2.0, 1.0, 4.0, 3.0]) - 0.6).abs() < 1e-12);
    }

    #[test]
    fn a_map_has_a_cell_per_value_pair_with_its_value() {
        let map = HeatMap {
            window: "full".into(),
            sizing: "full".into(),
            x: ("slow".into(), vec!["20".into(), "40".into()]),
            y: ("fast".into(), vec!["5".into()]),
            cells: vec![vec![Some(0.5), None]],
        };
        let mut page = Vec::new();
        write_sweep_page(&mut page, "t", "sharpe", &[map], &[]).unwrap();
        let page = String::from_utf8(page).unwrap();
        // Columns slow 20 and 40, one row fast 5: 0.50, the only value, unshaded; no run at 40.
        assert!(page.contains("<h3>full / full: sharpe by slow (columns) and fast (rows)</h3>"));
        assert!(
            page.contains("<tr><th>5</th><td class=\"g0\">0.50</td><td class=\"na\">n/a</td></tr>")
        );
    }
}
