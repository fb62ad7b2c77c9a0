//! Helpers shared by the integration tests: the real-data folder, synthetic markets, scripted
//! signals and running the binary.

use std::path::{Path, PathBuf};
use std::process::Output;

use chrono::NaiveDate;
use cyclebt_data::{Field, History, Manifest, MarketData, Origin};
use cyclebt_engine::{Signal, SignalError, StampDutySchedule};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

/// The full vendor exports in `../shared/datasets` (from the project root), where that folder
/// exists. Tests run their checks on the bundled snapshot always, and on these too when present.
pub fn exports() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets");
    dir.join("raw/baostock/sh000001.csv")
        .exists()
        .then_some(dir)
}

/// The bundled snapshot, `datasets/snapshot`.
pub fn snapshot() -> Origin {
    Origin::Snapshot(project_datasets().join("snapshot"))
}

/// The bundled snapshot, then the full exports where they exist.
pub fn origins() -> Vec<Origin> {
    std::iter::once(snapshot())
        .chain(exports().map(Origin::Exports))
        .collect()
}

/// The shipped Shanghai Composite dataset, from the bundled snapshot.
pub fn shipped_market() -> MarketData {
    cyclebt_data::load_from(&shipped_manifest(), &snapshot())
        .expect("the snapshot loads")
        .market
}

/// The project's `datasets/` folder.
pub fn project_datasets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets")
}

/// The path of a strategy file shipped in `strategies/`.
pub fn shipped_strategy(name: &str) -> String {
    format!(
        "{}/../../strategies/{name}.toml",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The shipped Shanghai Composite manifest.
pub fn shipped_manifest() -> Manifest {
    Manifest::read(&project_datasets().join("sh000001.toml")).expect("shipped manifest parses")
}

/// The shipped cycle list (`datasets/cycles.toml`).
pub fn shipped_cycles() -> cyclebt_data::CycleList {
    let path = project_datasets().join("cycles.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    cyclebt_data::parse_cycles(&path, &text).expect("shipped cycles parse")
}

/// The shipped stamp-duty schedule.
pub fn shipped_stamp_duty() -> StampDutySchedule {
    let text = std::fs::read_to_string(project_datasets().join("stamp_duty.toml")).unwrap();
    StampDutySchedule::parse(&text).expect("shipped schedule parses")
}

pub fn date(text: &str) -> NaiveDate {
    text.parse().expect("test date")
}

/// A market of consecutive weekdays from 2020-01-01 with the given opens and closes (high and
/// low spanning them), and optional extra columns.
pub fn synthetic_market(
    opens: &[&str],
    closes: &[&str],
    extra: &[(Field, Vec<f64>)],
) -> MarketData {
    synthetic_market_from("2020-01-01", opens, closes, extra)
}

/// [`synthetic_market`] on the weekdays from `start` on.
pub fn synthetic_market_from(
    start: &str,
    opens: &[&str],
    closes: &[&str],
    extra: &[(Field, Vec<f64>)],
) -> MarketData {
    assert_eq!(opens.len(), closes.len());
    let n = closes.len();
    let mut dates = Vec::with_capacity(n);
    let mut day = date(start);
    while dates.len() < n {
        if chrono::Datelike::weekday(&day).number_from_monday() <= 5 {
            dates.push(day);
        }
        day = day.succ_opt().unwrap();
    }
    let open: Vec<Decimal> = opens.iter().map(|s| s.parse().unwrap()).collect();
    let close: Vec<Decimal> = closes.iter().map(|s| s.parse().unwrap()).collect();
    let to_f64 = |v: &Decimal| -> f64 { v.to_string().parse().unwrap() };
    let mut columns = vec![vec![f64::NAN; n]; Field::COUNT];
    columns[Field::Open as usize] = open.iter().map(to_f64).collect();
    columns[Field::Close as usize] = close.iter().map(to_f64).collect();
    columns[Field::High as usize] = (0..n).map(|i| to_f64(&open[i].max(close[i]))).collect();
    columns[Field::Low as usize] = (0..n).map(|i| to_f64(&open[i].min(close[i]))).collect();
    for (field, values) in extra {
        columns[*field as usize] = values.clone();
    }
    MarketData::from_columns("synthetic".into(), dates, columns, open, close, Vec::new())
}

/// A market of `n` days whose close follows a deterministic zig-zag trend, for runs that need
/// many trades.
pub fn wavy_market(n: usize) -> MarketData {
    let level = |i: usize| 1000.0 + 300.0 * ((i as f64) / 9.0).sin() + i as f64 * 0.5;
    let text = |v: f64| Decimal::from_f64(v).unwrap().round_dp(2).to_string();
    let opens: Vec<String> = (0..n).map(|i| text(level(i) - 1.5)).collect();
    let closes: Vec<String> = (0..n).map(|i| text(level(i))).collect();
    let opens: Vec<&str> = opens.iter().map(String::as_str).collect();
    let closes: Vec<&str> = closes.iter().map(String::as_str).collect();
    synthetic_market(&opens, &closes, &[])
}

/// One million yuan, no costs, fills at the next open, no borrowing.
pub fn free_setup() -> cyclebt_engine::Setup {
    cyclebt_engine::Setup {
        capital: rust_decimal::dec!(1000000),
        costs: cyclebt_engine::CostModel::free(),
        execution: cyclebt_engine::Execution::default(),
        margin: cyclebt_engine::MarginTerms::none(),
    }
}

/// Runs `signals` under the rules "in while the first is positive" with `sizing` over the
/// whole of `market`.
pub fn run_whole(
    market: &MarketData,
    mut signals: Vec<Box<dyn Signal>>,
    sizing: &cyclebt_engine::Sizing,
    setup: &cyclebt_engine::Setup,
) -> Result<cyclebt_engine::RunResult, cyclebt_engine::EngineError> {
    let span = cyclebt_data::WindowSpan {
        first: 0,
        last: market.len() - 1,
    };
    cyclebt_engine::run(
        market,
        span,
        &mut signals,
        &cyclebt_engine::Rules::follow_sign(0).into(),
        sizing,
        setup,
    )
}

/// A signal that answers from a script, indexed by decision day.
pub struct Scripted(pub Vec<f64>);

impl Signal for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }

    fn evaluate(&mut self, history: History<'_>) -> Result<f64, SignalError> {
        Ok(self.0[history.today()])
    }
}

/// Runs the `cyclebt` binary.
pub fn cyclebt(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cyclebt"))
        .args(args)
        .env_remove("CYCLEBT_DATA")
        .output()
        .expect("cyclebt runs")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `market` without the rows of `days`.
pub fn without_days(market: &MarketData, days: &[NaiveDate]) -> MarketData {
    let keep: Vec<usize> = (0..market.len())
        .filter(|&t| !days.contains(&market.dates[t]))
        .collect();
    let pick = |column: &[f64]| keep.iter().map(|&t| column[t]).collect::<Vec<f64>>();
    MarketData::from_columns(
        market.name.clone(),
        keep.iter().map(|&t| market.dates[t]).collect(),
        Field::ALL.iter().map(|f| pick(market.column(*f))).collect(),
        keep.iter().map(|&t| market.open_exact[t]).collect(),
        keep.iter().map(|&t| market.close_exact[t]).collect(),
        Vec::new(),
    )
}

/// The chart data of the report section whose element has `id` (a window or a tearsheet), as
/// the page embeds it.
pub fn section_data(page: &str, id: &str) -> serde_json::Value {
    let at = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}"));
    let open = "<script type=\"application/json\" class=\"data\">";
    let start = at + page[at..].find(open).unwrap() + open.len();
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..end]).unwrap()
}
