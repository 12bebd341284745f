//! The `gleaner` binary: parse flags, set up logging, run the command, map the result
//! to an exit status (0 ok, 1 nothing found, 2 bad usage, config or database, 3 a
//! draft with picks still missing their blurbs).

use std::process::ExitCode;

use clap::Parser;
use gleaner::cli::{Cli, Command, LogFormat};
use gleaner::commands::{self, Outcome};

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    if let Err(err) = gleaner::clock::init() {
        eprintln!("gleaner: {err}");
        return ExitCode::from(2);
    }
    init_logging(cli.log_format, matches!(cli.command, Command::Daemon));
    match commands::run(cli) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::NothingFound) => ExitCode::from(1),
        Ok(Outcome::Unfinished) => ExitCode::from(3),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("gleaner: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Logs go to standard error. The daemon logs at `info`; one-shot commands only log
/// errors, since their printed summary already names every failed feed.
/// `GLEANER_LOG` (tracing's env-filter syntax, e.g. `debug`) overrides both.
fn init_logging(format: LogFormat, daemon: bool) {
    // The scheduler's own info lines (its start-up states) say nothing to an operator.
    let default = if daemon {
        "info,tokio_cron_scheduler=warn"
    } else {
        "error"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("GLEANER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

/// glibc gives every thread that allocates its own malloc arena (up to 8 per core),
/// and each keeps its freed memory: a cold poll of 1,000 feeds peaked at 45 MiB with
/// the default and 38 MiB with two arenas, no slower (`benches/e2e.py`).
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
