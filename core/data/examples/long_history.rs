//! A synthetic history a hundred times longer than the Shanghai Composite's (870,000 trading
//! days), in the bundled snapshot's format, to measure what loading it costs in time and
//! memory. Two steps, so that the writing is not counted in the loading process's peak memory:
//!
//! ```text
//! long_history write DIR [DAYS]      # DIR/long.toml, DIR/snapshot/*.csv and the same figures
//!                                   # as vendor exports in DIR/raw/synthetic; same bytes each time
//! long_history load DIR [--exports]  # loads DIR/long.toml from DIR/snapshot (or the exports)
//! ```
//!
//! `benches/long_history.sh` runs both and reads the peak memory of `load` with
//! `/usr/bin/time -f %M`. The dataset is shaped like `datasets/sh000001.toml`: daily index bars,
//! margin financing summed over two exchange files and spliced into a market total, and a
//! month-end PE joined as of each day. Its dates start in year 1, so the manifest widens
//! `date_bounds`.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{Days, NaiveDate};
use cyclebt_data::{Dataset, Field, Manifest, Origin};

const DEFAULT_DAYS: usize = 870_000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [command, dir] if command == "load" => load(Path::new(dir), false),
        [command, dir, from] if command == "load" && from == "--exports" => {
            load(Path::new(dir), true)
        }
        [command, dir] if command == "write" => write(Path::new(dir), DEFAULT_DAYS),
        [command, dir, days] if command == "write" => match days.parse() {
            Ok(days) if days >= 100 => write(Path::new(dir), days),
            _ => Err(format!(
                "DAYS: expected a whole number of at least 100, found {days}"
            )),
        },
        _ => Err("usage: long_history write DIR [DAYS] | long_history load DIR [--exports]".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("long_history: {message}");
            ExitCode::from(2)
        }
    }
}

/// Loads the history from its snapshot files, or with `exports` from the vendor-format files.
fn load(dir: &Path, exports: bool) -> Result<(), String> {
    let manifest = Manifest::read(&dir.join("long.toml")).map_err(|e| e.to_string())?;
    let origin = match exports {
        true => Origin::Exports(dir.to_path_buf()),
        false => Origin::Snapshot(dir.join("snapshot")),
    };
    let started = std::time::Instant::now();
    let dataset = cyclebt_data::load_from(&manifest, &origin).map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    let market = &dataset.market;
    println!(
        "loaded {} days ({} to {}), {} findings, in {:.1} ms; content digest {:016x}",
        market.len(),
        market.dates[0],
        market.dates[market.len() - 1],
        dataset.findings.len(),
        elapsed.as_secs_f64() * 1e3,
        digest(&dataset)
    );
    for coverage in &market.coverage {
        println!(
            "  {}: {} rows, {} missing",
            coverage.series, coverage.rows, coverage.missing_days
        );
    }
    Ok(())
}

/// FNV-1a over every date, value bit pattern, exact price and finding: equal digests say two
/// builds of the loader gave the same dataset.
fn digest(dataset: &Dataset) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    let market = &dataset.market;
    for date in &market.dates {
        eat(date.to_string().as_bytes());
    }
    for field in Field::ALL {
        for value in market.column(field) {
            eat(&value.to_bits().to_le_bytes());
        }
    }
    for price in market.open_exact.iter().chain(&market.close_exact) {
        eat(price.to_string().as_bytes());
    }
    for finding in &dataset.findings {
        eat(finding.to_string().as_bytes());
    }
    hash
}

/// A deterministic stream of numbers in [0, 1) (xorshift64*): the same files every time.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn write(dir: &Path, days: usize) -> Result<(), String> {
    let snapshot = dir.join("snapshot");
    std::fs::create_dir_all(&snapshot).map_err(|e| format!("{}: {e}", snapshot.display()))?;
    let first = NaiveDate::from_ymd_opt(1, 1, 1).expect("a valid date");
    let day = |t: usize| first + Days::new(t as u64);
    // Margin figures from 30% of the history on; the market total replaces them from 60%.
    let (margin_from, splice_from) = (days * 3 / 10, days * 6 / 10);
    let manifest = format!(
        r#"name = "long"
description = "Synthetic {days}-day history (core/data/examples/long_history.rs)"
date_bounds = {{ from = "{first}", to = "{last}" }}

[index]
file = "raw/synthetic/index.csv"
format = "baostock"

[margin]
lag_days = 1
join = "exact"
sources = [
  {{ file = "raw/synthetic/margin_a.csv", format = "akshare_margin" }},
  {{ file = "raw/synthetic/margin_b.csv", format = "akshare_margin" }},
]

[margin.splice]
from = "{splice}"
sources = [{{ file = "raw/synthetic/margin_total.csv", format = "eastmoney_margin" }}]

[pe]
join = "asof"
max_age_days = 45
sources = [{{ file = "raw/synthetic/pe.csv", format = "legulegu_pe", column = "pe" }}]
"#,
        last = day(days - 1),
        splice = day(splice_from),
    );
    let manifest_path = dir.join("long.toml");
    std::fs::write(&manifest_path, manifest)
        .map_err(|e| format!("{}: {e}", manifest_path.display()))?;

    let raw = dir.join("raw/synthetic");
    std::fs::create_dir_all(&raw).map_err(|e| format!("{}: {e}", raw.display()))?;
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let mut raw_index = export_file(
        &raw,
        "index.csv",
        "date,open,high,low,close,volume,amount,turn",
    )?;
    let mut index = snapshot_file(
        &snapshot,
        "synthetic_index.csv",
        "format baostock",
        "date,open,high,low,close,volume,amount,turnover",
    )?;
    // The log level reverts to that of 3,000 points, so 870,000 days stay in a plausible range.
    let mut level: f64 = 3000f64.ln();
    let mut line = String::new();
    for t in 0..days {
        let open = level.exp();
        level += 0.012 * (noise.next() - 0.5) - 0.001 * (level - 3000f64.ln());
        let close = level.exp();
        let high = (open.max(close) * (1.0 + 0.005 * noise.next()) * 100.0).ceil() / 100.0;
        let low = (open.min(close) * (1.0 - 0.005 * noise.next()) * 100.0).floor() / 100.0;
        let volume = (1e8 * (1.0 + noise.next())).round();
        let amount = (volume * close).round();
        line.clear();
        let _ = write!(
            line,
            "{},{open:.4},{high},{low},{close:.4},{volume},{amount},",
            day(t)
        );
        // The first tenth of the history has no turnover, as the 1990s in the real file
        // (baostock writes 0 there).
        let turn = (t >= days / 10).then(|| ((0.01 + 0.02 * noise.next()) * 1e4).round() / 1e4);
        if let Some(turn) = turn {
            let _ = write!(line, "{turn}");
        }
        writeln!(index, "{line}").map_err(|e| e.to_string())?;
        writeln!(raw_index, "{line}{}", if turn.is_none() { "0" } else { "" })
            .map_err(|e| e.to_string())?;
    }
    index.flush().map_err(|e| e.to_string())?;
    raw_index.flush().map_err(|e| e.to_string())?;

    let margin_header = "date,financing_balance,financing_buy,lending_balance,margin_total";
    for (name, from, to) in [
        ("synthetic_margin_a.csv", margin_from, days),
        ("synthetic_margin_b.csv", margin_from, days),
        ("synthetic_margin_total.csv", splice_from, days),
    ] {
        let total_file = name.ends_with("total.csv");
        let reading = if total_file {
            "format eastmoney_margin"
        } else {
            "format akshare_margin"
        };
        let mut file = snapshot_file(&snapshot, name, reading, margin_header)?;
        let export_header = if total_file {
            "date,fin_balance,loan_balance,fin_buy"
        } else {
            "日期,融资买入额,融资余额,融券余额,融资融券余额"
        };
        let export_name = name.trim_start_matches("synthetic_");
        let mut export = export_file(&raw, export_name, export_header)?;
        let mut balance: f64 = 5e11;
        for t in from..to {
            balance *= 1.0 + 0.01 * (noise.next() - 0.5) - 0.0005 * (balance / 5e11).ln();
            let financing = balance.round();
            let buy = (balance * 0.05 * noise.next()).round();
            let lending = (balance * 0.01).round();
            let total = financing + lending;
            writeln!(file, "{},{financing},{buy},{lending},{total}", day(t))
                .map_err(|e| e.to_string())?;
            if total_file {
                let yi = |yuan: f64| yuan / 1e8;
                writeln!(
                    export,
                    "{},{},{},{}",
                    day(t),
                    yi(financing),
                    yi(lending),
                    yi(buy)
                )
            } else {
                writeln!(export, "{},{buy},{financing},{lending},{total}", day(t))
            }
            .map_err(|e| e.to_string())?;
        }
        file.flush().map_err(|e| e.to_string())?;
        export.flush().map_err(|e| e.to_string())?;
    }

    let mut pe = snapshot_file(
        &snapshot,
        "synthetic_pe.csv",
        "format legulegu_pe; column \"pe\"",
        "date,pe",
    )?;
    let mut raw_pe = export_file(&raw, "pe.csv", "日期,pe")?;
    for t in (margin_from..days).step_by(30) {
        let value = (10.0 + 30.0 * noise.next()) * 100.0;
        let line = format!("{},{}", day(t), value.round() / 100.0);
        writeln!(pe, "{line}").map_err(|e| e.to_string())?;
        writeln!(raw_pe, "{line}").map_err(|e| e.to_string())?;
    }
    pe.flush().map_err(|e| e.to_string())?;
    raw_pe.flush().map_err(|e| e.to_string())?;
    println!("wrote {days} days to {}", dir.display());
    Ok(())
}

/// An export of the vendor's format (under `DIR/raw/synthetic`) with its header line written.
fn export_file(dir: &Path, name: &str, header: &str) -> Result<BufWriter<std::fs::File>, String> {
    let path = dir.join(name);
    let file = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = BufWriter::new(file);
    writeln!(out, "{header}").map_err(|e| e.to_string())?;
    Ok(out)
}

/// A snapshot file with its comment lines and table header written.
fn snapshot_file(
    dir: &Path,
    name: &str,
    reading: &str,
    header: &str,
) -> Result<BufWriter<std::fs::File>, String> {
    let path: PathBuf = dir.join(name);
    let file = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = BufWriter::new(file);
    writeln!(
        out,
        "# cyclebt snapshot v{}\n# figures: synthetic\n# source: core/data/examples/long_history.rs\n# read as: synthetic\n# reading: {reading}\n{header}",
        cyclebt_data::SNAPSHOT_VERSION
    )
    .map_err(|e| e.to_string())?;
    Ok(out)
}
