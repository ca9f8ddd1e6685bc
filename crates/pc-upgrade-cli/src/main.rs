//! `pc-upgrade`, the program: parses the command line, sets up the log and the runtime, and
//! runs the command (`pc_upgrade::run`); the exit code is the command's. Everything else is
//! the library's.

use std::process::ExitCode;

use clap::Parser;
use pc_upgrade::{CANNOT_RUN, Cli, Console, INTERRUPTED, Invocation, Vars};

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = Cli::parse_from(&args);
    let console = Console::std();
    let vars = Vars::from_process();
    tracing_subscriber::fmt()
        .with_env_filter(pc_upgrade::logging::filter(&cli, &vars))
        .with_writer(console.log_writer())
        .init();
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
    let (code, quit) = runtime.block_on(async {
        let interrupts = pc_upgrade::signals::interrupts();
        let mut quit = interrupts.quit;
        let invocation = Invocation {
            cli,
            args,
            console,
            vars,
            interrupt: interrupts.stop,
        };
        // A second signal quits at once: the run is dropped where it is (every journal
        // line it wrote is whole).
        let quitting = async {
            if quit.wait_for(|quit| *quit).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            code = pc_upgrade::run(invocation) => (code, false),
            () = quitting => (INTERRUPTED, true),
        }
    });
    if quit {
        // Calls still in flight on other threads are not waited for.
        runtime.shutdown_background();
    }
    ExitCode::from(code)
}
