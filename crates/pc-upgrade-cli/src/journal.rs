//! The journal: an append-only file, one JSON line per event, from which a run killed at any
//! moment resumes. The `MS-RequestId` of a create is written and synced to disk before the
//! create is sent, so a create repeated after a crash carries the same id, which Partner
//! Center takes as the same create.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// The customer is part of the run (with its file line and other columns).
    Queued {
        /// The customer.
        customer: Uuid,
        /// Its line in the customers file.
        line: usize,
        /// Its other columns.
        #[serde(default)]
        extra: Vec<(String, String)>,
    },
    /// The `MS-RequestId` the customer's create is, or will be, sent with.
    CreateIntent {
        /// The customer.
        customer: Uuid,
        /// The request id.
        request_id: Uuid,
    },
    /// The customer's upgrade exists.
    Started {
        /// The customer.
        customer: Uuid,
        /// The upgrade.
        upgrade_id: Uuid,
        /// How it was found: `created`, `eligibility`, or `conflict NNNNNN`.
        origin: String,
    },
    /// Where the customer ended.
    Done {
        /// The customer.
        customer: Uuid,
        /// The outcome.
        outcome: Outcome,
        /// The upgrade, if there is one.
        #[serde(default)]
        upgrade_id: Option<Uuid>,
        /// Why (a reason, an error), bounded.
        #[serde(default)]
        detail: Option<String>,
        /// The Partner Center error code, if the outcome is an error with one.
        #[serde(default)]
        error_code: Option<i64>,
        /// The `MS-RequestId` of the call that failed, for support.
        #[serde(default)]
        request_id: Option<Uuid>,
    },
}

impl Event {
    fn customer(&self) -> Uuid {
        match self {
            Self::Queued { customer, .. }
            | Self::CreateIntent { customer, .. }
            | Self::Started { customer, .. }
            | Self::Done { customer, .. } => *customer,
        }
    }
}

/// How a customer ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The upgrade is completed.
    Completed,
    /// The customer is not eligible; nothing was created.
    Ineligible,
    /// The upgrade failed.
    Failed,
    /// A call failed, or the upgrade did not complete in time.
    Error,
}

impl Outcome {
    /// The word the report and the summary use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Ineligible => "ineligible",
            Self::Failed => "failed",
            Self::Error => "error",
        }
    }
}

/// What the journal knows of one customer.
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// Its `queued` line and columns.
    pub queued: Option<(usize, Vec<(String, String)>)>,
    /// The create's request id, if one was chosen.
    pub request_id: Option<Uuid>,
    /// The upgrade and how it was found, if it exists.
    pub started: Option<(Uuid, String)>,
    /// The final event, if the customer is done.
    pub done: Option<Event>,
}

/// The journal file.
#[derive(Debug)]
pub struct Journal {
    file: Mutex<File>,
}

impl Journal {
    /// Opens (or creates) the journal and reads what it knows. A last line cut short by a
    /// crash is skipped; any other unreadable line is an error (the file is not a journal).
    pub fn open(path: &Path) -> Result<(Self, HashMap<Uuid, Known>)> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
        };
        let known =
            replay(&text).with_context(|| format!("reading the journal {}", path.display()))?;
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        // A torn last line gets its end, so the next event starts on a line of its own.
        if !text.is_empty() && !text.ends_with('\n') {
            file.write_all(b"\n")?;
        }
        Ok((
            Self {
                file: Mutex::new(file),
            },
            known,
        ))
    }

    /// Appends events; with `sync`, they are on disk when this returns.
    pub fn write(&self, events: &[Event], sync: bool) -> Result<()> {
        let mut text = String::new();
        for event in events {
            text.push_str(&serde_json::to_string(event)?);
            text.push('\n');
        }
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        file.write_all(text.as_bytes())
            .context("writing the journal")?;
        if sync {
            file.sync_data().context("syncing the journal")?;
        }
        Ok(())
    }
}

/// What a journal's text says of each customer.
pub fn replay(text: &str) -> Result<HashMap<Uuid, Known>> {
    let mut known: HashMap<Uuid, Known> = HashMap::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let event: Event = match serde_json::from_str(line) {
            Ok(event) => event,
            // An event cut short by a crash (later runs end it with a newline and go on):
            // what it said was not yet acted on, or is said again by the next run.
            Err(_) if line.starts_with("{\"event\":") => {
                tracing::warn!(line = index + 1, "skipping a journal line cut short");
                continue;
            }
            Err(error) => anyhow::bail!("line {}: {error}", index + 1),
        };
        let entry = known.entry(event.customer()).or_default();
        match &event {
            Event::Queued { line, extra, .. } => entry.queued = Some((*line, extra.clone())),
            Event::CreateIntent { request_id, .. } => entry.request_id = Some(*request_id),
            Event::Started {
                upgrade_id, origin, ..
            } => entry.started = Some((*upgrade_id, origin.clone())),
            Event::Done { .. } => entry.done = Some(event.clone()),
        }
    }
    Ok(known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_last_line_is_skipped_and_the_rest_replayed() {
        let customer = Uuid::from_u128(1);
        let intent = Event::CreateIntent {
            customer,
            request_id: Uuid::from_u128(2),
        };
        let text = format!(
            "{}\n{{\"event\":\"started\",\"custo",
            serde_json::to_string(&intent).unwrap()
        );
        let known = replay(&text).unwrap();
        assert_eq!(known[&customer].request_id, Some(Uuid::from_u128(2)));
        assert!(known[&customer].started.is_none());
    }

    #[test]
    fn a_file_that_is_no_journal_is_an_error() {
        assert!(replay("name,customerId\nContoso,x\n{}\n").is_err());
    }
}
