//! `cargo xtask docs-check`: the spec held to the Partner Center documentation pages it was
//! written from.
//!
//! Each page is read by its structure ([`page`]) and compared with the spec: resource tables
//! against component schemas (properties, casing, types), the request syntax against the
//! operations, the resources a page says an operation takes and returns, each example block
//! against its fixture or the spec's examples, and the page's `ms.date` against the revision
//! the spec records (`info.x-documentation-pages`). Every finding is either explained by an
//! erratum (`openapi/errata.yaml`: a documentation defect the spec decided on) or
//! unexplained; an erratum that explains nothing any more has expired, which fails the check
//! like an unexplained finding: fixed upstream, the decision must be revisited.

mod conventions;
pub mod page;
mod recorded;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use page::{Direction, Page};
pub use recorded::digest;
use recorded::{check_revision, recorded_pages};

/// The errata file, relative to the workspace root.
pub const ERRATA: &str = "openapi/errata.yaml";
/// The fixtures folder, relative to the workspace root.
pub const FIXTURES: &str = "tests/fixtures";

/// A documentation defect the spec decided on, and the finding it explains.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Erratum {
    /// The page's title.
    pub page: String,
    /// The kind of finding it explains.
    pub finding: String,
    /// What the finding is about (a property, a block, a JSON pointer).
    pub subject: String,
    /// What the spec decided, and why.
    pub decision: String,
    /// The other pages the finding needs (a value written in two casings across pages): the
    /// erratum expires only when all of them were checked too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub with: Vec<String>,
}

/// One difference between a page and the spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The kind, as the `check_*` function that adds it names it in its first line.
    pub kind: &'static str,
    /// What it is about.
    pub subject: String,
    /// What differs.
    pub detail: String,
    /// The erratum that explains it, if one does.
    pub explained_by: Option<String>,
}

/// What was found on one page.
#[derive(Clone, Debug, Serialize)]
pub struct PageReport {
    /// The page's title.
    pub title: String,
    /// Its public URL, when the spec records the page.
    pub url: Option<String>,
    /// Its `ms.date`, if it has one.
    pub ms_date: Option<String>,
    /// The digest of its bytes (`sha256:…`), as `x-revision` records it.
    pub revision: String,
    /// Where it was read from.
    pub source: String,
    /// The findings.
    pub findings: Vec<Finding>,
    /// Tables of resources the spec does not rely on this page for (`x-resources`): read,
    /// not checked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_relied_on: Vec<String>,
    /// Why the page was not checked, if it was not (a translated copy, fences that do not
    /// pair up): its errata are not taken as fixed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_checked: Option<String>,
}

/// The whole check.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Per page, in the order given.
    pub pages: Vec<PageReport>,
    /// Errata of the checked pages that explain no finding any more.
    pub expired: Vec<Erratum>,
}

impl Report {
    /// Findings no erratum explains.
    pub fn unexplained(&self) -> Vec<(&PageReport, &Finding)> {
        self.pages
            .iter()
            .flat_map(|p| p.findings.iter().map(move |f| (p, f)))
            .filter(|(_, f)| f.explained_by.is_none())
            .collect()
    }

    /// True when every finding is explained and no erratum has expired.
    pub fn passed(&self) -> bool {
        self.unexplained().is_empty() && self.expired.is_empty()
    }

    /// The readable report, grouped by page.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for page in &self.pages {
            out.push_str(&format!("{}\n", page.title));
            out.push_str(&format!(
                "  {}, ms.date {}, {} ({})\n",
                page.url
                    .as_deref()
                    .unwrap_or("a page the spec does not record"),
                page.ms_date.as_deref().unwrap_or("none"),
                page.revision,
                page.source
            ));
            if !page.not_relied_on.is_empty() {
                out.push_str(&format!(
                    "  not relied on: {}\n",
                    page.not_relied_on.join(", ")
                ));
            }
            if let Some(why) = &page.not_checked {
                out.push_str(&format!("  not checked: {why}\n"));
            } else if page.findings.is_empty() {
                out.push_str("  no findings\n");
            }
            for finding in &page.findings {
                match &finding.explained_by {
                    Some(decision) => out.push_str(&format!(
                        "  explained    {} {}: {}\n               erratum: {}\n",
                        finding.kind,
                        finding.subject,
                        finding.detail,
                        first_line(decision)
                    )),
                    None => out.push_str(&format!(
                        "  UNEXPLAINED  {} {}: {}\n",
                        finding.kind, finding.subject, finding.detail
                    )),
                }
            }
        }
        for erratum in &self.expired {
            out.push_str(&format!(
                "\nexpired erratum ({}; {} {}): fixed upstream? remove this erratum and revisit \
                 the decision: {}\n",
                erratum.page,
                erratum.finding,
                erratum.subject,
                first_line(&erratum.decision)
            ));
        }
        let findings: usize = self.pages.iter().map(|p| p.findings.len()).sum();
        let unexplained = self.unexplained().len();
        out.push_str(&format!(
            "\n{} pages, {findings} findings: {} explained by errata, {unexplained} unexplained; \
             {} expired errata\n",
            self.pages.len(),
            findings - unexplained,
            self.expired.len()
        ));
        out
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default().trim()
}

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

/// The component schema a schema object names (directly, or as the one `allOf`), if any.
fn reference(schema: &Value) -> Option<String> {
    let direct = schema.get("$ref").and_then(Value::as_str);
    let wrapped = schema["allOf"]
        .as_array()
        .filter(|all| all.len() == 1)
        .and_then(|all| all[0].get("$ref"))
        .and_then(Value::as_str);
    direct
        .or(wrapped)
        .and_then(|r| r.rsplit('/').next())
        .map(str::to_owned)
}

/// A property's type, as a page or the spec says it: `string`, `GUID`, `date-time`, `bool`,
/// `integer`, `X` (a resource), `array of X`.
fn spec_type(schema: &Value) -> String {
    if let Some(name) = reference(schema) {
        return name;
    }
    match (schema["type"].as_str(), schema["format"].as_str()) {
        (Some("string"), Some("uuid")) => "GUID".into(),
        (Some("string"), Some("date-time")) => "date-time".into(),
        (Some("boolean"), _) => "bool".into(),
        (Some("array"), _) => format!("array of {}", spec_type(&schema["items"])),
        (Some(kind), _) => kind.into(),
        (None, _) => "any".into(),
    }
}

fn page_type(row: &page::Row) -> String {
    let kind = row.kind.to_ascii_lowercase();
    let described_guid = row.description.contains("GUID");
    match (&row.link, kind.as_str()) {
        (Some(link), k) if k.starts_with("array of") => format!("array of {link}"),
        (Some(link), _) => link.clone(),
        (None, "bool" | "boolean") => "bool".into(),
        (None, "int" | "integer" | "number") => "integer".into(),
        (None, k) if k.contains("date-time") => "date-time".into(),
        // An array the page does not say the items of.
        (None, "array") => "array of any".into(),
        (None, "string" | "guid") if described_guid => "GUID".into(),
        (None, k) => k.to_owned(),
    }
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

fn compare_json(left: &Value, right: &Value, at: &str) -> Option<String> {
    match (left, right) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            keys.into_iter()
                .find_map(|key| match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => compare_json(x, y, &format!("{at}/{key}")),
                    (Some(_), None) => Some(format!("{at}/{key} is only on the page")),
                    (None, _) => Some(format!("{at}/{key} is missing from the page")),
                })
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (x, y))| compare_json(x, y, &format!("{at}/{i}"))),
        _ if left == right => None,
        _ => Some(format!(
            "{} is {left} on the page, {right} in the project",
            if at.is_empty() { "/" } else { at }
        )),
    }
}

/// How many top-level members two JSON objects have in common, value for value.
fn shared_values(left: &Value, right: &Value) -> usize {
    match (left.as_object(), right.as_object()) {
        (Some(a), Some(b)) => a.iter().filter(|(k, v)| b.get(*k) == Some(v)).count(),
        _ => 0,
    }
}

/// Every string value of a JSON body, by pointer.
fn strings(value: &Value, at: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(text) => out.push((at, text.clone())),
        Value::Object(map) => {
            for (key, child) in map {
                strings(child, format!("{at}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for child in items {
                // Items of an array share a pointer: their place is not what is compared.
                strings(child, format!("{at}/*"), out);
            }
        }
        _ => {}
    }
}

/// Checks pages against the spec, the fixtures and the errata.
pub fn check(spec: &Value, pages: &[Page], fixtures: &[Fixture], errata: &[Erratum]) -> Report {
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
            reports.push(PageReport {
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
            });
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
        let mut not_relied_on = Vec::new();
        for resource in &page.resources {
            // A page the spec relies on for some tables only (the shared utility resources)
            // holds those to the schemas named; the others are listed, not checked.
            match known.and_then(|k| k.resources.as_ref()) {
                None => check_resource(resource, &resource.name, &schemas, &mut findings),
                Some(tables) => match tables.get(&resource.name) {
                    Some(schema) => check_resource(resource, schema, &schemas, &mut findings),
                    None => not_relied_on.push(resource.name.clone()),
                },
            }
        }
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
    let expired = apply_errata(errata, &mut reports);
    Report {
        pages: reports,
        expired,
    }
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

/// Whether `path` is an instance of `template`: the same segments ignoring case, a
/// `{parameter}` segment standing for any one.
fn path_matches(template: &str, path: &str) -> bool {
    let (template, path): (Vec<&str>, Vec<&str>) = (
        template.trim_matches('/').split('/').collect(),
        path.trim_matches('/').split('/').collect(),
    );
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}')) || t.eq_ignore_ascii_case(p))
}

/// `request-line`: a request example's method and path, held to the page's syntax and to
/// the spec's operations (one page's example posted to another operation's path for months).
fn check_request_line(spec: &Value, page: &Page, example: &page::Example, findings: &mut Findings) {
    if example.direction != Direction::Request {
        return;
    }
    let mut words = example.start_line.split_whitespace();
    let (Some(method), Some(target)) = (words.next(), words.next()) else {
        return;
    };
    // `https://host/v1/…?query` → `/v1/…`.
    let without_scheme = target.split_once("://").map_or(target, |(_, rest)| rest);
    let path = match without_scheme.find('/') {
        Some(at) if target.contains("://") => &without_scheme[at..],
        _ => without_scheme,
    };
    let path = path.split('?').next().unwrap_or(path);
    let fits = |(m, template): (&str, &str)| {
        m.eq_ignore_ascii_case(method) && path_matches(template, path)
    };
    let in_syntax = page.syntax.iter().any(|(m, t)| fits((m, t)));
    let in_spec = operations(spec).iter().any(|(m, t, _)| fits((m, t)));
    if (!page.syntax.is_empty() && !in_syntax) || !in_spec {
        let syntax: Vec<String> = page
            .syntax
            .iter()
            .map(|(m, p)| format!("{m} {p}"))
            .collect();
        findings.add(
            "request-line",
            "request example".into(),
            format!(
                "the example sends {method} {path}; the page's syntax is {}{}",
                if syntax.is_empty() {
                    "none".to_owned()
                } else {
                    syntax.join(", ")
                },
                if in_spec {
                    ""
                } else {
                    ", and the spec has no such operation"
                }
            ),
        );
    }
}

/// Where a page's examples are held to: its fixtures and the spec's operations.
struct Source<'a> {
    url: Option<&'a str>,
    revision: &'a str,
    fixtures: &'a [Fixture],
    documented: &'a [&'a Value],
}

impl Source<'_> {
    /// Whether the fixture was taken from this revision of this page.
    fn keeps(&self, fixture: &Fixture) -> bool {
        self.url.is_some()
            && fixture.page.as_deref() == self.url
            && fixture.ms_date.as_deref() == Some(self.revision)
    }
}

/// `invalid-json`, `example-differs`, `example-not-in-spec`: an example block against its
/// fixture, or else the spec's examples. The example's string values, for `value-casing`.
fn check_example(
    example: &page::Example,
    source: &Source<'_>,
    findings: &mut Findings,
) -> Vec<(String, String)> {
    let Some(body) = &example.body else {
        return Vec::new();
    };
    let block = example.direction.block();
    let fixture = source
        .fixtures
        .iter()
        .find(|f| source.keeps(f) && f.block.as_deref() == Some(block));
    let parsed: Result<Value, _> = serde_json::from_str(body);
    match (&parsed, fixture) {
        (Err(error), fixture) => {
            findings.add(
                "invalid-json",
                block.into(),
                format!("the body is not JSON: {error}"),
            );
            let squeeze = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
            if let Some(fixture) = fixture
                && fixture.body.as_deref().map(squeeze) != Some(squeeze(body))
            {
                findings.add(
                    "example-differs",
                    block.into(),
                    format!("the body is not what fixture {} keeps", fixture.name),
                );
            }
        }
        (Ok(json), Some(fixture)) => {
            let kept = fixture
                .body
                .as_deref()
                .and_then(|b| serde_json::from_str::<Value>(b).ok());
            let difference = match &kept {
                Some(kept) => compare_json(json, kept, ""),
                None => Some("the fixture has no JSON body".into()),
            };
            if let Some(difference) = difference {
                findings.add(
                    "example-differs",
                    block.into(),
                    format!("{difference} (fixture {})", fixture.name),
                );
            }
        }
        (Ok(json), None) => {
            let mut examples = Vec::new();
            for operation in source.documented {
                collect_examples(operation, example.direction, &mut examples);
            }
            if !examples.contains(&json) {
                // Where it first parts from the spec's nearest example: the one it shares
                // the most top-level values with.
                let nearest = examples.iter().max_by_key(|e| shared_values(json, e));
                let difference = nearest
                    .and_then(|e| compare_json(json, e, ""))
                    .map(|d| format!("; against the spec's nearest example, {d}"))
                    .unwrap_or_else(|| "; the spec has no example for it".to_owned());
                findings.add(
                    "example-not-in-spec",
                    block.into(),
                    format!(
                        "no fixture keeps this block, and the spec has no equal example{difference}"
                    ),
                );
            }
        }
    }
    let mut found = Vec::new();
    if let Ok(json) = parsed {
        strings(&json, String::new(), &mut found);
    }
    found
}

/// `fixture-unmatched`: every verbatim fixture of this page and revision is tied to a block
/// of the page.
fn check_fixtures_matched(page: &Page, source: &Source<'_>, findings: &mut Findings) {
    for fixture in source.fixtures.iter().filter(|f| source.keeps(f)) {
        let Some(block) = fixture.block.as_deref() else {
            continue;
        };
        if !page.examples.iter().any(|e| e.direction.block() == block) {
            findings.add(
                "fixture-unmatched",
                fixture.name.clone(),
                format!("the fixture keeps a {block} this revision of the page does not have"),
            );
        }
    }
}

/// `unknown-resource`, `broken-row`, `duplicate-row`, `missing-in-spec`, `casing`, `type`,
/// `missing-in-docs`, `required`: a resource table against the spec's schema of its name (or the one
/// `x-resources` maps it to).
fn check_resource(
    resource: &page::Resource,
    schema_name: &str,
    schemas: &serde_json::Map<String, Value>,
    findings: &mut Findings,
) {
    let Some((name, schema)) = schemas
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(schema_name))
    else {
        findings.add(
            "unknown-resource",
            resource.name.clone(),
            "a table of properties for a resource the spec does not have".into(),
        );
        return;
    };
    let properties = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut seen = BTreeSet::new();
    for row in &resource.rows {
        let subject = format!("{name}.{}", row.property);
        if row.run_together {
            findings.add(
                "broken-row",
                subject.clone(),
                "this row runs on from the one before, on the same table line".into(),
            );
        }
        if !seen.insert(row.property.to_ascii_lowercase()) {
            findings.add(
                "duplicate-row",
                subject,
                "the property is listed twice".into(),
            );
            continue;
        }
        let Some((spec_name, property)) = properties
            .iter()
            .find(|(p, _)| p.eq_ignore_ascii_case(&row.property))
        else {
            findings.add(
                "missing-in-spec",
                subject,
                "the page lists it, the spec does not".into(),
            );
            continue;
        };
        if *spec_name != row.property {
            findings.add(
                "casing",
                subject.clone(),
                format!("the page writes {}, the spec {spec_name}", row.property),
            );
        }
        let required = schema["required"]
            .as_array()
            .is_some_and(|r| r.iter().any(|p| p == spec_name.as_str()));
        if row.always_returned() && !required {
            findings.add(
                "required",
                subject.clone(),
                "the page says it is always returned, the spec does not require it".into(),
            );
        }
        let (documented, specified) = (page_type(row), spec_type(property));
        if documented != specified {
            findings.add(
                "type",
                subject,
                format!("the page says {documented}, the spec {specified}"),
            );
        }
    }
    for property in properties.keys() {
        if !seen.contains(&property.to_ascii_lowercase()) {
            findings.add(
                "missing-in-docs",
                format!("{name}.{property}"),
                "the spec has it, the page does not list it".into(),
            );
        }
    }
}

/// `value-casing`: the same value written in different cases on the pages.
fn value_casing(values: &BTreeMap<String, Vec<(String, usize)>>, reports: &mut [PageReport]) {
    for (pointer, seen) in values {
        let variants: BTreeSet<&String> = seen.iter().map(|(v, _)| v).collect();
        let folded: BTreeSet<String> = variants.iter().map(|v| v.to_ascii_lowercase()).collect();
        if variants.len() > 1 && folded.len() == 1 {
            let pages: BTreeSet<usize> = seen.iter().map(|(_, i)| *i).collect();
            let written = variants
                .iter()
                .map(|v| format!("{v:?}"))
                .collect::<Vec<_>>();
            for index in pages {
                reports[index].findings.push(Finding {
                    kind: "value-casing",
                    subject: pointer.clone(),
                    detail: format!("written {} across the pages", written.join(" and ")),
                    explained_by: None,
                });
            }
        }
    }
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

/// The example values an operation embeds for requests or for its 2xx responses.
fn collect_examples<'a>(operation: &'a Value, direction: Direction, out: &mut Vec<&'a Value>) {
    let media: Vec<&Value> = match direction {
        Direction::Request => vec![&operation["requestBody"]["content"]["application/json"]],
        Direction::Response => operation["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(status, _)| status.starts_with('2'))
            .map(|(_, r)| &r["content"]["application/json"])
            .collect(),
    };
    for media in media {
        for (_, example) in media["examples"].as_object().into_iter().flatten() {
            out.push(&example["value"]);
        }
    }
}

/// Runs the check on files: the workspace's spec, errata and fixtures, and the pages given.
pub fn check_files(root: &Path, pages: &[impl AsRef<Path>]) -> Result<Report> {
    let spec = load_spec(&root.join(crate::codegen::SPEC))?;
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
        // A published revision sits in a folder named after its URL slug.
        page.slug = path
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned());
        parsed.push(page);
    }
    Ok(check(&spec, &parsed, &fixtures, &errata))
}
