//! What the end of a run prints: how many customers ended each way, the Partner Center error
//! codes met with their meaning, the bad lines of the customers file, the time taken, and
//! what to do next.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use pc_upgrade_client::PartnerCenterErrorCode;

use crate::report::{Outcome, Row, Tally};

/// How many bad lines are listed before "and N more".
const BAD_LINES_LISTED: usize = 5;

/// The summary of `rows`, after `elapsed`.
pub fn summary(rows: &[Row], elapsed: Duration) -> String {
    let mut out = outcomes(rows);
    let moved: usize = rows.iter().filter_map(|r| r.moved).sum();
    let not_moved: usize = rows.iter().filter_map(|r| r.not_moved).sum();
    if moved + not_moved > 0 {
        let _ = writeln!(
            out,
            "\nsubscriptions: {moved} moved to the Azure plan, {not_moved} not moved"
        );
    }
    let mut codes: BTreeMap<i64, usize> = BTreeMap::new();
    for code in rows.iter().filter_map(|r| r.error_code) {
        *codes.entry(code).or_default() += 1;
    }
    if !codes.is_empty() {
        out.push_str("\nerror code  customers  meaning\n");
        for (code, count) in &codes {
            let meaning = PartnerCenterErrorCode::from_number(*code)
                .meaning()
                .unwrap_or("not a documented product-upgrade code");
            let _ = writeln!(out, "{code:<10}  {count:>9}  {meaning}");
        }
    }
    let bad: Vec<&Row> = rows
        .iter()
        .filter(|r| r.outcome == Outcome::BadLine)
        .collect();
    if !bad.is_empty() {
        out.push_str("\nbad lines of the customers file:\n");
        for row in bad.iter().take(BAD_LINES_LISTED) {
            let reason = row.detail.as_deref().unwrap_or_default();
            let _ = writeln!(out, "  line {}: {reason}", row.line);
        }
        if bad.len() > BAD_LINES_LISTED {
            let _ = writeln!(
                out,
                "  and {} more (in the report)",
                bad.len() - BAD_LINES_LISTED
            );
        }
    }
    let _ = writeln!(out, "\ntime: {}", clock(elapsed));
    out
}

/// The table of outcomes.
fn outcomes(rows: &[Row]) -> String {
    let counts = Tally::of(rows);
    let width = counts
        .iter()
        .map(|(k, _)| k.as_str().len())
        .max()
        .unwrap_or(0)
        .max(7);
    let mut out = format!("{:<width$}  customers\n", "outcome");
    for (outcome, count) in counts.iter() {
        let _ = writeln!(out, "{:<width$}  {count:>9}", outcome.as_str());
    }
    let _ = writeln!(out, "{:<width$}  {:>9}", "total", rows.len());
    out
}

/// `1h 02m 03s`, `2m 03s`, `3.2s`.
fn clock(elapsed: Duration) -> String {
    let seconds = elapsed.as_secs();
    match (seconds / 3600, seconds / 60 % 60, seconds % 60) {
        (0, 0, _) => format!("{:.1}s", elapsed.as_secs_f64()),
        (0, m, s) => format!("{m}m {s:02}s"),
        (h, m, s) => format!("{h}h {m:02}m {s:02}s"),
    }
}

/// What to do next, given how the customers ended: `command` is the one that ran.
pub fn next_step(rows: &[Row], command: &str, dry_run: bool) -> Option<String> {
    let count = |outcome: Outcome| rows.iter().filter(|r| r.outcome == outcome).count();
    if dry_run {
        let would = count(Outcome::WouldCreate) + count(Outcome::WouldResume);
        return (would > 0)
            .then(|| format!("next: to upgrade, run it with --yes:\n  {command} --yes"));
    }
    let upgradable = count(Outcome::Eligible) + count(Outcome::Upgrading);
    let later = count(Outcome::RetryLater) + count(Outcome::InProgress) + count(Outcome::Pending);
    let attention = count(Outcome::Failed) + count(Outcome::Refused) + count(Outcome::PartlyMoved);
    let mut steps = Vec::new();
    if upgradable > 0 {
        steps.push(format!(
            "next: {upgradable} customers can be upgraded or are upgrading; a dry run of their \
             upgrade first (it creates nothing):\n  {command}"
        ));
    }
    if later > 0 {
        steps.push(format!(
            "next: {later} customers are not done yet (in progress, or to retry later); later, \
             this goes on where the run stopped:\n  {command}"
        ));
    }
    if attention > 0 {
        steps.push(format!(
            "{attention} customers failed, were refused or have a subscription not moved: the \
             report has each one's error code and the MS-RequestId to give Partner Center \
             support"
        ));
    }
    (!steps.is_empty()).then(|| steps.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(outcome: Outcome, line: usize, code: Option<i64>) -> Row {
        Row {
            outcome,
            line,
            error_code: code,
            detail: Some(format!("reason {line}")),
            ..Row::default()
        }
    }

    #[test]
    fn the_summary_names_codes_bad_lines_and_time() {
        let mut rows = vec![
            row(Outcome::Refused, 2, Some(900108)),
            row(Outcome::RetryLater, 3, Some(900130)),
            row(Outcome::Completed, 4, None),
        ];
        rows.extend((10..17).map(|line| row(Outcome::BadLine, line, None)));
        let text = summary(&rows, Duration::from_secs(3723));
        assert!(text.contains("900108"), "{text}");
        assert!(text.contains("no Azure subscription"), "{text}");
        assert!(text.contains("line 10: reason 10"), "{text}");
        assert!(text.contains("and 2 more"), "{text}");
        assert!(text.contains("time: 1h 02m 03s"), "{text}");
        let next = next_step(&rows, "pc-upgrade upgrade --yes", false).unwrap();
        assert!(next.contains("1 customers are not done yet"), "{next}");
        assert!(next.contains("1 customers failed, were refused"), "{next}");
        assert_eq!(next_step(&rows[2..3], "x", false), None);
        assert!(!text.contains("subscriptions:"), "{text}");
        rows[2].moved = Some(2);
        rows.push(Row {
            moved: Some(1),
            not_moved: Some(1),
            ..row(Outcome::PartlyMoved, 5, Some(900105))
        });
        let text = summary(&rows, Duration::from_secs(1));
        assert!(
            text.contains("subscriptions: 3 moved to the Azure plan, 1 not moved"),
            "{text}"
        );
        let next = next_step(&rows, "pc-upgrade upgrade --yes", false).unwrap();
        assert!(next.contains("2 customers failed, were refused"), "{next}");
    }
}
