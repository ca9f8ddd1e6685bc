//! `pc-upgrade discover --out FILE`: lists every customer of the partner, reads the
//! subscriptions of each one it is reseller for (once, retries aside) and the Microsoft
//! Customer Agreement of each that holds a legacy Azure subscription, and writes the
//! customers file `eligibility` and `upgrade` read: written aside and renamed at the end,
//! so that Ctrl-C or a crash leaves no file that looks complete.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use futures_util::StreamExt;
use pc_upgrade_client::types::Customer;
use pc_upgrade_client::{Error, ErrorKind, MICROSOFT_CUSTOMER_AGREEMENT, PartnerCenterClient};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::Session;
use crate::args::Output;
use crate::discover::{Counts, Found, Holding, csv_of, is_reseller};
use crate::ending::{ALL_WELL, CANNOT_RUN, INTERRUPTED, Upgrade, command_line, quoted};
use crate::files::{self, Named};
use crate::progress::Progress;
use crate::report::{Outcome, Row};
use crate::sign_in;

/// Calls in flight at most: the rate limit spaces them.
const CONCURRENCY: usize = 16;
/// Tries of one customer's reads before the discovery stops (each one already the
/// client's retries).
const TRIES: u32 = 3;

/// Why a discovery stopped before its end.
enum Stop {
    Interrupted,
    /// The caller's credentials or permissions.
    Refused(String),
    /// A page or a customer could not be read.
    Unreadable(String),
}

/// `discover --out FILE [--page-size N] [-o json]`.
pub async fn run(
    session: &Session<'_>,
    out: &Path,
    page_size: NonZeroU32,
    output: Output,
) -> Result<u8> {
    files::writable(Named {
        option: "--out",
        path: out,
    })?;
    let client = sign_in::client(&session.connection, None)?;
    if !session.quiet {
        let said = format!(
            "pc-upgrade: listing the partner's customers, pages of {page_size}\n\
             pc-upgrade: rate: {}",
            session.connection.rate_text()
        );
        session
            .console
            .err(&format!("{}\n", crate::summary::wrap(&said)));
    }
    let mut interrupt = session.interrupt.clone();
    let listed = tokio::select! {
        listed = list(&client, page_size) => listed,
        () = interrupted(&mut interrupt) => Err(Stop::Interrupted),
    };
    let customers = match listed {
        Ok(customers) => customers,
        Err(stop) => return Ok(stopped(session, out, &stop)),
    };
    let count = customers.len();
    let (resellers, advisors): (Vec<Customer>, Vec<Customer>) =
        customers.into_iter().partition(is_reseller);
    let progress = session.progress(resellers.len(), &client, &session.connection);
    let read = read_all(&client, resellers, &progress, session.interrupt.clone()).await;
    progress.finish();
    let found = match read {
        Ok(found) => found,
        Err(stop) => return Ok(stopped(session, out, &stop)),
    };
    let counts = Counts::of(count, advisors.len(), &found);
    Ok(finish(session, out, &found, &counts, output))
}

/// Every customer of the list, page after page.
async fn list(client: &PartnerCenterClient, size: NonZeroU32) -> Result<Vec<Customer>, Stop> {
    let mut customers = Vec::new();
    let mut stream = std::pin::pin!(client.customers(size));
    while let Some(customer) = stream.next().await {
        match customer {
            Ok(customer) => customers.push(customer),
            Err(error) => return Err(failure("a page of the partner's customers", &error)),
        }
    }
    Ok(customers)
}

/// The stop a failed read makes: the caller's problem, or an unreadable answer.
fn failure(what: &str, error: &Error) -> Stop {
    let said = format!("{what} could not be read: {error}");
    match error.kind() {
        ErrorKind::Caller => Stop::Refused(said),
        _ => Stop::Unreadable(said),
    }
}

/// Returns once Ctrl-C was pressed (never, once no one can press it).
async fn interrupted(interrupt: &mut watch::Receiver<bool>) {
    if interrupt.wait_for(|pressed| *pressed).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// One read of a customer: its index, its tries so far, what it holds.
type Read = (usize, u32, Result<Found, Error>);

/// What every customer holds, in the list's order: only those with legacy Azure.
async fn read_all(
    client: &PartnerCenterClient,
    customers: Vec<Customer>,
    progress: &Progress<'_>,
    mut interrupt: watch::Receiver<bool>,
) -> Result<Vec<Found>, Stop> {
    let customers = Arc::new(customers);
    let mut queue: VecDeque<(usize, u32)> = (0..customers.len()).map(|i| (i, 0)).collect();
    let mut found: Vec<Option<Found>> = vec![None; customers.len()];
    let mut in_flight: JoinSet<Read> = JoinSet::new();
    loop {
        while in_flight.len() < CONCURRENCY {
            let Some((index, tries)) = queue.pop_front() else {
                break;
            };
            let (client, customers) = (client.clone(), Arc::clone(&customers));
            progress.call();
            in_flight
                .spawn(async move { (index, tries, read_one(&client, &customers[index]).await) });
        }
        if in_flight.is_empty() {
            break;
        }
        tokio::select! {
            Some(joined) = in_flight.join_next() => {
                let Ok((index, tries, read)) = joined else { continue };
                match read {
                    Ok(one) => {
                        progress.done(&progress_row(&one));
                        found[index] = Some(one);
                    }
                    Err(error) if error.kind() != ErrorKind::Caller && tries + 1 < TRIES => {
                        queue.push_back((index, tries + 1));
                    }
                    Err(error) => {
                        let what = format!("customer {}", customers[index].id);
                        return Err(failure(&what, &error));
                    }
                }
            }
            () = interrupted(&mut interrupt) => return Err(Stop::Interrupted),
        }
    }
    Ok(found
        .into_iter()
        .flatten()
        .filter(|f| f.legacy_subscriptions > 0)
        .collect())
}

/// What one customer holds, and its MCA when it holds legacy Azure.
async fn read_one(client: &PartnerCenterClient, customer: &Customer) -> Result<Found, Error> {
    let subscriptions = client.get_customer_subscriptions(customer.id).await?;
    let holding = Holding::of(&subscriptions.items);
    let mca = match holding.legacy {
        0 => None,
        _ => {
            let mca = Some(MICROSOFT_CUSTOMER_AGREEMENT);
            let agreements = client.get_customer_agreements(customer.id, mca).await?;
            agreements.items.into_iter().find_map(|a| a.date_agreed)
        }
    };
    Ok(Found::new(customer, holding, mca))
}

/// A customer read, as the progress shows it: one to upgrade is pending, one with nothing
/// to upgrade is not applicable.
fn progress_row(found: &Found) -> Row {
    let (outcome, detail) = match found.legacy_subscriptions {
        0 => (
            Outcome::NotApplicable,
            "no legacy Azure subscription".to_owned(),
        ),
        n => (Outcome::Pending, format!("{n} legacy Azure subscriptions")),
    };
    Row {
        customer_id: Some(found.customer_id),
        outcome,
        detail: Some(detail),
        started: Some(crate::utc::now()),
        ..Row::default()
    }
}

/// What a stopped discovery says, and its exit code: nothing was written.
fn stopped(session: &Session<'_>, out: &Path, stop: &Stop) -> u8 {
    let command = command_line(session.args);
    let out = out.display();
    let (code, text) = match stop {
        Stop::Interrupted => (
            INTERRUPTED,
            format!(
                "pc-upgrade: interrupted: nothing was written to {out} (a discovery is written whole at its end). To discover again:\n  {command}\n"
            ),
        ),
        Stop::Refused(cause) => (
            CANNOT_RUN,
            format!(
                "pc-upgrade: stopped: {cause}\n  This is about this tool's set-up (its credentials, their permissions, --base-url); nothing was written to {out}. Fix it, then:\n  {command}\n"
            ),
        ),
        Stop::Unreadable(cause) => (
            CANNOT_RUN,
            format!(
                "pc-upgrade: stopped: {cause}\n  Nothing was written to {out}. Check the network and --base-url, then:\n  {command}\n"
            ),
        ),
    };
    session.console.err(&text);
    code
}

/// Writes the file, says what was found and what comes next.
fn finish(
    session: &Session<'_>,
    out: &Path,
    found: &[Found],
    counts: &Counts,
    output: Output,
) -> u8 {
    let console = session.console;
    let say = |text: &str| match output {
        Output::Text => console.out(text),
        Output::Json => console.err(text),
    };
    let written = csv_of(found).and_then(|bytes| files::replace(out, &bytes));
    if let Err(error) = written {
        console.err(&format!(
            "pc-upgrade: {} not written: {error:#}\n",
            out.display()
        ));
        return CANNOT_RUN;
    }
    if output == Output::Json {
        let document = serde_json::json!({"counts": counts, "customers": found});
        match serde_json::to_vec_pretty(&document) {
            Ok(mut json) => {
                json.push(b'\n');
                console.out_bytes(&json);
            }
            Err(error) => console.err(&format!("pc-upgrade: no JSON: {error}\n")),
        }
    }
    say(&counts.summary());
    say(&format!("\ncustomers file: {}\n", out.display()));
    if found.is_empty() {
        say("nothing to upgrade: no customer holds a legacy Azure subscription\n");
        return ALL_WELL;
    }
    let program = session.args.first();
    let given = session.given_base_url.as_deref();
    let upgrade = Upgrade {
        program,
        base_url: given,
        customers: out,
        delimiter: ',',
        journal: &out.with_extension("journal"),
        yes: false,
    };
    let program = quoted(&program.map_or("pc-upgrade".into(), |p| p.to_string_lossy()));
    let base = match given.filter(|url| *url != pc_upgrade_client::DEFAULT_BASE_URL) {
        Some(url) => format!(" --base-url {}", quoted(url)),
        None => String::new(),
    };
    let eligibility = format!(
        "{program}{base} eligibility --customers {}",
        quoted(&out.to_string_lossy())
    );
    let prose = "next: who can move (it creates nothing), then a dry run of their upgrade:";
    say(&format!(
        "{}\n  {eligibility}\n  {upgrade}\n",
        crate::summary::wrap(prose)
    ));
    ALL_WELL
}
