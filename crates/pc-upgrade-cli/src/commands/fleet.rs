//! `pc-upgrade eligibility` and `pc-upgrade upgrade`: the customers file read, the journal
//! opened (an upgrade run) or read (a dry run), `--only` applied, the engine run over the
//! customers, and the end reported with the bad lines.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use pc_upgrade_client::{Learned, PollOptions};
use uuid::Uuid;

use super::Session;
use crate::args::{FleetArgs, Output};
use crate::customers::{self, BadLine, Customer};
use crate::ending::{Ending, Outputs, Rerun, Upgrade};
use crate::engine::{Brakes, Mode, Settings};
use crate::files::{self, Named};
use crate::journal::{self, CustomersFile, Durability, Journal, Replayed};
use crate::report::Row;
use crate::rows::{InRun, bad_rows, row};
use crate::state::{Event, Known};
use crate::{select, sign_in};

/// What an eligibility or upgrade run is asked to do.
pub struct Job<'a> {
    /// Eligibility, a dry run, or an upgrade.
    pub mode: Mode,
    /// The journal, for an upgrade run (a dry run reads it if it exists).
    pub journal: Option<&'a Path>,
    /// How the run follows each upgrade.
    pub following: Following,
    /// The journal may be used with another customers file.
    pub other_customers: bool,
    /// `--only`: an outcome, or a file of customer ids.
    pub only: Option<&'a str>,
    /// `--line-items`: where to write a row per subscription.
    pub line_items: Option<&'a Path>,
    /// `--output`: what stdout holds.
    pub stdout: Output,
    /// `--canary`, `--max-failed` (an upgrade run's; the others create nothing).
    pub brakes: Brakes,
    /// Whether the command line typed takes `--only` (`upgrade` does; `demo` does not), so
    /// that a next step may name it.
    pub takes_only: bool,
}

/// How a run follows each upgrade.
#[derive(Clone, Copy, Debug)]
pub struct Following {
    /// How long, before the next run goes on waiting.
    pub wait: Duration,
    /// The wait before its first status read (it doubles, up to a minute).
    pub first_poll: Duration,
}

/// Reads the customers, runs them, reports (bad lines included).
pub async fn run(session: &Session<'_>, fleet: &FleetArgs, job: Job<'_>) -> Result<u8> {
    let base_url = &session.connection.base_url;
    let ending = ending(session, fleet, &job);
    // Checked in the order an operator fixes them, before anything is called or written.
    distinct(fleet, &job)?;
    // The sign-in and the base URL are checked now; the client is built once the journal
    // says which rates its last run found.
    sign_in::client(&session.connection, None)?;
    if let Some(journal) = job.journal {
        files::folder_exists(Named {
            option: "--journal",
            path: journal,
        })?;
    }
    files::writable_options(&[
        ("--report", fleet.report.as_deref()),
        ("--line-items", job.line_items),
    ])?;
    let (identity, customers, bad) = read_customers(session, fleet)?;
    let (journal, replayed) = open(&job, &identity, base_url)?;
    if let Some(path) = job.journal {
        super::torn_end(session, path, &replayed);
    }
    let client = sign_in::client(&session.connection, rates_found(&replayed, base_url))?;
    let mut known = replayed.known;
    if let Some(journal) = &journal {
        queue(journal, &customers, &known)?;
    }
    let (taken, left_alone) = choose(&job, fleet, customers, &mut known, journal.as_ref())?;
    if let (Some(selection), true) = (job.only, taken.is_empty()) {
        session
            .console
            .out(&format!("nothing to do: no customer is {selection}\n"));
        return Ok(crate::ending::ALL_WELL);
    }
    let polling = PollOptions::default()
        .with_initial_interval(job.following.first_poll)
        .with_max_interval(Duration::from_secs(60).max(job.following.first_poll))
        .with_timeout(job.following.wait);
    let settings = Settings {
        mode: job.mode,
        product_family: fleet.product_family.clone(),
        concurrency: usize::from(fleet.concurrency),
        polling,
        base_url: base_url.clone(),
        brakes: job.brakes,
    };
    let connection = (client, &session.connection);
    let (mut rows, stop) = (session.engine(connection, journal.as_ref(), settings, taken)).await;
    rows.extend(left_alone);
    rows.sort_by_key(|r| r.line);
    rows.extend(bad_rows(&bad));
    let outputs = Outputs {
        report: fleet.report.as_deref(),
        line_items: job.line_items,
        stdout: job.stdout,
    };
    Ok(ending.finish(&rows, outputs, stop.as_ref()))
}

/// The customers file, the journal, the report and the line items must be four files.
fn distinct(fleet: &FleetArgs, job: &Job<'_>) -> Result<(), files::Misuse> {
    files::distinct_options(&[
        ("--customers", Some(fleet.customers.as_path())),
        ("--journal", job.journal),
        ("--report", fleet.report.as_deref()),
        ("--line-items", job.line_items),
    ])
}

/// How the run ends: its command, what running it again does, and (eligibility) the dry run
/// of the upgrade that comes next, its journal beside the customers file.
fn ending<'a>(session: &Session<'a>, fleet: &FleetArgs, job: &Job<'_>) -> Ending<'a> {
    let (command, rerun) = match job.mode {
        Mode::Eligibility => ("eligibility", Rerun::Repeats),
        Mode::DryRun => ("upgrade", Rerun::DryRun),
        Mode::Upgrade | Mode::Refresh => ("upgrade", Rerun::Resumes),
    };
    let base_url = &session.connection.base_url;
    let mut ending = Ending::begin(command, rerun, base_url, session.args, session.console);
    ending.takes_only = job.takes_only;
    if job.mode == Mode::Eligibility {
        let journal = fleet.customers.with_extension("journal");
        let upgrade = Upgrade {
            program: session.args.first(),
            base_url: session.given_base_url.as_deref(),
            customers: &fleet.customers,
            delimiter: char::from(fleet.delimiter),
            journal: &journal,
            yes: false,
        };
        ending.goes_on = Some(upgrade.to_string());
    }
    ending
}

/// The customers file: its identity for the journal, its customers and bad lines; the run's
/// first line says how many, and in which encoding it was read.
fn read_customers(
    session: &Session<'_>,
    fleet: &FleetArgs,
) -> Result<(CustomersFile, Vec<Customer>, Vec<BadLine>)> {
    let bytes = std::fs::read(&fleet.customers)
        .with_context(|| format!("reading {}", fleet.customers.display()))?;
    let identity = CustomersFile::of(&fleet.customers, &bytes, fleet.delimiter);
    let (customers, bad, encoding) = customers::from_bytes(&bytes, fleet.delimiter)
        .with_context(|| format!("reading {}", fleet.customers.display()))?;
    if customers.is_empty() && bad.is_empty() {
        anyhow::bail!("{} names no customer", fleet.customers.display());
    }
    if !session.quiet {
        let said = format!(
            "pc-upgrade: {} customers and {} bad lines in {}, read as {encoding}\n\
             pc-upgrade: rate: {}",
            customers.len(),
            bad.len(),
            fleet.customers.display(),
            session.connection.rate_text()
        );
        session
            .console
            .err(&format!("{}\n", crate::summary::wrap(&said)));
    }
    Ok((identity, customers, bad))
}

/// The journal opened for an upgrade run, or read for a dry run (which writes nothing).
fn open(
    job: &Job<'_>,
    identity: &CustomersFile,
    base_url: &str,
) -> Result<(Option<Journal>, Replayed)> {
    Ok(match (job.mode, job.journal) {
        (Mode::Upgrade, Some(path)) => {
            let other = job.other_customers;
            let (journal, replayed) = Journal::open(path, Some(identity), other, Some(base_url))?;
            (Some(journal), replayed)
        }
        (_, Some(path)) if path.exists() => (None, journal::read(path)?),
        _ => (None, Replayed::default()),
    })
}

/// The customers the journal does not know yet, written down as queued.
fn queue(journal: &Journal, customers: &[Customer], known: &HashMap<Uuid, Known>) -> Result<()> {
    let queued: Vec<Event> = customers
        .iter()
        .filter(|c| !known.contains_key(&c.id))
        .map(|c| Event::Queued {
            customer: c.id,
            line: c.line,
            extra: c.extra.clone(),
        })
        .collect();
    journal.write(&queued, Durability::Synced)
}

/// The customers a run takes, each with what the journal knows of it.
type Taken = Vec<(Customer, Known)>;

/// The customers to run (each with what the journal knows), and the rows of those
/// `--only` leaves alone. A chosen customer whose stage is final starts over.
fn choose(
    job: &Job<'_>,
    fleet: &FleetArgs,
    customers: Vec<Customer>,
    known: &mut HashMap<Uuid, Known>,
    journal: Option<&Journal>,
) -> Result<(Taken, Vec<Row>)> {
    let chosen = match job.only {
        Some(selection) => Some(select::chosen(
            selection,
            &customers,
            known,
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
                left_alone.push(row(&customer, &known, InRun::default()));
            }
            Some(_) if known.stage.is_final() => {
                let rerun = Event::Rerun {
                    customer: customer.id,
                };
                if let Some(journal) = journal {
                    journal.write(std::slice::from_ref(&rerun), Durability::Synced)?;
                }
                known.apply(&rerun);
                taken.push((customer, known));
            }
            _ => taken.push((customer, known)),
        }
    }
    Ok((taken, left_alone))
}

/// The rates the journal's last run found, if it called this API: the client starts there.
pub fn rates_found<'a>(replayed: &'a Replayed, base_url: &str) -> Option<&'a Learned> {
    let (learned, on) = replayed.rate.as_ref()?;
    (on.as_deref() == Some(base_url)).then(|| {
        tracing::info!(?learned, "starting from the rates the last run found");
        learned
    })
}
