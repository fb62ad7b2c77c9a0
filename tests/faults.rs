//! The fault table: what a plugin that aborts, exits, overflows its stack, reads a null
//! pointer, hangs or allocates without end does to `cyclebt compare`, in-process and with
//! `--isolate`. In-process each takes the whole command down (or hangs it) and none is
//! reported with the plugin's name (the allocation storm is not run in-process: on a shared
//! machine it would take more than the test down). Isolated, each is a failed strategy with
//! the plugin's name, path and cause, and the other strategy's results come out.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::plugins::plugin_dir;

/// How a run ended.
#[derive(Debug, PartialEq)]
enum Ended {
    /// Exit code, with whether anything was printed on stdout.
    Exited(i32, bool),
    /// Killed by a signal.
    Signalled(i32),
    /// Still running after the limit; killed by the test.
    Hung,
}

/// Runs `compare` on a strategy using the misbehaving fixture in `mode` (and `extra`
/// arguments), for at most `limit`.
fn run_fault(mode: &str, limit: Duration) -> (Ended, String) {
    run_fault_with(mode, &[], limit).0
}

/// [`run_fault`] with more arguments; also the stdout.
fn run_fault_with(mode: &str, extra: &[&str], limit: Duration) -> ((Ended, String), String) {
    let dir = tempfile::tempdir().unwrap();
    let strategy = dir.path().join("fault.toml");
    std::fs::write(
        &strategy,
        format!(
            "name = \"fault\"\n[[signal]]\nid = \"x\"\nplugin = \"fixture-misbehaving\"\nparams = {{ mode = \"{mode}\" }}\n[[entry]]\nsignal = \"x\"\nabove = 0\n"
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cyclebt"))
        .args(["compare", strategy.to_str().unwrap(), "--window", "bull3"])
        .args(["--plugin-dir", plugin_dir().to_str().unwrap()])
        .args(extra)
        .env_remove("CYCLEBT_DATA")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let output = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
            let ended = match (status.code(), status.signal()) {
                (Some(code), _) => Ended::Exited(code, !output.stdout.is_empty()),
                (None, Some(signal)) => Ended::Signalled(signal),
                (None, None) => unreachable!("a process ends with a code or a signal"),
            };
            let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
            return ((ended, stderr), stdout);
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            return ((Ended::Hung, String::new()), String::new());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

const SIGABRT: i32 = 6;
const SIGSEGV: i32 = 11;

#[test]
fn in_process_faults_take_the_command_down_unnamed() {
    let limit = Duration::from_secs(60);
    let (ended, stderr) = run_fault("abort", limit);
    assert_eq!(ended, Ended::Signalled(SIGABRT), "{stderr}");
    assert!(!stderr.contains("fixture-misbehaving"), "{stderr}");

    // exit(0): success and nothing printed, not even the table.
    let (ended, stderr) = run_fault("exit", limit);
    assert_eq!(ended, Ended::Exited(0, false), "{stderr}");

    let (ended, stderr) = run_fault("stack_overflow", limit);
    assert!(
        matches!(ended, Ended::Signalled(SIGABRT | SIGSEGV)),
        "{ended:?}: {stderr}"
    );
    assert!(!stderr.contains("fixture-misbehaving"), "{stderr}");

    let (ended, stderr) = run_fault("segfault", limit);
    assert_eq!(ended, Ended::Signalled(SIGSEGV), "{stderr}");

    let (ended, _) = run_fault("hang", Duration::from_secs(10));
    assert_eq!(ended, Ended::Hung);
}

#[test]
fn isolated_faults_fail_their_strategy_named_and_the_others_run() {
    let sma_trend = crate::util::shipped_strategy("sma-trend");
    let cases = [
        ("abort", "was killed by signal 6 (SIGABRT"),
        ("exit", "exited 0 with 0 bytes of values for"),
        (
            "stack_overflow",
            "\"fatal runtime error: stack overflow, aborting\"",
        ),
        ("segfault", "was killed by signal 11 (SIGSEGV"),
        ("hang", "did not answer within 2 s (a hang?) and was killed"),
        ("alloc_storm", "was killed by signal 6 (SIGABRT"),
        ("panic", "panicked: boom on day 20140428"),
    ];
    let library = plugin_dir()
        .join(cyclebt_host::PluginDirs::file_name("fixture-misbehaving"))
        .display()
        .to_string();
    for (mode, cause) in cases {
        let args = [
            sma_trend.as_str(),
            "--isolate",
            "--isolate-timeout",
            "2",
            "--isolate-memory-mb",
            "512",
        ];
        let ((ended, stderr), stdout) = run_fault_with(mode, &args, Duration::from_secs(60));
        assert_eq!(ended, Ended::Exited(2, true), "{mode}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "error: strategy fault failed in window bull3: signal fixture-misbehaving ({library}, isolated) failed on 2014-04-28: "
            )) && stderr.contains(cause),
            "{mode}: {stderr}"
        );
        assert!(
            stdout
                .lines()
                .any(|l| l.split_whitespace().take(2).eq(["bull3", "sma-trend"])),
            "{mode}: the other strategy's row: {stdout}"
        );
    }
}

#[test]
fn isolated_plugins_give_the_in_process_values() {
    use cyclebt_engine::{SignalFactory, SignalRole, SignalSource, SignalSpec, evaluate_signal};
    let isolation = cyclebt_host::Isolation {
        worker: env!("CARGO_BIN_EXE_cyclebt").into(),
        time_limit: Duration::from_secs(120),
        memory_limit: 4 << 30,
    };
    let market = crate::util::shipped_market();
    let span = cyclebt_data::WindowSpan {
        first: 6000,
        last: 6300,
    };
    // An example plugin, a seed plugin reading the margin fields, one reading a named series
    // (rows 6000..6300 are 2015, when the margin figures and the maintenance ratio exist).
    for (name, params) in [
        ("sma-cross", "fast = 20\nslow = 60"),
        ("margin-divergence", ""),
        ("maintenance-gauge", ""),
    ] {
        let spec = SignalSpec {
            source: SignalSource::Plugin(name.into()),
            params: params.parse().unwrap(),
            role: SignalRole::Signal,
            isolate: false,
        };
        let mut plain = crate::plugins::factory().create(&spec).unwrap();
        let mut isolated = crate::plugins::factory()
            .with_isolation(Some(isolation.clone()))
            .create(&spec)
            .unwrap();
        assert!(
            isolated.describe().ends_with(", isolated)"),
            "{}",
            isolated.describe()
        );
        assert_eq!(
            evaluate_signal(isolated.as_mut(), &market, span).unwrap(),
            evaluate_signal(plain.as_mut(), &market, span).unwrap(),
            "{name}"
        );
    }
    // Global state cannot leak between isolated instances: each has a process of its own.
    let shared = SignalSpec {
        source: SignalSource::Plugin("fixture-misbehaving".into()),
        params: "mode = \"shared_state\"".parse().unwrap(),
        role: SignalRole::Signal,
        isolate: false,
    };
    let factory = crate::plugins::factory().with_isolation(Some(isolation));
    let mut values = (0..2).map(|_| {
        let mut signal = factory.create(&shared).unwrap();
        evaluate_signal(signal.as_mut(), &market, span).unwrap()
    });
    assert_eq!(values.next(), values.next());
}

#[test]
fn a_strategy_file_can_ask_for_isolation_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let strategy = dir.path().join("fault.toml");
    std::fs::write(
        &strategy,
        "name = \"fault\"\nisolate = true\n[[signal]]\nid = \"x\"\nplugin = \"fixture-misbehaving\"\nparams = { mode = \"abort\" }\n[[entry]]\nsignal = \"x\"\nabove = 0\n",
    )
    .unwrap();
    let output = crate::util::cyclebt(&[
        "compare",
        strategy.to_str().unwrap(),
        &crate::util::shipped_strategy("sma-trend"),
        "--window",
        "bull3",
        "--plugin-dir",
        plugin_dir().to_str().unwrap(),
    ]);
    let stderr = crate::util::stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "isolated) failed on 2014-04-28: the isolated plugin's process was killed by signal 6"
        ),
        "{stderr}"
    );
    assert!(crate::util::stdout(&output).contains("sma-trend"));
}
