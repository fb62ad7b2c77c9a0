//! The fault table without `--isolate` (which does not exist yet): what a plugin that aborts,
//! exits, overflows its stack, reads a null pointer or hangs does to `cyclebt compare` when it
//! runs in-process. These tests pin the README's table: each of these takes the whole command
//! down (or hangs it) and none is reported with the plugin's name. An allocation storm is left
//! out: on a shared machine it would take more than the test down.

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

/// Runs `compare` on a strategy using the misbehaving fixture in `mode`, for at most `limit`.
fn run_fault(mode: &str, limit: Duration) -> (Ended, String) {
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
            return (ended, stderr);
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            return (Ended::Hung, String::new());
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
