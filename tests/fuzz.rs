//! Fuzzing on stable Rust: seeded mutations of the committed corpus (`tests/fuzz-corpus`: one
//! file per export format, a manifest reading all of them, a strategy file) fed to the CSV
//! readers through the loader, to the manifest parser and to the strategy parser. No input may
//! panic; a dataset that loads must keep the loader's guarantees (dates strictly increasing
//! and plausible, positive exact prices, columns as long as the calendar).
//!
//! CI runs `DEFAULT_CASES` cases; `CYCLEBT_FUZZ_CASES=1000000 CYCLEBT_FUZZ_SEED=7 cargo test
//! --release --test tests fuzz -- --nocapture` keeps it running as long as wanted, and a
//! failing case prints its seed and index to replay it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use cyclebt_data::{FIRST_PLAUSIBLE_DATE, Field, Manifest, load};
use cyclebt_engine::{BuiltinSignals, Regulation, Strategy};
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

/// Cases run by `cargo test` (CI): a few seconds in a debug build.
const DEFAULT_CASES: u64 = 1500;

const CSVS: [&str; 6] = [
    "baostock.csv",
    "csindex.csv",
    "akshare_margin.csv",
    "eastmoney_margin.csv",
    "legulegu_pe.csv",
    "akshare_market_cap.csv",
];

/// Byte strings that have broken readers before, or sit on a boundary.
const TOKENS: [&[u8]; 22] = [
    b"\"",
    b"\r",
    b"\r\n",
    b"\n",
    b",",
    b",,",
    b"-",
    b"0",
    b"-0",
    b"1e308",
    b"NaN",
    b"inf",
    b"9999999999999999999999999999999999999999",
    b"0.00000000000000000001",
    b"0001-01-01",
    b"9999-12-31",
    b"2020-02-30",
    b"\"x\"",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"[index]\n",
    b" = ",
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fuzz-corpus")
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One to four mutations of `bytes`: a token inserted or written over, a byte changed, a
/// stretch deleted, a line repeated, the end cut off.
fn mutate(rng: &mut ChaCha8Rng, mut bytes: Vec<u8>) -> Vec<u8> {
    for _ in 0..1 + rng.next_u64() % 4 {
        let at = |rng: &mut ChaCha8Rng, len: usize| (rng.next_u64() % (len as u64 + 1)) as usize;
        let token = TOKENS[(rng.next_u64() % TOKENS.len() as u64) as usize];
        match rng.next_u64() % 6 {
            0 => {
                let i = at(rng, bytes.len());
                bytes.splice(i..i, token.iter().copied());
            }
            1 => {
                let i = at(rng, bytes.len());
                let end = (i + token.len()).min(bytes.len());
                bytes.splice(i..end, token.iter().copied());
            }
            2 if !bytes.is_empty() => {
                let i = at(rng, bytes.len() - 1);
                bytes[i] = rng.next_u64() as u8;
            }
            3 => {
                let i = at(rng, bytes.len());
                let end = (i + 1 + (rng.next_u64() % 12) as usize).min(bytes.len());
                bytes.drain(i..end);
            }
            4 => {
                let lines: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
                if !lines.is_empty() {
                    let line = lines[(rng.next_u64() % lines.len() as u64) as usize].to_vec();
                    let i = at(rng, bytes.len());
                    bytes.splice(i..i, line);
                }
            }
            _ => {
                let i = at(rng, bytes.len());
                bytes.truncate(i);
            }
        }
    }
    bytes
}

/// The loader's guarantees on a dataset that loaded.
fn check_loaded(dataset: &cyclebt_data::Dataset) -> Result<(), String> {
    let market = &dataset.market;
    if market.dates.windows(2).any(|w| w[0] >= w[1]) {
        return Err("dates not strictly increasing".into());
    }
    if market
        .dates
        .first()
        .is_some_and(|d| *d < FIRST_PLAUSIBLE_DATE)
    {
        return Err(format!("first date {}", market.dates[0]));
    }
    if market
        .close_exact
        .iter()
        .any(|c| c.is_sign_negative() || c.is_zero())
    {
        return Err("a close of zero or less".into());
    }
    if Field::ALL
        .iter()
        .any(|f| market.column(*f).len() != market.len())
    {
        return Err("a column not as long as the calendar".into());
    }
    Ok(())
}

/// Runs one case; an error describes a broken guarantee. A panic propagates to the caller.
fn run_case(dir: &Path, rng: &mut ChaCha8Rng) -> Result<(), String> {
    let corpus = corpus();
    let read = |name: &str| std::fs::read(corpus.join(name)).unwrap();
    let targets = CSVS.len() as u64 + 2;
    let target = rng.next_u64() % targets;
    if target == targets - 1 {
        let text = String::from_utf8_lossy(&mutate(rng, read("strategy.toml"))).into_owned();
        let _ = Strategy::parse(
            &dir.join("strategy.toml"),
            &text,
            &Regulation::default(),
            &BuiltinSignals,
        );
        return Ok(());
    }
    for name in CSVS {
        std::fs::write(dir.join("raw").join(name), read(name)).unwrap();
    }
    let mut manifest = read("manifest.toml");
    // The csindex file is read as the index half of the time.
    if rng.next_u64().is_multiple_of(2) {
        manifest = String::from_utf8(manifest)
            .unwrap()
            .replacen(
                "raw/baostock.csv\"\nformat = \"baostock\"",
                "raw/csindex.csv\"\nformat = \"csindex\"",
                1,
            )
            .into_bytes();
    }
    match target as usize {
        i if i < CSVS.len() => {
            let name = CSVS[i];
            std::fs::write(dir.join("raw").join(name), mutate(rng, read(name))).unwrap();
        }
        _ => manifest = mutate(rng, manifest),
    }
    let text = String::from_utf8_lossy(&manifest).into_owned();
    let Ok(manifest) = Manifest::parse(&dir.join("manifest.toml"), &text) else {
        return Ok(());
    };
    match load(&manifest, dir) {
        Ok(dataset) => check_loaded(&dataset),
        Err(_) => Ok(()),
    }
}

#[test]
fn fuzz_the_readers_and_parsers_from_the_committed_corpus() {
    let cases = env_number("CYCLEBT_FUZZ_CASES", DEFAULT_CASES);
    let seed = env_number("CYCLEBT_FUZZ_SEED", 12);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("raw")).unwrap();
    let started = Instant::now();
    for case in 0..cases {
        let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(case));
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_case(dir.path(), &mut rng)
        }));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(broken)) => panic!("seed {seed}, case {case}: {broken}"),
            Err(_) => panic!("seed {seed}, case {case}: panicked (message above)"),
        }
    }
    eprintln!(
        "fuzz: {cases} cases (seed {seed}) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn the_corpus_itself_loads_and_parses() {
    // Mutations start from inputs that are read whole, so they reach past the first check.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("raw")).unwrap();
    for name in CSVS {
        std::fs::copy(corpus().join(name), dir.path().join("raw").join(name)).unwrap();
    }
    let text = std::fs::read_to_string(corpus().join("manifest.toml")).unwrap();
    let manifest = Manifest::parse(Path::new("manifest.toml"), &text).unwrap();
    let dataset = load(&manifest, dir.path()).unwrap();
    check_loaded(&dataset).unwrap();
    assert_eq!(dataset.market.len(), 4);
    assert!(dataset.market.series("guarantee").is_some());
    let strategy = std::fs::read_to_string(corpus().join("strategy.toml")).unwrap();
    Strategy::parse(
        Path::new("strategy.toml"),
        &strategy,
        &Regulation::default(),
        &BuiltinSignals,
    )
    .unwrap();
}
