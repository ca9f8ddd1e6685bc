//! When each upgrade's status is read, and which reads go before the creates.
//!
//! Nobody publishes how long an upgrade takes, and a read that finds it in progress is a
//! call spent for nothing. So the first few upgrades this run creates are sentinels, one of
//! them read every [`SENTINEL_EVERY`] in turn, before any create: the first of them seen
//! ended tells how long an upgrade takes here (its age then, within a turn), and every
//! upgrade is read first at that age.
//!
//! A read before the creates delays the last create, and so the run, by one call; a read
//! left until the creates are done costs nothing (the budget is idle while the last
//! upgrades run), but tells the brakes (`brakes.rs`) nothing until then. So the reads of
//! the first [`PROMPT`] upgrades, and of one in [`SAMPLE_EVERY`] after them, are prompt:
//! each end among them, a failure spreading over the fleet included, is known about when it
//! happens. The others are deferred: read at that age too, but after every other call.
//! Before any upgrade ended, the other upgrades are read on the default schedule (a first
//! wait that doubles), deferred.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use tokio::time::Instant;
use uuid::Uuid;

use super::{Engine, Life, Waiting, Work};

/// Upgrades of a run read often until the first of them ends.
pub(super) const SENTINELS: usize = 3;
/// How often one of the sentinels is read (each in turn: each every [`SENTINELS`] times
/// this).
pub(super) const SENTINEL_EVERY: Duration = Duration::from_secs(2);
/// Upgrades whose reads are all prompt, once the typical time is known: enough for the
/// default threshold (more than 10 failed) to judge a failure of most of them.
pub(super) const PROMPT: usize = 20;
/// After those, one upgrade in this many is read promptly: a failure that begins part-way
/// through the run is seen within some ten of its ends.
pub(super) const SAMPLE_EVERY: usize = 20;

/// A queue of customers by the time their next call falls due.
pub(super) type DueQueue = BinaryHeap<Reverse<(Instant, usize)>>;

/// How an upgrade's status is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    /// Every [`SENTINEL_EVERY`], before the creates, until it ends.
    Sentinel,
    /// Before the creates.
    Prompt,
    /// After every other call.
    Deferred,
}

/// The status reads to come.
#[derive(Debug, Default)]
pub(super) struct Reads {
    /// Reads that go before the creates.
    urgent: DueQueue,
    /// Reads that go after every other call.
    idle: DueQueue,
    /// How long an upgrade takes here, once one of this run's sentinels has ended.
    typical: Option<Duration>,
    /// Sentinels chosen so far.
    sentinels: usize,
    /// Upgrades given a reading since the typical time was known.
    chosen: usize,
}

impl Reads {
    /// The first read of an upgrade created now, whose default first wait is `initial`,
    /// and how it is read.
    pub(super) fn first(&mut self, now: Instant, initial: Duration) -> (Instant, Reading) {
        match self.typical {
            Some(typical) => (now + typical, self.choose()),
            None if self.sentinels < SENTINELS => {
                // Staggered: the k-th is first read k turns from now.
                self.sentinels += 1;
                let turns = u32::try_from(self.sentinels).unwrap_or(1);
                (now + sentinel_wait(turns, initial), Reading::Sentinel)
            }
            None => (now + initial, Reading::Deferred),
        }
    }

    /// Prompt or deferred, once the typical time is known: see the module's comment.
    fn choose(&mut self) -> Reading {
        self.chosen += 1;
        if self.chosen <= PROMPT || self.chosen.is_multiple_of(SAMPLE_EVERY) {
            Reading::Prompt
        } else {
            Reading::Deferred
        }
    }

    /// A read of slot `index` at `at`, read as `reading` says.
    pub(super) fn push(&mut self, at: Instant, index: usize, reading: Reading) {
        match reading {
            Reading::Sentinel | Reading::Prompt => self.urgent.push(Reverse((at, index))),
            Reading::Deferred => self.idle.push(Reverse((at, index))),
        }
    }

    /// A sentinel ended `age` after its create. The first such end sets the typical time,
    /// and hands back the reads waiting on the default schedule (oldest first), each with
    /// how it is read from now on, to be pushed again at their upgrade's typical age.
    pub(super) fn ended(&mut self, age: Duration) -> Option<(Duration, Vec<(usize, Reading)>)> {
        if self.typical.is_some() {
            return None;
        }
        self.typical = Some(age);
        let idle = std::mem::take(&mut self.idle).into_sorted_vec();
        // Sorted by `Reverse`: the latest due first.
        let waiting = idle.into_iter().rev().map(|r| r.0.1);
        Some((age, waiting.map(|index| (index, self.choose())).collect()))
    }

    /// A read due now that goes before the creates.
    pub(super) fn urgent(&mut self, now: Instant) -> Option<(Instant, usize)> {
        pop_due(&mut self.urgent, now)
    }

    /// A read due now that goes after every other call.
    pub(super) fn idle(&mut self, now: Instant) -> Option<(Instant, usize)> {
        pop_due(&mut self.idle, now)
    }

    /// When the next read falls due, if any is queued.
    pub(super) fn next_due(&self) -> Option<Instant> {
        let first = |heap: &DueQueue| heap.peek().map(|r| r.0.0);
        match (first(&self.urgent), first(&self.idle)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Reads queued.
    pub(super) fn len(&self) -> usize {
        self.urgent.len() + self.idle.len()
    }
}

impl Engine<'_> {
    /// A status read due now, from the queue `pop` takes from; an entry a later wait
    /// replaced is passed over.
    pub(super) fn due_read(
        &mut self,
        now: Instant,
        pop: fn(&mut Reads, Instant) -> Option<(Instant, usize)>,
    ) -> Option<(usize, Work)> {
        while let Some((at, index)) = pop(&mut self.reads, now) {
            if let Life::Waiting(waiting) = &self.slots[index].life
                && waiting.next == at
            {
                return Some((index, Work::Status(waiting.upgrade)));
            }
        }
        None
    }

    /// The customer's upgrade is waited for: its status is read at `at`. The first wait
    /// begins the polling; a later one keeps its start, interval and kind.
    pub(super) fn wait(&mut self, index: usize, upgrade: Uuid, at: Instant) {
        self.wait_as(index, upgrade, at, Reading::Deferred);
    }

    /// [`Engine::wait`], read as `reading` says if its polling begins now.
    pub(super) fn wait_as(&mut self, index: usize, upgrade: Uuid, at: Instant, reading: Reading) {
        let slot = &mut self.slots[index];
        let reading = match &mut slot.life {
            Life::Waiting(waiting) if waiting.upgrade == upgrade => {
                waiting.next = at;
                waiting.reading
            }
            life => {
                *life = Life::Waiting(Waiting {
                    upgrade,
                    since: Instant::now(),
                    next: at,
                    interval: self.settings.polling.initial_interval,
                    last_status: None,
                    reading,
                });
                reading
            }
        };
        self.reads.push(at, index, reading);
    }

    /// The upgrade this run just created for the customer is waited for: read first as
    /// `reads.rs` says.
    pub(super) fn follow_created(&mut self, index: usize, upgrade: Uuid) {
        self.watch.created();
        let initial = self.settings.polling.initial_interval;
        let (at, reading) = self.reads.first(Instant::now(), initial);
        self.wait_as(index, upgrade, at, reading);
    }

    /// The customer's upgrade ended: if it was a sentinel, the first to end tells how long
    /// an upgrade takes, and every upgrade read on the default schedule is read at that age
    /// instead, prompt or deferred.
    pub(super) fn ended(&mut self, index: usize) {
        let Life::Waiting(waiting) = &self.slots[index].life else {
            return;
        };
        if waiting.reading != Reading::Sentinel {
            return;
        }
        let Some((typical, moved)) = self.reads.ended(waiting.since.elapsed()) else {
            return;
        };
        tracing::info!(
            ?typical,
            "an upgrade of this run ended: reading the others at that age"
        );
        let now = Instant::now();
        for (other, reading) in moved {
            if let Life::Waiting(waiting) = &mut self.slots[other].life {
                waiting.next = now.max(waiting.since + typical);
                waiting.reading = reading;
                let at = waiting.next;
                self.reads.push(at, other, reading);
            }
        }
    }
}

/// A sentinel's wait of `turns` turns; a default first wait shorter than one turn (a test's
/// tenth of a second) is kept as it is.
pub(super) fn sentinel_wait(turns: u32, initial: Duration) -> Duration {
    if initial < SENTINEL_EVERY {
        initial
    } else {
        SENTINEL_EVERY * turns
    }
}

/// The first entry of `heap`, if due at `now`, with its due time.
pub(super) fn pop_due(heap: &mut DueQueue, now: Instant) -> Option<(Instant, usize)> {
    match heap.peek() {
        Some(Reverse((at, _))) if *at <= now => heap.pop().map(|Reverse(entry)| entry),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn sentinels_first_then_prompt_reads_then_a_sample() {
        let mut reads = Reads::default();
        let now = Instant::now();
        let initial = Duration::from_secs(60);
        for turn in 1..=SENTINELS as u32 {
            let first = reads.first(now, initial);
            assert_eq!(first, (now + SENTINEL_EVERY * turn, Reading::Sentinel));
        }
        let plain = reads.first(now, initial);
        assert_eq!(plain, (now + initial, Reading::Deferred));
        reads.push(plain.0, 7, plain.1);
        reads.push(now + SENTINEL_EVERY, 1, Reading::Sentinel);
        let later = now + Duration::from_secs(6);
        // The sentinel's read goes before the creates; the other after them.
        assert_eq!(reads.urgent(later), Some((now + SENTINEL_EVERY, 1)));
        assert_eq!(reads.urgent(later), None);
        let (typical, moved) = reads.ended(Duration::from_secs(30)).unwrap();
        assert_eq!(typical, Duration::from_secs(30));
        assert_eq!(moved, vec![(7, Reading::Prompt)]);
        assert_eq!(reads.idle(later), None);
        assert!(reads.ended(Duration::from_secs(3)).is_none());
        let kinds: Vec<Reading> = (0..200).map(|_| reads.first(later, initial).1).collect();
        let prompt = kinds.iter().filter(|k| **k == Reading::Prompt).count();
        // 19 more of the first 20, then one in twenty of the rest.
        assert!(kinds[..PROMPT - 1].iter().all(|k| *k == Reading::Prompt));
        assert_eq!(prompt, PROMPT - 1 + 9);
        assert_eq!(reads.first(later, initial).0, later + typical);
    }
}
