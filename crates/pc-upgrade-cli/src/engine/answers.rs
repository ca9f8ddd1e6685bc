//! What each answer does to a customer's life: eligibility's, the create's, a status read's,
//! and a failed call's (by the client's `Error::kind`: final for the customer, a stop for the
//! run, or a try again later).

use std::cmp::Reverse;
use std::time::Duration;

use anyhow::Result;
use pc_upgrade_client::types::UpgradesLineItem;
use pc_upgrade_client::{
    Again, Error, ErrorKind, ProductUpgradesEligibility, ProductUpgradesStatus, RequestIdUse,
    Service,
};
use tokio::time::Instant;
use uuid::Uuid;

use super::reads::{Reading, SENTINELS, sentinel_wait};
use super::{Answer, Engine, Life, Mode, Stop};

use crate::journal::Durability;
use crate::rows::End;
use crate::state::{Call, Event, Origin, Stage};

/// How a transient failure is tried again: with which request id, when, and whether the
/// service answered (the client's `Transient`, which only the client builds).
struct Retry(RequestIdUse, Again, Service);

/// This many calls in a row that found the service unreachable stop the run.
const DOWN_AFTER: u32 = 8;
/// Tries of one customer's transient failures within a run; then the next run goes on.
const TRIES_IN_RUN: u32 = 3;
/// The wait before a transient failure is tried again in the run, by try.
const RETRY_AFTER: [Duration; 2] = [Duration::from_secs(5), Duration::from_secs(20)];
/// At most this many characters of an error go into the journal and the report.
const MAX_DETAIL: usize = 600;

impl Engine<'_> {
    pub(super) fn answer(&mut self, index: usize, answer: Answer) -> Result<()> {
        self.progress.call();
        match answer {
            Answer::Eligibility(Ok(eligibility)) => self.eligibility(index, &eligibility)?,
            Answer::Create(_, Ok(upgrade)) => {
                self.reached();
                let upgrade = *upgrade.as_uuid();
                self.started(index, upgrade, Origin::Created)?;
                self.follow_created(index, upgrade);
            }
            // Called off by a brake before it was sent: spared like those not started (its
            // intent stays: a next create carries the same MS-RequestId).
            Answer::Create(_, Err(Error::CalledOff { .. })) => self.done(index, End::Spared),
            Answer::Create(request_id, Err(error)) => {
                match (error.code(), error.existing_upgrade()) {
                    (Some(code), Some(upgrade)) => {
                        self.reached();
                        let upgrade = *upgrade.as_uuid();
                        let origin = Origin::Conflict {
                            code: code.number(),
                        };
                        self.started(index, upgrade, origin)?;
                        self.wait(index, upgrade, Instant::now());
                    }
                    _ => self.failed(index, &error, Call::Create, Some(request_id))?,
                }
            }
            Answer::Status(Ok(status)) => self.status(index, &status)?,
            Answer::Eligibility(Err(error)) => {
                self.failed(index, &error, Call::Eligibility, None)?
            }
            Answer::Status(Err(error)) => self.failed(index, &error, Call::Status, None)?,
        }
        Ok(())
    }

    /// The customer's upgrade exists: written down, synced (the next run must follow it).
    fn started(&mut self, index: usize, upgrade: Uuid, origin: Origin) -> Result<()> {
        let started = Event::Started {
            customer: self.slots[index].customer.id,
            upgrade_id: upgrade,
            origin,
        };
        self.record(index, started, Durability::Synced)
    }

    fn eligibility(&mut self, index: usize, answer: &ProductUpgradesEligibility) -> Result<()> {
        self.reached();
        let customer = self.slots[index].customer.id;
        self.slots[index].eligible = Some(answer.is_eligible);
        let mode = self.settings.mode;
        match (answer.upgrade_id, answer.is_eligible, mode) {
            (Some(_), _, Mode::DryRun) => self.done(index, End::WouldResume),
            // The upgrade exists: the stage says so (journaled in an upgrade run, in memory
            // for eligibility alone), and an upgrade run follows it.
            (Some(upgrade), _, Mode::Eligibility | Mode::Upgrade) => {
                self.started(index, upgrade, Origin::Eligibility)?;
                match mode {
                    Mode::Upgrade => self.wait(index, upgrade, Instant::now()),
                    _ => self.done(index, End::Upgrading),
                }
            }
            (_, true, Mode::Eligibility) => self.done(index, End::Eligible),
            (None, true, Mode::DryRun) => self.done(index, End::WouldCreate),
            (None, true, Mode::Upgrade) => {
                self.slots[index].life = Life::Creating { request_id: None };
                self.creates.push_back(index);
            }
            // A refresh sends no eligibility call.
            (_, _, Mode::Refresh) => self.done(index, End::AsJournaled),
            (_, false, _) => {
                let reason = answer.reason.as_deref().map(bounded);
                let ineligible = Event::Ineligible { customer, reason };
                self.record(index, ineligible, Durability::Written)?;
                self.done(index, End::AsJournaled);
            }
        }
        Ok(())
    }

    fn status(&mut self, index: usize, status: &ProductUpgradesStatus) -> Result<()> {
        self.reached();
        let customer = self.slots[index].customer.id;
        let upgrade_id = status.id;
        // Whatever the upgrade says as a whole, a line may say a subscription did not move:
        // the lines are kept with the end, and the report tells them apart.
        let lines = || status.line_items.iter().map(bounded_line).collect();
        if status.is_completed() || status.is_failed() {
            self.ended(index);
        }
        if status.is_completed() {
            let completed = Event::Completed {
                customer,
                upgrade_id,
                lines: lines(),
            };
            self.record(index, completed, Durability::Written)?;
            self.done(index, End::AsJournaled);
            return Ok(());
        }
        if status.is_failed() {
            let details = status.failure_details();
            let code = crate::code::of_details(details);
            // `description` or `message`, whichever the service sent.
            let message = details.and_then(|d| d.text()).map(bounded);
            let failed = Event::Failed {
                customer,
                upgrade_id,
                code,
                message,
                lines: lines(),
            };
            self.record(index, failed, Durability::Written)?;
            self.done(index, End::AsJournaled);
            return Ok(());
        }
        let polling = self.settings.polling;
        let Life::Waiting(waiting) = &mut self.slots[index].life else {
            return Ok(());
        };
        waiting.last_status = Some(bounded(&status.status));
        if waiting.since.elapsed() >= polling.timeout {
            let last_status = waiting.last_status.take();
            let end = End::NotCompleted {
                after: polling.timeout,
                last_status,
            };
            self.done(index, end);
        } else {
            let wait = if waiting.reading == Reading::Sentinel {
                // Each sentinel in turn: one read every SENTINEL_EVERY between them.
                let turns = u32::try_from(SENTINELS).unwrap_or(1);
                sentinel_wait(turns, polling.initial_interval)
            } else {
                let wait = waiting.interval;
                waiting.interval = polling.next_interval(wait);
                wait
            };
            let upgrade = waiting.upgrade;
            self.wait(index, upgrade, Instant::now() + wait);
        }
        Ok(())
    }

    /// A failed call: final for the customer, a stop for the run, or a try later.
    fn failed(
        &mut self,
        index: usize,
        error: &Error,
        call: Call,
        create: Option<Uuid>,
    ) -> Result<()> {
        let customer = self.slots[index].customer.id;
        let code = crate::code::of_error(error);
        let detail = bounded(&error.to_string());
        match error.kind() {
            ErrorKind::Customer => {
                self.reached();
                let refused = Event::Refused {
                    customer,
                    call: Some(call),
                    status: error.status().map_or(0, |s| s.as_u16()),
                    code,
                    detail,
                    request_id: error.request_id(),
                };
                self.record(index, refused, Durability::Written)?;
                self.done(index, End::AsJournaled);
            }
            // With its causes: "could not reach" says nothing of a host that does not exist.
            ErrorKind::Caller => {
                self.stop.get_or_insert(Stop::Caller(cause(error)));
            }
            // An upgrade the error names was followed in `answer`; this one names none: the
            // next run's eligibility does.
            ErrorKind::UpgradeExists => {
                let retry = Retry(RequestIdUse::Spent, Again::Later, Service::Reached);
                self.transient(index, error, create, retry)?;
            }
            ErrorKind::Transient(t) => {
                let retry = Retry(t.request_id, t.again, t.service);
                self.transient(index, error, create, retry)?;
            }
            // A kind this build does not know: never written down as final, and the same
            // request id, so that a create that worked is not made twice.
            _ => {
                let retry = Retry(RequestIdUse::Reusable, Again::Later, Service::Reached);
                self.transient(index, error, create, retry)?;
            }
        }
        Ok(())
    }

    /// A transient failure: written down, then tried again in this run (after a wait) or
    /// left to the next run.
    fn transient(
        &mut self,
        index: usize,
        error: &Error,
        create: Option<Uuid>,
        Retry(request_id, again, service): Retry,
    ) -> Result<()> {
        match service {
            Service::Unreachable => self.unreachable(error),
            Service::Reached => self.reached(),
        }
        let spent = request_id == RequestIdUse::Spent && create.is_some();
        let slot = &mut self.slots[index];
        slot.tries += 1;
        let tries = slot.tries;
        let again = again == Again::Soon && tries < TRIES_IN_RUN;
        let retry = Event::Retry {
            customer: slot.customer.id,
            code: crate::code::of_error(error),
            detail: bounded(&error.to_string()),
            request_id: create.unwrap_or_else(|| error.request_id()),
            spent,
        };
        // Written down so that `status` and the next run know why; synced when it spends a
        // create's request id, so that no later create reuses it.
        let durability = if spent {
            Durability::Synced
        } else {
            Durability::Written
        };
        self.record(index, retry, durability)?;
        if self.stop.is_some() {
            return Ok(());
        }
        if !again {
            self.done(index, End::RetryLater);
            return Ok(());
        }
        let wait = RETRY_AFTER[(tries as usize - 1).min(RETRY_AFTER.len() - 1)];
        let at = Instant::now() + wait;
        match self.slots[index].known.stage {
            Stage::Started { upgrade, .. } => self.wait(index, upgrade, at),
            _ => {
                self.slots[index].life = Life::Retrying { at };
                self.retries.push(Reverse((at, index)));
            }
        }
        Ok(())
    }

    /// The service answered: it is reachable.
    fn reached(&mut self) {
        self.unreachable.in_a_row = 0;
        self.unreachable.ever_reached = true;
    }

    /// A call found the service unreachable (each call is already the client's retries):
    /// enough in a row stop the run. A run that never reached the service (a mistyped URL, a
    /// first test with two customers) stops once every customer's call failed and one more,
    /// however few its customers.
    fn unreachable(&mut self, error: &Error) {
        self.unreachable.in_a_row += 1;
        self.unreachable.last = cause(error);
        let enough = match self.unreachable.ever_reached {
            true => DOWN_AFTER,
            false => DOWN_AFTER.min(self.unreachable.customers.saturating_add(1)),
        };
        if self.unreachable.in_a_row >= enough && self.stop.is_none() {
            self.stop = Some(Stop::Down(format!(
                "Partner Center at {} did not answer {} calls in a row; the last: {}",
                self.settings.base_url, self.unreachable.in_a_row, self.unreachable.last
            )));
        }
    }
}

/// Server text bounded for the journal and the reports, otherwise as the service sent it:
/// the JSON of the journal and of the report escapes what it must, and everything that shows
/// it (the terminal, a CSV cell) escapes it with the client's sanitizer
/// ([`pc_upgrade_client::shown`]).
fn bounded(text: &str) -> String {
    let mut kept: String = text.chars().take(MAX_DETAIL).collect();
    if text.chars().nth(MAX_DETAIL).is_some() {
        kept.push('…');
    }
    kept
}

/// A line item as the service gave it, its server text bounded for the journal and the
/// report, and Partner Center's metadata (`attributes`: an etag, an object type) left out.
fn bounded_line(line: &UpgradesLineItem) -> UpgradesLineItem {
    let mut line = line.clone();
    let bound = |text: &mut Option<String>| {
        if let Some(text) = text.as_mut() {
            *text = bounded(text);
        }
    };
    bound(&mut line.status);
    for product in [&mut line.source_product, &mut line.target_product]
        .into_iter()
        .flatten()
    {
        bound(&mut product.name);
        product.attributes = None;
    }
    if let Some(details) = line.error_details.as_mut() {
        bound(&mut details.description);
        bound(&mut details.message);
        details.attributes = None;
    }
    line.attributes = None;
    line
}

/// An error and its causes, on one line.
fn cause(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(next) = source {
        text.push_str(": ");
        text.push_str(&next.to_string());
        source = next.source();
    }
    // For the terminal only.
    pc_upgrade_client::shown(&text, MAX_DETAIL)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A status body's text is kept as the service sent it, bounded: the journal's JSON
    /// escapes what it must, and the screen shows it through the client's sanitizer.
    #[test]
    fn server_text_is_kept_as_sent_and_bounded() {
        let text = "\u{1b}[31mred\u{202e}\r\nnext line\u{7}";
        assert_eq!(bounded(text), text);
        let long = "é".repeat(MAX_DETAIL + 5);
        let kept = bounded(&long);
        assert_eq!(kept.chars().count(), MAX_DETAIL + 1);
        assert!(kept.ends_with('…'));
        assert_eq!(bounded(&"é".repeat(MAX_DETAIL)), "é".repeat(MAX_DETAIL));
    }
}
