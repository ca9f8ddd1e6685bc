//! Each command of `pc-upgrade`, a module each (`fleet`: eligibility and upgrade; `status`;
//! `verify`; `discover`;
//! `demo`; `manual`: completions and the man page), and [`run`], which runs the one the
//! command line names with what the [`Invocation`] gives it.

#[cfg(feature = "demo")]
mod demo;
mod discover;
mod fleet;
mod manual;
mod status;
mod verify;

use std::ffi::OsString;
use std::time::Duration;

use pc_upgrade_client::DEFAULT_BASE_URL;
use tokio::sync::watch;

use crate::args::{Cli, Command, Output};
use crate::console::{Console, Vars};
use crate::ending::{ALL_WELL, BAD_ARGUMENTS, CANNOT_RUN, Outputs, PARTIAL};
use crate::engine::{Brakes, Mode};
use crate::files::Misuse;
use crate::sign_in::{Connection, SignIn};

/// One run of `pc-upgrade`: the parsed command line and all it is given from outside.
#[derive(Debug)]
pub struct Invocation {
    /// The command line, parsed.
    pub cli: Cli,
    /// The command line as typed (the program first), for the command that goes on.
    pub args: Vec<OsString>,
    /// Where its text goes.
    pub console: Console,
    /// The environment it signs in from.
    pub vars: Vars,
    /// Turns `true` when the run is asked to stop (Ctrl-C).
    pub interrupt: watch::Receiver<bool>,
}

/// What every command works with.
struct Session<'a> {
    connection: Connection,
    /// `--base-url` (or its variable), when given.
    given_base_url: Option<String>,
    console: &'a Console,
    args: &'a [OsString],
    interrupt: watch::Receiver<bool>,
    /// No progress, only the summary and errors.
    quiet: bool,
}

/// Runs the command; its exit code (an error is printed, and is [`CANNOT_RUN`]).
pub async fn run(invocation: Invocation) -> u8 {
    let Invocation {
        cli,
        args,
        console,
        vars,
        interrupt,
    } = invocation;
    let session = Session {
        connection: Connection {
            base_url: (cli.base_url.clone()).unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()),
            rate: cli.rate.clone(),
            sign_in: SignIn::FromEnvironment(vars),
        },
        given_base_url: cli.base_url.clone(),
        console: &console,
        args: &args,
        interrupt,
        quiet: cli.quiet,
    };
    let code = match command(&cli.command, session).await {
        Ok(code) => code,
        Err(error) if error.is::<Misuse>() => {
            console.err(&format!("pc-upgrade: {error:#}\n"));
            BAD_ARGUMENTS
        }
        Err(error) => {
            console.err(&format!("pc-upgrade: {error:#}\n"));
            CANNOT_RUN
        }
    };
    stdout_checked(&console, code, json_out(&cli.command))
}

/// The exit code once what went to stdout is checked: a document or summary that could not
/// be written whole (a full disk) is said and exits 1 at least; a reader that went away
/// (`| head`) is not told of, but a JSON document it cut short still exits 1, since what it
/// read is not the document.
fn stdout_checked(console: &Console, code: u8, json: bool) -> u8 {
    let Some(failure) = console.out_failure() else {
        return code;
    };
    if failure.closed && !json {
        return code;
    }
    if !failure.closed {
        console.err(&format!(
            "pc-upgrade: standard output could not be written ({}): what it shows is cut \
             short; the journal and the reports say the rest\n",
            failure.reason
        ));
    }
    match code {
        ALL_WELL | PARTIAL => CANNOT_RUN,
        other => other,
    }
}

/// Whether the command writes a JSON document to stdout (`--output json`).
fn json_out(command: &Command) -> bool {
    let output = match command {
        Command::Eligibility { output, .. }
        | Command::Status { output, .. }
        | Command::Discover { output, .. }
        | Command::Verify { output, .. } => *output,
        _ => Output::Text,
    };
    output == Output::Json
}

impl<'a> Session<'a> {
    /// A run's progress over `total` customers on the session's console, showing the rate of
    /// `client`'s limit (per minute when the operator gave `connection`'s rate so).
    fn progress(
        &self,
        total: usize,
        client: &pc_upgrade_client::PartnerCenterClient,
        connection: &Connection,
    ) -> crate::progress::Progress<'a> {
        let progress = crate::progress::Progress::new(total, self.quiet, self.console);
        let per_minute = (connection.rate.as_ref()).is_some_and(|r| r.per.as_secs() >= 60);
        progress.watch(client.rate_limit(), per_minute);
        progress
    }

    /// The engine over `customers` (the set-up `upgrade` and `status --refresh` share), with
    /// its progress: the rows, and why the run stopped early if it did.
    async fn engine(
        &self,
        (client, connection): (pc_upgrade_client::PartnerCenterClient, &Connection),
        journal: Option<&crate::journal::Journal>,
        settings: crate::engine::Settings,
        customers: Vec<(crate::customers::Customer, crate::state::Known)>,
    ) -> (Vec<crate::report::Row>, Option<crate::engine::Stop>) {
        let progress = self.progress(customers.len(), &client, connection);
        let engine = crate::engine::Engine::new(client, journal, settings, &progress, customers);
        let ended = engine.run(self.interrupt.clone()).await;
        progress.finish();
        ended
    }
}

/// Says that the journal's torn end (a crash's, a power loss's) was left out.
fn torn_end(session: &Session<'_>, path: &std::path::Path, replayed: &crate::journal::Replayed) {
    if replayed.dropped > 0 {
        session.console.err(&format!(
            "pc-upgrade: the journal {} ended in {} bytes that were no whole line (a crash or a \
             power loss cut its last write short); they are left out: nothing was done on \
             what they said\n",
            path.display(),
            replayed.dropped
        ));
    }
}

/// The `eligibility` command's job: eligibility alone, no journal.
fn eligibility(stdout: Output) -> fleet::Job<'static> {
    fleet::Job {
        mode: Mode::Eligibility,
        journal: None,
        following: fleet::Following {
            wait: Duration::from_secs(1),
            first_poll: Duration::from_secs(1),
        },
        other_customers: false,
        only: None,
        line_items: None,
        stdout,
        brakes: Brakes::default(),
        takes_only: false,
    }
}

async fn command(command: &Command, session: Session<'_>) -> anyhow::Result<u8> {
    match command {
        Command::Eligibility { fleet, output } => {
            fleet::run(&session, fleet, eligibility(*output)).await
        }
        Command::Upgrade {
            fleet,
            journal,
            line_items,
            yes,
            wait,
            poll_interval,
            other_customers,
            only,
            canary,
            max_failed,
        } => {
            if !yes {
                session
                    .console
                    .err("dry run: nothing is created (add --yes to upgrade)\n");
            }
            let job = fleet::Job {
                mode: if *yes { Mode::Upgrade } else { Mode::DryRun },
                journal: Some(journal),
                following: fleet::Following {
                    wait: *wait,
                    first_poll: *poll_interval,
                },
                other_customers: *other_customers,
                only: only.as_deref(),
                line_items: line_items.as_deref(),
                stdout: Output::Text,
                brakes: Brakes {
                    canary: *canary,
                    max_failed: *max_failed,
                },
                takes_only: true,
            };
            fleet::run(&session, fleet, job).await
        }
        Command::Status {
            journal,
            output,
            report,
            line_items,
            refresh,
            product_family,
            skip_damaged,
        } => {
            let outputs = Outputs {
                report: report.as_deref(),
                line_items: line_items.as_deref(),
                stdout: *output,
            };
            match refresh {
                true => status::refresh(&session, journal, outputs, product_family).await,
                false => status::status(&session, journal, outputs, *skip_damaged),
            }
        }
        Command::Discover {
            out,
            page_size,
            output,
        } => discover::run(&session, out, *page_size, *output).await,
        Command::Verify {
            journal,
            report,
            output,
        } => verify::run(&session, journal, report.as_deref(), *output).await,
        #[cfg(feature = "demo")]
        Command::Demo { dir } => demo::run(&session, dir.as_deref()).await,
        Command::Completions { shell } => manual::completions(&session, *shell),
        Command::Man => manual::man(&session),
    }
}
