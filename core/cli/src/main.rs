//! The `cyclebt` binary: the command line of [`cyclebt_cli::run`] on the process's arguments,
//! stdout and stderr, and its exit code.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
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
