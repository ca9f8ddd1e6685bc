//! `pc-upgrade status`: where every customer of a run stands, from its journal alone; with
//! `--refresh`, one status read of every upgrade still in progress, the ends written down.
//! Either way, the bad lines of the run's customers file are reported too, read with the
//! run's own `--delimiter`.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use pc_upgrade_client::PollOptions;

use super::Session;
use crate::customers::{self, Customer};
use crate::ending::{Ending, Outputs, Rerun, Upgrade};
use crate::engine::{Brakes, Mode, Settings};
use crate::files::{self, Misuse};
use crate::journal::{self, CustomersFile, Journal, Replayed};
use crate::report::Row;
use crate::rows::{self, bad_rows, customer_of};
use crate::sign_in;
use crate::sign_in::Connection;
use crate::state::Known;

/// `status`: the journal's rows, with no call.
pub fn status(
    session: &Session<'_>,
    path: &Path,
    outputs: Outputs<'_>,
    skip_damaged: bool,
) -> Result<u8> {
    distinct(path, outputs)?;
    writable(outputs)?;
    let replayed = journal::read_with(path, skip_damaged)?;
    spares_customers(&replayed, outputs)?;
    super::torn_end(session, path, &replayed);
    let connection = connection(session, &replayed);
    let mut ending = begin(session, &connection);
    // A run holding the journal goes on by itself: an `upgrade` now would be refused, and
    // this same command shows where it stands later.
    match journal::held(path) {
        Some(pid) => session.console.err(&crate::summary::wrap(&format!(
            "pc-upgrade: a run{} holds the journal {} and goes on: this is where it stood \
             just now. Run this command again to see it later.\n",
            pid.map_or_else(String::new, |pid| format!(" (process {pid})")),
            path.display()
        ))),
        None => ending.goes_on = upgrade_command(session, path, &replayed),
    }
    let mut rows = rows::status(&replayed);
    rows.extend(bad_lines_of(&replayed));
    let code = ending.finish(&rows, outputs, None);
    if replayed.damaged.is_empty() {
        return Ok(code);
    }
    let lines: Vec<String> = replayed.damaged.iter().map(ToString::to_string).collect();
    session.console.err(&crate::summary::wrap(&format!(
        "pc-upgrade: left out {} damaged lines of the journal {} (lines {}): what they said \
         is lost, and the customers they were about are shown as they stood before them.\n",
        lines.len(),
        path.display(),
        lines.join(", ")
    )));
    Ok(code.max(crate::ending::PARTIAL))
}

/// `status --refresh`: one status read of every upgrade the journal has in progress, the
/// ends written down, then the report of the whole journal.
pub async fn refresh(
    session: &Session<'_>,
    path: &Path,
    outputs: Outputs<'_>,
    family: &str,
) -> Result<u8> {
    distinct(path, outputs)?;
    writable(outputs)?;
    let given = session.given_base_url.as_deref();
    // Checked before the journal is opened (which writes to it): a misuse writes nothing.
    spares_customers(&journal::read(path)?, outputs)?;
    let (journal, replayed) = Journal::open(path, None, false, given)?;
    super::torn_end(session, path, &replayed);
    let connection = connection(session, &replayed);
    let mut ending = begin(session, &connection);
    ending.goes_on = upgrade_command(session, path, &replayed);
    let bad = bad_lines_of(&replayed);
    let rates = super::fleet::rates_found(&replayed, &connection.base_url);
    let client = sign_in::client(&connection, rates)?;
    let mut customers: Vec<(Customer, Known)> = replayed
        .known
        .into_iter()
        .map(|(id, known)| (customer_of(id, &known), known))
        .collect();
    customers.sort_by_key(|(c, _)| (c.line, c.id));
    let once = Duration::from_secs(1);
    let settings = Settings {
        mode: Mode::Refresh,
        product_family: family.to_owned(),
        concurrency: 16,
        polling: PollOptions::default()
            .with_initial_interval(once)
            .with_max_interval(once)
            .with_timeout(Duration::ZERO),
        base_url: connection.base_url.clone(),
        brakes: Brakes::default(),
    };
    let (mut rows, stop) =
        (session.engine((client, &connection), Some(&journal), settings, customers)).await;
    rows.extend(bad);
    Ok(ending.finish(&rows, outputs, stop.as_ref()))
}

/// The journal, the report and the line items must be three files.
fn distinct(journal: &Path, outputs: Outputs<'_>) -> Result<(), Misuse> {
    files::distinct_options(&[
        ("--journal", Some(journal)),
        ("--report", outputs.report),
        ("--line-items", outputs.line_items),
    ])
}

/// The report and the line items can be written at the end.
fn writable(outputs: Outputs<'_>) -> Result<()> {
    files::writable_options(&[
        ("--report", outputs.report),
        ("--line-items", outputs.line_items),
    ])
}

/// Neither the report nor the line items may name the run's customers file, which the
/// journal names: the next `upgrade` would read the damaged file as its customers.
pub(super) fn spares_customers(replayed: &Replayed, outputs: Outputs<'_>) -> Result<(), Misuse> {
    let Some(customers) = &replayed.customers else {
        return Ok(());
    };
    files::distinct_options(&[
        (CUSTOMERS_FILE, Some(customers.path.as_path())),
        ("--report", outputs.report),
        ("--line-items", outputs.line_items),
    ])
}

/// How a refusal names the customers file the journal names.
const CUSTOMERS_FILE: &str = "the run's customers file (its journal names it)";

fn begin<'a>(session: &Session<'a>, connection: &Connection) -> Ending<'a> {
    let base_url = &connection.base_url;
    Ending::begin(
        "status",
        Rerun::Resumes,
        base_url,
        session.args,
        session.console,
    )
}

/// The `upgrade` command that goes on with the journal's customers: its customers file and
/// delimiter, the journal, and the API when it is not Partner Center's own.
fn upgrade_command(session: &Session<'_>, journal: &Path, replayed: &Replayed) -> Option<String> {
    let customers = replayed.customers.as_ref()?;
    let base_url = session
        .given_base_url
        .as_ref()
        .or(replayed.base_url.as_ref());
    let upgrade = Upgrade {
        program: session.args.first(),
        base_url: base_url.map(String::as_str),
        customers: &customers.path,
        delimiter: replayed.delimiter.unwrap_or(','),
        journal,
        yes: true,
    };
    Some(upgrade.to_string())
}

/// The run's own API, unless `--base-url` (or its variable) names another.
pub(super) fn connection(session: &Session<'_>, replayed: &Replayed) -> Connection {
    let mut connection = session.connection.clone();
    if session.given_base_url.is_none()
        && let Some(base_url) = &replayed.base_url
    {
        connection.base_url.clone_from(base_url);
    }
    connection
}

/// The bad lines of the customers file a journal belongs to, if it can still be read (they
/// are not in the journal: no customer was queued for them), read as the run read it.
fn bad_lines_of(replayed: &Replayed) -> Vec<Row> {
    let Some(CustomersFile { path, .. }) = &replayed.customers else {
        return Vec::new();
    };
    let delimiter = replayed
        .delimiter
        .and_then(|d| u8::try_from(d).ok())
        .unwrap_or(b',');
    match customers::read(path, delimiter) {
        Ok((_, bad)) => bad_rows(&bad),
        Err(_) => Vec::new(),
    }
}
