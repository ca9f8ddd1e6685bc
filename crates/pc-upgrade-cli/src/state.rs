//! Where each customer stands: one typed [`Stage`] per customer, built by replaying the
//! journal's events ([`Known::apply`]) and moved on by the run the same way, so that a run
//! started again sees exactly what the last one wrote down.
//!
//! The life of a customer: `New` → `Ineligible` (final), or `Intended` (the create's
//! `MS-RequestId` is on disk) → `Started` (the upgrade exists) → `Completed` / `Failed`
//! (final); a create refused for a reason of the customer's own is `Refused` (final). A
//! transient failure changes no stage, except that a create the service answered (say
//! "try again later", 900130) spends its request id: the next create gets a new one.

use pc_upgrade_client::types::{ErrorCode, UpgradesLineItem};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::call::Call;
pub use crate::origin::Origin;
pub use crate::verify::Verification;

/// One event of the journal, after its version line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// A run began, in this process (so that a second run can name the first).
    Run {
        /// Its process id.
        pid: u32,
        /// When it began, in seconds since 1970.
        at: u64,
        /// The `--delimiter` it read the customers file with (none for `status --refresh`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delimiter: Option<char>,
        /// The API it called (journals before it was recorded: none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        base_url: Option<String>,
    },
    /// The rates the run's limit had found (written now and then, and at the run's end):
    /// the next run starts from them, not from two calls a second.
    Rate {
        /// How the service's budget is split.
        budget: crate::budget::RateBudget,
        /// Calls a second over all calls, when shared.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        calls_per_second: Option<f64>,
        /// Calls a second per operation, when each has its own.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        operations: Vec<(String, f64)>,
    },
    /// The customer is part of the run, with its line and other columns.
    Queued {
        /// The customer.
        customer: Uuid,
        /// Its line in the customers file.
        line: usize,
        /// Its other columns.
        #[serde(default)]
        extra: Vec<(String, String)>,
    },
    /// Eligibility said no, and named no upgrade: final.
    Ineligible {
        /// The customer.
        customer: Uuid,
        /// Eligibility's reason.
        #[serde(default)]
        reason: Option<String>,
    },
    /// The `MS-RequestId` the customer's create is, or will be, sent with; on disk before
    /// the create is sent.
    Intent {
        /// The customer.
        customer: Uuid,
        /// The create's request id.
        request_id: Uuid,
    },
    /// The customer's upgrade exists.
    Started {
        /// The customer.
        customer: Uuid,
        /// The upgrade.
        upgrade_id: Uuid,
        /// How it was found (written `created`, `eligibility`, or `conflict NNNNNN`).
        origin: Origin,
    },
    /// The upgrade is completed: final.
    Completed {
        /// The customer.
        customer: Uuid,
        /// The upgrade.
        upgrade_id: Uuid,
        /// The status's line items, a subscription each, server text bounded (journals
        /// before they were kept: none).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        lines: Vec<UpgradesLineItem>,
    },
    /// The upgrade failed: final.
    Failed {
        /// The customer.
        customer: Uuid,
        /// The upgrade.
        upgrade_id: Uuid,
        /// The code of its error details.
        #[serde(default)]
        code: Option<ErrorCode>,
        /// Their text, bounded.
        #[serde(default)]
        message: Option<String>,
        /// The status's line items, as for `completed`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        lines: Vec<UpgradesLineItem>,
    },
    /// A call was refused for a reason of the customer's own (900105, 900108, …): final.
    Refused {
        /// The customer.
        customer: Uuid,
        /// The call refused (journals before it was recorded: none, read as a create).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call: Option<Call>,
        /// The HTTP status.
        status: u16,
        /// The Partner Center error code.
        #[serde(default)]
        code: Option<ErrorCode>,
        /// The error, bounded.
        detail: String,
        /// The `MS-RequestId` of the refused call.
        request_id: Uuid,
    },
    /// `pc-upgrade verify` read the customer's subscriptions after its upgrade completed.
    Verified {
        /// The customer.
        customer: Uuid,
        /// What it found.
        #[serde(flatten)]
        found: Verification,
    },
    /// The operator chose the customer to be run again (`--only`): its stage starts over,
    /// and the events before stay as its history.
    Rerun {
        /// The customer.
        customer: Uuid,
    },
    /// A transient failure left the customer for a later try (in this run or the next).
    Retry {
        /// The customer.
        customer: Uuid,
        /// The Partner Center error code, if the answer had one.
        #[serde(default)]
        code: Option<ErrorCode>,
        /// The error, bounded.
        detail: String,
        /// The `MS-RequestId` of the call.
        request_id: Uuid,
        /// The service answered the create: its request id is spent.
        #[serde(default)]
        spent: bool,
    },
}

impl Event {
    /// The customer the event is about (none for a run).
    pub fn customer(&self) -> Option<Uuid> {
        match self {
            Self::Run { .. } | Self::Rate { .. } => None,
            Self::Queued { customer, .. }
            | Self::Ineligible { customer, .. }
            | Self::Intent { customer, .. }
            | Self::Started { customer, .. }
            | Self::Completed { customer, .. }
            | Self::Failed { customer, .. }
            | Self::Refused { customer, .. }
            | Self::Rerun { customer }
            | Self::Verified { customer, .. }
            | Self::Retry { customer, .. } => Some(*customer),
        }
    }
}

/// Where a customer stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Stage {
    /// Nothing is known: eligibility comes next.
    #[default]
    New,
    /// Not eligible, and no upgrade exists: final.
    Ineligible {
        /// Eligibility's reason.
        reason: Option<String>,
    },
    /// The create is, or is about to be, sent with this `MS-RequestId`; whether it arrived
    /// is not known (eligibility comes next, then the same create again).
    Intended {
        /// The create's request id.
        request_id: Uuid,
    },
    /// The upgrade exists; its status is read until it ends.
    Started {
        /// The upgrade.
        upgrade: Uuid,
        /// How it was found.
        origin: Origin,
    },
    /// Completed: final (though a subscription may not have moved: see its lines).
    Completed {
        /// The upgrade.
        upgrade: Uuid,
        /// How it was found.
        origin: Origin,
        /// What moved: a line item per subscription.
        lines: Vec<UpgradesLineItem>,
    },
    /// The upgrade failed: final.
    Failed {
        /// The upgrade.
        upgrade: Uuid,
        /// How it was found.
        origin: Origin,
        /// The code of its error details.
        code: Option<ErrorCode>,
        /// Their text.
        message: Option<String>,
        /// What moved, and what did not: a line item per subscription.
        lines: Vec<UpgradesLineItem>,
    },
    /// Refused for a reason of the customer's own: final.
    Refused {
        /// The call refused (none in journals before it was recorded).
        call: Option<Call>,
        /// The HTTP status.
        status: u16,
        /// The Partner Center error code.
        code: Option<ErrorCode>,
        /// The error.
        detail: String,
        /// The refused call's `MS-RequestId`.
        request_id: Uuid,
    },
}

impl Stage {
    /// Whether nothing is left to do for the customer.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Ineligible { .. }
                | Self::Completed { .. }
                | Self::Failed { .. }
                | Self::Refused { .. }
        )
    }
}

/// The last transient failure of a customer, for the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryNote {
    /// The Partner Center error code, if any.
    pub code: Option<ErrorCode>,
    /// The error.
    pub detail: String,
    /// The failed call's `MS-RequestId`.
    pub request_id: Uuid,
}

/// What is known of one customer.
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// Its line in the customers file.
    pub line: usize,
    /// Its other columns.
    pub extra: Vec<(String, String)>,
    /// Its stage.
    pub stage: Stage,
    /// The `MS-RequestId` of its last create, for support.
    pub create_request: Option<Uuid>,
    /// Its last transient failure, while its stage has not moved on since.
    pub retry: Option<RetryNote>,
    /// What `verify` last found of its subscriptions, since its upgrade completed.
    pub verification: Option<Verification>,
}

impl Known {
    /// Moves the customer on by one event (events about other customers are not given).
    pub fn apply(&mut self, event: &Event) {
        // A journal's end event does not repeat how the upgrade was found: its start did.
        let origin_of = |stage: &Stage| match stage {
            Stage::Started { origin, .. } => *origin,
            _ => Origin::Created,
        };
        let stage = match event {
            Event::Run { .. } | Event::Rate { .. } => return,
            Event::Queued { line, extra, .. } => {
                self.line = *line;
                self.extra.clone_from(extra);
                return;
            }
            Event::Retry { .. } => return self.retried(event),
            Event::Verified { found, .. } => {
                self.verification = Some(found.clone());
                return;
            }
            Event::Rerun { .. } => Stage::New,
            Event::Ineligible { reason, .. } => Stage::Ineligible {
                reason: reason.clone(),
            },
            Event::Intent { request_id, .. } => {
                self.create_request = Some(*request_id);
                Stage::Intended {
                    request_id: *request_id,
                }
            }
            Event::Started {
                upgrade_id, origin, ..
            } => Stage::Started {
                upgrade: *upgrade_id,
                origin: *origin,
            },
            Event::Completed {
                upgrade_id, lines, ..
            } => Stage::Completed {
                upgrade: *upgrade_id,
                origin: origin_of(&self.stage),
                lines: lines.clone(),
            },
            Event::Failed {
                upgrade_id,
                code,
                message,
                lines,
                ..
            } => Stage::Failed {
                upgrade: *upgrade_id,
                origin: origin_of(&self.stage),
                code: code.clone(),
                message: message.clone(),
                lines: lines.clone(),
            },
            Event::Refused {
                call,
                status,
                code,
                detail,
                request_id,
                ..
            } => Stage::Refused {
                call: *call,
                status: *status,
                code: code.clone(),
                detail: detail.clone(),
                request_id: *request_id,
            },
        };
        self.stage = stage;
        self.retry = None;
        self.verification = None;
    }

    /// A transient failure: noted for the report; a create's request id it spent is not
    /// sent again (the stage goes back to `New`).
    fn retried(&mut self, event: &Event) {
        if let Event::Retry {
            code,
            detail,
            request_id,
            spent,
            ..
        } = event
        {
            if *spent && matches!(self.stage, Stage::Intended { .. }) {
                self.stage = Stage::New;
            }
            self.retry = Some(RetryNote {
                code: code.clone(),
                detail: detail.clone(),
                request_id: *request_id,
            });
        }
    }

    /// How the upgrade was found, when it exists.
    pub fn origin(&self) -> Option<Origin> {
        match &self.stage {
            Stage::Started { origin, .. }
            | Stage::Completed { origin, .. }
            | Stage::Failed { origin, .. } => Some(*origin),
            _ => None,
        }
    }

    /// The upgrade, when it exists.
    pub fn upgrade(&self) -> Option<Uuid> {
        match &self.stage {
            Stage::Started { upgrade, .. }
            | Stage::Completed { upgrade, .. }
            | Stage::Failed { upgrade, .. } => Some(*upgrade),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_life_replays_to_its_last_stage() {
        let customer = Uuid::from_u128(1);
        let (first, second, upgrade) = (Uuid::from_u128(2), Uuid::from_u128(3), Uuid::from_u128(4));
        let mut known = Known::default();
        known.apply(&Event::Intent {
            customer,
            request_id: first,
        });
        assert_eq!(known.stage, Stage::Intended { request_id: first });
        // A create answered "try again later" spends its request id.
        known.apply(&Event::Retry {
            customer,
            code: Some(ErrorCode::Number(900130)),
            detail: "later".into(),
            request_id: first,
            spent: true,
        });
        assert_eq!(known.stage, Stage::New);
        assert_eq!(
            known.retry.as_ref().and_then(|r| r.code.clone()),
            Some(ErrorCode::Number(900130))
        );
        known.apply(&Event::Intent {
            customer,
            request_id: second,
        });
        // A timeout does not: the same create is sent again.
        known.apply(&Event::Retry {
            customer,
            code: None,
            detail: "timeout".into(),
            request_id: second,
            spent: false,
        });
        assert_eq!(known.stage, Stage::Intended { request_id: second });
        known.apply(&Event::Started {
            customer,
            upgrade_id: upgrade,
            origin: Origin::Eligibility,
        });
        assert!(known.retry.is_none());
        known.apply(&Event::Completed {
            customer,
            upgrade_id: upgrade,
            lines: Vec::new(),
        });
        assert_eq!(
            known.stage,
            Stage::Completed {
                upgrade,
                origin: Origin::Eligibility,
                lines: Vec::new(),
            }
        );
        assert!(known.stage.is_final());
        assert_eq!(known.create_request, Some(second));
    }

    /// Written as earlier versions wrote it; a failed upgrade keeps how it was found.
    #[test]
    fn an_origin_reads_and_writes_as_the_journal_has_it() {
        for (origin, text) in [
            (Origin::Created, "created"),
            (Origin::Eligibility, "eligibility"),
            (Origin::Conflict { code: Some(900109) }, "conflict 900109"),
            (Origin::Conflict { code: None }, "conflict"),
        ] {
            let json = serde_json::to_string(&origin).unwrap();
            assert_eq!(json, format!("{text:?}"));
            assert_eq!(serde_json::from_str::<Origin>(&json).unwrap(), origin);
        }
        assert!(serde_json::from_str::<Origin>("\"conflict x\"").is_err());
        assert!(serde_json::from_str::<Origin>("\"found\"").is_err());
        let (customer, upgrade) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut known = Known::default();
        let started = r#"{"event":"started","customer":"00000000-0000-0000-0000-000000000001","upgrade_id":"00000000-0000-0000-0000-000000000002","origin":"eligibility"}"#;
        known.apply(&serde_json::from_str(started).unwrap());
        known.apply(&Event::Failed {
            customer,
            upgrade_id: upgrade,
            code: Some(ErrorCode::Number(900120)),
            message: None,
            lines: Vec::new(),
        });
        assert_eq!(known.origin(), Some(Origin::Eligibility));
    }
}
