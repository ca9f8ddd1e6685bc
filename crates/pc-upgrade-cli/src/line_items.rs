//! `--line-items FILE`: a CSV with a row per subscription of every upgrade that ended (its
//! line item: the product it was and the one it became, when it was upgraded, its state and
//! error), each with its customer's id, line and other columns, for a spreadsheet.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Result;

use crate::report::{Outcome, Row};
use crate::rows::not_moved;

/// The columns before the customers file's own.
const COLUMNS: [&str; 12] = [
    "customerId",
    "line",
    "upgradeId",
    "sourceProductId",
    "sourceProductName",
    "targetProductId",
    "targetProductName",
    "upgradedDate",
    "status",
    "moved",
    "errorCode",
    "errorText",
];

/// Writes the line items of `rows` to `path` (whole, then renamed, as the report).
///
/// # Errors
/// When the file cannot be written.
pub fn write(path: &Path, rows: &[Row]) -> Result<()> {
    let extra: Vec<&String> = rows
        .iter()
        .flat_map(|r| r.extra.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let header = COLUMNS
        .iter()
        .copied()
        .chain(extra.iter().map(|k| k.as_str()));
    let mut sheet = crate::text::Sheet::new(header)?;
    for row in rows {
        // A failed upgrade moved nothing; a completed one, every line that did not fail.
        let completed = matches!(row.outcome, Outcome::Completed | Outcome::PartlyMoved);
        for line in &row.line_items {
            let text = |value: Option<String>| value.unwrap_or_default();
            let (source, target) = (line.source_product.as_ref(), line.target_product.as_ref());
            let details = line.error_details.as_ref();
            let mut record = vec![
                text(row.customer_id.map(|c| c.to_string())),
                row.line.to_string(),
                text(row.upgrade_id.map(|u| u.to_string())),
                text(source.map(|p| p.id.to_string())),
                text(source.and_then(|p| p.name.clone())),
                text(target.map(|p| p.id.to_string())),
                text(target.and_then(|p| p.name.clone())),
                text(
                    line.upgraded_date
                        .map(|d| d.to_rfc3339().replace("+00:00", "Z")),
                ),
                text(line.status.clone()),
                (completed && !not_moved(line)).to_string(),
                text(crate::code::of_details(details).map(|c| c.to_string())),
                text(details.and_then(|d| d.text()).map(str::to_owned)),
            ];
            record.extend(extra.iter().map(|k| text(row.extra.get(*k).cloned())));
            sheet.row(&record)?;
        }
    }
    crate::files::replace(path, &sheet.bytes()?)
}
