//! A page's example blocks against its fixtures and the spec's examples: the request line,
//! the body (as JSON, with the pointer of the first difference), the fixtures no block
//! matches, and a value written in two casings across the pages.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Direction, Finding, Findings, Fixture, Page, PageReport, blocks, operations};

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
pub(super) fn check_request_line(
    spec: &Value,
    page: &Page,
    example: &blocks::Example,
    findings: &mut Findings,
) {
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
pub(super) struct Source<'a> {
    pub(super) url: Option<&'a str>,
    pub(super) revision: &'a str,
    pub(super) fixtures: &'a [Fixture],
    pub(super) documented: &'a [&'a Value],
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
pub(super) fn check_example(
    example: &blocks::Example,
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
pub(super) fn check_fixtures_matched(page: &Page, source: &Source<'_>, findings: &mut Findings) {
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

/// `value-casing`: the same value written in different cases on the pages.
pub(super) fn value_casing(
    values: &BTreeMap<String, Vec<(String, usize)>>,
    reports: &mut [PageReport],
) {
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
