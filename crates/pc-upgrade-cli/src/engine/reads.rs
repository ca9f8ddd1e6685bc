//! When each upgrade's status is read, and which reads go before the creates.
//!
//! Nobody publishes how long an upgrade takes, and a read that finds it in progress is a
//! call spent for nothing. So the first few upgrades this run creates are sentinels, read
//! every [`SENTINEL_EVERY`], before any create: the first of them to end tells how long an
//! upgrade takes here (its age then). From that moment every upgrade is read first when it
//! is that old, again before the creates: each customer's end (a failure among them) is
//! known about when it happens, which is what the brakes judge by, and each costs about one
//! read. Until then, the other upgrades are read on the default schedule (a first wait that
//! doubles), after every other call: they take no budget from the creates while nothing is
//! known.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use tokio::time::Instant;
use uuid::Uuid;

use super::{Engine, Life, Waiting, Work};

/// Upgrades of a run read often until the first of them ends.
pub(super) const SENTINELS: usize = 3;
/// How often a sentinel is read.
pub(super) const SENTINEL_EVERY: Duration = Duration::from_secs(2);

/// A queue of customers by the time their next call falls due.
pub(super) type DueQueue = BinaryHeap<Reverse<(Instant, usize)>>;

/// The status reads to come.
#[derive(Debug, Default)]
pub(super) struct Reads {
    /// Reads that go before the creates: sentinels', and those of upgrades past the
    /// typical time.
    urgent: DueQueue,
    /// Reads on the default schedule, while the typical time is not known: after every
    /// other call.
    idle: DueQueue,
    /// How long an upgrade takes here, once one of this run's has ended.
    typical: Option<Duration>,
    /// Sentinels chosen so far.
    sentinels: usize,
}

/// When an upgrade created in this run is first read, and whether it is a sentinel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct First {
    pub(super) at: Instant,
    pub(super) sentinel: bool,
}

impl Reads {
    /// The first read of an upgrade created now, whose default first wait is `initial`.
    pub(super) fn first(&mut self, now: Instant, initial: Duration) -> First {
        match self.typical {
            Some(typical) => First {
                at: now + typical,
                sentinel: false,
            },
            None if self.sentinels < SENTINELS => {
                self.sentinels += 1;
                First {
                    at: now + SENTINEL_EVERY.min(initial),
                    sentinel: true,
                }
            }
            None => First {
                at: now + initial,
                sentinel: false,
            },
        }
    }

    /// A read of slot `index` at `at`: before the creates if `urgent`, or once the typical
    /// time is known.
    pub(super) fn push(&mut self, at: Instant, index: usize, urgent: bool) {
        if urgent || self.typical.is_some() {
            self.urgent.push(Reverse((at, index)));
        } else {
            self.idle.push(Reverse((at, index)));
        }
    }

    /// An upgrade of this run ended `age` after its create. The first such end sets the
    /// typical time, and hands back the reads waiting on the default schedule, to be
    /// pushed again at their upgrade's typical age.
    pub(super) fn ended(&mut self, age: Duration) -> Option<(Duration, Vec<usize>)> {
        if self.typical.is_some() {
            return None;
        }
        self.typical = Some(age);
        let idle = std::mem::take(&mut self.idle);
        Some((age, idle.into_iter().map(|r| r.0.1).collect()))
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
        self.wait_as(index, upgrade, at, false);
    }

    /// [`Engine::wait`], the upgrade a sentinel (`reads.rs`) if its polling begins now.
    pub(super) fn wait_as(&mut self, index: usize, upgrade: Uuid, at: Instant, sentinel: bool) {
        let slot = &mut self.slots[index];
        let sentinel = match &mut slot.life {
            Life::Waiting(waiting) if waiting.upgrade == upgrade => {
                waiting.next = at;
                waiting.sentinel
            }
            life => {
                *life = Life::Waiting(Waiting {
                    upgrade,
                    since: Instant::now(),
                    next: at,
                    interval: self.settings.polling.initial_interval,
                    last_status: None,
                    sentinel,
                });
                sentinel
            }
        };
        self.reads.push(at, index, sentinel);
    }

    /// The upgrade this run just created for the customer is waited for: read first as
    /// `reads.rs` says.
    pub(super) fn follow_created(&mut self, index: usize, upgrade: Uuid) {
        self.watch.created();
        let initial = self.settings.polling.initial_interval;
        let first = self.reads.first(Instant::now(), initial);
        self.wait_as(index, upgrade, first.at, first.sentinel);
    }

    /// The customer's upgrade ended: if it was a sentinel, the first to end tells how long
    /// an upgrade takes, and every upgrade read on the default schedule is read at that age
    /// instead.
    pub(super) fn ended(&mut self, index: usize) {
        let Life::Waiting(waiting) = &self.slots[index].life else {
            return;
        };
        if !waiting.sentinel {
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
        for other in moved {
            if let Life::Waiting(waiting) = &mut self.slots[other].life {
                waiting.next = now.max(waiting.since + typical);
                let at = waiting.next;
                self.reads.push(at, other, true);
            }
        }
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
    async fn sentinels_first_then_the_typical_time_of_the_first_end() {
        let mut reads = Reads::default();
        let now = Instant::now();
        let initial = Duration::from_secs(5);
        for _ in 0..SENTINELS {
            assert_eq!(
                reads.first(now, initial),
                First {
                    at: now + SENTINEL_EVERY,
                    sentinel: true
                }
            );
        }
        let plain = reads.first(now, initial);
        assert_eq!((plain.at, plain.sentinel), (now + initial, false));
        reads.push(plain.at, 7, false);
        reads.push(now + SENTINEL_EVERY, 1, true);
        let later = now + Duration::from_secs(6);
        // The sentinel's read goes first: the other is idle.
        assert_eq!(reads.urgent(later), Some((now + SENTINEL_EVERY, 1)));
        assert_eq!(reads.urgent(later), None);
        let (typical, moved) = reads.ended(Duration::from_secs(30)).unwrap();
        assert_eq!((typical, moved), (Duration::from_secs(30), vec![7]));
        assert_eq!(reads.idle(later), None);
        assert!(reads.ended(Duration::from_secs(3)).is_none());
        let next = reads.first(later, initial);
        assert_eq!((next.at, next.sentinel), (later + typical, false));
        reads.push(next.at, 8, false);
        assert_eq!(reads.urgent(later + typical), Some((later + typical, 8)));
    }
}
