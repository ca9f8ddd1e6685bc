//! `pc-upgrade verify`: reads the subscriptions of every customer the journal has completed
//! (whole or in part) and not yet verified, within the rate limit, and checks them: no
//! legacy Azure subscription still active, an Azure plan subscription active. Each finding
//! is written to the journal as it comes (so `status` shows it, and a second `verify` reads
//! only the customers not yet verified), then the summary, the report and the next step.

use std::path::Path;
use std::time::SystemTime;

use anyhow::Result;
use pc_upgrade_client::{ErrorKind, PartnerCenterClient};
use tokio::task::JoinSet;
use uuid::Uuid;

use super::Session;
use crate::args::Output;
use crate::ending::{CANNOT_RUN, INTERRUPTED, PARTIAL, command_line};
use crate::journal::{Durability, Journal, Replayed};
use crate::report::{Outcome, Row};
use crate::state::{Event, Known, Stage, Verification};
use crate::verify::{self, Checked};
use crate::{files, progress, sign_in};

/// Calls in flight at most: the rate limit spaces them.
const CONCURRENCY: usize = 16;

/// `verify --journal FILE [--report FILE] [-o json]`.
pub async fn run(
    session: &Session<'_>,
    path: &Path,
    report_path: Option<&Path>,
    output: Output,
) -> Result<u8> {
    files::distinct_options(&[("--journal", Some(path)), ("--report", report_path)])?;
    files::writable_options(&[("--report", report_path)])?;
    let outputs = crate::ending::Outputs {
        report: report_path,
        ..crate::ending::Outputs::default()
    };
    // Checked before the journal is opened (which writes to it): a misuse writes nothing.
    super::status::spares_customers(&crate::journal::read(path)?, outputs)?;
    let given = session.given_base_url.as_deref();
    let (journal, replayed) = Journal::open(path, None, false, given)?;
    super::torn_end(session, path, &replayed);
    let connection = super::status::connection(session, &replayed);
    let rates = super::fleet::rates_found(&replayed, &connection.base_url);
    let client = sign_in::client(&connection, rates)?;
    let (done, todo) = split(&replayed);
    if !session.quiet {
        let said = format!(
            "pc-upgrade: {} customers completed in {}, {} verified before: reading the \
             subscriptions of {}\npc-upgrade: rate: {}",
            done.len() + todo.len(),
            path.display(),
            done.len(),
            todo.len(),
            connection.rate_text()
        );
        session
            .console
            .err(&format!("{}\n", crate::summary::wrap(&said)));
    }
    let progress = session.progress(todo.len(), &client, &connection);
    let mut read = Reading {
        client,
        journal: &journal,
        progress: &progress,
        checked: done,
        stop: None,
    };
    read.all(todo, session.interrupt.clone()).await;
    progress.finish();
    let Reading { checked, stop, .. } = read;
    Ok(finish(session, &checked, stop, report_path, output))
}

/// Why a `verify` stopped early.
enum Stop {
    Interrupted,
    /// The caller's credentials or permissions, or a journal that cannot be written.
    Cannot(String),
}

/// The customers verified before (checked, from the journal) and those to read now, in the
/// customers file's order.
fn split(replayed: &Replayed) -> (Vec<Checked>, Vec<(Uuid, Known)>) {
    let mut completed: Vec<(Uuid, Known)> = (replayed.known.iter())
        .filter(|(_, known)| matches!(known.stage, Stage::Completed { .. }))
        .map(|(id, known)| (*id, known.clone()))
        .collect();
    completed.sort_by_key(|(id, known)| (known.line, *id));
    let (done, todo): (Vec<_>, Vec<_>) = (completed.into_iter())
        .partition(|(_, known)| known.verification.as_ref().is_some_and(|v| v.verified));
    let done = (done.into_iter())
        .map(|(id, known)| checked(id, &known, known.verification.clone(), None))
        .collect();
    (done, todo)
}

fn checked(id: Uuid, known: &Known, found: Option<Verification>, error: Option<String>) -> Checked {
    Checked {
        customer_id: id,
        found,
        error,
        extra: known.extra.clone(),
    }
}

/// The reads of one `verify`.
struct Reading<'a> {
    client: PartnerCenterClient,
    journal: &'a Journal,
    progress: &'a progress::Progress<'a>,
    checked: Vec<Checked>,
    stop: Option<Stop>,
}

/// A customer's subscriptions, or why they could not be read.
type Subscriptions =
    Result<pc_upgrade_client::types::SubscriptionCollection, pc_upgrade_client::Error>;

/// One read's customer, what the journal knows of it, and the answer.
type Read = (Uuid, Known, Subscriptions);

impl Reading<'_> {
    /// Reads every customer's subscriptions, `CONCURRENCY` at a time, until done or stopped.
    async fn all(
        &mut self,
        todo: Vec<(Uuid, Known)>,
        mut interrupt: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut todo = todo.into_iter();
        let mut in_flight: JoinSet<Read> = JoinSet::new();
        loop {
            while self.stop.is_none() && in_flight.len() < CONCURRENCY {
                let Some((id, known)) = todo.next() else {
                    break;
                };
                let client = self.client.clone();
                self.progress.call();
                in_flight.spawn(async move {
                    let read = client.get_customer_subscriptions(id).await;
                    (id, known, read)
                });
            }
            if in_flight.is_empty() {
                break;
            }
            tokio::select! {
                Some(joined) = in_flight.join_next() => {
                    if let Ok((id, known, read)) = joined {
                        self.answer(id, &known, read);
                    }
                }
                changed = interrupt.changed(), if self.stop.is_none() => {
                    if changed.is_err() || *interrupt.borrow() {
                        self.stop = Some(Stop::Interrupted);
                    }
                }
            }
        }
    }

    /// One customer's subscriptions, or why they could not be read.
    fn answer(&mut self, id: Uuid, known: &Known, read: Subscriptions) {
        let (found, error) = match read {
            Ok(collection) => (Some(verify::verdict(&collection.items)), None),
            Err(error) if error.kind() == ErrorKind::Caller => {
                self.stop.get_or_insert(Stop::Cannot(error.to_string()));
                return;
            }
            Err(error) => (
                None,
                Some(pc_upgrade_client::shown(&error.to_string(), 600)),
            ),
        };
        if let Some(found) = &found {
            let event = Event::Verified {
                customer: id,
                found: found.clone(),
            };
            if let Err(error) = self.journal.write(&[event], Durability::Written) {
                self.stop.get_or_insert(Stop::Cannot(format!("{error:#}")));
                return;
            }
        }
        let detail = match (&found, &error) {
            (Some(f), _) if f.verified => "verified".to_owned(),
            (Some(f), _) => match f.legacy_active.is_empty() {
                true => "not verified: no active Azure plan subscription".to_owned(),
                false => format!("not verified: {} still active", f.legacy_active.join(", ")),
            },
            (None, error) => format!("not read: {}", error.as_deref().unwrap_or("")),
        };
        self.progress.done(&Row {
            customer_id: Some(id),
            outcome: Outcome::Completed,
            detail: Some(detail),
            started: Some(crate::utc::at(SystemTime::now())),
            ..Row::default()
        });
        self.checked.push(checked(id, known, found, error));
    }
}

/// The summary, the report, the next step; the exit code.
fn finish(
    session: &Session<'_>,
    checked: &[Checked],
    stop: Option<Stop>,
    report_path: Option<&Path>,
    output: Output,
) -> u8 {
    let console = session.console;
    let say = |text: &str| match output {
        Output::Text => console.out(text),
        Output::Json => console.err(text),
    };
    if output == Output::Json {
        match serde_json::to_vec_pretty(&serde_json::json!({ "rows": checked })) {
            Ok(mut json) => {
                json.push(b'\n');
                console.out_bytes(&json);
            }
            Err(error) => console.err(&format!("pc-upgrade: no JSON: {error}\n")),
        }
    }
    say(&crate::resellers::verified(checked));
    let mut failed = false;
    if let Some(path) = report_path {
        match verify::write(path, checked) {
            Ok(()) => say(&format!("report: {}\n", path.display())),
            Err(error) => {
                failed = true;
                console.err(&format!("pc-upgrade: no report: {error:#}\n"));
            }
        }
    }
    let command = command_line(session.args);
    match stop {
        Some(Stop::Interrupted) => {
            console.err(&format!(
                "pc-upgrade: interrupted. To go on (what was found is in the journal), run \
                 the same command again:\n  {command}\n"
            ));
            return INTERRUPTED;
        }
        Some(Stop::Cannot(cause)) => {
            console.err(&format!(
                "pc-upgrade: stopped: {cause}\n  Fix it, then run the same command again \
                 (it reads only the customers not verified yet):\n  {command}\n"
            ));
            return CANNOT_RUN;
        }
        None if failed => return CANNOT_RUN,
        None => {}
    }
    let open = checked.iter().filter(|c| !is_verified(c)).count();
    if open == 0 {
        return crate::ending::ALL_WELL;
    }
    let prose = format!(
        "next: {open} customers are not verified: the report names each legacy subscription \
         still active (move or cancel it in Partner Center) or the read that failed. Then \
         this reads only them again:"
    );
    say(&format!("{}\n  {command}\n", crate::summary::wrap(&prose)));
    PARTIAL
}

fn is_verified(checked: &Checked) -> bool {
    checked.found.as_ref().is_some_and(|f| f.verified)
}
