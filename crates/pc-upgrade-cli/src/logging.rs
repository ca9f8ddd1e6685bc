//! What the log shows, and where it goes: stderr, above the progress bar while one is drawn
//! ([`LogWriter`]).

use crate::args::Cli;
pub use crate::console::LogWriter;
use crate::console::Vars;

/// What the log shows: `RUST_LOG` (of `vars`) with targets as given; a bare level (`info`, `debug`) or
/// `-v` for this tool and its client only (dependencies stay at warn, or they flood); `-q`
/// errors only. At info each call is one line.
pub fn filter(cli: &Cli, vars: &Vars) -> tracing_subscriber::EnvFilter {
    let ours = |level: &str| {
        let client = if level == "info" { "debug" } else { level };
        format!("warn,pc_upgrade={level},pc_upgrade_client={client}")
    };
    let given = vars.get("RUST_LOG");
    let directives = match (cli.quiet, cli.verbose, given) {
        (true, ..) => "error".to_owned(),
        (_, 0, Some(given)) if given.contains('=') || given.contains(',') => given,
        (_, 0, Some(level)) => ours(level.trim()),
        (_, 0, None) => "warn".to_owned(),
        (_, 1, _) => ours("info"),
        (_, _, _) => ours("debug"),
    };
    tracing_subscriber::EnvFilter::try_new(&directives)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"))
}
