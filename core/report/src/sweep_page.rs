//! `report.html` of `cyclebt sweep --out`: a heat map per pair of swept parameters per window
//! and sizing rule (the ranking metric as colour, every cell's value on hover), and how stable
//! the ranking is from one window to the next. Kept apart from the comparison's report so
//! either can be restyled alone; plain SVG rectangles with `<title>`s, no script.

use std::io::{self, Write};

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

/// A colour for `t` in [0, 1]: dark blue through pale yellow to dark red.
fn colour(t: f64) -> String {
    let stops = [
        (49.0, 54.0, 149.0),
        (255.0, 255.0, 191.0),
        (165.0, 0.0, 38.0),
    ];
    let t = t.clamp(0.0, 1.0) * 2.0;
    let (a, b, f) = if t < 1.0 {
        (stops[0], stops[1], t)
    } else {
        (stops[1], stops[2], t - 1.0)
    };
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(a.0, b.0),
        mix(a.1, b.1),
        mix(a.2, b.2)
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn write_map(out: &mut dyn Write, map: &HeatMap, metric: &str) -> io::Result<()> {
    const CELL: usize = 34;
    const LEFT: usize = 90;
    const TOP: usize = 30;
    let values: Vec<f64> = map.cells.iter().flatten().flatten().copied().collect();
    let (low, high) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(*v), h.max(*v))
        });
    let width = LEFT + CELL * map.x.1.len() + 10;
    let height = TOP + CELL * map.y.1.len() + 40;
    writeln!(
        out,
        "<figure><figcaption>{} / {}: {metric} by {} (columns) and {} (rows); from {:.3} (blue) to {:.3} (red); grey: no run</figcaption>",
        escape(&map.window),
        escape(&map.sizing),
        escape(&map.x.0),
        escape(&map.y.0),
        low,
        high
    )?;
    writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-size=\"11\" font-family=\"sans-serif\">"
    )?;
    for (r, row) in map.cells.iter().enumerate() {
        let y = TOP + r * CELL;
        writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            LEFT - 6,
            y + CELL / 2 + 4,
            escape(&map.y.1[r])
        )?;
        for (c, cell) in row.iter().enumerate() {
            let x = LEFT + c * CELL;
            let (fill, value) = match cell {
                Some(v) => {
                    let t = if high > low {
                        (v - low) / (high - low)
                    } else {
                        0.5
                    };
                    (colour(t), format!("{v:.4}"))
                }
                None => ("#dddddd".to_string(), "no run".to_string()),
            };
            writeln!(
                out,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{CELL}\" height=\"{CELL}\" fill=\"{fill}\" stroke=\"#ffffff\"><title>{}={}, {}={}: {metric} {value}</title></rect>",
                escape(&map.x.0),
                escape(&map.x.1[c]),
                escape(&map.y.0),
                escape(&map.y.1[r]),
            )?;
        }
    }
    for (c, label) in map.x.1.iter().enumerate() {
        writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            LEFT + c * CELL + CELL / 2,
            TOP + CELL * map.y.1.len() + 14,
            escape(label)
        )?;
    }
    writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text><text x=\"4\" y=\"{}\">{}</text>",
        LEFT + CELL * map.x.1.len() / 2,
        TOP + CELL * map.y.1.len() + 32,
        escape(&map.x.0),
        TOP - 10,
        escape(&map.y.0)
    )?;
    writeln!(out, "</svg></figure>")
}

/// Writes the sweep's page: the heat maps (none when fewer than two parameters are swept) and
/// the stability table.
pub fn write_sweep_page(
    out: &mut dyn Write,
    title: &str,
    metric: &str,
    maps: &[HeatMap],
    stability: &[Stability],
) -> io::Result<()> {
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}figure{{display:inline-block;margin:0 1.5em 1.5em 0}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}</style></head><body>",
        escape(title)
    )?;
    writeln!(out, "<h1>{}</h1>", escape(title))?;
    writeln!(
        out,
        "<h2>Heat maps</h2><p>One map per pair of swept parameters, window and sizing rule; with more than two parameters swept, each cell shows the best {metric} over the others. Hover a cell for its value.</p>"
    )?;
    if maps.is_empty() {
        writeln!(out, "<p>Fewer than two parameters were swept: no map.</p>")?;
    }
    for map in maps {
        write_map(out, map, metric)?;
    }
    writeln!(
        out,
        "<h2>Stability of the ranking across windows</h2><p>Spearman's rank correlation of {metric} across the combinations between two windows: near 1, the same combinations lead in both; near 0, the ranking in one says nothing about the other.</p>"
    )?;
    writeln!(
        out,
        "<table><tr><th>sizing</th><th>window</th><th>window</th><th>combinations</th><th>rho</th></tr>"
    )?;
    for s in stability {
        writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&s.sizing),
            escape(&s.windows.0),
            escape(&s.windows.1),
            s.combinations,
            if s.rho.is_nan() {
                "n/a".to_string()
            } else {
                format!("{:.2}", s.rho)
            }
        )?;
    }
    writeln!(out, "</table></body></html>")
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
    fn a_map_has_a_cell_per_value_pair_with_its_value_on_hover() {
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
        assert_eq!(page.matches("<rect").count(), 2);
        assert!(page.contains("<title>slow=20, fast=5: sharpe 0.5000</title>"));
        assert!(page.contains("<title>slow=40, fast=5: sharpe no run</title>"));
    }
}
