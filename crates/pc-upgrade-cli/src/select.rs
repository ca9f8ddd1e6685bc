//! `--only`: which customers a run takes again. By outcome (the journal's stage of each
//! customer: failed, refused, …) or by a file of customer ids; the others are left as they
//! are. A chosen customer whose stage is final starts over, through a `rerun` event, so that
//! the journal keeps its history.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result};
use uuid::Uuid;

use crate::customers::{self, Customer};
use crate::files::Misuse;
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

/// What `--only` names: an outcome, or a file of customer ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Only<'a> {
    /// The customers the journal has with this outcome.
    Outcome(Outcome),
    /// The customers this file lists.
    File(&'a Path),
}

impl<'a> Only<'a> {
    /// `text` as `--only` reads it: an outcome's name (`ineligible`, the name `not-eligible`
    /// had before it was told from `not-applicable`, too), else a file. A name that is both
    /// an outcome and a file here is refused: `./failed` names the file.
    ///
    /// # Errors
    /// [`Misuse`] for a name that is both, or neither.
    pub fn parse(text: &'a str) -> Result<Self, Misuse> {
        let name = match text {
            "ineligible" => Outcome::NotEligible.as_str(),
            other => other,
        };
        let path = Path::new(text);
        match Outcome::named(name).filter(|o| OUTCOMES.contains(o)) {
            Some(_) if path.exists() => Err(Misuse(format!(
                "--only {text} names an outcome and a file in this folder: give ./{text} for \
                 the file"
            ))),
            Some(outcome) => Ok(Self::Outcome(outcome)),
            None if path.exists() => Ok(Self::File(path)),
            None => {
                let names: Vec<&str> = OUTCOMES.iter().map(|o| o.as_str()).collect();
                Err(Misuse(format!(
                    "--only {text:?} is neither an outcome ({}) nor a file of customer ids",
                    names.join(", ")
                )))
            }
        }
    }
}

/// The customers `selection` names, among `customers` with what the journal knows.
pub fn chosen(
    selection: &str,
    customers: &[Customer],
    known: &HashMap<Uuid, Known>,
    delimiter: u8,
) -> Result<HashSet<Uuid>> {
    let path = match Only::parse(selection)? {
        Only::Outcome(outcome) => {
            return Ok(customers
                .iter()
                .filter(|c| {
                    let known = known.get(&c.id).cloned().unwrap_or_default();
                    row(c, &known, InRun::default()).outcome == outcome
                })
                .map(|c| c.id)
                .collect());
        }
        Only::File(path) => path,
    };
    let (listed, bad) = customers::read(path, delimiter)
        .with_context(|| format!("reading the --only file {selection}"))?;
    if let Some(first) = bad.first() {
        anyhow::bail!("--only {selection}, line {}: {}", first.line, first.reason);
    }
    Ok(listed.into_iter().map(|c| c.id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An outcome's name is the outcome; a file is a file; a name that is both is refused
    /// (where it was taken as the outcome, the file unread), and so is one that is neither.
    #[test]
    fn only_names_an_outcome_or_a_file_never_both() {
        assert_eq!(Only::parse("failed"), Ok(Only::Outcome(Outcome::Failed)));
        assert_eq!(
            Only::parse("ineligible"),
            Ok(Only::Outcome(Outcome::NotEligible))
        );
        let file = std::env::temp_dir().join(format!("only-{}.csv", std::process::id()));
        std::fs::write(&file, "customerId\n").unwrap();
        let text = file.to_str().unwrap();
        assert_eq!(Only::parse(text), Ok(Only::File(&file)));
        std::fs::remove_file(&file).unwrap();
        assert!(Only::parse(text).is_err());
        // The tests run in the crate's folder: a file there named as an outcome.
        std::fs::write("in-progress", "").unwrap();
        let both = Only::parse("in-progress");
        std::fs::remove_file("in-progress").unwrap();
        assert!(both.unwrap_err().0.contains("./in-progress"));
    }
}
