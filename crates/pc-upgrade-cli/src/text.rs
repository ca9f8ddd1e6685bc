//! Text in a spreadsheet: every cell through the client's sanitizer
//! ([`pc_upgrade_client::shown`]: bounded, control, bidi and zero-width characters escaped),
//! then OWASP's mitigation of CSV injection, a single quote before a cell Excel would read as
//! a formula; every CSV file the tool writes ([`Sheet`]) begins with a UTF-8 byte order mark,
//! as Excel's own "CSV UTF-8" does, so that Excel reads "Müller" and not "MÃ¼ller".

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

/// The byte order mark that tells Excel a CSV file is UTF-8.
const BOM: &str = "\u{feff}";

/// A CSV file being written: the mark, then rows of cells, each through [`cell`].
pub struct Sheet(csv::Writer<Vec<u8>>);

impl Sheet {
    /// A sheet whose first row is `header`.
    ///
    /// # Errors
    /// Never in practice (CSV written to memory).
    pub fn new<S: AsRef<str>>(header: impl IntoIterator<Item = S>) -> csv::Result<Self> {
        let mut sheet = Self(csv::Writer::from_writer(BOM.as_bytes().to_vec()));
        sheet.row(header)?;
        Ok(sheet)
    }

    /// Writes a row.
    ///
    /// # Errors
    /// Never in practice (CSV written to memory).
    pub fn row<S: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = S>) -> csv::Result<()> {
        self.0
            .write_record(cells.into_iter().map(|text| cell(text.as_ref())))
    }

    /// The file's bytes.
    ///
    /// # Errors
    /// Never in practice (CSV written to memory).
    pub fn bytes(self) -> anyhow::Result<Vec<u8>> {
        self.0
            .into_inner()
            .map_err(|error| anyhow::anyhow!("writing CSV: {}", error.error()))
    }
}

#[cfg(test)]
mod tests {
    use super::{Sheet, cell};

    #[test]
    fn a_sheet_is_marked_utf8_and_runs_nothing() {
        let mut sheet = Sheet::new(["name", "note"]).unwrap();
        sheet.row(["Müller GmbH", "=1+1"]).unwrap();
        let text = String::from_utf8(sheet.bytes().unwrap()).unwrap();
        assert_eq!(text, "\u{feff}name,note\nMüller GmbH,'=1+1\n");
    }

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
