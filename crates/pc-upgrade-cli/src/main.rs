//! `pc-upgrade`: move a fleet of Microsoft CSP customers from Microsoft Azure (MS-AZR-0145P)
//! subscriptions to the Azure plan through the Partner Center product upgrades API.
//!
//! Module map:
//! - `customers`: the customers file (CSV or a GUID per line), bad lines kept;
//! - `demo`: `pc-upgrade demo`, against the fake service in this process;
//! - `state`: each customer's typed stage, and the journal events that move it on;
//! - `journal`: the locked, append-only journal a killed run resumes from;
//! - `classify`: whose failure a failed call is (the customer's, the caller's, or transient);
//! - `engine`: the run loop that schedules every call within the rate limit;
//! - `run`: the report's rows, from each customer's stage; `select`: `--only`;
//! - `report`: the report (CSV or JSON); `progress`: the bar, or a line per customer;
//! - `summary`: what the end of a run prints, and what to do next; `utc`: timestamps.

// A binary: what it offers is documented by --help and the README; the workspace's
// missing_docs is for the library crates.
#![allow(missing_docs)]

mod classify;
mod customers;
#[cfg(feature = "demo")]
mod demo;
mod engine;
mod journal;
mod progress;
mod report;
mod run;
mod select;
mod state;
mod summary;
mod utc;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use pc_upgrade_client::{
    DEFAULT_AUTHORITY, DEFAULT_BASE_URL, EntraTokenSource, PartnerCenterClient, RateLimit,
    RetryPolicy,
};
use tokio::sync::watch;

use crate::engine::{Engine, Mode, Settings, Stop};
use crate::journal::{CustomersFile, Journal, Replayed};

/// Every customer ended well (completed, or not eligible and so left alone).
const ALL_WELL: u8 = 0;
/// The run could not go on (credentials, the service down, an unreadable file).
const CANNOT_RUN: u8 = 1;
/// Some customers did not end well (failed, refused, not completed yet, a bad line).
const PARTIAL: u8 = 3;
/// Interrupted (Ctrl-C, or a termination signal).
const INTERRUPTED: u8 = 130;

const CREDENTIALS: &str = "\
Credentials come from the environment:
  PC_UPGRADE_TOKEN                a ready Partner Center access token, or else
  PC_UPGRADE_TENANT_ID            the partner's tenant
  PC_UPGRADE_CLIENT_ID            the app's client id
  PC_UPGRADE_CLIENT_SECRET        its secret (or PC_UPGRADE_CLIENT_SECRET_FILE)
  PC_UPGRADE_REFRESH_TOKEN        the App+User refresh token of the partner's consent, or
  PC_UPGRADE_REFRESH_TOKEN_FILE   a file holding it; a rotated refresh token is written back
                                  to this file (without a refresh token: app-only tokens,
                                  which these operations do not accept)
  PC_UPGRADE_AUTHORITY            the Entra ID authority (default https://login.microsoftonline.com)

Rate: without --rate, the run finds Partner Center's limit itself: it starts at 2 calls a
second, raises the rate while calls succeed and backs off on a 429. --rate sets a ceiling.

Exit codes: 0 every customer ended well (completed, or not eligible); 3 some did not (failed,
refused, not completed yet, to retry later, a bad line); 1 the run could not go on (the
credentials were refused, the service did not answer, a file could not be used): the same
command resumes once that is fixed; 130 interrupted (the same command resumes); 2 bad
arguments. RUST_LOG=info (or debug) logs each call with its MS-RequestId and MS-CorrelationId.";

#[derive(Parser, Debug)]
#[command(
    name = "pc-upgrade",
    version,
    about = "Upgrade a fleet of Microsoft CSP customers to the Azure plan (Partner Center product upgrades).",
    after_help = CREDENTIALS,
)]
struct Cli {
    /// The Partner Center API.
    #[arg(long, global = true, env = "PC_UPGRADE_BASE_URL", default_value = DEFAULT_BASE_URL)]
    base_url: String,
    /// At most this many calls per --per seconds, shared by all calls (default: found as
    /// the run goes; a 429 pauses every call).
    #[arg(long, global = true, value_parser = clap::value_parser!(u32).range(1..))]
    rate: Option<u32>,
    /// More to the log on stderr: -v each call (operation, status, attempts, latency,
    /// MS-RequestId, MS-CorrelationId), -vv more.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Less: no progress, only the summary and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// The window of --rate, in seconds.
    #[arg(long, global = true, default_value = "60", value_parser = window)]
    per: Duration,
    #[command(subcommand)]
    command: Command,
    /// Set by `demo` alone: sign in to its fake Partner Center with a token of its own.
    #[arg(skip)]
    demo: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Tries the tool with no Partner Center account: a fake Partner Center on 127.0.0.1
    /// with 200 customers of every kind, and a real upgrade run against it.
    #[cfg(feature = "demo")]
    #[command(after_help = "Example:\n  pc-upgrade demo")]
    Demo {
        /// Where to keep the customers file, the journal and the report (default: a new
        /// folder under the system's temporary one).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Checks whether each customer can be upgraded.
    #[command(
        after_help = "Example:\n  pc-upgrade eligibility --customers customers.csv --report eligibility.csv"
    )]
    Eligibility {
        #[command(flatten)]
        fleet: FleetArgs,
    },
    /// Upgrades each customer: eligibility, then create or resume, then wait. A dry run
    /// unless --yes.
    #[command(
        after_help = "Examples:\n  pc-upgrade upgrade --customers customers.csv --journal run.journal          # dry run\n  pc-upgrade upgrade --customers customers.csv --journal run.journal --yes    # for real\n\nRun it again with the same journal after a crash, a kill or a stop: nothing is created\ntwice, and upgrades already created are followed, not created again. One run at a time\nholds a journal."
    )]
    Upgrade {
        #[command(flatten)]
        fleet: FleetArgs,
        /// The journal the run writes, and resumes from.
        #[arg(long)]
        journal: PathBuf,
        /// Create the upgrades; without it, only say what would be done.
        #[arg(long)]
        yes: bool,
        /// Seconds this run follows each upgrade; the next run goes on waiting.
        #[arg(long, default_value = "1800", value_parser = seconds)]
        wait: Duration,
        /// Seconds before an upgrade's first status read (it doubles, up to a minute).
        #[arg(long, default_value = "5", value_parser = seconds)]
        poll_interval: Duration,
        /// Use the journal with another customers file than the one it began with.
        #[arg(long)]
        other_customers: bool,
        /// Run only these customers again: those the journal has as failed, refused,
        /// ineligible, retry-later, in-progress or pending, or those of a file of ids.
        /// Each chosen one starts over (a new create if it needs one); the journal keeps
        /// its history; the others are left as they are.
        #[arg(long, value_name = "OUTCOME|FILE")]
        only: Option<String>,
    },
    /// Prints shell completions for pc-upgrade.
    #[command(
        after_help = "Example:\n  pc-upgrade completions bash > /etc/bash_completion.d/pc-upgrade"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Prints pc-upgrade's manual page (roff).
    #[command(after_help = "Example:\n  pc-upgrade man > pc-upgrade.1 && man ./pc-upgrade.1")]
    Man,
    /// Where every customer of a run stands, from its journal; with --refresh, the live
    /// status of every upgrade still in progress too.
    #[command(
        after_help = "Examples:\n  pc-upgrade status --journal run.journal --report status.json\n  pc-upgrade status --journal run.journal --refresh      # asks Partner Center"
    )]
    Status {
        /// The run's journal.
        #[arg(long)]
        journal: PathBuf,
        /// Where to write the report (JSON when it ends in .json, else CSV).
        #[arg(long)]
        report: Option<PathBuf>,
        /// Read the status of every upgrade still in progress (within the rate limit), and
        /// write down those that ended.
        #[arg(long)]
        refresh: bool,
        /// The product family of the run's upgrades (the status call names it).
        #[arg(long, default_value = "Azure")]
        product_family: String,
    },
}

/// The options of the commands that work on a customers file.
#[derive(clap::Args, Debug)]
struct FleetArgs {
    /// A CSV with a customerId column (other columns go into the report), or a GUID per line.
    #[arg(long)]
    customers: PathBuf,
    /// The product family to upgrade to.
    #[arg(long, default_value = "Azure")]
    product_family: String,
    /// The character between a CSV's fields.
    #[arg(long, default_value = ",", value_parser = one_byte)]
    delimiter: u8,
    /// HTTP calls in flight at most (the rate limit spaces them).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
    /// Where to write the report (JSON when it ends in .json, else CSV).
    #[arg(long)]
    report: Option<PathBuf>,
}

/// One ASCII character, as a byte.
fn one_byte(text: &str) -> Result<u8, String> {
    match text.as_bytes() {
        [byte] if byte.is_ascii() => Ok(*byte),
        _ => Err(format!("{text:?} is not one ASCII character")),
    }
}

/// A positive, finite number of seconds, at most a day.
fn bounded_seconds(text: &str, max: f64) -> Result<Duration, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(value.is_finite() && value > 0.0 && value <= max) {
        return Err(format!("must be more than 0 and at most {max} seconds"));
    }
    Duration::try_from_secs_f64(value).map_err(|e| e.to_string())
}

fn seconds(text: &str) -> Result<Duration, String> {
    bounded_seconds(text, 7.0 * 24.0 * 3600.0)
}

fn window(text: &str) -> Result<Duration, String> {
    bounded_seconds(text, 24.0 * 3600.0)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A value from `NAME`, or from the file `NAME_FILE`.
fn env_or_file(name: &str) -> Result<Option<String>> {
    if let Some(value) = env(name) {
        return Ok(Some(value));
    }
    match env(&format!("{name}_FILE")) {
        Some(path) => Ok(Some(
            std::fs::read_to_string(&path)
                .with_context(|| format!("reading {name}_FILE ({path})"))?
                .trim()
                .to_owned(),
        )),
        None => Ok(None),
    }
}

fn client(cli: &Cli) -> Result<PartnerCenterClient> {
    let builder = PartnerCenterClient::builder()
        .base_url(&cli.base_url)
        .application_name(concat!("pc-upgrade/", env!("CARGO_PKG_VERSION")))
        .rate_limit(match cli.rate {
            Some(rate) => RateLimit::adaptive_up_to(rate, cli.per),
            None => RateLimit::adaptive(),
        })
        .retry(RetryPolicy::default().with_max_attempts(6));
    let builder = if cli.demo {
        builder.token("pc-upgrade-demo")
    } else if let Some(token) = env("PC_UPGRADE_TOKEN") {
        builder.token(token)
    } else {
        let missing = |name: &str| format!("{name} is not set (see pc-upgrade --help)");
        let tenant = env("PC_UPGRADE_TENANT_ID")
            .with_context(|| missing("PC_UPGRADE_TENANT_ID or PC_UPGRADE_TOKEN"))?;
        let client_id =
            env("PC_UPGRADE_CLIENT_ID").with_context(|| missing("PC_UPGRADE_CLIENT_ID"))?;
        let secret = env_or_file("PC_UPGRADE_CLIENT_SECRET")?
            .with_context(|| missing("PC_UPGRADE_CLIENT_SECRET"))?;
        let authority = env("PC_UPGRADE_AUTHORITY").unwrap_or_else(|| DEFAULT_AUTHORITY.to_owned());
        let source = match env_or_file("PC_UPGRADE_REFRESH_TOKEN")? {
            Some(refresh) => {
                let source = EntraTokenSource::refresh_token(tenant, client_id, secret, refresh)
                    .authority(authority);
                match env("PC_UPGRADE_REFRESH_TOKEN_FILE") {
                    Some(path) => source.persist_refresh_token(path),
                    None => source,
                }
            }
            None => {
                tracing::warn!("no refresh token: app-only tokens, which product upgrades refuse");
                EntraTokenSource::client_credentials(tenant, client_id, secret).authority(authority)
            }
        };
        builder.token_source(source.build())
    };
    Ok(builder.build()?)
}

/// The command line as typed, quoted for a shell: the command that resumes the run.
fn command_line() -> String {
    let quote = |arg: OsString| {
        let arg = arg.to_string_lossy().into_owned();
        let plain = !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
        if plain {
            arg
        } else {
            format!("'{}'", arg.replace('\'', "'\\''"))
        }
    };
    std::env::args_os().map(quote).collect::<Vec<_>>().join(" ")
}

/// First Ctrl-C (or SIGTERM): the run stops starting work and ends well. Second: at once.
fn interrupts() -> watch::Receiver<bool> {
    let (sender, receiver) = watch::channel(false);
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        for count in 0.. {
            #[cfg(unix)]
            let terminated = async {
                match terminate.as_mut() {
                    Some(signal) => signal.recv().await,
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let terminated = std::future::pending::<Option<()>>();
            tokio::select! {
                result = tokio::signal::ctrl_c() => if result.is_err() { return },
                _ = terminated => {}
            }
            if count == 0 {
                eprintln!(
                    "\npc-upgrade: stopping: no new calls; the calls in flight end, then the \
                     report is written (Ctrl-C again to quit at once)"
                );
                let _ = sender.send(true);
            } else {
                eprintln!(
                    "pc-upgrade: quitting now. The journal is whole: the same command resumes."
                );
                std::process::exit(i32::from(INTERRUPTED));
            }
        }
    });
    receiver
}

/// Writes `text` to stdout; a reader that stopped reading early is no error.
fn print_all(text: &[u8]) -> Result<u8> {
    use std::io::Write;
    match std::io::stdout().write_all(text) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error.into()),
        _ => Ok(ALL_WELL),
    }
}

/// How a run ended, for its summary and report.
struct Ended {
    /// The same command resumes it (a journal).
    resumes: bool,
    dry_run: bool,
    started: (std::time::Instant, std::time::SystemTime),
    command: &'static str,
    base_url: String,
}

impl Ended {
    fn new(cli: &Cli, command: &'static str, resumes: bool, dry_run: bool) -> Self {
        Self {
            resumes,
            dry_run,
            started: (std::time::Instant::now(), std::time::SystemTime::now()),
            command,
            base_url: cli.base_url.clone(),
        }
    }

    fn info(&self) -> report::RunInfo {
        report::RunInfo {
            tool: "pc-upgrade",
            version: env!("CARGO_PKG_VERSION"),
            base_url: self.base_url.clone(),
            command: self.command,
            started: utc::at(self.started.1),
            finished: utc::now(),
        }
    }
}

/// Prints the summary, writes the report, says what to do next; the exit code.
fn finish(
    rows: &[report::Row],
    path: Option<&PathBuf>,
    stop: Option<&Stop>,
    ended: &Ended,
) -> Result<u8> {
    let (resumes, dry_run) = (ended.resumes, ended.dry_run);
    print!("{}", summary::summary(rows, ended.started.0.elapsed()));
    if let Some(path) = path {
        report::write(path, rows, &ended.info())?;
        println!("report: {}", path.display());
    }
    let again = if resumes {
        "run the same command again; it resumes where this run stopped"
    } else {
        "run the same command again"
    };
    let command = command_line();
    match stop {
        None => {}
        Some(Stop::Interrupted) => {
            eprintln!("pc-upgrade: interrupted. To go on, {again}:\n  {command}");
            return Ok(INTERRUPTED);
        }
        Some(Stop::Caller(cause)) => {
            eprintln!(
                "pc-upgrade: stopped: {cause}\n  This is about this tool's credentials or \
                 permissions, not about the customers: nothing final was written down for \
                 them. Fix it, then {again}:\n  {command}"
            );
            return Ok(CANNOT_RUN);
        }
        Some(Stop::Down(cause)) => {
            eprintln!(
                "pc-upgrade: stopped: {cause}\n  Check the network and --base-url, then \
                 {again}:\n  {command}"
            );
            return Ok(CANNOT_RUN);
        }
    }
    if let Some(next) = summary::next_step(rows, &command, dry_run) {
        println!("{next}");
    }
    let well = rows.iter().all(|r| r.outcome.ended_well());
    Ok(if well { ALL_WELL } else { PARTIAL })
}

/// What an eligibility or upgrade run is asked to do.
struct Job<'a> {
    mode: Mode,
    journal: Option<&'a std::path::Path>,
    /// How long to follow each upgrade, and the first wait between status reads.
    wait: (Duration, Duration),
    other_customers: bool,
    only: Option<&'a str>,
}

/// Reads the customers, runs them, reports (bad lines included).
async fn over_customers(cli: &Cli, fleet: &FleetArgs, job: Job<'_>) -> Result<u8> {
    let Job {
        mode,
        journal,
        wait,
        other_customers,
        only,
    } = job;
    let command = if mode == Mode::Eligibility {
        "eligibility"
    } else {
        "upgrade"
    };
    let ended = Ended::new(cli, command, mode == Mode::Upgrade, mode == Mode::DryRun);
    let bytes = std::fs::read(&fleet.customers)
        .with_context(|| format!("reading {}", fleet.customers.display()))?;
    let identity = CustomersFile::of(&fleet.customers, &bytes);
    let (customers, bad) = customers::read(&fleet.customers, fleet.delimiter)?;
    if customers.is_empty() && bad.is_empty() {
        anyhow::bail!("{} names no customer", fleet.customers.display());
    }
    if let Some(report) = &fleet.report {
        report::check_writable(report)?;
    }
    let (journal, replayed) = match (mode, journal) {
        (Mode::Upgrade, Some(path)) => {
            let (journal, replayed) = Journal::open(path, Some(&identity), other_customers)?;
            (Some(journal), replayed)
        }
        // A dry run reads what a journal knows, and writes nothing.
        (_, Some(path)) if path.exists() => (None, journal::read(path)?),
        _ => (None, Replayed::default()),
    };
    let client = client(cli)?;
    let mut known = replayed.known;
    if let Some(journal) = &journal {
        let queued: Vec<state::Event> = customers
            .iter()
            .filter(|c| !known.contains_key(&c.id))
            .map(|c| state::Event::Queued {
                customer: c.id,
                line: c.line,
                extra: c.extra.clone(),
            })
            .collect();
        journal.write(&queued, true)?;
    }
    // --only: the chosen customers start over; the others are reported as they stand.
    let chosen = match only {
        Some(selection) => Some(select::chosen(
            selection,
            &customers,
            &known,
            fleet.delimiter,
        )?),
        None => None,
    };
    let mut left_alone = Vec::new();
    let mut taken = Vec::new();
    for customer in customers {
        let mut known = known.remove(&customer.id).unwrap_or_default();
        known.line = customer.line;
        match &chosen {
            Some(chosen) if !chosen.contains(&customer.id) => {
                left_alone.push(run::row_of(&customer, &known));
            }
            Some(_) if known.stage.is_final() => {
                let rerun = state::Event::Rerun {
                    customer: customer.id,
                };
                if let Some(journal) = &journal {
                    journal.write(std::slice::from_ref(&rerun), true)?;
                }
                known.apply(&rerun);
                taken.push((customer, known));
            }
            _ => taken.push((customer, known)),
        }
    }
    let customers = taken;
    let settings = Settings {
        mode,
        product_family: fleet.product_family.clone(),
        concurrency: usize::from(fleet.concurrency),
        poll_interval: wait.1,
        max_poll_interval: Duration::from_secs(60).max(wait.1),
        wait: wait.0,
        base_url: cli.base_url.clone(),
    };
    let progress = progress::Progress::new(customers.len(), cli.quiet);
    let engine = Engine::new(client, journal.as_ref(), settings, &progress, customers);
    let (mut rows, stop) = engine.run(interrupts()).await?;
    progress.finish();
    rows.extend(left_alone);
    rows.sort_by_key(|r| r.line);
    rows.extend(run::bad_rows(&bad));
    finish(&rows, fleet.report.as_ref(), stop.as_ref(), &ended)
}

/// The bad lines of the customers file a journal belongs to, if it can still be read (they
/// are not in the journal: no customer was queued for them).
fn bad_lines_of(customers: Option<&CustomersFile>) -> Vec<report::Row> {
    let path = customers.map(|c| c.path.as_path());
    match path.map(|path| customers::read(path, b',')) {
        Some(Ok((_, bad))) => run::bad_rows(&bad),
        _ => Vec::new(),
    }
}

/// `status --refresh`: one status read of every upgrade the journal has in progress, the
/// ends written down, then the report of the whole journal.
async fn refresh(
    cli: &Cli,
    path: &std::path::Path,
    report: Option<&PathBuf>,
    family: &str,
) -> Result<u8> {
    let ended = Ended::new(cli, "status", true, false);
    if let Some(report) = report {
        report::check_writable(report)?;
    }
    let (journal, replayed) = Journal::open(path, None, false)?;
    let customers_file = replayed.customers.clone();
    let mut customers: Vec<(customers::Customer, state::Known)> = replayed
        .known
        .into_iter()
        .map(|(id, known)| {
            let customer = customers::Customer {
                line: known.line,
                id,
                extra: known.extra.clone(),
            };
            (customer, known)
        })
        .collect();
    customers.sort_by_key(|(c, _)| (c.line, c.id));
    let settings = Settings {
        mode: Mode::Refresh,
        product_family: family.to_owned(),
        concurrency: 16,
        poll_interval: Duration::from_secs(1),
        max_poll_interval: Duration::from_secs(1),
        wait: Duration::ZERO,
        base_url: cli.base_url.clone(),
    };
    let progress = progress::Progress::new(customers.len(), cli.quiet);
    let engine = Engine::new(client(cli)?, Some(&journal), settings, &progress, customers);
    let (mut rows, stop) = engine.run(interrupts()).await?;
    progress.finish();
    rows.extend(bad_lines_of(customers_file.as_ref()));
    finish(&rows, report, stop.as_ref(), &ended)
}

/// `pc-upgrade demo`: the fake, the fleet, and a real upgrade run against them.
#[cfg(feature = "demo")]
async fn run_demo(cli: &Cli, dir: Option<&std::path::Path>) -> Result<u8> {
    let dir = demo::folder(dir)?;
    let (server, customers) = demo::start(&dir).await?;
    println!(
        "pc-upgrade demo: a fake Partner Center on {} with 200 customers of every kind; no \
         account is needed and nothing leaves this machine.\n",
        server.base_url()
    );
    let demo_cli = Cli {
        base_url: server.base_url(),
        rate: None,
        verbose: cli.verbose,
        quiet: cli.quiet,
        per: Duration::from_secs(1),
        command: Command::Man,
        demo: true,
    };
    let fleet = FleetArgs {
        customers,
        product_family: "Azure".to_owned(),
        delimiter: b',',
        concurrency: 16,
        report: Some(dir.join("report.csv")),
    };
    let journal = dir.join("run.journal");
    let job = Job {
        mode: Mode::Upgrade,
        journal: Some(&journal),
        wait: (Duration::from_secs(60), Duration::from_secs(1)),
        other_customers: false,
        only: None,
    };
    let code = over_customers(&demo_cli, &fleet, job).await?;
    println!(
        "journal: {}\n\nFor real: pc-upgrade upgrade --customers FILE --journal FILE (a dry run), \
         then the same with --yes; pc-upgrade --help names the credentials.",
        journal.display()
    );
    drop(server);
    Ok(code)
}

async fn main_result(cli: Cli) -> Result<u8> {
    match &cli.command {
        Command::Eligibility { fleet } => {
            let job = Job {
                mode: Mode::Eligibility,
                journal: None,
                wait: (Duration::from_secs(1), Duration::from_secs(1)),
                other_customers: false,
                only: None,
            };
            over_customers(&cli, fleet, job).await
        }
        Command::Upgrade {
            fleet,
            journal,
            yes,
            wait,
            poll_interval,
            other_customers,
            only,
        } => {
            let mode = if *yes { Mode::Upgrade } else { Mode::DryRun };
            if !yes {
                eprintln!("dry run: nothing is created (add --yes to upgrade)");
            }
            let job = Job {
                mode,
                journal: Some(journal),
                wait: (*wait, *poll_interval),
                other_customers: *other_customers,
                only: only.as_deref(),
            };
            over_customers(&cli, fleet, job).await
        }
        Command::Status {
            journal,
            report,
            refresh: true,
            product_family,
        } => refresh(&cli, journal, report.as_ref(), product_family).await,
        Command::Status {
            journal, report, ..
        } => {
            let ended = Ended::new(&cli, "status", true, false);
            let replayed = journal::read(journal)?;
            let mut rows = run::status(&replayed);
            rows.extend(bad_lines_of(replayed.customers.as_ref()));
            finish(&rows, report.as_ref(), None, &ended)
        }
        #[cfg(feature = "demo")]
        Command::Demo { dir } => run_demo(&cli, dir.as_deref()).await,
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            // Into a buffer first: clap_complete panics on a closed stdout (`| head`).
            let mut text = Vec::new();
            clap_complete::generate(*shell, &mut command, "pc-upgrade", &mut text);
            print_all(&text)
        }
        Command::Man => {
            let command = <Cli as clap::CommandFactory>::command();
            let mut text = Vec::new();
            clap_mangen::Man::new(command).render(&mut text)?;
            print_all(&text)
        }
    }
}

/// What the log shows: `RUST_LOG` with targets as given; a bare level (`info`, `debug`) or
/// `-v` for this tool and its client only (dependencies stay at warn, or they flood); `-q`
/// errors only. At info each call is one line.
fn log_filter(cli: &Cli) -> tracing_subscriber::EnvFilter {
    let ours = |level: &str| {
        let client = if level == "info" { "debug" } else { level };
        format!("warn,pc_upgrade={level},pc_upgrade_client={client}")
    };
    let given = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(log_filter(&cli))
        .with_writer(progress::LogWriter)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("pc-upgrade: no async runtime: {error}");
            return ExitCode::from(CANNOT_RUN);
        }
    };
    match runtime.block_on(main_result(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("pc-upgrade: {error:#}");
            ExitCode::from(CANNOT_RUN)
        }
    }
}
