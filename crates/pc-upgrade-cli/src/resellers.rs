//! Counts per reseller (the customers file's `resellers` column, as `discover` writes it):
//! the table of outcomes in a summary, and what `verify` found.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::columns::{WIDTH, fit};
use crate::report::{Outcome, Row};

/// What `verify` found: how many customers were verified, not verified, not read, and the
/// same per reseller when the customers file names them.
pub fn verified(checked: &[crate::verify::Checked]) -> String {
    let state = |c: &crate::verify::Checked| match &c.found {
        Some(found) if found.verified => 0,
        Some(_) => 1,
        None => 2,
    };
    let mut totals = [0usize; 3];
    let mut resellers: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    for row in checked {
        totals[state(row)] += 1;
        for reseller in crate::customers::resellers_of(row.extra.iter().map(|(k, v)| (k, v))) {
            resellers.entry(reseller).or_default()[state(row)] += 1;
        }
    }
    let mut out = format!(
        "verified      {:>9}\nnot verified  {:>9}\nnot read      {:>9}\ntotal         {:>9}\n",
        totals[0],
        totals[1],
        totals[2],
        checked.len()
    );
    if !resellers.is_empty() {
        let width = WIDTH - 3 * 14;
        let _ = writeln!(
            out,
            "\n{:<width$}{:>14}{:>14}{:>14}",
            "reseller", "verified", "not verified", "not read"
        );
        for (reseller, counts) in resellers.iter().take(RESELLERS_LISTED) {
            let [a, b, c] = counts;
            let _ = writeln!(
                out,
                "{:<width$}{a:>14}{b:>14}{c:>14}",
                fit(reseller, width - 1)
            );
        }
        more_resellers(&mut out, resellers.len());
    }
    out
}

/// How many resellers the summary lists before "and N more".
const RESELLERS_LISTED: usize = 10;

fn more_resellers(out: &mut String, count: usize) {
    if count > RESELLERS_LISTED {
        let more = count - RESELLERS_LISTED;
        let _ = writeln!(out, "and {more} more resellers (in the report)");
    }
}

/// Customers by outcome per reseller, when the customers file names them: the most common
/// outcomes of a fleet as columns (completed, not applicable, not eligible), the rest as
/// "other".
pub fn per_reseller(rows: &[Row]) -> String {
    let column = |outcome: Outcome| match outcome {
        Outcome::Completed => 0,
        Outcome::NotApplicable => 1,
        Outcome::NotEligible => 2,
        _ => 3,
    };
    let mut resellers: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    for row in rows {
        for reseller in crate::customers::resellers_of(&row.extra) {
            resellers.entry(reseller).or_default()[column(row.outcome)] += 1;
        }
    }
    if resellers.is_empty() {
        return String::new();
    }
    let width = WIDTH - 4 * 15;
    let mut out = format!(
        "\n{:<width$}{:>15}{:>15}{:>15}{:>15}\n",
        "reseller", "completed", "not-applicable", "not-eligible", "other"
    );
    for (reseller, [a, b, c, d]) in resellers.iter().take(RESELLERS_LISTED) {
        let name = fit(reseller, width - 1);
        let _ = writeln!(out, "{name:<width$}{a:>15}{b:>15}{c:>15}{d:>15}");
    }
    more_resellers(&mut out, resellers.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outcomes per reseller: a column each, its words apart, within 80 columns.
    #[test]
    fn outcomes_are_counted_per_reseller_in_columns_apart() {
        let row = |outcome, resellers: &str| Row {
            outcome,
            extra: [("resellers".to_owned(), resellers.to_owned())].into(),
            ..Row::default()
        };
        let rows = [
            row(Outcome::Completed, "r1;r2"),
            row(Outcome::NotApplicable, "r1"),
            row(Outcome::Failed, "r2"),
        ];
        let text = per_reseller(&rows);
        let header = text.lines().find(|l| l.starts_with("reseller")).unwrap();
        let words: Vec<&str> = header.split_whitespace().collect();
        assert_eq!(
            words,
            [
                "reseller",
                "completed",
                "not-applicable",
                "not-eligible",
                "other"
            ]
        );
        let r2: Vec<&str> = text
            .lines()
            .find(|l| l.starts_with("r2"))
            .unwrap()
            .split_whitespace()
            .collect();
        assert_eq!(r2, ["r2", "1", "0", "0", "1"]);
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    }
}
