//! The pages the spec records (`info.x-documentation-pages`), and a page held to the revision
//! recorded for it.
//!
//! A revision is known by its `ms.date` and by the SHA-256 of its bytes (`x-revision`):
//! Microsoft edits pages without changing `ms.date`, so the date alone cannot tell two
//! revisions apart. The digest is written as `sha256:` and the first 16 hex digits, which
//! `sha256sum page.md | cut -c1-16` gives too.

use std::collections::BTreeMap;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Findings, Page, page};

/// A page the spec records it was checked against.
pub(super) struct Recorded {
    pub(super) title: String,
    pub(super) url: String,
    ms_date: Option<(u32, u32, u32)>,
    ms_date_text: Option<String>,
    /// `x-revision`: the digest of the revision checked.
    revision: Option<String>,
    /// Other titles and URL slugs the page was published under.
    aliases: Vec<String>,
    /// `x-resources`, on a page the spec relies on for some of its tables only: the table
    /// (its heading's slug) → the spec's schema. `None`: every table is held to the schema
    /// of its own name.
    pub(super) resources: Option<BTreeMap<String, String>>,
}

impl Recorded {
    /// The last segment of its URL.
    fn slug(&self) -> &str {
        self.url.rsplit('/').next().unwrap_or_default()
    }

    /// Whether `page` carries this page's English title (or an alias).
    pub(super) fn titled(&self, page: &Page) -> bool {
        let title = page.title.trim();
        std::iter::once(&self.title)
            .chain(&self.aliases)
            .any(|name| name.eq_ignore_ascii_case(title))
    }

    /// Whether `page` is this page: by title, by URL slug, or by an alias of either.
    pub(super) fn is(&self, page: &Page) -> bool {
        let title = page.title.trim();
        let names = std::iter::once(self.title.as_str())
            .chain(std::iter::once(self.slug()))
            .chain(self.aliases.iter().map(String::as_str));
        names.into_iter().any(|name| {
            name.eq_ignore_ascii_case(title)
                || page
                    .slugs
                    .iter()
                    .any(|slug| name.eq_ignore_ascii_case(slug))
        })
    }
}

/// The pages of `info.x-documentation-pages`.
pub(super) fn recorded_pages(spec: &Value) -> Vec<Recorded> {
    spec["info"]["x-documentation-pages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| {
            let date = entry["ms.date"].as_str();
            Recorded {
                title: entry["title"].as_str().unwrap_or_default().to_owned(),
                url: entry["url"].as_str().unwrap_or_default().to_owned(),
                aliases: strings(&entry["x-aliases"]),
                ms_date: date.and_then(page::parse_date),
                ms_date_text: date.map(str::to_owned),
                revision: entry["x-revision"].as_str().map(str::to_owned),
                resources: entry["x-resources"].as_object().map(|tables| {
                    tables
                        .iter()
                        .filter_map(|(table, schema)| {
                            Some((table.to_ascii_lowercase(), schema.as_str()?.to_owned()))
                        })
                        .collect()
                }),
            }
        })
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_owned))
        .collect()
}

/// The digest a revision is recorded by: `sha256:` and the first 16 hex digits of its bytes.
pub fn digest(text: &str) -> String {
    let hash = Sha256::digest(text.as_bytes());
    let hex: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// `unknown-page`, `revision`: whether the spec records the page, and whether this is the
/// revision it records (newer, older, or edited under the same `ms.date`).
pub(super) fn check_revision(page: &Page, known: Option<&Recorded>, findings: &mut Findings) {
    let Some(known) = known else {
        findings.add(
            "unknown-page",
            page.title.clone(),
            "the spec records no page of this title or URL slug (info.x-documentation-pages)"
                .into(),
        );
        return;
    };
    let this = format!(
        "ms.date {}, {}",
        page.ms_date_text.as_deref().unwrap_or("none"),
        page.revision
    );
    if known.ms_date.is_none() && known.revision.is_none() {
        findings.add(
            "revision",
            "not recorded".into(),
            format!(
                "the spec records no revision of this page (ms.date, x-revision); this one is \
                 {this}"
            ),
        );
        return;
    }
    if known.revision.as_deref() == Some(page.revision.as_str()) {
        return;
    }
    let recorded = format!(
        "ms.date {}, {}",
        known.ms_date_text.as_deref().unwrap_or("none"),
        known.revision.as_deref().unwrap_or("no x-revision")
    );
    let detail = match (page.ms_date, known.ms_date) {
        (Some(date), Some(checked)) if date > checked => {
            format!(
                "{this} is newer than the recorded {recorded}: changed since the spec was last checked against it"
            )
        }
        (Some(date), Some(checked)) if date < checked => {
            format!(
                "{this} is older than the recorded {recorded}: an earlier revision than the spec was written from"
            )
        }
        // The same date, or a copy without one: only the text tells.
        _ if known.revision.is_some() => format!(
            "{this}: not the recorded revision ({recorded}), though its ms.date does not say \
             so: edited without a new ms.date"
        ),
        _ => return,
    };
    findings.add("revision", "ms.date".into(), detail);
}

/// The files under `dirs` (searched through, `.md` and `.txt`) that are the revisions the
/// spec records, one per record in the spec's order, and the records none of them is (as
/// "title (ms.date, digest)").
pub fn find_recorded(
    spec: &Value,
    dirs: &[impl AsRef<std::path::Path>],
) -> std::io::Result<(Vec<std::path::PathBuf>, Vec<String>)> {
    let mut files = Vec::new();
    for dir in dirs {
        walk(dir.as_ref(), &mut files)?;
    }
    files.sort();
    let mut by_digest = BTreeMap::new();
    for file in files {
        // A file that is not text is no page.
        if let Ok(text) = std::fs::read_to_string(&file) {
            by_digest.entry(digest(&text)).or_insert(file);
        }
    }
    let (mut found, mut missing) = (Vec::new(), Vec::new());
    for record in recorded_pages(spec) {
        match record.revision.as_ref().and_then(|r| by_digest.get(r)) {
            Some(file) => found.push(file.clone()),
            None => missing.push(format!(
                "{} (ms.date {}, {})",
                record.title,
                record.ms_date_text.as_deref().unwrap_or("none"),
                record.revision.as_deref().unwrap_or("no x-revision")
            )),
        }
    }
    Ok((found, missing))
}

fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "md" || e == "txt") {
            out.push(path);
        }
    }
    Ok(())
}
