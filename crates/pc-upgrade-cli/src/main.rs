//! `pc-upgrade`, the program: parses the command line, sets up the log and the runtime, and
//! runs the command (`pc_upgrade::run`); the exit code is the command's. Everything else is
//! the library's.

use std::process::ExitCode;

use clap::Parser;
use pc_upgrade::{CANNOT_RUN, Cli, Console, Invocation, Vars};

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = Cli::parse_from(&args);
    tracing_subscriber::fmt()
        .with_env_filter(pc_upgrade::logging::filter(&cli))
        .with_writer(pc_upgrade::logging::LogWriter)
        .init();
    let console = Console::std();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            console.err(&format!("pc-upgrade: no async runtime: {error}\n"));
            return ExitCode::from(CANNOT_RUN);
        }
    };
    let code = runtime.block_on(async {
        let invocation = Invocation {
            cli,
            args,
            console,
            vars: Vars::from_process(),
            interrupt: pc_upgrade::signals::interrupts(),
        };
        pc_upgrade::run(invocation).await
    });
    ExitCode::from(code)
}
