//! `cargo xtask docs-check`: the spec held to the Partner Center documentation pages it was
//! written from, and to Microsoft's generated REST reference as the spec records it.
//!
//! Every finding is either explained by an erratum (`openapi/errata.yaml`: a documentation
//! defect the spec decided on) or unexplained; an erratum that explains nothing any more has
//! expired, which fails the check like an unexplained finding: fixed upstream, the decision
//! must be revisited. This module runs the check (loading the spec, fixtures and errata,
//! each page through the checks, then the errata) and holds the syntax check; the rest:
//! - [`page`]: a page read by its structure (front matter, syntax, examples, tables, lists);
//! - `recorded`: the pages the spec records, and the revision (ms.date, digest) a page is
//!   held to;
//! - `resources`: resource tables against the component schemas;
//! - `examples`: example blocks against fixtures and spec examples, across pages too;
//! - `conventions`: the headers and error-codes pages against every operation;
//! - `reference`: Microsoft's generated REST reference, as the spec records it, against the
//!   spec (one more page in the report);
//! - `report`: findings, errata and the readable report.

mod blocks;
mod conventions;
mod examples;
pub mod page;
mod recorded;
mod reference;
mod report;
mod resources;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

pub use blocks::Direction;
use examples::{Source, check_example, check_fixtures_matched, check_request_line, value_casing};
pub use page::Page;
use recorded::{Recorded, check_revision, recorded_pages};
pub use recorded::{digest, find_recorded};
pub use report::{Erratum, Finding, PageReport, Report};
use resources::{check_resource, reference};

/// The errata file, relative to the workspace root.
pub const ERRATA: &str = "openapi/errata.yaml";
/// The fixtures folder, relative to the workspace root.
pub const FIXTURES: &str = "tests/fixtures";

/// A fixture, as far as docs-check ties it to an example block.
#[derive(Clone, Debug, Default)]
pub struct Fixture {
    /// The file name without `.http`.
    pub name: String,
    /// `# page:` (the page's URL).
    pub page: Option<String>,
    /// `# ms.date:` (`none` for the plain-text copy).
    pub ms_date: Option<String>,
    /// `# block:` (`request example` or `response example`) of a verbatim copy.
    pub block: Option<String>,
    /// The body as written.
    pub body: Option<String>,
}

/// Reads the fixtures of a folder.
pub fn load_fixtures(dir: &Path) -> Result<Vec<Fixture>> {
    let mut fixtures = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "http"))
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path)?;
        let mut fixture = Fixture {
            name: path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            ..Fixture::default()
        };
        for line in text.lines().take_while(|l| l.starts_with('#')) {
            if let Some((key, value)) = line.trim_start_matches('#').trim().split_once(": ") {
                let value = Some(value.trim().to_owned());
                match key {
                    "page" => fixture.page = value,
                    "ms.date" => fixture.ms_date = value,
                    "block" => fixture.block = value,
                    _ => {}
                }
            }
        }
        let message: Vec<&str> = text.lines().skip_while(|l| l.starts_with('#')).collect();
        fixture.body = message
            .iter()
            .position(|l| l.starts_with('{') || l.starts_with('['))
            .map(|i| message[i..].join("\n").trim().to_owned());
        fixtures.push(fixture);
    }
    Ok(fixtures)
}

/// Reads the errata file.
pub fn load_errata(path: &Path) -> Result<Vec<Erratum>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(yaml_serde::from_str(&text)?)
}

/// Reads the spec as JSON.
pub fn load_spec(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(yaml_serde::from_str(&text)?)
}

/// The operations of the spec: (method, path, operation object).
fn operations(spec: &Value) -> Vec<(String, String, &Value)> {
    let mut found = Vec::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            found.push((method.to_ascii_uppercase(), path.clone(), operation));
        }
    }
    found
}

/// Checks pages against the spec, the fixtures and the errata.
pub fn check(spec: &Value, pages: &[Page], fixtures: &[Fixture], errata: &[Erratum]) -> Report {
    check_sources(spec, pages, fixtures, errata, false)
}

/// [`check`], and the REST reference the spec records (`reference.rs`) as one more page:
/// what `cargo xtask docs-check` runs.
pub fn check_with_reference(
    spec: &Value,
    pages: &[Page],
    fixtures: &[Fixture],
    errata: &[Erratum],
) -> Report {
    check_sources(spec, pages, fixtures, errata, true)
}

fn check_sources(
    spec: &Value,
    pages: &[Page],
    fixtures: &[Fixture],
    errata: &[Erratum],
    with_reference: bool,
) -> Report {
    let recorded = recorded_pages(spec);
    let schemas = spec["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut reports = Vec::new();
    // For the casing of values across pages: pointer → (value, page index).
    let mut values: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
    for (index, page) in pages.iter().enumerate() {
        let mut findings = Findings::default();
        let known = recorded.iter().find(|r| r.is(page));
        // A translated copy is not held to the spec (its words are not the spec's): it is
        // reported once, as not checked, and never as drift. A copy that kept the English
        // text (its title is the English one) is checked as the English page is.
        let english = known.is_some_and(|k| k.titled(page));
        if let Some(locale) = page
            .locale
            .as_deref()
            .filter(|l| !l.eq_ignore_ascii_case("en-us") && !english)
        {
            reports.push(translated(page, known, locale));
            continue;
        }
        // An empty file has no title to match: that it was read empty is the one finding.
        if known.is_some() || !page.read_nothing() {
            check_revision(page, known, &mut findings);
        }
        check_readable(page, &mut findings);
        conventions::check_headers(spec, page, &mut findings);
        conventions::check_statuses(spec, page, &mut findings);
        let documented = check_operations(spec, page, &mut findings);
        let url = known.map(|k| k.url.as_str());
        let revision = page.ms_date_text.clone().unwrap_or_else(|| "none".into());
        let source = Source {
            url,
            revision: &revision,
            fixtures,
            documented: &documented,
        };
        for example in &page.examples {
            check_request_line(spec, page, example, &mut findings);
            let strings = check_example(example, &source, &mut findings);
            for (pointer, value) in strings {
                values.entry(pointer).or_default().push((value, index));
            }
        }
        check_fixtures_matched(page, &source, &mut findings);
        let not_relied_on = check_resources(page, known, &schemas, &mut findings);
        reports.push(PageReport {
            // The title the spec records it under (a renamed page keeps its errata).
            title: known.map_or_else(|| page.title.clone(), |k| k.title.clone()),
            url: url.map(str::to_owned),
            ms_date: page.ms_date_text.clone(),
            revision: page.revision.clone(),
            source: page.source.clone(),
            findings: findings.0,
            not_relied_on,
            not_checked: unreadable(page),
        });
    }
    value_casing(&values, &mut reports);
    if with_reference {
        reports.extend(reference::check(spec));
    }
    let expired = apply_errata(errata, &mut reports);
    Report {
        pages: reports,
        expired,
        unfound: Vec::new(),
    }
}

/// The report of a translated copy: not checked, never drift.
fn translated(page: &Page, known: Option<&Recorded>, locale: &str) -> PageReport {
    PageReport {
        title: known.map_or_else(|| page.title.clone(), |k| k.title.clone()),
        url: known.map(|k| k.url.clone()),
        ms_date: page.ms_date_text.clone(),
        revision: page.revision.clone(),
        source: page.source.clone(),
        findings: Vec::new(),
        not_relied_on: Vec::new(),
        not_checked: Some(format!(
            "a translated copy ({locale}): not checked; the English page is"
        )),
    }
}

/// Each resource table of the page held to its schema; the names of the tables the spec
/// does not rely on. A page the spec relies on for some tables only (the shared utility
/// resources) holds those to the schemas named; the others are listed, not checked.
fn check_resources(
    page: &Page,
    known: Option<&Recorded>,
    schemas: &serde_json::Map<String, Value>,
    findings: &mut Findings,
) -> Vec<String> {
    let mut not_relied_on = Vec::new();
    for resource in &page.resources {
        match known.and_then(|k| k.resources.as_ref()) {
            None => check_resource(resource, &resource.name, schemas, findings),
            Some(tables) => match tables.get(&resource.name) {
                Some(schema) => check_resource(resource, schema, schemas, findings),
                None => not_relied_on.push(resource.name.clone()),
            },
        }
    }
    not_relied_on
}

/// A page's findings, each once (a page may say the same thing twice: its introduction and
/// its section).
#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn add(&mut self, kind: &'static str, subject: String, detail: String) {
        let finding = Finding {
            kind,
            subject,
            detail,
            explained_by: None,
        };
        if !self.0.contains(&finding) {
            self.0.push(finding);
        }
    }
}

/// `unbalanced-fence`, `nothing-read`, `no-example`, `unknown-method`: a page that cannot
/// be read whole, one that yields nothing, an operation page without an example, and a
/// syntax row whose method is not HTTP's, are findings, never silence.
fn check_readable(page: &Page, findings: &mut Findings) {
    if page.unbalanced_fences {
        findings.add(
            "unbalanced-fence",
            "```".into(),
            "the page's code fences do not pair up: what follows the stray one reads as code, \
             so the page is not checked and its errata are not taken as fixed"
                .into(),
        );
    }
    if page.read_nothing() {
        findings.add(
            "nothing-read",
            "page".into(),
            "no syntax, example, table or list the check reads was found (an empty file, or \
             not a page in the form of the Partner Center pages), so the page is not checked \
             and its errata are not taken as fixed"
                .into(),
        );
    } else if !page.syntax.is_empty() && page.examples.is_empty() {
        findings.add(
            "no-example",
            "request example".into(),
            "the page gives a request syntax but no example block could be read (a heading \
             renamed, or the block not fenced)"
                .into(),
        );
    }
    for (word, path) in &page.unknown_methods {
        findings.add(
            "unknown-method",
            format!("{word} {path}"),
            format!("{word:?} is not an HTTP method, so no operation is bound to {path}"),
        );
    }
}

/// Why a page cannot be checked at all, if it cannot: its errata are then not taken as fixed.
fn unreadable(page: &Page) -> Option<String> {
    if page.unbalanced_fences {
        Some("its code fences do not pair up".to_owned())
    } else if page.read_nothing() {
        Some("nothing on it could be read".to_owned())
    } else {
        None
    }
}

/// `operation`, `request-resource`, `response-resource`: the page's request syntax against
/// the spec's operations, and what it says they take and return. The operations found.
fn check_operations<'s>(spec: &'s Value, page: &Page, findings: &mut Findings) -> Vec<&'s Value> {
    let mut documented = Vec::new();
    for (method, path) in &page.syntax {
        let found = operations(spec)
            .into_iter()
            .find(|(m, p, _)| m == method && p.eq_ignore_ascii_case(path));
        match found {
            Some((_, _, operation)) => documented.push(operation),
            None => findings.add(
                "operation",
                format!("{method} {path}"),
                "the spec has no such operation".into(),
            ),
        }
    }
    for operation in &documented {
        let id = operation["operationId"].as_str().unwrap_or_default();
        let body = reference(&operation["requestBody"]["content"]["application/json"]["schema"]);
        for named in &page.request_body {
            if body.as_deref() != Some(named.as_str()) {
                findings.add(
                    "request-resource",
                    id.to_owned(),
                    format!("the page says the body is {named}, the spec {body:?}"),
                );
            }
        }
        let success = operation["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(status, _)| status.starts_with('2'))
            .find_map(|(_, r)| reference(&r["content"]["application/json"]["schema"]));
        for named in &page.returns {
            if success.as_deref() != Some(named.as_str()) {
                findings.add(
                    "response-resource",
                    id.to_owned(),
                    format!(
                        "the page says it returns {named}, the spec {}",
                        success.as_deref().unwrap_or("no body")
                    ),
                );
            }
        }
    }
    documented
}

/// Marks the findings `erratum` explains; whether it explained any.
fn explain(erratum: &Erratum, reports: &mut [PageReport]) -> bool {
    let mut used = false;
    for report in reports.iter_mut() {
        if !report.title.eq_ignore_ascii_case(&erratum.page) {
            continue;
        }
        for finding in &mut report.findings {
            if finding.kind == erratum.finding && finding.subject == erratum.subject {
                finding.explained_by = Some(erratum.decision.clone());
                used = true;
            }
        }
    }
    used
}

/// Errata: which findings they explain; those of checked pages that explain nothing.
fn apply_errata(errata: &[Erratum], reports: &mut [PageReport]) -> Vec<Erratum> {
    // A page that was not checked (translated, or not readable whole) expires no erratum.
    let checked: BTreeSet<String> = reports
        .iter()
        .filter(|r| r.not_checked.is_none())
        .map(|r| r.title.to_ascii_lowercase())
        .collect();
    let mut expired = Vec::new();
    for erratum in errata {
        let needs = std::iter::once(&erratum.page).chain(&erratum.with);
        let all_checked = needs
            .map(|page| page.to_ascii_lowercase())
            .all(|page| checked.contains(&page));
        if !all_checked {
            // Still explain what it explains, but it cannot be found fixed.
            explain(erratum, reports);
            continue;
        }
        if !explain(erratum, reports) {
            expired.push(erratum.clone());
        }
    }
    expired
}

/// Runs the check on files: the workspace's spec, errata and fixtures, and the pages given.
pub fn check_files(root: &Path, pages: &[impl AsRef<Path>]) -> Result<Report> {
    let spec = load_spec(&root.join(crate::codegen::SPEC))?;
    check_with(root, &spec, pages, false)
}

/// [`check_files`] with the spec already read, and the REST reference it records if
/// `reference`.
fn check_with(
    root: &Path,
    spec: &Value,
    pages: &[impl AsRef<Path>],
    reference: bool,
) -> Result<Report> {
    let errata = load_errata(&root.join(ERRATA))?;
    let fixtures = load_fixtures(&root.join(FIXTURES))?;
    let mut parsed = Vec::new();
    for path in pages {
        let path = path.as_ref();
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut page = page::parse(&name, &text);
        // A page saved under its URL slug, or a published revision in a folder named
        // after it.
        page.slugs = [path.file_stem(), path.parent().and_then(|p| p.file_name())]
            .into_iter()
            .flatten()
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        parsed.push(page);
    }
    Ok(check_sources(spec, &parsed, &fixtures, &errata, reference))
}

/// Runs the check on the revisions the spec records, found under `dirs` (the folders of
/// published pages), and on the REST reference it records: a recorded revision that is in
/// none of them fails the check.
pub fn check_recorded(root: &Path, dirs: &[impl AsRef<Path>]) -> Result<Report> {
    let spec = load_spec(&root.join(crate::codegen::SPEC))?;
    let (pages, unfound) = find_recorded(&spec, dirs).context("reading the folders of pages")?;
    let mut report = check_with(root, &spec, &pages, true)?;
    report.unfound = unfound;
    Ok(report)
}
