//! Real plugin libraries, built by cargo and opened with libloading: the example plugins
//! against the same logic in-process, and every kind of bad plugin rejected by name and path
//! with the host intact.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use cyclebt_data::WindowSpan;
use cyclebt_engine::*;
use cyclebt_host::{PluginDirs, PluginError, PluginFactory, load};

use crate::lookahead::assert_prefix_stable;
use crate::util::{cyclebt, section_data, shipped_market, stderr, stdout, wavy_market};

const PLUGIN_CRATES: [&str; 16] = [
    "sma-cross",
    "maintenance-gauge",
    "fixture-abi-v1",
    "fixture-garbage-entry",
    "trend-exposure",
    "fomo-phase",
    "breakeven-zone",
    "margin-divergence",
    "fixture-misbehaving",
    "fixture-abi-too-new",
    "fixture-descriptor-too-short",
    "fixture-null-descriptor",
    "fixture-no-entry",
    "fixture-null-functions",
    "fixture-labelled-days",
    "fixture-v2-before-labels",
];

/// The folder holding the plugin libraries, built once per test run with the same cargo,
/// profile and target folder as the tests themselves.
pub fn plugin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // The test binary is target/<profile>/deps/tests-<hash>: its grandparent is the
        // profile folder where cargo puts cdylibs.
        let exe = std::env::current_exe().unwrap();
        let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
        let target_dir = profile_dir.parent().unwrap();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .arg("build")
            .arg("--quiet")
            .env("CARGO_TARGET_DIR", target_dir);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            command.arg("--release");
        }
        for name in PLUGIN_CRATES {
            command.args(["-p", name]);
        }
        command.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let status = command.status().expect("cargo runs");
        assert!(status.success(), "building the plugin libraries failed");
        profile_dir
    })
}

fn library(name: &str) -> PathBuf {
    plugin_dir().join(PluginDirs::file_name(name))
}

pub fn factory() -> PluginFactory {
    PluginFactory::new(PluginDirs::only(vec![plugin_dir().to_path_buf()]))
}

fn plugin_signal(name: &str, params: &str) -> Result<Box<dyn Signal>, String> {
    factory().create(&SignalSpec {
        source: SignalSource::Plugin(name.into()),
        params: params.parse().unwrap(),
        role: SignalRole::Signal,
        isolate: false,
    })
}

fn sma_plugin() -> Box<dyn Signal> {
    plugin_signal("sma-cross", "fast = 20\nslow = 60").unwrap()
}

fn sma_builtin() -> Box<dyn Signal> {
    Box::new(SmaCross::new(SmaCrossParams { fast: 20, slow: 60 }).unwrap())
}

/// The sma-cross plugin and the built-in give the same value on every day of `market`.
fn assert_plugin_matches_builtin(market: &cyclebt_data::MarketData) {
    let (mut plugin, mut builtin) = (sma_plugin(), sma_builtin());
    for t in 0..market.len() {
        let history = market.history(t);
        assert_eq!(
            plugin.evaluate(history).unwrap(),
            builtin.evaluate(history).unwrap(),
            "day {t}"
        );
    }
    assert_eq!(plugin.name(), "sma-cross");
}

#[test]
fn sma_cross_plugin_matches_the_builtin_on_every_day() {
    assert_plugin_matches_builtin(&wavy_market(1500));
}

#[test]
fn sma_cross_plugin_matches_the_builtin_on_real_data() {
    assert_plugin_matches_builtin(&shipped_market());
}

#[test]
fn shipped_plugins_are_prefix_stable() {
    let market = wavy_market(700);
    assert_prefix_stable(&sma_plugin, &market, 1);
    let trend = || {
        factory()
            .create(&SignalSpec {
                source: SignalSource::Plugin("trend-exposure".into()),
                params: toml::Table::new(),
                role: SignalRole::Strategy,
                isolate: false,
            })
            .unwrap()
    };
    assert_prefix_stable(&trend, &market, 1);
}

#[test]
fn a_strategy_plugin_sets_the_exposure_itself() {
    let market = wavy_market(400);
    let setup = crate::util::free_setup();
    let params: toml::Table = "days = 10\nband = 0.02".parse().unwrap();
    let plugin = factory()
        .plugin_signal(
            &SignalSource::Plugin("trend-exposure".into()),
            &params,
            SignalRole::Strategy,
        )
        .unwrap();
    let span = WindowSpan {
        first: 50,
        last: 399,
    };
    let result = run(
        &market,
        span,
        &mut [Box::new(plugin)],
        &Plan::Exposure,
        &Sizing::full(),
        &setup,
    )
    .unwrap();
    // The exposure decided at the close of day t, computed here independently, is what the
    // account holds just after the fill at the open of day t + 1.
    let close = market.column(cyclebt_data::Field::Close);
    let mut checked = 0;
    for fill in &result.fills {
        let t = market.dates.binary_search(&fill.date).unwrap() - 1;
        let average = close[t + 1 - 10..=t].iter().sum::<f64>() / 10.0;
        let wanted = ((close[t] / average - 1.0) / 0.02).clamp(0.0, 1.0);
        let i = t + 1 - span.first;
        let price = market.open_exact[t + 1];
        let held = result.units[i] * price / (result.cash[i] + result.units[i] * price);
        let held: f64 = held.try_into().unwrap();
        assert!(
            (held - wanted).abs() < 1e-6,
            "on {}: held {held}, wanted {wanted}",
            fill.date
        );
        checked += 1;
    }
    assert!(checked > 20, "the plugin rebalanced {checked} times");
    // A signal plugin cannot stand in for a strategy plugin, nor the reverse.
    let wrong = factory()
        .plugin_signal(
            &SignalSource::Plugin("trend-exposure".into()),
            &params,
            SignalRole::Signal,
        )
        .err()
        .unwrap();
    assert!(matches!(wrong, PluginError::WrongKind { .. }), "{wrong}");
}

/// Loads a library that must be rejected and returns the error text.
fn rejection(path: &Path) -> PluginError {
    load(path)
        .err()
        .unwrap_or_else(|| panic!("{} loaded", path.display()))
}

#[test]
fn bad_libraries_are_rejected_by_path_and_the_host_survives() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_library = dir.path().join(PluginDirs::file_name("text"));
    std::fs::write(&not_a_library, "this is a text file, not ELF").unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        (
            library("fixture-abi-too-new"),
            "built for plugin ABI version 3, this cyclebt speaks versions 1 to 2",
        ),
        (
            library("fixture-descriptor-too-short"),
            "plugin descriptor is 8 bytes, expected at least",
        ),
        (
            library("fixture-garbage-entry"),
            "not built with the cyclebt SDK: its `cyclebt_plugin_entry` returned data that is not a plugin descriptor (version field 1819043176",
        ),
        (
            library("fixture-null-descriptor"),
            "entry returned no descriptor (null)",
        ),
        (
            library("fixture-no-entry"),
            "not a cyclebt plugin: no `cyclebt_plugin_entry` symbol",
        ),
        (
            library("fixture-null-functions"),
            "bad plugin descriptor: the function table has no `create` (null pointer)",
        ),
        (
            not_a_library.clone(),
            "not a loadable shared library: dlopen failed: ",
        ),
        (
            dir.path().to_path_buf(),
            "not a loadable shared library: dlopen failed: ",
        ),
        (
            dir.path().join("missing.so"),
            "not a loadable shared library",
        ),
    ];
    for (path, expected) in &cases {
        let message = rejection(path).to_string();
        assert!(message.contains(expected), "{}: {message}", path.display());
        assert!(
            message.contains(&path.display().to_string()),
            "path named: {message}"
        );
    }
    // After all that, a good plugin still loads and runs in this same process.
    assert_eq!(
        sma_plugin()
            .evaluate(wavy_market(80).history(79))
            .unwrap()
            .abs(),
        1.0
    );
    let missing = plugin_signal("nope", "").err().unwrap();
    assert!(
        missing.contains("plugin \"nope\" not found: no libnope.so in"),
        "{missing}"
    );
}

#[test]
fn misbehaving_plugins_are_reported_by_name_path_and_date() {
    let market = wavy_market(30);
    let setup = crate::util::free_setup();
    let path = library("fixture-misbehaving").display().to_string();
    let cases = [
        (
            "mode = \"panic\"\nfrom_day = 12",
            "signal fixture-misbehaving (",
            "failed on 2020-01-17: panicked: boom on day 20200117",
        ),
        (
            "mode = \"nan\"",
            "signal fixture-misbehaving (",
            "returned NaN on 2020-01-01; expected a number in [-1, 1]",
        ),
        (
            "mode = \"out_of_range\"",
            "signal fixture-misbehaving (",
            "returned 2.5 on 2020-01-01; expected a number in [-1, 1]",
        ),
    ];
    for (params, who, what) in cases {
        let mut signals = vec![plugin_signal("fixture-misbehaving", params).unwrap()];
        let error = run(
            &market,
            WindowSpan { first: 0, last: 29 },
            &mut signals,
            &Rules::follow_sign(0).into(),
            &Sizing::full(),
            &setup,
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains(who) && error.contains(&path) && error.contains(what),
            "{params}: {error}"
        );
    }
    let refusals = [
        (
            "mode = \"reject\"",
            "rejected its params: mode \"reject\": this plugin refuses every config",
        ),
        (
            "moed = \"nan\"",
            "unknown parameter `moed`; expected one of: from_day, mode",
        ),
        ("mode = \"panic_in_new\"", "panicked: boom in new"),
    ];
    for (params, expected) in refusals {
        let error = plugin_signal("fixture-misbehaving", params).err().unwrap();
        assert!(
            error.contains(expected) && error.contains(&path),
            "{params}: {error}"
        );
    }
    // The host is intact: the same plugin still works.
    let mut fine = plugin_signal("fixture-misbehaving", "").unwrap();
    assert_eq!(fine.evaluate(market.history(3)).unwrap(), 0.5);
}

#[test]
fn the_cli_rejects_bad_plugins_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let strategy = dir.path().join("s.toml");
    let path = |name: &str| format!("path = \"{}\"", library(name).display());
    let misbehaving =
        |mode: &str| format!("plugin = \"fixture-misbehaving\"\nparams = {{ mode = \"{mode}\" }}");
    let cases = [
        (
            path("fixture-abi-too-new"),
            "built for plugin ABI version 3",
        ),
        (
            path("fixture-descriptor-too-short"),
            "plugin descriptor is 8 bytes",
        ),
        (
            path("fixture-null-descriptor"),
            "entry returned no descriptor (null)",
        ),
        (path("fixture-no-entry"), "no `cyclebt_plugin_entry` symbol"),
        (
            path("fixture-null-functions"),
            "the function table has no `create`",
        ),
        (
            path("fixture-garbage-entry"),
            "not built with the cyclebt SDK",
        ),
        (misbehaving("reject"), "this plugin refuses every config"),
        (misbehaving("panic_in_new"), "panicked: boom in new"),
        (
            "plugin = \"no-such-plugin\"".to_string(),
            "plugin \"no-such-plugin\" not found",
        ),
        (
            "plugin = \"../escape\"".to_string(),
            "plugin name \"../escape\" must be letters",
        ),
    ];
    let run_cases = [
        (
            misbehaving("panic"),
            "failed on 2014-04-28: panicked: boom on day 20140428",
        ),
        (misbehaving("nan"), "returned NaN on 2014-04-28"),
        (misbehaving("out_of_range"), "returned 2.5 on 2014-04-28"),
    ];
    for (signal, expected) in cases.into_iter().chain(run_cases) {
        let text = format!(
            "name = \"s\"\n[[signal]]\nid = \"x\"\n{signal}\n[[entry]]\nsignal = \"x\"\nabove = 0\n"
        );
        std::fs::write(&strategy, text).unwrap();
        let output = cyclebt(&[
            "compare",
            strategy.to_str().unwrap(),
            "--plugin-dir",
            plugin_dir().to_str().unwrap(),
            "--window",
            "bull3",
        ]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{signal}: {message}");
        assert!(message.contains(expected), "{signal}: {message}");
    }
}

#[test]
fn plugins_list_shows_versions_paths_parameters_and_rejections() {
    let output = cyclebt(&[
        "plugins",
        "list",
        "--plugin-dir",
        plugin_dir().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("sma-cross 0.1.0 (signal plugin, ABI 2)"),
        "{text}"
    );
    assert!(
        text.contains(&format!("path:  {}", library("sma-cross").display())),
        "{text}"
    );
    assert!(
        text.contains("param fast = 20  days in the fast average"),
        "{text}"
    );
    assert!(
        text.contains("trend-exposure 0.1.0 (strategy plugin, ABI 2)"),
        "{text}"
    );
    assert!(text.contains("param band = 0.05"), "{text}");
    assert!(
        text.contains("maintenance-gauge 0.1.0 (signal plugin, ABI 2)")
            && text.contains("  reads series: maintenance_ratio"),
        "{text}"
    );
    // Named labels are listed with their numbers; an unnamed one is not.
    assert!(text.contains("  labels: 1 up day\n"), "{text}");
    assert!(
        text.contains("  labels: 1 bottom building, 2 breakeven, 3 FOMO, 4 profit taking\n"),
        "{text}"
    );
    // A plugin built for ABI version 1 is listed as such, and loads.
    assert!(
        text.contains("fixture-abi-v1 0.1.0 (signal plugin, ABI 1)"),
        "{text}"
    );
    // Every parameter of every plugin is described.
    let undescribed: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  param ") && l.ends_with("  "))
        .collect();
    assert!(
        undescribed.is_empty(),
        "parameters without a description: {undescribed:?}"
    );
    assert!(
        text.contains("rejected: ") && text.contains("built for plugin ABI version 3"),
        "{text}"
    );
}

#[test]
fn strategy_files_run_strategy_plugins_and_refuse_to_mix_them_with_rules() {
    let strategy = crate::util::shipped_strategy("trend-exposure");
    let strategy = strategy.as_str();
    let dirs = plugin_dir().to_str().unwrap();
    let args = [
        "compare",
        strategy,
        "--window",
        "bull3",
        "--plugin-dir",
        dirs,
    ];
    let output = cyclebt(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("bull3   trend-exposure  full"),
        "{}",
        stdout(&output)
    );

    let dir = tempfile::tempdir().unwrap();
    let mixed = dir.path().join("mixed.toml");
    std::fs::write(
        &mixed,
        "name = \"mixed\"\n[[signal]]\nid = \"t\"\nbuiltin = \"sma_cross\"\n[strategy_plugin]\nplugin = \"trend-exposure\"\n",
    )
    .unwrap();
    let output = cyclebt(&["compare", mixed.to_str().unwrap(), "--plugin-dir", dirs]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("mixed.toml:5:1: [strategy_plugin] decides entry, exit and size itself"),
        "{}",
        stderr(&output)
    );
}

/// The fenced blocks of `lang` in a Markdown text, indentation removed.
fn fenced(text: &str, lang: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, Vec<String>)> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        match &mut current {
            None if trimmed == format!("```{lang}") => {
                current = Some((line.len() - trimmed.len(), Vec::new()))
            }
            Some(_) if trimmed == "```" => blocks.push(current.take().unwrap().1.join("\n") + "\n"),
            Some((indent, lines)) => lines.push(line.get(*indent..).unwrap_or("").to_string()),
            None => {}
        }
    }
    blocks
}

#[test]
fn the_plugin_tutorial_builds_and_runs_as_written() {
    let project = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let readme = std::fs::read_to_string(project.join("plugins/README.md")).unwrap();
    let (tomls, rust) = (fenced(&readme, "toml"), fenced(&readme, "rust"));
    let (manifest, strategy_text, code) = (&tomls[0], &tomls[1], &rust[0]);
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = dir.path().join("momentum");
    std::fs::create_dir_all(crate_dir.join("src")).unwrap();
    // Only the SDK's path changes (the tutorial's crate sits in plugins/), and the crate is
    // made a workspace of its own; the project's lock file keeps dependency versions equal.
    let sdk = project.join("core/sdk").canonicalize().unwrap();
    let manifest = manifest.replace("../../core/sdk", sdk.to_str().unwrap()) + "\n[workspace]\n";
    std::fs::write(crate_dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(crate_dir.join("src/lib.rs"), code).unwrap();
    std::fs::copy(project.join("Cargo.lock"), crate_dir.join("Cargo.lock")).unwrap();
    let target = plugin_dir().parent().unwrap().join("tutorial");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--quiet"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&crate_dir)
        .status()
        .unwrap();
    assert!(status.success(), "the tutorial's plugin builds");
    let built = target.join("debug");
    let listed = cyclebt(&["plugins", "list", "--plugin-dir", built.to_str().unwrap()]);
    let listing = stdout(&listed);
    assert!(
        listing.contains("momentum 0.1.0 (signal plugin, ABI 2)"),
        "{listing}"
    );
    assert!(
        listing.contains("param scale = 0.1  return that maps to a full +1 or -1"),
        "{listing}"
    );
    let strategy = dir.path().join("momentum.toml");
    std::fs::write(&strategy, strategy_text).unwrap();
    let args = [
        "compare",
        strategy.to_str().unwrap(),
        "--plugin-dir",
        built.to_str().unwrap(),
        "--window",
        "bull3",
    ];
    let output = cyclebt(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("bull3   momentum"),
        "{}",
        stdout(&output)
    );
}

/// A market of 9 weekdays with a `maintenance_ratio` series, or without it.
fn market_with_ratio(ratio: Option<Vec<f64>>) -> cyclebt_data::MarketData {
    let closes = ["10", "11", "12", "11", "10", "9", "10", "11", "12"];
    let market = crate::util::synthetic_market(&closes, &closes, &[]);
    match ratio {
        None => market,
        Some(values) => market.with_series(
            cyclebt_data::SeriesInfo {
                name: "maintenance_ratio".into(),
                unit: "ratio".into(),
                description: "test".into(),
            },
            values,
        ),
    }
}

#[test]
fn a_plugin_reads_a_user_declared_series_by_name_through_the_abi() {
    // The plugin's own worked example (lookback 2, fall 0.25, floor 2.3), now through the host:
    // the series is found by name among the dataset's columns.
    let ratio = vec![2.8, 2.7, 2.9, 2.5, 2.6, 2.29, f64::NAN, 2.7, 2.8];
    let market = market_with_ratio(Some(ratio));
    let mut signal = plugin_signal("maintenance-gauge", "lookback = 2").unwrap();
    assert_eq!(signal.requires_series(), ["maintenance_ratio"]);
    let expected = [0.0, 0.0, 1.0, 0.0, -1.0, -1.0, 0.0, 1.0, 0.0];
    let by_day: Vec<f64> = (0..market.len())
        .map(|t| signal.evaluate(market.history(t)).unwrap())
        .collect();
    assert_eq!(by_day, expected);
    let mut range = Vec::new();
    signal
        .evaluate_days(market.history(market.len() - 1), 0, &mut range)
        .unwrap();
    assert_eq!(range, expected);
    // Whole windows: no look-ahead.
    assert_prefix_stable(
        &|| plugin_signal("maintenance-gauge", "lookback = 2").unwrap(),
        &market,
        1,
    );
    // A dataset without the series: the run is n/a, saying which series and why.
    let bare = market_with_ratio(None);
    let span = WindowSpan {
        first: 0,
        last: bare.len() - 1,
    };
    let signals = vec![plugin_signal("maintenance-gauge", "").unwrap()];
    assert_eq!(
        missing_inputs(&bare, span, &signals).unwrap(),
        "no maintenance_ratio (dataset synthetic declares no such series) data in the window; signal maintenance-gauge needs it"
    );
}

#[test]
fn the_maintenance_gauge_runs_on_the_shipped_dataset() {
    let market = shipped_market();
    let span = WindowSpan {
        first: market
            .first_on_or_after(crate::util::date("2012-10-08"))
            .unwrap(),
        last: market
            .last_on_or_before(crate::util::date("2019-12-31"))
            .unwrap(),
    };
    let mut signals = vec![plugin_signal("maintenance-gauge", "").unwrap()];
    assert!(missing_inputs(&market, span, &signals).is_none());
    let mut values = Vec::new();
    signals[0]
        .evaluate_days(market.history(span.last), span.first, &mut values)
        .unwrap();
    let on = |date: &str| {
        values[market.first_on_or_after(crate::util::date(date)).unwrap() - span.first]
    };
    // The ratio of 2018-10-12, 2.223, under the 2.3 floor, is visible on 2018-10-15 (lagged a
    // day); that of 2013-06-24, 2.088, on 2013-06-25.
    assert_eq!(on("2018-10-15"), -1.0);
    assert_eq!(on("2013-06-25"), -1.0);
}

#[test]
fn a_plugin_built_for_abi_version_1_still_loads_and_runs() {
    let plugin = load(&library("fixture-abi-v1")).unwrap();
    assert_eq!(plugin.info.abi_version, 1);
    assert!(plugin.info.requires_series.is_empty());
    let market = wavy_market(30);
    let mut signal = plugin_signal("fixture-abi-v1", "").unwrap();
    assert_eq!(signal.evaluate(market.history(5)).unwrap(), 0.25);
    let mut range = Vec::new();
    signal
        .evaluate_days(market.history(29), 10, &mut range)
        .unwrap();
    assert_eq!(range, vec![0.25; 20]);
}

#[test]
fn plugins_name_their_labels_and_a_descriptor_from_before_label_names_still_loads() {
    let fomo = load(&library("fomo-phase")).unwrap();
    assert_eq!(
        fomo.info.label_names,
        ["bottom building", "breakeven", "FOMO", "profit taking"]
    );
    let user = load(&library("fixture-labelled-days")).unwrap();
    assert_eq!(user.info.label_names, ["up day", ""]);
    // Its size stops before the label fields, which hold a count with a null list: the host
    // reads no label names instead of following the null pointer.
    let old = load(&library("fixture-v2-before-labels")).unwrap();
    assert_eq!(old.info.abi_version, 2);
    assert!(old.info.label_names.is_empty());
    let market = wavy_market(30);
    let mut signal = plugin_signal("fixture-v2-before-labels", "").unwrap();
    assert_eq!(signal.evaluate(market.history(5)).unwrap(), 0.5);
}

#[test]
fn a_user_plugin_publishing_labels_gets_its_named_labels_shaded_in_the_report() {
    // A user's strategy on the fixture, which labels up days 1 ("up day") and down days 2
    // (declared without a name).
    let dir = tempfile::tempdir().unwrap();
    let strategy = dir.path().join("up-days.toml");
    std::fs::write(
        &strategy,
        "name = \"up-days\"\ndataset = \"sh000001\"\n[[signal]]\nid = \"up\"\nplugin = \"fixture-labelled-days\"\n\
         [[entry]]\nsignal = \"up\"\nabove = 0.0\n[[exit]]\nsignal = \"up\"\nbelow = 0.0\n\
         [[sizing]]\nname = \"full\"\nrule = \"full\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let output = cyclebt(&[
        "compare",
        strategy.to_str().unwrap(),
        "--window",
        "bull3",
        "--plugin-dir",
        plugin_dir().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    // Expected, from the closes: the stretches of consecutive trading days of the window that
    // close above the day before, as (1, first, last), dates as yyyymmdd. The window's days
    // are the ledger's; its last day decides nothing, so the plugin is not asked about it.
    let ledger = std::fs::read_to_string(out.join("runs/bull3/up-days/full/ledger.csv")).unwrap();
    let days: Vec<chrono::NaiveDate> = ledger
        .lines()
        .skip(1)
        .map(|l| l[..10].parse().unwrap())
        .collect();
    let market = shipped_market();
    let close = market.column(cyclebt_data::Field::Close);
    let index = |d: &chrono::NaiveDate| market.dates.binary_search(d).unwrap();
    let number = |d: chrono::NaiveDate| d.format("%Y%m%d").to_string().parse::<u64>().unwrap();
    let mut expected: Vec<u64> = Vec::new();
    let mut previous_up: Option<usize> = None;
    for day in &days[..days.len() - 1] {
        let t = index(day);
        let up = close[t] > close[t - 1];
        match (up, previous_up) {
            (true, Some(p)) if p + 1 == t => {
                let n = expected.len();
                expected[n - 1] = number(*day);
            }
            (true, _) => expected.extend([1, number(*day), number(*day)]),
            (false, _) => {}
        }
        previous_up = up.then_some(t);
    }
    assert!(expected.len() > 30, "bull3 has up days: {expected:?}");

    // Isolated, the child process sends the labels back after the values.
    let isolated = dir.path().join("isolated");
    let output = cyclebt(&[
        "compare",
        strategy.to_str().unwrap(),
        "--window",
        "bull3",
        "--plugin-dir",
        plugin_dir().to_str().unwrap(),
        "--isolate",
        "--out",
        isolated.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    // On the window's charts and on the tearsheet, in process and isolated: the plugin's
    // track, with its declared names, shading exactly those stretches (label 2 has no name,
    // so it is not shaded).
    for folder in [&out, &isolated] {
        let page = std::fs::read_to_string(folder.join("report.html")).unwrap();
        for id in ["win-bull3", "sheet-up-days---full"] {
            let data = section_data(&page, id);
            let tracks = data["labels"].as_array().unwrap();
            assert_eq!(tracks.len(), 1, "{id}: {tracks:?}");
            let track = &tracks[0];
            assert_eq!(track["plugin"], "fixture-labelled-days");
            assert_eq!(track["strategy"], "up-days");
            assert_eq!(track["names"], serde_json::json!(["up day", ""]));
            let pool = data["pool"].as_array().unwrap();
            let spans: Vec<u64> = pool[track["spans"].as_u64().unwrap() as usize]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            assert_eq!(spans, expected, "{id} in {}", folder.display());
        }
        // The window's charts offer the track by the plugin's and the strategy's names.
        assert!(
            page.contains("<option value=\"0\" selected>fixture-labelled-days (up-days)</option>")
        );
    }
}
