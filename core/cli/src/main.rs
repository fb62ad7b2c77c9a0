//! The `cyclebt` binary: the command line of [`cyclebt_cli::run`] on the process's arguments,
//! stdout and stderr, and its exit code.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == PLUGIN_WORKER)
    {
        return plugin_worker();
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut err = std::io::stderr();
    match std::panic::catch_unwind(move || {
        cyclebt_cli::run(std::env::args_os(), &mut out, &mut err)
    }) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(cyclebt_cli::RunError::Usage(usage))) => {
            let _ = write!(std::io::stderr(), "{usage}");
            ExitCode::from(2)
        }
        Ok(Err(error)) => {
            let _ = writeln!(std::io::stderr(), "error: {error}");
            ExitCode::from(error.exit_code())
        }
        Err(_) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: internal error (a panic, reported above); please file a bug"
            );
            ExitCode::from(1)
        }
    }
}

/// The argument that makes this process the child of `--isolate`
/// ([`cyclebt_host::isolate`]): not a command for people, so not in `--help`.
const PLUGIN_WORKER: &str = "plugin-worker";

/// Evaluates one plugin over one window for a host: the request on stdin, the values on
/// stdout; an error the plugin reports is `day<TAB>message` on stderr with exit code
/// [`cyclebt_host::isolate::WORKER_PLUGIN_ERROR`].
fn plugin_worker() -> ExitCode {
    let stdout = std::io::stdout();
    let served = cyclebt_host::isolate::serve(&mut std::io::stdin().lock(), &mut stdout.lock());
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err((day, message)) => {
            let _ = writeln!(std::io::stderr(), "{day}\t{message}");
            ExitCode::from(cyclebt_host::isolate::WORKER_PLUGIN_ERROR)
        }
    }
}
