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

/// A line that names no customer.
#[derive(Clone, Debug)]
pub struct BadLine {
    /// The line number (1-based).
    pub line: usize,
    /// Why.
    pub reason: String,
}

/// The customers of a file, and its bad lines.
pub fn read(path: &Path) -> Result<(Vec<Customer>, Vec<BadLine>)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    let csv =
        first.is_some_and(|l| l.contains(',') || l.to_ascii_lowercase().contains("customerid"));
    let (customers, mut bad) = if csv {
        read_csv(&text)?
    } else {
        read_list(&text)
    };
    // The same customer twice would be upgraded once and reported twice.
    let mut seen: HashMap<Uuid, usize> = HashMap::new();
    let mut kept = Vec::with_capacity(customers.len());
    for customer in customers {
        match seen.get(&customer.id) {
            Some(first) => bad.push(BadLine {
                line: customer.line,
                reason: format!("customer {} is already on line {first}", customer.id),
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
            }),
        }
    }
    (customers, bad)
}

fn read_csv(text: &str) -> Result<(Vec<Customer>, Vec<BadLine>)> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let headers = reader.headers().context("reading the CSV header")?.clone();
    let column = headers
        .iter()
        .position(|h| h.eq_ignore_ascii_case("customerId"))
        .context("the CSV has no customerId column")?;
    let (mut customers, mut bad) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line() as usize);
                bad.push(BadLine {
                    line,
                    reason: format!("not a CSV line: {error}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.len() != headers.len() {
            bad.push(BadLine {
                line,
                reason: format!(
                    "{} fields where the header has {}",
                    record.len(),
                    headers.len()
                ),
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
            Err(reason) => bad.push(BadLine { line, reason }),
        }
    }
    Ok((customers, bad))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> (Vec<Customer>, Vec<BadLine>) {
        let path = std::env::temp_dir().join(format!(
            "pc-upgrade-customers-{}-{}",
            std::process::id(),
            text.len()
        ));
        std::fs::write(&path, text).unwrap();
        let read = read(&path).unwrap();
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
    fn a_list_has_one_guid_a_line() {
        let (customers, bad) = read_text(
            "# customers\n4c721420-72ad-4708-a0a7-371a2f7b0969\n\n42\nc1958bc7-3284-4952-a257-de594ee64743\n",
        );
        assert_eq!(customers.iter().map(|c| c.line).collect::<Vec<_>>(), [2, 5]);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, 4);
    }
}
