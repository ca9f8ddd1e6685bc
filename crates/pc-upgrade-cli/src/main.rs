//! `pc-upgrade`: move a fleet of Microsoft CSP customers from Microsoft Azure (MS-AZR-0145P)
//! subscriptions to the Azure plan through the Partner Center product upgrades API.
//!
//! Module map:
//! - `customers`: the customers file (CSV or a GUID per line), bad lines kept;
//! - `journal`: the append-only journal a killed run resumes from;
//! - `run`: the eligibility, upgrade and status runs, with concurrent workers;
//! - `report`: the report (CSV or JSON), the summary table, progress.

mod customers;
mod journal;
mod report;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use pc_upgrade_client::{
    DEFAULT_AUTHORITY, DEFAULT_BASE_URL, EntraTokenSource, PartnerCenterClient, PollOptions,
    RateLimit, RetryPolicy,
};

/// Every customer ended well (completed, or not eligible and so left alone).
const ALL_WELL: u8 = 0;
/// The run could not go on (no credentials, an unreadable file).
const CANNOT_RUN: u8 = 1;
/// Some customers did not end well (failed, an error, still in progress, or a bad line).
const PARTIAL: u8 = 3;

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

Exit codes: 0 every customer ended well (completed, or not eligible); 3 some did not (failed,
an error, not completed in time, a bad line); 1 the run could not go on; 2 bad arguments.
RUST_LOG=info (or debug) logs each call with its MS-RequestId and MS-CorrelationId.";

#[derive(Parser, Debug)]
#[command(
    name = "pc-upgrade",
    version,
    about = "Upgrade a fleet of Microsoft CSP customers to the Azure plan (Partner Center product upgrades).",
    after_help = CREDENTIALS,
)]
struct Cli {
    /// The Partner Center API.
    #[arg(long, global = true, default_value = DEFAULT_BASE_URL)]
    base_url: String,
    /// At most this many calls per --per seconds, shared by all workers; a 429 pauses them all.
    #[arg(long, global = true, default_value_t = 300)]
    rate: u32,
    /// The window of --rate, in seconds.
    #[arg(long, global = true, default_value_t = 60.0)]
    per: f64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
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
        after_help = "Examples:\n  pc-upgrade upgrade --customers customers.csv --journal run.journal          # dry run\n  pc-upgrade upgrade --customers customers.csv --journal run.journal --yes    # for real\n\nRun it again with the same journal after a crash or a kill: nothing is created twice."
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
        /// Seconds to wait for each upgrade to complete; the next run goes on waiting.
        #[arg(long, default_value_t = 1800.0)]
        wait: f64,
        /// Seconds between the first status reads (it doubles, up to a minute).
        #[arg(long, default_value_t = 5.0)]
        poll_interval: f64,
    },
    /// Where every customer of a run stands, from its journal.
    #[command(
        after_help = "Example:\n  pc-upgrade status --journal run.journal --report status.json"
    )]
    Status {
        /// The run's journal.
        #[arg(long)]
        journal: PathBuf,
        /// Where to write the report (JSON when it ends in .json, else CSV).
        #[arg(long)]
        report: Option<PathBuf>,
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
    /// Customers worked on at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Where to write the report (JSON when it ends in .json, else CSV).
    #[arg(long)]
    report: Option<PathBuf>,
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

fn seconds(value: f64, what: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(value)
        .with_context(|| format!("{what} must be a number of seconds, not {value}"))
}

fn client(cli: &Cli) -> Result<PartnerCenterClient> {
    let builder = PartnerCenterClient::builder()
        .base_url(&cli.base_url)
        .application_name(concat!("pc-upgrade/", env!("CARGO_PKG_VERSION")))
        .rate_limit(RateLimit::new(cli.rate, seconds(cli.per, "--per")?))
        .retry(RetryPolicy::default().with_max_attempts(6));
    let builder = if let Some(token) = env("PC_UPGRADE_TOKEN") {
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

fn finish(rows: &[report::Row], path: Option<&PathBuf>) -> Result<u8> {
    print!("{}", report::summary(rows));
    if let Some(path) = path {
        report::write(path, rows)?;
        println!("report: {}", path.display());
    }
    let well = rows.iter().all(|r| {
        matches!(
            r.outcome.as_str(),
            "completed" | "ineligible" | "eligible" | "would-create" | "would-resume"
        )
    });
    Ok(if well { ALL_WELL } else { PARTIAL })
}

/// Reads the customers, runs `work` on them with progress, and reports (bad lines included).
async fn over_customers<F, Fut>(fleet: &FleetArgs, settings: run::Settings, work: F) -> Result<u8>
where
    F: FnOnce(Vec<customers::Customer>, run::Settings, Arc<report::Progress>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<report::Row>>>,
{
    let (customers, bad) = customers::read(&fleet.customers)?;
    let progress = Arc::new(report::Progress::new(customers.len()));
    let mut rows = work(customers, settings, Arc::clone(&progress)).await?;
    progress.finish();
    rows.extend(run::bad_rows(&bad));
    finish(&rows, fleet.report.as_ref())
}

async fn main_result(cli: Cli) -> Result<u8> {
    match &cli.command {
        Command::Eligibility { fleet } => {
            let client = client(&cli)?;
            let settings = run::Settings {
                product_family: fleet.product_family.clone(),
                concurrency: fleet.concurrency,
                poll: PollOptions::default(),
                yes: false,
            };
            over_customers(
                fleet,
                settings,
                |customers, settings, progress| async move {
                    Ok(run::eligibility(&client, customers, &settings, &progress).await)
                },
            )
            .await
        }
        Command::Upgrade {
            fleet,
            journal,
            yes,
            wait,
            poll_interval,
        } => {
            let client = client(&cli)?;
            let (journal, known) = journal::Journal::open(journal)?;
            let interval = seconds(*poll_interval, "--poll-interval")?;
            let settings = run::Settings {
                product_family: fleet.product_family.clone(),
                concurrency: fleet.concurrency,
                poll: PollOptions::default()
                    .with_initial_interval(interval)
                    .with_max_interval(Duration::from_secs(60).max(interval))
                    .with_timeout(seconds(*wait, "--wait")?),
                yes: *yes,
            };
            if !yes {
                eprintln!("dry run: nothing is created (add --yes to upgrade)");
            }
            over_customers(
                fleet,
                settings,
                |customers, settings, progress| async move {
                    let journal = Arc::new(journal);
                    run::upgrade(&client, customers, journal, known, &settings, &progress).await
                },
            )
            .await
        }
        Command::Status { journal, report } => {
            let (_, known) = journal::Journal::open(journal)?;
            finish(&run::status(&known), report.as_ref())
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
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
