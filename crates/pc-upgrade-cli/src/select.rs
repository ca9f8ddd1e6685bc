//! `--only`: which customers a run takes again. By outcome (the journal's stage of each
//! customer: failed, refused, …) or by a file of customer ids; the others are left as they
//! are. A chosen customer whose stage is final starts over, through a `rerun` event, so that
//! the journal keeps its history.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result};
use uuid::Uuid;

use crate::customers::{self, Customer};
use crate::report::Outcome;
use crate::rows::{InRun, row};
use crate::state::Known;

/// The outcomes `--only` takes by name.
const OUTCOMES: &[Outcome] = &[
    Outcome::Failed,
    Outcome::Refused,
    Outcome::NotEligible,
    Outcome::RetryLater,
    Outcome::InProgress,
    Outcome::Pending,
];

/// The customers `selection` names, among `customers` with what the journal knows.
pub fn chosen(
    selection: &str,
    customers: &[Customer],
    known: &HashMap<Uuid, Known>,
    delimiter: u8,
) -> Result<HashSet<Uuid>> {
    // `ineligible`: the name `not-eligible` had before it was told from `not-applicable`.
    let selection = match selection {
        "ineligible" => Outcome::NotEligible.as_str(),
        other => other,
    };
    if let Some(outcome) = Outcome::named(selection).filter(|o| OUTCOMES.contains(o)) {
        return Ok(customers
            .iter()
            .filter(|c| {
                let known = known.get(&c.id).cloned().unwrap_or_default();
                row(c, &known, InRun::default()).outcome == outcome
            })
            .map(|c| c.id)
            .collect());
    }
    let path = Path::new(selection);
    if !path.exists() {
        let names: Vec<&str> = OUTCOMES.iter().map(|o| o.as_str()).collect();
        anyhow::bail!(
            "--only {selection:?} is neither an outcome ({}) nor a file of customer ids",
            names.join(", ")
        );
    }
    let (listed, bad) = customers::read(path, delimiter)
        .with_context(|| format!("reading the --only file {selection}"))?;
    if let Some(first) = bad.first() {
        anyhow::bail!("--only {selection}, line {}: {}", first.line, first.reason);
    }
    Ok(listed.into_iter().map(|c| c.id).collect())
}
