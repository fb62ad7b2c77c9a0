//! The bundled snapshot (`datasets/snapshot`): every built-in dataset loads from it alone, it is
//! small, a file of another format version or another reading is refused, the command line
//! uses it when no data is given and says so, and where the full exports are present it is
//! byte for byte what `cyclebt data snapshot` builds from them and loads to the same market.

use std::path::{Path, PathBuf};

use cyclebt_data::{Manifest, MarketData, Origin, SnapshotSources};

use crate::util::{cyclebt, exports, project_datasets, snapshot, stderr, stdout};

const BUILTIN: [&str; 4] = ["sh000001", "sh000300", "sz399001", "csi000985"];

fn builtin_manifests() -> Vec<Manifest> {
    BUILTIN
        .iter()
        .map(|name| Manifest::read(&project_datasets().join(format!("{name}.toml"))).unwrap())
        .collect()
}

fn snapshot_dir() -> PathBuf {
    project_datasets().join("snapshot")
}

#[test]
fn every_builtin_dataset_loads_from_the_snapshot_alone() {
    for manifest in builtin_manifests() {
        let dataset = cyclebt_data::load_from(&manifest, &snapshot())
            .unwrap_or_else(|e| panic!("{}: {e}", manifest.name));
        assert!(dataset.market.len() > 2000, "{}", manifest.name);
        assert!(dataset.market.series("maintenance_ratio").is_some());
        for file in &dataset.files {
            assert!(file.starts_with(snapshot_dir()), "{}", file.display());
        }
    }
    // A few MB at most.
    let bytes: u64 = std::fs::read_dir(snapshot_dir())
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(bytes < 4_000_000, "snapshot is {bytes} bytes");
}

fn assert_same_column(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (t, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
            "{what} row {t}: {x} != {y}"
        );
    }
}

fn assert_same_market(a: &MarketData, b: &MarketData) {
    let name = &a.name;
    assert_eq!(a.dates, b.dates, "{name} dates");
    assert_eq!(a.open_exact, b.open_exact, "{name} open");
    assert_eq!(a.close_exact, b.close_exact, "{name} close");
    for field in cyclebt_data::Field::ALL {
        assert_same_column(a.column(field), b.column(field), field.name());
    }
    assert_eq!(a.series_info(), b.series_info());
    for info in a.series_info() {
        let (x, y) = (a.series(&info.name).unwrap(), b.series(&info.name).unwrap());
        assert_same_column(x, y, &info.name);
    }
    let coverage = |m: &MarketData| -> Vec<_> {
        m.coverage
            .iter()
            .map(|c| (c.series.clone(), c.span, c.rows, c.missing_days, c.lag_days))
            .collect()
    };
    assert_eq!(coverage(a), coverage(b), "{name} coverage");
}

/// Where `../shared/datasets` is absent there are no exports to compare with; the rest of the
/// suite runs on the snapshot itself.
#[test]
fn the_snapshot_is_what_the_builder_makes_from_the_exports_and_loads_the_same() {
    let Some(root) = exports() else { return };
    let sources = SnapshotSources::parse(
        Path::new("sources.toml"),
        &std::fs::read_to_string(snapshot_dir().join("sources.toml")).unwrap(),
    )
    .unwrap();
    let manifests = builtin_manifests();
    let built = cyclebt_data::build_snapshot(&manifests, &root, &sources).unwrap();
    let mut on_disk: Vec<String> = std::fs::read_dir(snapshot_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".csv"))
        .collect();
    on_disk.sort();
    let names: Vec<String> = built.iter().map(|f| f.name.clone()).collect();
    assert_eq!(names, on_disk, "the snapshot's files");
    for file in &built {
        let committed = std::fs::read(snapshot_dir().join(&file.name)).unwrap();
        assert!(
            committed == file.bytes,
            "{} differs from what the builder makes; run `cargo run -- data snapshot --data {}`",
            file.name,
            root.display()
        );
    }
    for manifest in &manifests {
        let from_exports = cyclebt_data::load(manifest, &root).unwrap();
        let from_snapshot = cyclebt_data::load_from(manifest, &snapshot()).unwrap();
        assert_same_market(&from_snapshot.market, &from_exports.market);
    }
    // The command writes the same files.
    let out = tempfile::tempdir().unwrap();
    let output = cyclebt(&[
        "data",
        "snapshot",
        "--data",
        root.to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for file in &built {
        assert_eq!(
            std::fs::read(out.path().join(&file.name)).unwrap(),
            file.bytes
        );
    }
}

fn load_error(manifest: &Manifest, origin: &Origin) -> String {
    match cyclebt_data::load_from(manifest, origin) {
        Ok(_) => panic!("{} loaded", manifest.name),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_snapshot_of_another_version_or_reading_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(snapshot_dir()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let origin = Origin::Snapshot(dir.path().to_path_buf());
    let manifest = builtin_manifests().remove(0);
    // A manifest that reads the index strictly is not the reading the snapshot holds.
    let mut strict = manifest.clone();
    strict.index.bad_bars = None;
    strict.index.bad_bar_dates.clear();
    let error = load_error(&strict, &origin);
    assert!(
        error.contains("baostock_sh000001.csv") && error.contains("snapshot was built for reading"),
        "{error}"
    );
    let file = dir.path().join("baostock_sh000001.csv");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen("# cyclebt snapshot v1", "# cyclebt snapshot v2", 1),
    )
    .unwrap();
    let error = load_error(&manifest, &origin);
    assert!(
        error.contains("baostock_sh000001.csv:1: snapshot format version 2")
            && error.contains("rebuild the snapshot"),
        "{error}"
    );
    // A damaged number is an error at its line and column, like any input.
    std::fs::write(&file, text.replacen(",96.0500,", ",x,", 1)).unwrap();
    let error = load_error(&manifest, &origin);
    assert!(error.contains("column 2 (open)"), "{error}");
}

#[test]
fn without_data_every_command_uses_the_snapshot_and_says_so_in_one_line() {
    let output = cyclebt(&["data", "check", "--dataset", "csi300"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let notes = stderr(&output);
    assert_eq!(notes.lines().count(), 1, "{notes}");
    assert!(notes.contains("using the bundled snapshot"), "{notes}");
    let text = stdout(&output);
    assert!(
        text.starts_with("dataset sh000300 (bundled snapshot"),
        "{text}"
    );
    assert!(text.contains("total_return_index"), "{text}");
}
