//! A customer's life in one run, as one typed state: what the scheduler does for it next,
//! with what that needs and when. The journal's [`Stage`](crate::state::Stage) says where a
//! customer stands for good; a `Life` says where this run is with it, and ends `Done` with
//! what the run settled on ([`End`]).

use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use uuid::Uuid;

use super::reads::Reading;
use crate::rows::End;

/// Where a customer is in this run: New → Checking → Creating → Waiting → Done, with
/// Retrying after a transient failure of eligibility or the create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Life {
    /// Eligibility comes next (or, for an upgrade the journal has, a status read).
    New,
    /// Eligibility is being asked.
    Checking,
    /// Eligible, with no upgrade: the create is queued, then sent with `request_id` (on
    /// disk before it is sent).
    Creating {
        /// The create's `MS-RequestId`, once chosen.
        request_id: Option<Uuid>,
    },
    /// The upgrade exists: its status is read at `next` (or is being read).
    Waiting(Waiting),
    /// A transient failure of eligibility or the create: eligibility is asked again at `at`.
    Retrying {
        /// When.
        at: Instant,
    },
    /// Done in this run.
    Done {
        /// What the run settled on.
        end: End,
        /// When (none when the run sent no call for the customer).
        at: Option<SystemTime>,
    },
}

/// An upgrade being waited for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    /// The upgrade.
    pub upgrade: Uuid,
    /// When this run began reading its status.
    pub since: Instant,
    /// When its next status read is due.
    pub next: Instant,
    /// The wait after that read.
    pub interval: Duration,
    /// What the last read said, if it was not an end.
    pub last_status: Option<String>,
    /// How its status is read: a sentinel, prompt or deferred (`reads.rs`).
    pub reading: Reading,
}

impl Life {
    /// What the run settled on, once done.
    pub fn end(&self) -> Option<&End> {
        match self {
            Self::Done { end, .. } => Some(end),
            _ => None,
        }
    }

    /// When the run was done with the customer.
    pub fn finished(&self) -> Option<SystemTime> {
        match self {
            Self::Done { at, .. } => *at,
            _ => None,
        }
    }
}
