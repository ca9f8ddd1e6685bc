//! The report: CSV or JSON, one row per customer and per bad line.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use pc_upgrade_client::types::{ErrorCode, UpgradesLineItem};
use serde::Serialize;
use uuid::Uuid;

pub use crate::outcome::Outcome;

/// How many customers ended each way: the one count of outcomes that the progress lines,
/// the summary and the JSON report all show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally(BTreeMap<Outcome, usize>);

impl Tally {
    /// The tally of `rows`.
    pub fn of(rows: &[Row]) -> Self {
        let mut tally = Self::default();
        for row in rows {
            tally.add(row.outcome);
        }
        tally
    }

    /// One more customer ended as `outcome`.
    pub fn add(&mut self, outcome: Outcome) {
        *self.0.entry(outcome).or_default() += 1;
    }

    /// Each outcome met, with its count, in the order of [`Outcome`].
    pub fn iter(&self) -> impl Iterator<Item = (Outcome, usize)> + '_ {
        self.0.iter().map(|(outcome, count)| (*outcome, *count))
    }
}

impl std::fmt::Display for Tally {
    /// `completed 3, failed 1`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, (outcome, count)) in self.iter().enumerate() {
            let comma = if index == 0 { "" } else { ", " };
            write!(f, "{comma}{outcome} {count}")?;
        }
        Ok(())
    }
}

/// One row of the report.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    /// The customer (none for a bad line).
    pub customer_id: Option<Uuid>,
    /// The line of the customers file.
    pub line: usize,
    /// How the customer stands.
    pub outcome: Outcome,
    /// Eligibility's answer, when it was asked.
    pub eligible: Option<bool>,
    /// The upgrade, if there is one.
    pub upgrade_id: Option<Uuid>,
    /// How the upgrade was found (`created`, `eligibility`, `conflict 900109`).
    pub origin: Option<crate::origin::Origin>,
    /// The reason, the error, or the state.
    pub detail: Option<String>,
    /// The Partner Center error code of a failure.
    pub error_code: Option<ErrorCode>,
    /// The `MS-RequestId` of the create, or of the call that failed.
    pub request_id: Option<Uuid>,
    /// Subscriptions moved to the Azure plan, once the upgrade ended.
    pub moved: Option<usize>,
    /// Subscriptions not moved, once the upgrade ended.
    pub not_moved: Option<usize>,
    /// When this run began on the customer (UTC).
    pub started: Option<String>,
    /// When this run was done with it (UTC).
    pub finished: Option<String>,
    /// What to do next for the customer (filled in when the report is written).
    pub next: Option<String>,
    /// What `pc-upgrade verify` found of its subscriptions: no legacy subscription still
    /// active and an Azure plan one active (none until it ran).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// The upgrade's line items, a subscription each, as the service gave them (in the
    /// JSON report; the CSV has the counts, and `--line-items` a row per subscription).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub line_items: Vec<UpgradesLineItem>,
    /// The customers file's other columns.
    #[serde(flatten)]
    pub extra: BTreeMap<String, String>,
}

impl Row {
    /// What to do next for the customer, as the report says it.
    pub fn next_step(&self) -> Option<String> {
        let support = |id: Option<Uuid>| match id {
            Some(id) => format!("contact Microsoft support with MS-RequestId {id}"),
            None => "contact Microsoft support".to_owned(),
        };
        let step = match self.outcome {
            Outcome::Completed | Outcome::Eligible => return None,
            Outcome::NotApplicable | Outcome::NotEligible => {
                if let Some((_, step)) = crate::outcome::finding(self.error_code.as_ref()) {
                    return Some(step.to_owned());
                }
                match &self.error_code {
                    None if self.outcome == Outcome::NotApplicable => return None,
                    None => "deal with the reason eligibility gave, then run the upgrade again \
                             with --only not-eligible"
                        .to_owned(),
                    Some(code) => format!(
                        "see error {code} ({}); once it is dealt with, run the upgrade again \
                         with --only not-eligible; else {}",
                        crate::code::meaning(code).unwrap_or("undocumented"),
                        support(self.request_id)
                    ),
                }
            }
            Outcome::Upgrading | Outcome::WouldResume => "an upgrade run follows it".to_owned(),
            Outcome::WouldCreate => "upgrade it: run with --yes".to_owned(),
            Outcome::InProgress => "wait: run the same command again later".to_owned(),
            Outcome::Pending => "run the same command again".to_owned(),
            Outcome::RetryLater => "retry later: run the same command again".to_owned(),
            Outcome::Failed => support(self.request_id),
            Outcome::PartlyMoved => match &self.error_code {
                Some(code) => format!(
                    "a subscription was not moved: see error {code} ({}) in its line item; \
                     if that is fixed, move it in Partner Center; else {}",
                    crate::code::meaning(code).unwrap_or("undocumented"),
                    support(self.request_id)
                ),
                None => format!(
                    "a subscription was not moved (see its line item): {}",
                    support(self.request_id)
                ),
            },
            Outcome::Refused => match &self.error_code {
                Some(code) => format!(
                    "see error {code} ({}); if that is fixed, re-run it; else {}",
                    crate::code::meaning(code).unwrap_or("undocumented"),
                    support(self.request_id)
                ),
                None => support(self.request_id),
            },
            Outcome::BadLine => "fix the line in the customers file".to_owned(),
            Outcome::Duplicate => "none: the customer is on an earlier line".to_owned(),
        };
        Some(step)
    }
}

/// What the JSON report says of the run itself.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunInfo {
    /// `pc-upgrade`.
    pub tool: &'static str,
    /// Its version.
    pub version: &'static str,
    /// The API it called.
    pub base_url: String,
    /// The command (eligibility, upgrade, status).
    pub command: &'static str,
    /// When the run began (UTC).
    pub started: String,
    /// When it ended (UTC).
    pub finished: String,
}

/// The JSON report: the run, the counts by outcome, the rows.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonReport<'a> {
    #[serde(flatten)]
    run: &'a RunInfo,
    counts: BTreeMap<&'static str, usize>,
    /// Per reseller (the customers file's `resellers` column), the counts by outcome.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    resellers: BTreeMap<String, BTreeMap<&'static str, usize>>,
    rows: Vec<Row>,
}

/// The CSV report: a header line, then a line per row, the customers file's other columns
/// last.
fn csv_of(rows: &[Row]) -> Result<Vec<u8>> {
    let extra: Vec<String> = rows
        .iter()
        .flat_map(|r| r.extra.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut header = vec![
        "customerId",
        "line",
        "outcome",
        "eligible",
        "upgradeId",
        "origin",
        "detail",
        "errorCode",
        "requestId",
        "moved",
        "notMoved",
        "started",
        "finished",
        "next",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect::<Vec<_>>();
    header.extend(extra.iter().cloned());
    let mut sheet = crate::text::Sheet::new(&header)?;
    for row in rows {
        let text = |v: Option<String>| v.unwrap_or_default();
        let mut record = vec![
            text(row.customer_id.map(|c| c.to_string())),
            row.line.to_string(),
            row.outcome.as_str().to_owned(),
            text(row.eligible.map(|e| e.to_string())),
            text(row.upgrade_id.map(|u| u.to_string())),
            text(row.origin.map(|o| o.to_string())),
            text(row.detail.clone()),
            text(row.error_code.as_ref().map(ToString::to_string)),
            text(row.request_id.map(|r| r.to_string())),
            text(row.moved.map(|n| n.to_string())),
            text(row.not_moved.map(|n| n.to_string())),
            text(row.started.clone()),
            text(row.finished.clone()),
            text(row.next.clone()),
        ];
        record.extend(
            extra
                .iter()
                .map(|k| row.extra.get(k).cloned().unwrap_or_default()),
        );
        sheet.row(&record)?;
    }
    sheet.bytes()
}

/// Writes the report: JSON when the file name ends in `.json`, CSV otherwise.
pub fn write(path: &Path, rows: &[Row], run: &RunInfo) -> Result<()> {
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let out = if json {
        json_of(rows, run)?
    } else {
        csv_of(&with_next_steps(rows))?
    };
    crate::files::replace(path, &out)
}

/// The rows, each with its next step.
fn with_next_steps(rows: &[Row]) -> Vec<Row> {
    rows.iter()
        .map(|row| Row {
            next: row.next_step(),
            ..row.clone()
        })
        .collect()
}

/// The JSON report (the run, the counts by outcome, the rows), as the file and
/// `--output json` have it.
///
/// # Errors
/// When it cannot be serialized (it always can: the types are plain data).
pub fn json_of(rows: &[Row], run: &RunInfo) -> Result<Vec<u8>> {
    let rows = with_next_steps(rows);
    let counts = Tally::of(&rows)
        .iter()
        .map(|(outcome, count)| (outcome.as_str(), count))
        .collect();
    let mut resellers: BTreeMap<String, BTreeMap<&'static str, usize>> = BTreeMap::new();
    for row in &rows {
        for reseller in crate::customers::resellers_of(&row.extra) {
            let counts = resellers.entry(reseller).or_default();
            *counts.entry(row.outcome.as_str()).or_default() += 1;
        }
    }
    let report = JsonReport {
        run,
        counts,
        resellers,
        rows,
    };
    let mut out = serde_json::to_vec_pretty(&report)?;
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_counts_each_outcome_once_in_the_order_of_outcomes() {
        let row = |outcome| Row {
            outcome,
            ..Row::default()
        };
        let rows = [
            row(Outcome::Failed),
            row(Outcome::Completed),
            row(Outcome::Failed),
        ];
        let tally = Tally::of(&rows);
        assert_eq!(tally.to_string(), "completed 1, failed 2");
        let mut added = Tally::default();
        rows.iter().for_each(|r| added.add(r.outcome));
        assert_eq!(added, tally);
    }
}
