//! The report's rows, each derived in one function ([`row`]) from what the journal knows of
//! the customer and, in a run, what this run settled on ([`End`]); the rows of the bad lines;
//! and every customer of a journal (`pc-upgrade status`).

use std::time::{Duration, SystemTime};

use pc_upgrade_client::UpgradeState;
use pc_upgrade_client::types::UpgradesLineItem;

use crate::customers::{BadLine, Customer};
use crate::journal::Replayed;
use crate::report::{Outcome, Row};
use crate::state::{Call, Known, Origin, Stage};

/// What a run settled on for a customer that the journal's stage does not say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// As the journal's stage says (completed, failed, refused, ineligible, or not done).
    AsJournaled,
    /// Eligible (the `eligibility` command).
    Eligible,
    /// It has an upgrade already (the `eligibility` command).
    Upgrading,
    /// A dry run would create the upgrade.
    WouldCreate,
    /// A dry run would follow the upgrade it has.
    WouldResume,
    /// The upgrade was not completed within the time this run follows one.
    NotCompleted {
        /// How long the run followed it.
        after: Duration,
        /// The last status read.
        last_status: Option<String>,
    },
    /// A transient failure, tried as often as this run tries: the next run goes on.
    RetryLater,
    /// Not started: a brake (`--canary`, `--max-failed`) stopped the creates first.
    Spared,
}

/// What a run knows of a customer beyond the journal.
#[derive(Clone, Copy, Debug, Default)]
pub struct InRun<'a> {
    /// What the run settled on, once done.
    pub end: Option<&'a End>,
    /// Eligibility's answer in this run.
    pub eligible: Option<bool>,
    /// When the run sent its first call for the customer.
    pub began: Option<SystemTime>,
    /// When it was done with it.
    pub finished: Option<SystemTime>,
}

/// The row of a customer: from its journal stage, then what this run settled on.
pub fn row(customer: &Customer, known: &Known, run: InRun<'_>) -> Row {
    let mut row = Row {
        customer_id: Some(customer.id),
        line: customer.line,
        extra: customer.extra.iter().cloned().collect(),
        upgrade_id: known.upgrade(),
        origin: known.origin(),
        request_id: known.create_request,
        verified: known.verification.as_ref().map(|v| v.verified),
        ..Row::default()
    };
    let (outcome, detail) = journaled(known, &mut row);
    row.outcome = outcome;
    row.detail = detail;
    // A create is only sent after eligibility said yes.
    if known.origin() == Some(Origin::Created) {
        row.eligible = row.eligible.or(Some(true));
    }
    // A transient failure since the stage last moved: the next run tries again.
    if let (Some(retry), false) = (&known.retry, known.stage.is_final()) {
        row.outcome = Outcome::RetryLater;
        row.error_code.clone_from(&retry.code);
        row.detail = Some(retry.detail.clone());
        row.request_id = Some(retry.request_id);
    }
    row.eligible = run.eligible.or(row.eligible);
    row.started = run.began.map(crate::utc::at);
    row.finished = run.finished.map(crate::utc::at);
    let settled = match run.end {
        None | Some(End::AsJournaled) => return row,
        Some(End::Eligible) => (Outcome::Eligible, None),
        Some(End::Upgrading) => (Outcome::Upgrading, None),
        Some(End::WouldCreate) => (Outcome::WouldCreate, None),
        Some(End::WouldResume) => (Outcome::WouldResume, None),
        Some(End::NotCompleted { after, last_status }) => {
            let state = last_status.as_deref().unwrap_or("InProgress");
            let detail =
                format!("not completed after {after:?} ({state}): the next run goes on waiting");
            (Outcome::InProgress, Some(detail))
        }
        Some(End::RetryLater) => (Outcome::RetryLater, row.detail.take()),
        Some(End::Spared) => (
            Outcome::Pending,
            Some("not started: the run stopped creating (a brake): the next run goes on".into()),
        ),
    };
    (row.outcome, row.detail) = settled;
    row
}

/// The outcome and detail the journal's stage gives; the stage's codes and request id go
/// into the row.
fn journaled(known: &Known, row: &mut Row) -> (Outcome, Option<String>) {
    match &known.stage {
        Stage::New => (
            Outcome::Pending,
            Some("not started: the next run goes on".to_owned()),
        ),
        Stage::Intended { .. } => (
            Outcome::Pending,
            Some("the create was sent, or about to be: the next run finds out".to_owned()),
        ),
        Stage::Ineligible { reason } => {
            row.eligible = Some(false);
            (Outcome::NotEligible, reason.clone())
        }
        Stage::Started { .. } => (
            Outcome::InProgress,
            Some("not completed yet: the next run goes on waiting".to_owned()),
        ),
        Stage::Completed { lines, .. } => {
            lines_into(row, lines, true);
            match lines.iter().find(|line| not_moved(line)) {
                Some(line) => {
                    let details = line.error_details.as_ref();
                    row.error_code = crate::code::of_details(details);
                    let text = details.and_then(|d| d.text()).unwrap_or("status Failed");
                    let name = line.source_product.as_ref().and_then(|p| p.name.as_deref());
                    let what = name.map_or_else(String::new, |name| format!(" {name}"));
                    let detail = format!("subscription{what} not moved: {text}");
                    (Outcome::PartlyMoved, Some(detail))
                }
                None => (Outcome::Completed, Some("Completed".to_owned())),
            }
        }
        Stage::Failed {
            code,
            message,
            lines,
            ..
        } => {
            lines_into(row, lines, false);
            row.error_code.clone_from(code);
            let text = message
                .clone()
                .unwrap_or_else(|| "status Failed".to_owned());
            (Outcome::Failed, Some(text))
        }
        Stage::Refused {
            call,
            code,
            detail,
            request_id,
            ..
        } => {
            row.error_code.clone_from(code);
            row.request_id = Some(*request_id);
            let outcome = crate::outcome::of_refusal(*call, code.as_ref());
            if *call == Some(Call::Eligibility) {
                row.eligible = Some(false);
            }
            (outcome, Some(detail.clone()))
        }
    }
}

/// Whether a line item's subscription was not moved: it failed, or says why.
pub fn not_moved(line: &UpgradesLineItem) -> bool {
    line.state() == Some(UpgradeState::Failed) || line.error_details.is_some()
}

/// An ended upgrade's line items into its row, with the counts: of a completed upgrade,
/// each line not failed is moved; of a failed one, none is.
fn lines_into(row: &mut Row, lines: &[UpgradesLineItem], completed: bool) {
    if lines.is_empty() {
        return;
    }
    let failed = lines.iter().filter(|line| not_moved(line)).count();
    let moved = if completed { lines.len() - failed } else { 0 };
    row.moved = Some(moved);
    row.not_moved = Some(lines.len() - moved);
    row.line_items = lines.to_vec();
}

/// The rows of the bad lines.
pub fn bad_rows(bad: &[BadLine]) -> Vec<Row> {
    bad.iter()
        .map(|b| Row {
            line: b.line,
            outcome: if b.duplicate {
                Outcome::Duplicate
            } else {
                Outcome::BadLine
            },
            detail: Some(b.reason.clone()),
            ..Row::default()
        })
        .collect()
}

/// The customer a journal names, with its line and other columns.
pub fn customer_of(id: uuid::Uuid, known: &Known) -> Customer {
    Customer {
        line: known.line,
        id,
        extra: known.extra.clone(),
    }
}

/// `pc-upgrade status`: where every customer of the journal stands.
pub fn status(replayed: &Replayed) -> Vec<Row> {
    let mut rows: Vec<Row> = replayed
        .known
        .iter()
        .map(|(id, known)| row(&customer_of(*id, known), known, InRun::default()))
        .collect();
    rows.sort_by_key(|r| (r.line, r.customer_id));
    rows
}
