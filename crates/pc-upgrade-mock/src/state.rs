//! What a running fake holds: its settings ([`ServerState`]) and what changes as it answers
//! ([`Live`]: answers queued, the record, the fleet's upgrades, the throttle's windows, the
//! tokens issued, the faults scheduled).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use uuid::Uuid;

use crate::entra::EntraState;
use crate::operation::Operation;
use crate::record::RecordedRequest;
use crate::response::MockResponse;
use crate::throttle::{Throttle, Windows};
use crate::upgrades::FleetState;

/// What changes while the fake answers.
pub(crate) struct Live {
    pub(crate) queues: HashMap<Operation, VecDeque<MockResponse>>,
    /// Answers queued for one customer's calls of one operation, before `queues`.
    pub(crate) customer_queues: HashMap<(Uuid, Operation), VecDeque<MockResponse>>,
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) recording: bool,
    pub(crate) fleet: Option<FleetState>,
    pub(crate) windows: Windows,
    pub(crate) entra: Option<EntraState>,
    pub(crate) faults: Faults,
}

/// The faults scheduled, counted in Partner Center calls.
#[derive(Default)]
pub(crate) struct Faults {
    /// Partner Center calls received so far.
    pub(crate) calls: u64,
    /// From which call on tokens are refused.
    pub(crate) refuse_tokens_from: Option<u64>,
    /// At which call the fake stops listening.
    pub(crate) stop_listening_at: Option<u64>,
}

/// A running fake: its settings, and what changes behind one lock.
pub(crate) struct ServerState {
    pub(crate) live: Mutex<Live>,
    pub(crate) validate: bool,
    /// The bearer tokens accepted; any non-empty one when empty.
    pub(crate) tokens: Vec<String>,
    pub(crate) latency: HashMap<Operation, Duration>,
    pub(crate) throttle: Option<Throttle>,
    pub(crate) log: Option<Mutex<std::fs::File>>,
    pub(crate) answers: AtomicU64,
    /// Ends the listening of the serving task (graceful: calls under way are answered).
    pub(crate) stop_listening: tokio::sync::Notify,
}

pub(crate) type Shared = Arc<ServerState>;

pub(crate) fn lock(shared: &ServerState) -> MutexGuard<'_, Live> {
    shared.live.lock().unwrap_or_else(PoisonError::into_inner)
}
