//! What the end of a run prints: how many customers ended each way, the Partner Center error
//! codes met with their meaning, the bad lines of the customers file, the time taken, and
//! what to do next.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::columns::fit;
pub use crate::columns::wrap;
use crate::report::{Outcome, Row, Tally};

/// How many bad lines are listed before "and N more".
const BAD_LINES_LISTED: usize = 5;
/// How many reasons are listed before "and N more".
const REASONS_LISTED: usize = 8;
/// The width the summary keeps to, a terminal's.
const WIDTH: usize = crate::columns::WIDTH;

/// The summary of `rows`, after `elapsed`: each line at most 80 columns.
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
    out.push_str(&verifications(rows));
    out.push_str(&crate::resellers::per_reseller(rows));
    out.push_str(&reasons(rows));
    out.push_str(&codes(rows));
    out.push_str(&bad_lines(rows));
    let _ = writeln!(out, "\ntime: {}", clock(elapsed));
    out
}

/// What `verify` found of the completed customers, once it ran.
fn verifications(rows: &[Row]) -> String {
    let verified = rows.iter().filter(|r| r.verified == Some(true)).count();
    let not = rows.iter().filter(|r| r.verified == Some(false)).count();
    if verified + not == 0 {
        return String::new();
    }
    format!("\nverified: {verified} customers; not verified: {not} (pc-upgrade verify)\n")
}

/// Why customers were not eligible, failed, were refused or partly moved: each reason once,
/// with how many customers gave it, the most first. A reason with an error code is its code:
/// the texts of one code differ by the ids they name (a request's, a subscription's), which
/// stay in the reports; it reads as the documents' meaning, else as the first text seen.
fn reasons(rows: &[Row]) -> String {
    // (outcome, code or text) → (customers, what it says)
    let mut counts: BTreeMap<(Outcome, String), (usize, String)> = BTreeMap::new();
    for row in rows {
        if !matches!(
            row.outcome,
            Outcome::NotApplicable
                | Outcome::NotEligible
                | Outcome::Failed
                | Outcome::Refused
                | Outcome::PartlyMoved
        ) {
            continue;
        }
        let detail = row.detail.as_deref();
        let (key, says) = match (&row.error_code, detail) {
            (Some(code), _) => {
                let code = pc_upgrade_client::shown(&code.to_string(), WIDTH);
                let meaning = row.error_code.as_ref().and_then(crate::code::meaning);
                let says = meaning.or(detail).unwrap_or("undocumented");
                (format!("error {code}"), format!("error {code}: {says}"))
            }
            // Its text names the subscription: one reason for all of them.
            (None, _) if row.outcome == Outcome::PartlyMoved => (
                String::new(),
                "a subscription not moved, no error code (the line items say which)".to_owned(),
            ),
            (None, Some(detail)) => (detail.to_owned(), detail.to_owned()),
            (None, None) => continue,
        };
        counts.entry((row.outcome, key)).or_insert((0, says)).0 += 1;
    }
    if counts.is_empty() {
        return String::new();
    }
    let mut sorted: Vec<_> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
    let mut out = format!("\n{:<w$}  customers\n", "why", w = WIDTH - 11);
    for ((outcome, _), (count, says)) in sorted.iter().take(REASONS_LISTED) {
        let why = fit(
            &pc_upgrade_client::shown(&format!("{outcome}: {says}"), WIDTH),
            WIDTH - 11,
        );
        let _ = writeln!(out, "{why:<w$}  {count:>9}", w = WIDTH - 11);
    }
    if sorted.len() > REASONS_LISTED {
        let more = sorted.len() - REASONS_LISTED;
        let _ = writeln!(out, "and {more} more reasons (in the report)");
    }
    out
}

/// The Partner Center error codes met, with their meaning.
fn codes(rows: &[Row]) -> String {
    // By the code as shown: a number and a string are both a code of their own.
    let mut codes: BTreeMap<String, (usize, Option<&'static str>)> = BTreeMap::new();
    for code in rows.iter().filter_map(|r| r.error_code.as_ref()) {
        let shown = pc_upgrade_client::shown(&code.to_string(), WIDTH);
        let entry = codes.entry(shown).or_default();
        entry.0 += 1;
        entry.1 = crate::code::meaning(code);
    }
    if codes.is_empty() {
        return String::new();
    }
    let mut out = "\nerror code  customers  meaning\n".to_owned();
    for (code, (count, meaning)) in &codes {
        let meaning = meaning.unwrap_or("not a documented product-upgrade code");
        let line = format!("{code:<10}  {count:>9}  {meaning}");
        let _ = writeln!(out, "{}", fit(&line, WIDTH));
    }
    out
}

/// The lines of the customers file that name no customer, or one named before.
fn bad_lines(rows: &[Row]) -> String {
    let bad: Vec<&Row> = rows
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::BadLine | Outcome::Duplicate))
        .collect();
    if bad.is_empty() {
        return String::new();
    }
    let mut out = "\nbad lines of the customers file:\n".to_owned();
    for row in bad.iter().take(BAD_LINES_LISTED) {
        let reason = row.detail.as_deref().unwrap_or_default();
        let _ = writeln!(
            out,
            "{}",
            fit(&format!("  line {}: {reason}", row.line), WIDTH)
        );
    }
    if bad.len() > BAD_LINES_LISTED {
        let more = bad.len() - BAD_LINES_LISTED;
        let _ = writeln!(out, "  and {more} more (in the report)");
    }
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

/// The commands a next step can name.
#[derive(Clone, Copy, Debug)]
pub struct Commands<'a> {
    /// The one that goes on with the customers (the one that ran, or the upgrade it leads
    /// to).
    pub goes_on: &'a str,
    /// The one that takes the customers not eligible again, when the command typed has
    /// one (the demo's does not).
    pub not_eligible: Option<&'a str>,
}

/// What to do next, given how the customers ended.
pub fn next_step(rows: &[Row], commands: Commands<'_>, dry_run: bool) -> Option<String> {
    let command = commands.goes_on;
    let count = |outcome: Outcome| rows.iter().filter(|r| r.outcome == outcome).count();
    if dry_run {
        let would = count(Outcome::WouldCreate) + count(Outcome::WouldResume);
        let command = format!("{command} --yes");
        return (would > 0).then(|| step("next: to upgrade, run it with --yes:", Some(&command)));
    }
    let upgradable = count(Outcome::Eligible) + count(Outcome::Upgrading);
    let later = count(Outcome::RetryLater) + count(Outcome::InProgress) + count(Outcome::Pending);
    let attention = count(Outcome::Failed) + count(Outcome::Refused) + count(Outcome::PartlyMoved);
    let not_eligible = count(Outcome::NotEligible);
    let suspended = rows
        .iter()
        .filter(|r| {
            r.outcome == Outcome::NotEligible
                && crate::code::number(r.error_code.as_ref()) == Some(900_105)
        })
        .count();
    let mut steps = Vec::new();
    if upgradable > 0 {
        let prose = format!(
            "next: {upgradable} customers can be upgraded or are upgrading; a dry run of their \
             upgrade first (it creates nothing):"
        );
        steps.push(step(&prose, Some(command)));
    }
    if later > 0 {
        let prose = format!(
            "next: {later} customers are not done yet (in progress, or to retry later); later, \
             this goes on where the run stopped:"
        );
        steps.push(step(&prose, Some(command)));
    }
    if not_eligible > 0 {
        let reactivate = match suspended {
            0 => String::new(),
            n => format!(
                " ({n} of them have suspended Azure subscriptions: reactivate them in \
                 Partner Center)"
            ),
        };
        let then = match commands.not_eligible {
            Some(_) => "Once that is dealt with, this takes them again:",
            None => {
                "Once that is dealt with, an upgrade with --only not-eligible takes them again."
            }
        };
        let prose = format!(
            "next: {not_eligible} customers are not eligible; the report says why{reactivate}. \
             {then}"
        );
        steps.push(step(&prose, commands.not_eligible));
    }
    if attention > 0 {
        let prose = format!(
            "{attention} customers failed, were refused or have a subscription not moved: the \
             report has each one's error code and the MS-RequestId to give Partner Center \
             support"
        );
        steps.push(step(&prose, None));
    }
    (!steps.is_empty()).then(|| steps.join("\n"))
}

/// A next step: its prose wrapped at 80 columns, then the command on a line of its own (a
/// command is never cut: it is copied whole).
fn step(prose: &str, command: Option<&str>) -> String {
    match command {
        Some(command) => format!("{}\n  {command}", wrap(prose)),
        None => wrap(prose),
    }
}

#[cfg(test)]
mod tests {
    use pc_upgrade_client::types::ErrorCode;

    use super::*;

    fn row(outcome: Outcome, line: usize, code: Option<i64>) -> Row {
        Row {
            outcome,
            line,
            error_code: code.map(ErrorCode::Number),
            detail: Some(format!("reason {line}")),
            ..Row::default()
        }
    }

    fn commands(goes_on: &str) -> Commands<'_> {
        Commands {
            goes_on,
            not_eligible: Some("pc-upgrade upgrade --yes --only not-eligible"),
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
        let next = next_step(&rows, commands("pc-upgrade upgrade --yes"), false).unwrap();
        assert!(next.contains("1 customers are not done yet"), "{next}");
        assert!(next.contains("1 customers failed, were refused"), "{next}");
        assert_eq!(next_step(&rows[2..3], commands("x"), false), None);
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
        let next = next_step(&rows, commands("pc-upgrade upgrade --yes"), false).unwrap();
        assert!(next.contains("2 customers failed, were refused"), "{next}");
        for line in text.lines().chain(next.lines()) {
            assert!(
                line.chars().count() <= 80,
                "{} columns: {line}",
                line.chars().count()
            );
        }
    }

    /// 26 customers not eligible for one reason are one line with 26, not 26 lines; a long
    /// reason is cut at 80 columns.
    #[test]
    fn reasons_are_grouped_with_their_counts() {
        let mut rows: Vec<Row> = (0..26)
            .map(|n| Row {
                outcome: Outcome::NotEligible,
                line: n,
                detail: Some("No Azure subscription.".to_owned()),
                ..Row::default()
            })
            .collect();
        rows.push(Row {
            outcome: Outcome::Failed,
            detail: Some("x".repeat(200)),
            ..Row::default()
        });
        // Two refusals whose texts differ by their request ids are one reason.
        for id in ["1111", "2222"] {
            rows.push(Row {
                outcome: Outcome::Refused,
                error_code: Some(ErrorCode::Number(900108)),
                detail: Some(format!(
                    "Partner Center refused the call (MS-RequestId {id})"
                )),
                ..Row::default()
            });
        }
        let text = summary(&rows, Duration::from_secs(1));
        let refused = text
            .lines()
            .find(|l| l.starts_with("refused: error 900108"))
            .unwrap();
        assert!(refused.ends_with(" 2"), "{text}");
        assert_eq!(text.matches("No Azure subscription.").count(), 1, "{text}");
        let line = text.lines().find(|l| l.contains("No Azure")).unwrap();
        assert!(line.starts_with("not-eligible: No Azure subscription.") && line.ends_with(" 26"));
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        assert!(text.contains('…'), "{text}");
    }
}
