//! `run.json`: what a comparison or a sweep was made from, and the run id derived from it.
//!
//! The id is the first 16 hex digits of the SHA-256 of the record's JSON with the `run_id`,
//! every `file` field and a sweep's `shard` left out: the same program, plugins, strategies,
//! data, rules, windows, conventions (and grid) give the same id wherever the files lie and
//! whatever the output folder, and every shard of a sweep has the id of the whole sweep. The
//! record's fields are in a fixed order and its lists in input order, so the same inputs give
//! the same bytes.

use std::io::{self, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The SHA-256 of `bytes`, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The SHA-256 of everything `read` yields, in lower-case hex; streamed, so a plugin library
/// of megabytes is never held whole.
pub fn sha256_hex_of(read: &mut dyn io::Read) -> io::Result<String> {
    let mut hasher = Sha256::new();
    io::copy(read, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file an input was read from, with its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// What it is: a strategy's name, a dataset's, `cycles`, `stamp_duty`, `margin_rules`.
    pub role: String,
    /// Where it was read (left out of the run id); built-in files say so.
    pub file: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
}

/// A plugin library a strategy used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginRecord {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The library (left out of the run id).
    pub file: String,
    /// SHA-256 of the library.
    pub sha256: String,
}

/// A window as run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowRecord {
    /// Window id.
    pub id: String,
    /// Its first trading day, in the dataset of the first run over it.
    pub first_day: String,
    /// Last trading day.
    pub last_day: String,
}

/// A sweep's grid: what its rows are over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridRecord {
    /// The swept parameters in the grid's order (the last varies fastest), each with its
    /// values as `sweep.csv` writes them.
    pub parameters: Vec<GridParameter>,
    /// Combinations in the grid.
    pub combinations: usize,
    /// Of those, the ones a signal, plugin or the strategy parser rejected (skipped).
    pub invalid: usize,
    /// The windows of the rows, in order, covered by the dataset or not.
    pub windows: Vec<String>,
    /// Rows of the whole sweep (valid combinations x windows x sizing rules).
    pub rows: usize,
}

/// One swept parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridParameter {
    /// Its key (`trend.fast`).
    pub key: String,
    /// Its values, as written in `sweep.csv`.
    pub values: Vec<String>,
}

/// Everything a comparison or a sweep was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Derived from the rest; set by [`RunRecord::seal`].
    pub run_id: String,
    /// cyclebt's version.
    pub cyclebt_version: String,
    /// The plugin ABI version.
    pub abi_version: u32,
    /// Plugins the strategies used, in order of first use.
    pub plugins: Vec<PluginRecord>,
    /// Strategy files.
    pub strategies: Vec<InputFile>,
    /// Market data files read, by dataset.
    pub data: Vec<InputFile>,
    /// Rule files: cycles, stamp duty, initial margin ratios.
    pub rules: Vec<InputFile>,
    /// The dataset whose buy-and-hold is the benchmark (`--benchmark`), or "each strategy's own
    /// dataset".
    pub benchmark: String,
    /// Windows run.
    pub windows: Vec<WindowRecord>,
    /// Annualisation factor.
    pub periods_per_year: f64,
    /// Annual risk-free rate.
    pub risk_free_annual: f64,
    /// The conventions, as stated in every output.
    pub conventions: String,
    /// Bootstrap resamples of the Sharpe intervals (a comparison's; a sweep draws none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap_resamples: Option<usize>,
    /// Seed of the bootstrap (a comparison's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// A sweep's grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid: Option<GridRecord>,
    /// A sweep shard's part, `I/N` (left out of the run id: every shard has the whole
    /// sweep's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

/// Drops the fields the run id does not depend on.
fn without_locations(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.remove("file");
            map.remove("run_id");
            map.remove("shard");
            map.values_mut().for_each(without_locations);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_locations),
        _ => {}
    }
}

impl RunRecord {
    /// Sets `run_id` from the other fields.
    pub fn seal(&mut self) {
        let mut value = serde_json::to_value(&*self).expect("a run record serialises");
        without_locations(&mut value);
        let canonical = serde_json::to_vec(&value).expect("a JSON value serialises");
        self.run_id = sha256_hex(&canonical)[..16].to_string();
    }

    /// Writes the record as indented JSON with a final newline.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self).map_err(io::Error::other)?;
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_is_the_fips_example() {
        // FIPS 180-2, appendix B.1.
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    fn record() -> RunRecord {
        RunRecord {
            run_id: String::new(),
            cyclebt_version: "0.1.0".into(),
            abi_version: 1,
            plugins: Vec::new(),
            strategies: vec![InputFile {
                role: "s".into(),
                file: "/a/s.toml".into(),
                sha256: sha256_hex(b"name = \"s\""),
            }],
            data: Vec::new(),
            rules: Vec::new(),
            benchmark: "sh000001".into(),
            windows: Vec::new(),
            periods_per_year: 252.0,
            risk_free_annual: 0.0,
            conventions: "c".into(),
            bootstrap_resamples: Some(400),
            seed: Some(7),
            grid: None,
            shard: None,
        }
    }

    #[test]
    fn the_id_follows_contents_not_locations() {
        let mut a = record();
        a.seal();
        let mut moved = record();
        moved.strategies[0].file = "/elsewhere/s.toml".into();
        moved.seal();
        assert_eq!(a.run_id, moved.run_id);
        let mut edited = record();
        edited.strategies[0].sha256 = sha256_hex(b"name = \"t\"");
        edited.seal();
        assert_ne!(a.run_id, edited.run_id);
        let mut reseeded = record();
        reseeded.seed = Some(8);
        reseeded.seal();
        assert_ne!(a.run_id, reseeded.run_id);
        assert_eq!(a.run_id.len(), 16);
        // A shard of a sweep has the whole sweep's id.
        let mut shard = record();
        shard.shard = Some("1/4".into());
        shard.seal();
        assert_eq!(a.run_id, shard.run_id);
    }

    #[test]
    fn a_record_read_back_writes_the_same_bytes() {
        let mut a = record();
        a.grid = Some(GridRecord {
            parameters: vec![GridParameter {
                key: "trend.fast".into(),
                values: vec!["5".into(), "10".into()],
            }],
            combinations: 2,
            invalid: 0,
            windows: vec!["full".into()],
            rows: 2,
        });
        a.risk_free_annual = 0.021;
        a.seal();
        let mut written = Vec::new();
        a.write(&mut written).unwrap();
        let read: RunRecord = serde_json::from_slice(&written).unwrap();
        assert_eq!(read, a);
        let mut again = Vec::new();
        read.write(&mut again).unwrap();
        assert_eq!(again, written);
    }

    #[test]
    fn streamed_hash_is_the_hash_of_the_bytes() {
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        assert_eq!(
            sha256_hex_of(&mut bytes.as_slice()).unwrap(),
            sha256_hex(&bytes)
        );
    }
}
