//! The run loop: one scheduler owns what every customer needs next (eligibility, a create,
//! or a status read due at a given time) and sends each call when a place among the calls
//! in flight is free; the client's shared rate limit then spaces them. An upgrade being
//! waited for costs no worker: it is a due time in a queue. Creates come first, then
//! eligibility, then status reads, so that every customer starts as early as the budget
//! allows and polling never takes budget from a create.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Duration;

use anyhow::Result;
use pc_upgrade_client::{
    CallOptions, Error, PartnerCenterClient, ProductUpgradeRequest, ProductUpgradesEligibility,
    ProductUpgradesStatus, UpgradeId,
};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;
use uuid::Uuid;

use crate::classify::{Failure, classify};
use crate::customers::Customer;
use crate::journal::Journal;
use crate::progress::Progress;
use crate::report::{Outcome, Row};
use crate::run::row_of;
use crate::state::{Event, Known, Stage};

/// How long the calls in flight may take to end once the run stops.
const GRACE: Duration = Duration::from_secs(5);
/// This many calls in a row that found the service unreachable stop the run.
const DOWN_AFTER: u32 = 8;
/// Tries of one customer's transient failures within a run; then the next run goes on.
const TRIES_IN_RUN: u32 = 3;
/// The wait before a transient failure is tried again in the run, by try.
const RETRY_AFTER: [Duration; 2] = [Duration::from_secs(5), Duration::from_secs(20)];
/// At most this many characters of an error go into the journal and the report.
const MAX_DETAIL: usize = 600;

/// What the run does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Eligibility of every customer, nothing else.
    Eligibility,
    /// Eligibility, saying what an upgrade would do.
    DryRun,
    /// Eligibility, create or resume, wait.
    Upgrade,
    /// One status read of every upgrade the journal has in progress (`status --refresh`).
    Refresh,
}

/// How a run works.
#[derive(Clone, Debug)]
pub struct Settings {
    /// What the run does.
    pub mode: Mode,
    /// The product family to upgrade to.
    pub product_family: String,
    /// HTTP calls in flight at most.
    pub concurrency: usize,
    /// The wait before an upgrade's first status read; it doubles after each read.
    pub poll_interval: Duration,
    /// The longest wait between two status reads.
    pub max_poll_interval: Duration,
    /// How long this run follows each upgrade.
    pub wait: Duration,
    /// The API's base URL, for messages.
    pub base_url: String,
}

/// Why a run stopped before the end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Ctrl-C, or a termination signal.
    Interrupted,
    /// The caller's problem (credentials, permissions): the message says which.
    Caller(String),
    /// The service did not answer: the message names it and the cause.
    Down(String),
}

/// One customer as the run sees it.
struct Slot {
    customer: Customer,
    known: Known,
    /// What this run's eligibility said.
    eligible: Option<bool>,
    /// The outcome this run settled on that the stage does not say (eligibility and dry
    /// runs, an upgrade not completed in time).
    outcome: Option<Outcome>,
    /// The last status read, for an upgrade not completed in time.
    last_status: Option<String>,
    /// Transient failures in this run.
    tries: u32,
    /// The wait before the next status read.
    interval: Duration,
    /// When this run began reading the upgrade's status.
    polling_since: Option<Instant>,
    /// Done in this run.
    done: bool,
    /// When this run sent its first call for the customer, and when it was done with it.
    times: (Option<std::time::SystemTime>, Option<std::time::SystemTime>),
}

/// One call.
enum Work {
    Eligibility,
    Create(Uuid),
    Status(Uuid),
}

/// One call's answer.
enum Answer {
    Eligibility(Result<ProductUpgradesEligibility, Error>),
    Create(Uuid, Result<UpgradeId, Error>),
    Status(Result<ProductUpgradesStatus, Error>),
}

/// The scheduler.
pub struct Engine<'a> {
    client: PartnerCenterClient,
    journal: Option<&'a Journal>,
    settings: Settings,
    progress: &'a Progress,
    slots: Vec<Slot>,
    /// Eligible customers, to create.
    creates: VecDeque<usize>,
    /// Customers whose eligibility comes next.
    fresh: VecDeque<usize>,
    /// Eligibility (and so the create) tried again at a time.
    retries: BinaryHeap<Reverse<(Instant, usize)>>,
    /// Status reads due at a time.
    polls: BinaryHeap<Reverse<(Instant, usize)>>,
    in_flight: JoinSet<(usize, Answer)>,
    /// Calls in a row that found the service unreachable, and the last one's error.
    unreachable: (u32, String),
    stop: Option<Stop>,
}

impl<'a> Engine<'a> {
    /// A run over `customers`, each with what the journal knows of it.
    pub fn new(
        client: PartnerCenterClient,
        journal: Option<&'a Journal>,
        settings: Settings,
        progress: &'a Progress,
        customers: Vec<(Customer, Known)>,
    ) -> Self {
        let slots = customers
            .into_iter()
            .map(|(customer, known)| Slot {
                customer,
                known,
                eligible: None,
                outcome: None,
                last_status: None,
                tries: 0,
                interval: settings.poll_interval,
                polling_since: None,
                done: false,
                times: (None, None),
            })
            .collect();
        Self {
            client,
            journal,
            settings,
            progress,
            slots,
            creates: VecDeque::new(),
            fresh: VecDeque::new(),
            retries: BinaryHeap::new(),
            polls: BinaryHeap::new(),
            in_flight: JoinSet::new(),
            unreachable: (0, String::new()),
            stop: None,
        }
    }

    /// Runs every customer as far as it goes; the rows in the customers' order, and why
    /// the run stopped early, if it did.
    ///
    /// # Errors
    /// When the journal cannot be written: nothing is sent after that.
    pub async fn run(
        mut self,
        mut interrupt: watch::Receiver<bool>,
    ) -> Result<(Vec<Row>, Option<Stop>)> {
        let now = Instant::now();
        for index in 0..self.slots.len() {
            let stage = &self.slots[index].known.stage;
            match stage {
                _ if stage.is_final() => self.finish(index),
                Stage::Started { .. }
                    if matches!(self.settings.mode, Mode::Upgrade | Mode::Refresh) =>
                {
                    self.poll_at(index, now);
                }
                // A refresh reads status only.
                _ if self.settings.mode == Mode::Refresh => self.finish(index),
                _ => self.fresh.push_back(index),
            }
        }
        let mut grace: Option<Instant> = None;
        let mut listening = true;
        loop {
            while self.stop.is_none() && self.in_flight.len() < self.settings.concurrency.max(1) {
                match self.next_work(Instant::now())? {
                    Some((index, work)) => self.launch(index, work),
                    None => break,
                }
            }
            if self.stop.is_some() {
                grace.get_or_insert_with(|| Instant::now() + GRACE);
            }
            if self.in_flight.is_empty() && (self.stop.is_some() || self.next_due().is_none()) {
                break;
            }
            // Upgrades being waited for: due status reads (and those being sent).
            self.progress.waiting(self.polls.len());
            let room = self.in_flight.len() < self.settings.concurrency.max(1);
            let due = self.next_due().filter(|_| room && self.stop.is_none());
            let far = Instant::now() + Duration::from_secs(3600);
            tokio::select! {
                joined = self.in_flight.join_next(), if !self.in_flight.is_empty() => {
                    if let Some(Ok((index, answer))) = joined {
                        self.answer(index, answer)?;
                    }
                }
                () = tokio::time::sleep_until(due.unwrap_or(far)), if due.is_some() => {}
                changed = interrupt.changed(), if listening && self.stop.is_none() => {
                    match changed {
                        Ok(()) if *interrupt.borrow() => self.stop = Some(Stop::Interrupted),
                        Ok(()) => {}
                        Err(_) => listening = false,
                    }
                }
                () = tokio::time::sleep_until(grace.unwrap_or(far)), if grace.is_some() => {
                    // The calls still in flight are dropped: their customers stay where the
                    // journal has them, and the next run goes on from there.
                    self.in_flight.abort_all();
                    while self.in_flight.join_next().await.is_some() {}
                    break;
                }
            }
        }
        let rows = self.slots.iter().map(|slot| self.row(slot)).collect();
        Ok((rows, self.stop))
    }

    /// The next call to send, if one is due now: creates first, then eligibility (retried,
    /// then new), then status reads.
    fn next_work(&mut self, now: Instant) -> Result<Option<(usize, Work)>> {
        if let Some(index) = self.creates.pop_front() {
            let request_id = match self.slots[index].known.stage {
                Stage::Intended { request_id } => request_id,
                _ => {
                    let request_id = Uuid::new_v4();
                    // On disk before the create is sent: a create repeated after a crash
                    // carries the same MS-RequestId, which Partner Center takes as the same
                    // create.
                    let customer = self.slots[index].customer.id;
                    self.record(
                        index,
                        Event::Intent {
                            customer,
                            request_id,
                        },
                        true,
                    )?;
                    request_id
                }
            };
            return Ok(Some((index, Work::Create(request_id))));
        }
        if let Some(index) = pop_due(&mut self.retries, now) {
            return Ok(Some((index, Work::Eligibility)));
        }
        if let Some(index) = self.fresh.pop_front() {
            return Ok(Some((index, Work::Eligibility)));
        }
        if let Some(index) = pop_due(&mut self.polls, now)
            && let Some(upgrade) = self.slots[index].known.upgrade()
        {
            return Ok(Some((index, Work::Status(upgrade))));
        }
        Ok(None)
    }

    /// When the next queued call falls due, if any is queued.
    fn next_due(&self) -> Option<Instant> {
        let first = |heap: &BinaryHeap<Reverse<(Instant, usize)>>| heap.peek().map(|r| r.0.0);
        if !self.creates.is_empty() || !self.fresh.is_empty() {
            return Some(Instant::now());
        }
        match (first(&self.retries), first(&self.polls)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn launch(&mut self, index: usize, work: Work) {
        self.slots[index]
            .times
            .0
            .get_or_insert_with(std::time::SystemTime::now);
        let client = self.client.clone();
        let request = ProductUpgradeRequest::new(
            self.slots[index].customer.id,
            self.settings.product_family.clone(),
        );
        self.in_flight.spawn(async move {
            let answer = match work {
                Work::Eligibility => Answer::Eligibility(client.check_eligibility(&request).await),
                Work::Create(request_id) => {
                    let options = CallOptions::default().request_id(request_id);
                    let created = client.create_product_upgrade_with(&request, options).await;
                    Answer::Create(request_id, created.map(|c| c.value))
                }
                Work::Status(upgrade) => Answer::Status(
                    client
                        .get_product_upgrade_status(UpgradeId::new(upgrade), &request)
                        .await,
                ),
            };
            (index, answer)
        });
    }

    /// Writes `event` to the journal (in an upgrade run) and moves the customer on by it.
    fn record(&mut self, index: usize, event: Event, sync: bool) -> Result<()> {
        if let Some(journal) = self.journal {
            journal.write(std::slice::from_ref(&event), sync)?;
        }
        self.slots[index].known.apply(&event);
        Ok(())
    }

    fn answer(&mut self, index: usize, answer: Answer) -> Result<()> {
        self.progress.call();
        let customer = self.slots[index].customer.id;
        match answer {
            Answer::Eligibility(Ok(eligibility)) => self.eligibility(index, &eligibility)?,
            Answer::Create(_, Ok(upgrade)) => {
                self.reached();
                let started = Event::Started {
                    customer,
                    upgrade_id: *upgrade.as_uuid(),
                    origin: "created".into(),
                };
                self.record(index, started, true)?;
                self.poll_at(index, Instant::now() + self.settings.poll_interval);
            }
            Answer::Create(request_id, Err(error)) => {
                match (error.code(), error.existing_upgrade()) {
                    (Some(code), Some(upgrade)) => {
                        self.reached();
                        let origin = match code.number() {
                            Some(number) => format!("conflict {number}"),
                            None => "conflict".to_owned(),
                        };
                        let started = Event::Started {
                            customer,
                            upgrade_id: *upgrade.as_uuid(),
                            origin,
                        };
                        self.record(index, started, true)?;
                        self.poll_at(index, Instant::now());
                    }
                    _ => self.failed(index, &error, Some(request_id))?,
                }
            }
            Answer::Status(Ok(status)) => self.status(index, &status)?,
            Answer::Eligibility(Err(error)) | Answer::Status(Err(error)) => {
                self.failed(index, &error, None)?;
            }
        }
        Ok(())
    }

    fn eligibility(&mut self, index: usize, answer: &ProductUpgradesEligibility) -> Result<()> {
        self.reached();
        let customer = self.slots[index].customer.id;
        self.slots[index].eligible = Some(answer.is_eligible);
        let mode = self.settings.mode;
        match (answer.upgrade_id, answer.is_eligible, mode) {
            (Some(_), _, Mode::DryRun) => self.finish_as(index, Outcome::WouldResume),
            // The upgrade exists: the stage says so (journaled in an upgrade run, in memory
            // for eligibility alone), and an upgrade run follows it.
            (Some(upgrade), _, Mode::Eligibility | Mode::Upgrade) => {
                let started = Event::Started {
                    customer,
                    upgrade_id: upgrade,
                    origin: "eligibility".into(),
                };
                self.record(index, started, true)?;
                match mode {
                    Mode::Upgrade => self.poll_at(index, Instant::now()),
                    _ => self.finish_as(index, Outcome::Upgrading),
                }
            }
            (_, true, Mode::Eligibility) => self.finish_as(index, Outcome::Eligible),
            (None, true, Mode::DryRun) => self.finish_as(index, Outcome::WouldCreate),
            (None, true, Mode::Upgrade) => self.creates.push_back(index),
            // A refresh sends no eligibility call.
            (_, _, Mode::Refresh) => self.finish(index),
            (_, false, _) => {
                let reason = answer.reason.clone();
                self.record(index, Event::Ineligible { customer, reason }, false)?;
                self.finish(index);
            }
        }
        Ok(())
    }

    fn status(&mut self, index: usize, status: &ProductUpgradesStatus) -> Result<()> {
        self.reached();
        let customer = self.slots[index].customer.id;
        let upgrade_id = status.id;
        if status.is_completed() {
            self.record(
                index,
                Event::Completed {
                    customer,
                    upgrade_id,
                },
                false,
            )?;
            self.finish(index);
        } else if status.is_failed() {
            let details = status.failure_details();
            let code = details
                .and_then(|d| d.code.as_ref())
                .and_then(|c| c.as_i64());
            // `description` or `message`, whichever the service sent.
            let message = details.and_then(|d| d.text()).map(bounded);
            let failed = Event::Failed {
                customer,
                upgrade_id,
                code,
                message,
            };
            self.record(index, failed, false)?;
            self.finish(index);
        } else {
            let slot = &mut self.slots[index];
            slot.last_status = Some(bounded(&status.status));
            let waited = slot
                .polling_since
                .map_or(Duration::ZERO, |since| since.elapsed());
            if waited >= self.settings.wait {
                self.finish_as(index, Outcome::InProgress);
            } else {
                let wait = slot.interval;
                slot.interval = wait.saturating_mul(2).min(self.settings.max_poll_interval);
                self.poll_at(index, Instant::now() + wait);
            }
        }
        Ok(())
    }

    /// A failed call: final for the customer, a stop for the run, or a try later.
    fn failed(&mut self, index: usize, error: &Error, create: Option<Uuid>) -> Result<()> {
        let customer = self.slots[index].customer.id;
        let code = error.code().and_then(|c| c.number());
        let detail = bounded(&error.to_string());
        match classify(error) {
            Failure::Customer => {
                self.reached();
                let status = error.status().map_or(0, |s| s.as_u16());
                let request_id = error.request_id();
                let refused = Event::Refused {
                    customer,
                    status,
                    code,
                    detail,
                    request_id,
                };
                self.record(index, refused, false)?;
                self.finish(index);
            }
            Failure::Caller => {
                if self.stop.is_none() {
                    self.stop = Some(Stop::Caller(detail));
                }
            }
            Failure::Transient {
                answered,
                in_run,
                unreachable,
            } => {
                if unreachable {
                    self.unreachable.0 += 1;
                    self.unreachable.1 = cause(error);
                    if self.unreachable.0 >= DOWN_AFTER && self.stop.is_none() {
                        self.stop = Some(Stop::Down(format!(
                            "Partner Center at {} did not answer {} calls in a row; the last: {}",
                            self.settings.base_url, self.unreachable.0, self.unreachable.1
                        )));
                    }
                } else {
                    self.reached();
                }
                let spent = answered && create.is_some();
                let slot = &mut self.slots[index];
                slot.tries += 1;
                let again = in_run && slot.tries < TRIES_IN_RUN && self.stop.is_none();
                let request_id = create.unwrap_or_else(|| error.request_id());
                let retry = Event::Retry {
                    customer,
                    code,
                    detail,
                    request_id,
                    spent,
                };
                // Written down so that `status` and the next run know why; synced when it
                // spends a create's request id, so that no later create reuses it.
                self.record(index, retry, spent)?;
                if again {
                    let tries = self.slots[index].tries as usize;
                    let wait = RETRY_AFTER[(tries - 1).min(RETRY_AFTER.len() - 1)];
                    let at = Instant::now() + wait;
                    if matches!(self.slots[index].known.stage, Stage::Started { .. }) {
                        self.poll_at(index, at);
                    } else {
                        self.retries.push(Reverse((at, index)));
                    }
                } else if self.stop.is_none() {
                    self.finish_as(index, Outcome::RetryLater);
                }
            }
        }
        Ok(())
    }

    /// The service answered: it is reachable.
    fn reached(&mut self) {
        self.unreachable.0 = 0;
    }

    fn poll_at(&mut self, index: usize, at: Instant) {
        let slot = &mut self.slots[index];
        slot.polling_since.get_or_insert_with(Instant::now);
        self.polls.push(Reverse((at, index)));
    }

    fn finish_as(&mut self, index: usize, outcome: Outcome) {
        self.slots[index].outcome = Some(outcome);
        self.finish(index);
    }

    /// The customer is done in this run.
    fn finish(&mut self, index: usize) {
        if !self.slots[index].done {
            self.slots[index].done = true;
            if self.slots[index].times.0.is_some() {
                self.slots[index].times.1 = Some(std::time::SystemTime::now());
            }
            self.progress.done(&self.row(&self.slots[index]));
        }
    }

    fn row(&self, slot: &Slot) -> Row {
        let mut row = row_of(&slot.customer, &slot.known);
        row.eligible = slot.eligible.or(row.eligible);
        row.started = slot.times.0.map(crate::utc::at);
        row.finished = slot.times.1.map(crate::utc::at);
        if let Some(outcome) = slot.outcome {
            row.outcome = outcome;
            match outcome {
                Outcome::InProgress => {
                    let state = slot.last_status.as_deref().unwrap_or("InProgress");
                    row.detail = Some(format!(
                        "not completed after {:?} ({state}): the next run goes on waiting",
                        self.settings.wait
                    ));
                }
                Outcome::Eligible
                | Outcome::Upgrading
                | Outcome::WouldCreate
                | Outcome::WouldResume => {
                    row.detail = None;
                }
                _ => {}
            }
        }
        row
    }
}

fn pop_due(heap: &mut BinaryHeap<Reverse<(Instant, usize)>>, now: Instant) -> Option<usize> {
    match heap.peek() {
        Some(Reverse((at, _))) if *at <= now => heap.pop().map(|Reverse((_, index))| index),
        _ => None,
    }
}

/// Server text, already escaped by the client, bounded for the journal and the report.
fn bounded(text: &str) -> String {
    let mut kept: String = text.chars().take(MAX_DETAIL).collect();
    if kept.len() < text.len() {
        kept.push('…');
    }
    kept
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
    bounded(&text)
}
