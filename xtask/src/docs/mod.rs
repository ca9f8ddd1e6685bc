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

pub mod page;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use page::{Direction, Page};

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
}

/// One difference between a page and the spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The kind: `missing-in-spec`, `missing-in-docs`, `casing`, `type`, `broken-row`,
    /// `duplicate-row`, `unknown-resource`, `operation`, `request-resource`,
    /// `response-resource`, `invalid-json`, `example-differs`, `example-not-in-spec`,
    /// `value-casing`, `revision`, `unknown-page`, `fixture-unmatched`.
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
    /// Where it was read from.
    pub source: String,
    /// The findings.
    pub findings: Vec<Finding>,
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
                "  {}, ms.date {} ({})\n",
                page.url
                    .as_deref()
                    .unwrap_or("a page the spec does not record"),
                page.ms_date.as_deref().unwrap_or("none"),
                page.source
            ));
            if page.findings.is_empty() {
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

/// A page the spec records it was checked against.
struct Recorded {
    title: String,
    url: String,
    ms_date: Option<(u32, u32, u32)>,
    ms_date_text: String,
}

fn recorded_pages(spec: &Value) -> Vec<Recorded> {
    spec["info"]["x-documentation-pages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| {
            let date = entry["ms.date"].as_str().unwrap_or_default();
            Recorded {
                title: entry["title"].as_str().unwrap_or_default().to_owned(),
                url: entry["url"].as_str().unwrap_or_default().to_owned(),
                ms_date: page::parse("", &format!("---\nms.date: {date}\n---\n")).ms_date,
                ms_date_text: date.to_owned(),
            }
        })
        .collect()
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
        let mut findings = Vec::new();
        let mut add = |kind: &'static str, subject: String, detail: String| {
            let finding = Finding {
                kind,
                subject,
                detail,
                explained_by: None,
            };
            // A page may say the same thing twice (its introduction and its section).
            if !findings.contains(&finding) {
                findings.push(finding);
            }
        };
        let known = recorded
            .iter()
            .find(|r| r.title.eq_ignore_ascii_case(page.title.trim()));
        match known {
            None => add(
                "unknown-page",
                page.title.clone(),
                "the spec records no page of this title (info.x-documentation-pages)".into(),
            ),
            Some(known) => {
                if let (Some(date), Some(checked)) = (page.ms_date, known.ms_date)
                    && date > checked
                {
                    add(
                        "revision",
                        "ms.date".into(),
                        format!(
                            "ms.date {} is newer than {}: changed since the spec was last \
                             checked against it",
                            page.ms_date_text.as_deref().unwrap_or_default(),
                            known.ms_date_text
                        ),
                    );
                }
            }
        }

        // Operations, and what the page says they take and return.
        let mut documented = Vec::new();
        for (method, path) in &page.syntax {
            let found = operations(spec)
                .into_iter()
                .find(|(m, p, _)| m == method && p.eq_ignore_ascii_case(path));
            match found {
                Some((_, _, operation)) => documented.push(operation),
                None => add(
                    "operation",
                    format!("{method} {path}"),
                    "the spec has no such operation".into(),
                ),
            }
        }
        for operation in &documented {
            let id = operation["operationId"].as_str().unwrap_or_default();
            let body =
                reference(&operation["requestBody"]["content"]["application/json"]["schema"]);
            for named in &page.request_body {
                if body.as_deref() != Some(named.as_str()) {
                    add(
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
                    add(
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

        // Examples.
        let url = known.map(|k| k.url.as_str());
        let revision = page.ms_date_text.clone().unwrap_or_else(|| "none".into());
        for example in &page.examples {
            let Some(body) = &example.body else {
                continue;
            };
            let block = example.direction.block();
            let fixture = fixtures.iter().find(|f| {
                f.page.as_deref() == url
                    && url.is_some()
                    && f.ms_date.as_deref() == Some(revision.as_str())
                    && f.block.as_deref() == Some(block)
            });
            let parsed: Result<Value, _> = serde_json::from_str(body);
            match (&parsed, fixture) {
                (Err(error), fixture) => {
                    add(
                        "invalid-json",
                        block.into(),
                        format!("the body is not JSON: {error}"),
                    );
                    let squeeze = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
                    if let Some(fixture) = fixture
                        && fixture.body.as_deref().map(squeeze) != Some(squeeze(body))
                    {
                        add(
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
                        add(
                            "example-differs",
                            block.into(),
                            format!("{difference} (fixture {})", fixture.name),
                        );
                    }
                }
                (Ok(json), None) => {
                    let in_spec = documented.iter().any(|operation| {
                        let mut examples = Vec::new();
                        collect_examples(operation, example.direction, &mut examples);
                        examples.contains(&json)
                    });
                    if !in_spec {
                        add(
                            "example-not-in-spec",
                            block.into(),
                            "no fixture keeps this block, and the spec has no equal example".into(),
                        );
                    }
                }
            }
            if let Ok(json) = parsed {
                let mut found = Vec::new();
                strings(&json, String::new(), &mut found);
                for (pointer, value) in found {
                    values.entry(pointer).or_default().push((value, index));
                }
            }
        }

        // Every verbatim fixture of this page and revision is tied to a block of the page.
        for fixture in fixtures.iter().filter(|f| {
            url.is_some()
                && f.page.as_deref() == url
                && f.ms_date.as_deref() == Some(revision.as_str())
        }) {
            let Some(block) = fixture.block.as_deref() else {
                continue;
            };
            if !page.examples.iter().any(|e| e.direction.block() == block) {
                add(
                    "fixture-unmatched",
                    fixture.name.clone(),
                    format!("the fixture keeps a {block} this revision of the page does not have"),
                );
            }
        }

        // Resource tables.
        for resource in &page.resources {
            let Some((name, schema)) = schemas
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(&resource.name))
            else {
                add(
                    "unknown-resource",
                    resource.name.clone(),
                    "a table of properties for a resource the spec does not have".into(),
                );
                continue;
            };
            let properties = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let mut seen = BTreeSet::new();
            for row in &resource.rows {
                let subject = format!("{name}.{}", row.property);
                if row.run_together {
                    add(
                        "broken-row",
                        subject.clone(),
                        "this row runs on from the one before, on the same table line".into(),
                    );
                }
                if !seen.insert(row.property.to_ascii_lowercase()) {
                    add(
                        "duplicate-row",
                        subject.clone(),
                        "the property is listed twice".into(),
                    );
                    continue;
                }
                let Some((spec_name, property)) = properties
                    .iter()
                    .find(|(p, _)| p.eq_ignore_ascii_case(&row.property))
                else {
                    add(
                        "missing-in-spec",
                        subject,
                        "the page lists it, the spec does not".into(),
                    );
                    continue;
                };
                if *spec_name != row.property {
                    add(
                        "casing",
                        subject.clone(),
                        format!("the page writes {}, the spec {spec_name}", row.property),
                    );
                }
                let (documented, specified) = (page_type(row), spec_type(property));
                if documented != specified {
                    add(
                        "type",
                        subject,
                        format!("the page says {documented}, the spec {specified}"),
                    );
                }
            }
            for property in properties.keys() {
                if !seen.contains(&property.to_ascii_lowercase()) {
                    add(
                        "missing-in-docs",
                        format!("{name}.{property}"),
                        "the spec has it, the page does not list it".into(),
                    );
                }
            }
        }
        reports.push(PageReport {
            title: page.title.clone(),
            url: url.map(str::to_owned),
            ms_date: page.ms_date_text.clone(),
            source: page.source.clone(),
            findings,
        });
    }

    // The same value written in different cases on the pages.
    for (pointer, seen) in &values {
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

    // Errata: which findings they explain, and which explain nothing.
    let checked: BTreeSet<String> = pages.iter().map(|p| p.title.to_ascii_lowercase()).collect();
    let mut expired = Vec::new();
    for erratum in errata {
        if !checked.contains(&erratum.page.to_ascii_lowercase()) {
            continue;
        }
        let mut used = false;
        for report in &mut reports {
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
        if !used {
            expired.push(erratum.clone());
        }
    }
    Report {
        pages: reports,
        expired,
    }
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
        parsed.push(page::parse(&name, &text));
    }
    Ok(check(&spec, &parsed, &fixtures, &errata))
}
