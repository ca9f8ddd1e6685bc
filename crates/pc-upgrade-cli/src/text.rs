//! Server text in a spreadsheet cell: the client's sanitizer ([`pc_upgrade_client::shown`]:
//! bounded, control, bidi and zero-width characters escaped), then OWASP's mitigation of
//! CSV injection, a single quote before a cell Excel would read as a formula.

/// At most this many characters of server text go into a cell.
const MAX_CELL: usize = 600;

/// `text` as a CSV cell that shows what it says and runs nothing.
pub fn cell(text: &str) -> String {
    let shown = pc_upgrade_client::shown(text, MAX_CELL);
    match shown.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{shown}"),
        _ => shown,
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn a_cell_runs_nothing_and_hides_nothing() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        for start in ["+1", "-1", "@SUM(A1)"] {
            assert!(cell(start).starts_with('\''), "{start}");
        }
        assert_eq!(cell("a\u{202e}b\u{200b}"), "a\\u{202e}b\\u{200b}");
        assert_eq!(cell("Müller GmbH"), "Müller GmbH");
        assert_eq!(cell(&"x".repeat(700)).chars().count(), 601);
    }
}
