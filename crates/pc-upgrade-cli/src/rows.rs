//! The report's rows: of a customer from what is known of it, of the bad lines, and of every
//! customer of a journal (`pc-upgrade status`).

use crate::customers::{BadLine, Customer};
use crate::journal::Replayed;
use crate::report::{Outcome, Row};
use crate::state::{Known, Stage};

/// The row of a customer, from its stage.
pub fn row_of(customer: &Customer, known: &Known) -> Row {
    let mut row = Row {
        customer_id: Some(customer.id),
        line: customer.line,
        extra: customer.extra.iter().cloned().collect(),
        upgrade_id: known.upgrade(),
        origin: known.origin().map(str::to_owned),
        request_id: known.create_request,
        ..Row::default()
    };
    row.outcome = match &known.stage {
        Stage::New | Stage::Intended { .. } => {
            row.detail = Some(match known.stage {
                Stage::Intended { .. } => {
                    "the create was sent, or about to be: the next run finds out".to_owned()
                }
                _ => "not started: the next run goes on".to_owned(),
            });
            Outcome::Pending
        }
        Stage::Ineligible { reason } => {
            row.eligible = Some(false);
            row.detail.clone_from(reason);
            Outcome::Ineligible
        }
        Stage::Started { .. } => {
            row.detail = Some("not completed yet: the next run goes on waiting".to_owned());
            Outcome::InProgress
        }
        Stage::Completed { .. } => {
            row.detail = Some("Completed".to_owned());
            Outcome::Completed
        }
        Stage::Failed { code, message, .. } => {
            row.error_code = *code;
            row.detail = Some(
                message
                    .clone()
                    .unwrap_or_else(|| "status Failed".to_owned()),
            );
            Outcome::Failed
        }
        Stage::Refused {
            code,
            detail,
            request_id,
            ..
        } => {
            row.error_code = *code;
            row.detail = Some(detail.clone());
            row.request_id = Some(*request_id);
            Outcome::Refused
        }
    };
    // A create is only sent after eligibility said yes.
    if known.origin() == Some("created") {
        row.eligible = row.eligible.or(Some(true));
    }
    // A transient failure since the stage last moved: the next run tries again.
    if let (Some(retry), false) = (&known.retry, known.stage.is_final()) {
        row.outcome = Outcome::RetryLater;
        row.error_code = retry.code;
        row.detail = Some(retry.detail.clone());
        row.request_id = Some(retry.request_id);
    }
    row
}

/// The rows of the bad lines.
pub fn bad_rows(bad: &[BadLine]) -> Vec<Row> {
    bad.iter()
        .map(|b| Row {
            line: b.line,
            outcome: Outcome::BadLine,
            detail: Some(b.reason.clone()),
            ..Row::default()
        })
        .collect()
}

/// `pc-upgrade status`: where every customer of the journal stands.
pub fn status(replayed: &Replayed) -> Vec<Row> {
    let mut rows: Vec<Row> = replayed
        .known
        .iter()
        .map(|(id, known)| {
            let customer = Customer {
                line: known.line,
                id: *id,
                extra: known.extra.clone(),
            };
            row_of(&customer, known)
        })
        .collect();
    rows.sort_by_key(|r| (r.line, r.customer_id));
    rows
}
