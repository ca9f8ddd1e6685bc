//! The customers file: a CSV with a `customerId` column (its other columns are carried into
//! the report), or one GUID per line. Lines that name no customer are kept with their line
//! number and reason, never dropped.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use uuid::Uuid;

/// One customer to work on.
#[derive(Clone, Debug)]
pub struct Customer {
    /// The line it was read from (1-based).
    pub line: usize,
    /// The customer's tenant id.
    pub id: Uuid,
    /// The CSV's other columns, by header.
    pub extra: Vec<(String, String)>,
}

/// A line that names no customer, or one already named.
#[derive(Clone, Debug)]
pub struct BadLine {
    /// The line number (1-based).
    pub line: usize,
    /// Why.
    pub reason: String,
    /// It names a customer an earlier line names: the customer is run once, and the line is
    /// reported, but it is no fault of a customer's.
    pub duplicate: bool,
}

/// The customers of a file, and its bad lines. `delimiter` separates a CSV's fields.
pub fn read(path: &Path, delimiter: u8) -> Result<(Vec<Customer>, Vec<BadLine>)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    from_bytes(&bytes, delimiter).map(|(customers, bad, _)| (customers, bad))
}

/// The customers of a file's bytes, its bad lines, and the encoding they were read in.
pub fn from_bytes(
    bytes: &[u8],
    delimiter: u8,
) -> Result<(Vec<Customer>, Vec<BadLine>, &'static str)> {
    let (text, encoding) = decode(bytes);
    let (customers, bad) = parse(&text, delimiter)?;
    Ok((customers, bad, encoding))
}

/// The text of a customers file as Windows writes them too: UTF-8 with or without a
/// byte-order mark; UTF-16 (little- or big-endian) with one, as Windows PowerShell 5.1's `>`
/// and `Out-File` write; and, when the bytes are not UTF-8, Windows-1252, as Excel's "CSV
/// (Comma delimited)" writes. Decoded by `encoding_rs`; the encoding's name for the run to
/// say.
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        let name = match encoding.name() {
            "UTF-8" => "UTF-8 (with a byte-order mark)",
            name => name,
        };
        return (text.into_owned(), name);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), "UTF-8"),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            (text.into_owned(), "Windows-1252 (the bytes are not UTF-8)")
        }
    }
}

/// The customers of a file's text, and its bad lines.
fn parse(text: &str, delimiter: u8) -> Result<(Vec<Customer>, Vec<BadLine>)> {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    let csv = first.is_some_and(|l| {
        l.contains(char::from(delimiter)) || l.to_ascii_lowercase().contains("customerid")
    });
    let (customers, mut bad) = if csv {
        read_csv(text, delimiter)?
    } else {
        read_list(text)
    };
    // The same customer twice would be upgraded once and reported twice.
    let mut seen: HashMap<Uuid, usize> = HashMap::new();
    let mut kept = Vec::with_capacity(customers.len());
    for customer in customers {
        match seen.get(&customer.id) {
            Some(first) => bad.push(BadLine {
                line: customer.line,
                reason: format!("customer {} is already on line {first}", customer.id),
                duplicate: true,
            }),
            None => {
                seen.insert(customer.id, customer.line);
                kept.push(customer);
            }
        }
    }
    bad.sort_by_key(|b| b.line);
    Ok((kept, bad))
}

fn parse_id(text: &str) -> Result<Uuid, String> {
    let text = text.trim();
    // Only the hyphenated form, as Partner Center writes customer ids.
    if text.len() != 36 {
        return Err(format!("{:?} is not a customer id (a GUID)", bounded(text)));
    }
    Uuid::try_parse(text).map_err(|_| format!("{:?} is not a customer id (a GUID)", bounded(text)))
}

fn bounded(text: &str) -> String {
    text.chars().take(64).collect()
}

fn read_list(text: &str) -> (Vec<Customer>, Vec<BadLine>) {
    let (mut customers, mut bad) = (Vec::new(), Vec::new());
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match parse_id(trimmed) {
            Ok(id) => customers.push(Customer {
                line: index + 1,
                id,
                extra: Vec::new(),
            }),
            Err(reason) => bad.push(BadLine {
                line: index + 1,
                reason,
                duplicate: false,
            }),
        }
    }
    (customers, bad)
}

/// The line (1-based) of the record the CSV reader says starts at `byte`, counting every
/// line ending (LF or CRLF) and every blank line. The reader's own line count does neither,
/// and its start of a record may be the end of the line before (after a CR, or before blank
/// lines it skipped): the record starts at the first character after that which is not white
/// space.
fn line_at(text: &str, byte: u64) -> usize {
    let bytes = text.as_bytes();
    let mut start = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
    while bytes.get(start).is_some_and(u8::is_ascii_whitespace) {
        start += 1;
    }
    bytes[..start].iter().filter(|b| **b == b'\n').count() + 1
}

fn read_csv(text: &str, delimiter: u8) -> Result<(Vec<Customer>, Vec<BadLine>)> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .delimiter(delimiter)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let headers = reader.headers().context("reading the CSV header")?.clone();
    let column = headers
        .iter()
        .position(|h| h.eq_ignore_ascii_case("customerId"))
        .with_context(|| match headers.iter().next() {
            Some(only) if headers.len() == 1 && delimiter != b';' && only.contains(';') => {
                "the CSV has no customerId column; its header has one column that contains ';' \
                 (try --delimiter ';')"
                    .to_owned()
            }
            _ => "the CSV has no customerId column".to_owned(),
        })?;
    let (mut customers, mut bad) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, |p| line_at(text, p.byte()));
                bad.push(BadLine {
                    line,
                    reason: format!("not a CSV line: {error}"),
                    duplicate: false,
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| line_at(text, p.byte()));
        // A line of white space names nobody, and is no mistake either.
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != headers.len() {
            bad.push(BadLine {
                line,
                reason: format!(
                    "{} fields where the header has {}",
                    record.len(),
                    headers.len()
                ),
                duplicate: false,
            });
            continue;
        }
        match parse_id(record.get(column).unwrap_or_default()) {
            Ok(id) => customers.push(Customer {
                line,
                id,
                extra: headers
                    .iter()
                    .zip(record.iter())
                    .enumerate()
                    .filter(|(i, _)| *i != column)
                    .map(|(_, (h, v))| (h.to_owned(), v.to_owned()))
                    .collect(),
            }),
            Err(reason) => bad.push(BadLine {
                line,
                reason,
                duplicate: false,
            }),
        }
    }
    Ok((customers, bad))
}

/// The resellers a customers file's `resellers` column names (`;`-separated, as
/// `discover` writes it).
pub fn resellers_of<'a>(extra: impl IntoIterator<Item = (&'a String, &'a String)>) -> Vec<String> {
    (extra.into_iter())
        .filter(|(key, _)| key.eq_ignore_ascii_case("resellers"))
        .flat_map(|(_, value)| value.split(';'))
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| pc_upgrade_client::shown(r, 64))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> (Vec<Customer>, Vec<BadLine>) {
        // A file of its own per call: tests run at once.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "pc-upgrade-customers-{}-{call}",
            std::process::id(),
        ));
        std::fs::write(&path, text).unwrap();
        let read = read(&path, b',').unwrap();
        std::fs::remove_file(&path).unwrap();
        read
    }

    #[test]
    fn a_csv_keeps_its_other_columns_and_reports_bad_lines_by_number() {
        let (customers, bad) = read_text(
            "name,customerId,region\n\
             Contoso,4c721420-72ad-4708-a0a7-371a2f7b0969,EU\n\
             Fabrikam,not-a-guid,US\n\
             Broken,only-two\n\
             Again,4c721420-72ad-4708-a0a7-371a2f7b0969,EU\n",
        );
        assert_eq!(customers.len(), 1);
        assert_eq!(customers[0].line, 2);
        assert_eq!(
            customers[0].extra,
            [
                ("name".into(), "Contoso".into()),
                ("region".into(), "EU".into())
            ]
        );
        let lines: Vec<usize> = bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, [3, 4, 5], "{bad:?}");
        assert!(bad[0].reason.contains("not-a-guid"));
        assert!(bad[2].reason.contains("already on line 2"));
    }

    #[test]
    fn crlf_a_bom_and_blank_lines_keep_every_line_number_true() {
        let text = "\u{feff}customerId,name\r\n\r\n4c721420-72ad-4708-a0a7-371a2f7b0969,A\r\n   \r\n\
                    not-a-guid,B\r\n\r\nc1958bc7-3284-4952-a257-de594ee64743,C\r\nbad,\r\n";
        let (customers, bad) = read_text(text);
        assert_eq!(customers.iter().map(|c| c.line).collect::<Vec<_>>(), [3, 7]);
        assert_eq!(
            bad.iter().map(|b| b.line).collect::<Vec<_>>(),
            [5, 8],
            "{bad:?}"
        );
        let list = "\u{feff}4c721420-72ad-4708-a0a7-371a2f7b0969\r\n\r\n  \r\n42\r\n";
        let (customers, bad) = read_text(list);
        assert_eq!(customers.len(), 1);
        assert_eq!(bad.iter().map(|b| b.line).collect::<Vec<_>>(), [4]);
    }

    /// Windows PowerShell 5.1's `Out-File` (UTF-16LE with a BOM, CRLF), the same big-endian,
    /// and Excel's "CSV (Comma delimited)" (Windows-1252): read, their other columns kept.
    #[test]
    fn files_windows_writes_are_read_and_their_encoding_named() {
        let text = "customerId,name\r\n4c721420-72ad-4708-a0a7-371a2f7b0969,Zürich AG – Dépôt\r\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        let (cp1252, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
        assert!(!unmappable);
        for (bytes, name) in [
            (le, "UTF-16LE"),
            (be, "UTF-16BE"),
            (
                cp1252.into_owned(),
                "Windows-1252 (the bytes are not UTF-8)",
            ),
            (text.as_bytes().to_vec(), "UTF-8"),
        ] {
            let (decoded, encoding) = decode(&bytes);
            assert_eq!(encoding, name);
            let (customers, bad) = parse(&decoded, b',').unwrap();
            assert!(bad.is_empty(), "{name}: {bad:?}");
            assert_eq!(customers[0].line, 2);
            assert_eq!(
                customers[0].extra,
                [("name".to_owned(), "Zürich AG – Dépôt".to_owned())]
            );
        }
    }

    #[test]
    fn a_semicolon_separated_file_gets_a_hint() {
        let path =
            std::env::temp_dir().join(format!("pc-upgrade-semicolon-{}", std::process::id()));
        std::fs::write(
            &path,
            "name;customerId\nA;4c721420-72ad-4708-a0a7-371a2f7b0969\n",
        )
        .unwrap();
        let error = read(&path, b',').unwrap_err();
        assert!(
            format!("{error:#}").contains("--delimiter ';'"),
            "{error:#}"
        );
        let (customers, _) = read(&path, b';').unwrap();
        assert_eq!(customers.len(), 1);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_list_has_one_guid_a_line() {
        let (customers, bad) = read_text(
            "# customers\n4c721420-72ad-4708-a0a7-371a2f7b0969\n\n42\nc1958bc7-3284-4952-a257-de594ee64743\n",
        );
        assert_eq!(customers.iter().map(|c| c.line).collect::<Vec<_>>(), [2, 5]);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, 4);
    }
}
