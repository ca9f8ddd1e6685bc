//! The run loop: one scheduler owns what every customer needs next (eligibility, a create,
//! or a status read due at a given time) and sends each call when a place among the calls
//! in flight is free; the client's rate limit then spaces them. An upgrade being waited
//! for costs no worker: it is a due time in a queue. The order: the status reads that tell
//! how upgrades end (the first few upgrades', and each upgrade's once it is as old as
//! upgrades turned out to take: `reads.rs`), then creates (unless a brake holds them:
//! `brakes.rs`), then eligibility, then the reads of the default schedule. So every
//! customer starts as early as the budget allows, no read is spent before it can tell
//! something, and a failure spreading over the fleet is seen as it happens.
//!
//! Each customer's place in the run is one [`Life`] (`life.rs`); what each answer does to
//! it is in `answers.rs`. Time is Tokio's, so a test on a paused clock runs hours of
//! upgrades in milliseconds.

mod answers;
mod brakes;
mod life;
mod max_failed;
mod reads;

use std::collections::{BinaryHeap, VecDeque};
use std::time::{Duration, SystemTime};

use anyhow::Result;
use pc_upgrade_client::{
    CallOptions, Error, PartnerCenterClient, PollOptions, ProductUpgradeRequest,
    ProductUpgradesEligibility, ProductUpgradesStatus, UpgradeId,
};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;
use uuid::Uuid;

pub use brakes::{Braked, Brakes, DEFAULT_MAX_FAILED, MaxFailed};
pub use life::{Life, Waiting};
use reads::{DueQueue, Reads, pop_due};

use crate::customers::Customer;
use crate::journal::{Durability, Journal};
use crate::progress::Progress;
use crate::report::Row;
use crate::rows::{End, InRun};
use crate::state::{Event, Known, Stage};

/// How long the calls in flight may take to end once the run stops.
const GRACE: Duration = Duration::from_secs(5);

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
    /// How each upgrade's status is read: the first wait, its doubling up to the longest,
    /// and how long this run follows an upgrade (`timeout`).
    pub polling: PollOptions,
    /// The API's base URL, for messages.
    pub base_url: String,
    /// `--canary` and `--max-failed` (an upgrade run's).
    pub brakes: Brakes,
}

/// Why a run stopped before the end.
#[derive(Clone, Debug, PartialEq)]
pub enum Stop {
    /// Ctrl-C, or a termination signal.
    Interrupted,
    /// The caller's problem (credentials, permissions): the message says which.
    Caller(String),
    /// The service did not answer: the message names it and the cause.
    Down(String),
    /// The journal could not be written (a full disk, an I/O error): nothing was sent that
    /// it does not know of, and the same command resumes once that is fixed.
    Journal(String),
    /// A brake stopped the creates: the upgrades under way were followed to their end.
    Braked(Braked),
}

/// One customer as the run sees it.
struct Slot {
    customer: Customer,
    /// What the journal knows: where it stands for good.
    known: Known,
    /// Where this run is with it.
    life: Life,
    /// When this run sent its first call for it.
    began: Option<SystemTime>,
    /// What this run's eligibility said.
    eligible: Option<bool>,
    /// Transient failures in this run.
    tries: u32,
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

/// Calls in a row that found the service unreachable.
#[derive(Default)]
struct Unreachable {
    in_a_row: u32,
    /// Whether any call of this run got an answer.
    ever_reached: bool,
    /// Customers this run has calls for: with nothing ever reached, one unreachable call
    /// more than these is enough to stop.
    customers: u32,
    /// The last one's error and its causes.
    last: String,
}

/// The scheduler.
pub struct Engine<'a> {
    client: PartnerCenterClient,
    /// The client creates are sent with: called off, while they wait their turn under the
    /// rate limit, the moment a brake stops the creates (`creates_off`).
    creates_client: PartnerCenterClient,
    creates_off: watch::Sender<bool>,
    journal: Option<&'a Journal>,
    settings: Settings,
    progress: &'a Progress<'a>,
    slots: Vec<Slot>,
    /// Eligible customers, to create.
    creates: VecDeque<usize>,
    /// Customers whose eligibility comes next.
    fresh: VecDeque<usize>,
    /// Eligibility (and so the create) tried again at a time.
    retries: DueQueue,
    /// Status reads due at a time (`reads.rs`).
    reads: Reads,
    in_flight: JoinSet<(usize, Answer)>,
    unreachable: Unreachable,
    /// The brakes: whether a create may go, and whether the run stopped creating.
    watch: brakes::Watch,
    /// When the rate limit's findings were last written down, and what they were.
    rate_noted: Option<(Instant, pc_upgrade_client::Learned)>,
    stop: Option<Stop>,
}

impl<'a> Engine<'a> {
    /// A run over `customers`, each with what the journal knows of it.
    pub fn new(
        client: PartnerCenterClient,
        journal: Option<&'a Journal>,
        settings: Settings,
        progress: &'a Progress<'a>,
        customers: Vec<(Customer, Known)>,
    ) -> Self {
        let watch = brakes::Watch::new(settings.brakes);
        let (creates_off, called_off) = watch::channel(false);
        let creates_client = client.with_call_off(called_off);
        let slots = customers
            .into_iter()
            .map(|(customer, known)| Slot {
                customer,
                known,
                life: Life::New,
                began: None,
                eligible: None,
                tries: 0,
            })
            .collect();
        Self {
            client,
            creates_client,
            creates_off,
            journal,
            settings,
            progress,
            slots,
            creates: VecDeque::new(),
            fresh: VecDeque::new(),
            retries: BinaryHeap::new(),
            reads: Reads::default(),
            in_flight: JoinSet::new(),
            unreachable: Unreachable::default(),
            watch,
            rate_noted: None,
            stop: None,
        }
    }

    /// Runs every customer as far as it goes; the rows in the customers' order, and why
    /// the run stopped early, if it did (a journal that cannot be written among the
    /// reasons: nothing is sent after that).
    pub async fn run(mut self, mut interrupt: watch::Receiver<bool>) -> (Vec<Row>, Option<Stop>) {
        self.begin();
        let mut grace: Option<Instant> = None;
        let mut listening = true;
        loop {
            while self.stop.is_none() && self.in_flight.len() < self.settings.concurrency.max(1) {
                match self.next_work(Instant::now()) {
                    Ok(Some((index, work))) => self.launch(index, work),
                    Ok(None) => break,
                    Err(error) => self.journal_failed(&error),
                }
            }
            if self.stop.is_some() {
                grace.get_or_insert_with(|| Instant::now() + GRACE);
            }
            if self.in_flight.is_empty() && (self.stop.is_some() || self.next_due().is_none()) {
                break;
            }
            // Upgrades being waited for: due status reads (and those being sent).
            self.progress.waiting(self.reads.len());
            let room = self.in_flight.len() < self.settings.concurrency.max(1);
            let due = self.next_due().filter(|_| room && self.stop.is_none());
            let far = Instant::now() + Duration::from_secs(3600);
            tokio::select! {
                joined = self.in_flight.join_next(), if !self.in_flight.is_empty() => {
                    if let Some(Ok((index, answer))) = joined
                        && let Err(error) = self.answer(index, answer)
                    {
                        self.journal_failed(&error);
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
            self.note_rate(false);
        }
        self.note_rate(true);
        let rows = self.slots.iter().map(row).collect();
        let seen = self.watch.seen();
        let braked = self.watch.braked.take().map(|mut braked| {
            braked.spared = self.spared();
            braked.seen = seen;
            Stop::Braked(braked)
        });
        (rows, self.stop.or(braked))
    }

    /// Writes down the rates the client's limit has found (once a `429` measured one), a
    /// minute after the last time (or now, at the `end`), when they changed: the next run
    /// starts from them.
    fn note_rate(&mut self, end: bool) {
        const EVERY: Duration = Duration::from_secs(60);
        let (Some(journal), Some(limit)) = (self.journal, self.client.rate_limit()) else {
            return;
        };
        let now = Instant::now();
        let due = self
            .rate_noted
            .as_ref()
            .is_none_or(|(at, _)| now - *at >= EVERY);
        if !(end || due) || matches!(self.stop, Some(Stop::Journal(_))) {
            return;
        }
        let learned = limit.learned();
        let unchanged = self.rate_noted.as_ref().is_some_and(|(_, l)| *l == learned);
        // Only a rate the service's 429s measured is a limit: before the first, the rate
        // is only where the search had got to (2 calls a second at the start), and a run
        // resumed from it would take it for the limit and crawl.
        let nothing =
            limit.throttled() == 0 || (learned.shared.is_none() && learned.operations.is_empty());
        let event = (!unchanged && !nothing).then(|| crate::learned::event(&learned));
        self.rate_noted = Some((now, learned));
        if let Some(event) = event
            && let Err(error) = journal.write(&[event], Durability::Written)
        {
            self.journal_failed(&error);
        }
    }

    /// The journal could not be written: the run stops, whatever else stopped it, and says
    /// the first cause (later writes fail only because that one did).
    fn journal_failed(&mut self, error: &anyhow::Error) {
        if !matches!(self.stop, Some(Stop::Journal(_))) {
            self.stop = Some(Stop::Journal(format!("{error:#}")));
        }
    }

    /// Where each customer starts: done if the journal has it final, waited for if its
    /// upgrade exists, else eligibility first.
    fn begin(&mut self) {
        let now = Instant::now();
        let customers = self
            .slots
            .iter()
            .filter(|s| !s.known.stage.is_final())
            .count();
        self.unreachable.customers = u32::try_from(customers).unwrap_or(u32::MAX);
        for index in 0..self.slots.len() {
            let stage = &self.slots[index].known.stage;
            match stage {
                _ if stage.is_final() => self.done(index, End::AsJournaled),
                Stage::Started { upgrade, .. }
                    if matches!(self.settings.mode, Mode::Upgrade | Mode::Refresh) =>
                {
                    let upgrade = *upgrade;
                    self.wait(index, upgrade, now);
                }
                // A refresh reads status only.
                _ if self.settings.mode == Mode::Refresh => self.done(index, End::AsJournaled),
                _ => self.fresh.push_back(index),
            }
        }
    }

    /// The next call to send, if one is due now, in the module's order: the prompt status
    /// reads (`reads.rs`), then creates (unless a brake holds them), then eligibility
    /// (retried, then new), then the deferred status reads.
    fn next_work(&mut self, now: Instant) -> Result<Option<(usize, Work)>> {
        if self.watch.braked() {
            self.spare();
        }
        if let Some(read) = self.due_read(now, Reads::urgent) {
            return Ok(Some(read));
        }
        let create = self.watch.may_create().then(|| self.creates.pop_front());
        if let Some(index) = create.flatten() {
            self.watch.creating(index);
            let request_id = match self.slots[index].known.stage {
                Stage::Intended { request_id } => request_id,
                _ => {
                    let request_id = Uuid::new_v4();
                    // On disk before the create is sent: a create repeated after a crash
                    // carries the same MS-RequestId, which Partner Center takes as the same
                    // create.
                    let customer = self.slots[index].customer.id;
                    let intent = Event::Intent {
                        customer,
                        request_id,
                    };
                    self.record(index, intent, Durability::Synced)?;
                    request_id
                }
            };
            self.slots[index].life = Life::Creating {
                request_id: Some(request_id),
            };
            return Ok(Some((index, Work::Create(request_id))));
        }
        let retry = pop_due(&mut self.retries, now).map(|(_, index)| index);
        if let Some(index) = retry.or_else(|| self.fresh.pop_front()) {
            self.slots[index].life = Life::Checking;
            return Ok(Some((index, Work::Eligibility)));
        }
        Ok(self.due_read(now, Reads::idle))
    }

    /// When the next queued call falls due, if any is queued.
    fn next_due(&self) -> Option<Instant> {
        let first = |heap: &DueQueue| heap.peek().map(|r| r.0.0);
        if (!self.creates.is_empty() && self.watch.may_create()) || !self.fresh.is_empty() {
            return Some(Instant::now());
        }
        match (first(&self.retries), self.reads.next_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn launch(&mut self, index: usize, work: Work) {
        self.slots[index].began.get_or_insert_with(SystemTime::now);
        let client = match work {
            Work::Create(_) => self.creates_client.clone(),
            _ => self.client.clone(),
        };
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
    fn record(&mut self, index: usize, event: Event, durability: Durability) -> Result<()> {
        if let Some(journal) = self.journal {
            journal.write(std::slice::from_ref(&event), durability)?;
        }
        self.slots[index].known.apply(&event);
        Ok(())
    }

    /// The customer is done in this run, as `end` says.
    fn done(&mut self, index: usize, end: End) {
        let slot = &mut self.slots[index];
        if matches!(slot.life, Life::Done { .. }) {
            return;
        }
        let at = slot.began.map(|_| SystemTime::now());
        slot.life = Life::Done { end, at };
        let row = row(slot);
        self.progress.done(&row);
        // Only an upgrade run creates, and so brakes; a customer the journal had final is
        // not this run's to judge.
        let upgrading = self.settings.mode == Mode::Upgrade;
        let settled = brakes::Settled::of(&slot.known.stage);
        let cause = (row.error_code.as_ref(), row.detail.as_deref());
        if upgrading && slot.began.is_some() && self.watch.done(index, settled, cause) {
            tracing::warn!("a brake stopped the creates: {:?}", self.watch.braked);
            // The creates waiting their turn send nothing: none goes once this is read.
            self.creates_off.send_replace(true);
        }
    }
}

/// The report's row of a customer in this run.
fn row(slot: &Slot) -> Row {
    let run = InRun {
        end: slot.life.end(),
        eligible: slot.eligible,
        began: slot.began,
        finished: slot.life.finished(),
    };
    crate::rows::row(&slot.customer, &slot.known, run)
}
