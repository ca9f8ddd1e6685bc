//! Microsoft's generated REST reference, the spec's fourth source, held against the spec. Its
//! pages are not kept beside the documentation's, so what it says is recorded in the spec
//! (`info.x-rest-reference`: per operation its title, URL, request line, path parameters
//! and success, and what it says of every operation alike), and reported as one more page.
//! Findings:
//! - `operation`: an operation of the reference the spec lacks (path parameters compared
//!   by position, `v{version}` as `v1`, the path ignoring case);
//! - `success`: its success status, or the schema of that answer, differs;
//! - `media-type`: a request media type it lists that the spec declares on no body;
//! - `header`: a request header it lists that the spec does not declare;
//! - `type`: a header, path parameter or body property it types otherwise than the spec;
//! - `required`: one it requires, or not, otherwise than the spec.

use serde_json::Value;

use super::report::PageReport;
use super::resources::reference as schema_name;
use super::{Findings, operations};

/// The reference's report, if the spec records the reference.
pub(super) fn check(spec: &Value) -> Option<PageReport> {
    let recorded = &spec["info"]["x-rest-reference"];
    let title = recorded["title"].as_str()?;
    let mut findings = Findings::default();
    let mut found = Vec::new();
    for operation in recorded["operations"].as_array().into_iter().flatten() {
        if let Some(ours) = check_operation(spec, operation, &mut findings) {
            check_path_parameters(spec, operation, ours, &mut findings);
            found.push(ours);
        }
    }
    check_media_types(recorded, &found, &mut findings);
    check_headers(spec, recorded, &found, &mut findings);
    check_body(spec, recorded, &mut findings);
    Some(PageReport {
        title: title.to_owned(),
        url: recorded["url"].as_str().map(str::to_owned),
        ms_date: None,
        revision: "recorded in the spec".to_owned(),
        source: "info.x-rest-reference".to_owned(),
        findings: findings.0,
        not_relied_on: Vec::new(),
        not_checked: None,
    })
}

/// A request path as compared: `v{version}` as `v1`, each parameter as `{}`, lower case.
fn shape(path: &str) -> String {
    let path = path.replace("v{version}", "v1");
    let mut out = String::new();
    let mut inside = false;
    for c in path.chars() {
        match c {
            '{' => {
                inside = true;
                out.push_str("{}");
            }
            '}' => inside = false,
            _ if inside => {}
            _ => out.push(c.to_ascii_lowercase()),
        }
    }
    out
}

/// `operation`, `success`: the spec's operation for the reference's, and its success.
fn check_operation<'s>(
    spec: &'s Value,
    operation: &Value,
    findings: &mut Findings,
) -> Option<&'s Value> {
    let line = operation["request"].as_str().unwrap_or_default();
    let (method, path) = line.split_once(' ').unwrap_or(("", line));
    let ours = operations(spec)
        .into_iter()
        .find(|(m, p, _)| m.eq_ignore_ascii_case(method) && shape(p) == shape(path))
        .map(|(_, _, operation)| operation);
    let Some(ours) = ours else {
        findings.add(
            "operation",
            line.to_owned(),
            format!(
                "the reference documents it ({}); the spec has no such operation",
                operation["title"].as_str().unwrap_or_default()
            ),
        );
        return None;
    };
    let id = ours["operationId"].as_str().unwrap_or_default().to_owned();
    let status = operation["success"]["status"].as_u64().unwrap_or_default();
    let schema = operation["success"]["schema"].as_str();
    let answer = &ours["responses"][status.to_string()];
    let declared = schema_name(&answer["content"]["application/json"]["schema"]);
    if answer.is_null() {
        findings.add(
            "success",
            id,
            format!("the reference answers {status}; the spec documents no {status}"),
        );
    } else if declared.as_deref() != schema {
        findings.add(
            "success",
            id,
            format!(
                "the reference types the {status} {}, the spec {}",
                schema.unwrap_or("with no body"),
                declared.as_deref().unwrap_or("with no body")
            ),
        );
    }
    Some(ours)
}

/// `type`, `required` of one value the reference describes (`{type, required}`) against the
/// spec's parameter or property `ours` (its schema, and whether it is required).
fn compare(subject: String, said: &Value, schema: &Value, required: bool, findings: &mut Findings) {
    let said_type = said["type"].as_str().unwrap_or("string");
    let our_type = schema["type"].as_str().unwrap_or_default();
    let format = schema["format"].as_str();
    if said_type != our_type || format.is_some() {
        let ours = format.map_or_else(|| our_type.to_owned(), |f| format!("{our_type} ({f})"));
        findings.add(
            "type",
            subject.clone(),
            format!("the reference types it a plain {said_type}; the spec {ours}"),
        );
    }
    let said_required = said["required"].as_bool().unwrap_or(false);
    if said_required != required {
        let word = |r: bool| if r { "required" } else { "optional" };
        findings.add(
            "required",
            subject,
            format!(
                "the reference has it {}; the spec {}",
                word(said_required),
                word(required)
            ),
        );
    }
}

/// The spec's parameters of an operation, each resolved.
fn parameters<'s>(spec: &'s Value, operation: &'s Value) -> Vec<&'s Value> {
    let resolve = |parameter: &'s Value| -> &'s Value {
        match parameter["$ref"].as_str() {
            Some(pointer) => spec
                .pointer(pointer.trim_start_matches('#'))
                .unwrap_or(parameter),
            None => parameter,
        }
    };
    operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(resolve)
        .collect()
}

/// `type`, `required` of the path parameters, matched by position.
fn check_path_parameters(spec: &Value, operation: &Value, ours: &Value, findings: &mut Findings) {
    let path = parameters(spec, ours);
    let mut ours = path.iter().filter(|p| p["in"] == "path");
    for (name, said) in operation["path-parameters"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let Some(parameter) = ours.next() else {
            continue;
        };
        let subject = format!(
            "path {{{name}}} ({})",
            parameter["name"].as_str().unwrap_or_default()
        );
        let required = parameter["required"] == true;
        compare(subject, said, &parameter["schema"], required, findings);
    }
}

/// `media-type`: each request media type the reference lists, declared on every body.
fn check_media_types(recorded: &Value, found: &[&Value], findings: &mut Findings) {
    for media in recorded["request-media-types"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let media = media.as_str().unwrap_or_default();
        let declared = found
            .iter()
            .filter(|operation| !operation["requestBody"]["content"][media].is_null())
            .count();
        if declared < found.len() {
            findings.add(
                "media-type",
                media.to_owned(),
                format!(
                    "the reference takes {media} bodies; the spec declares it on {declared} of \
                     its {} operations",
                    found.len()
                ),
            );
        }
    }
}

/// `header`, `type`, `required`: each request header the reference lists, declared by
/// every operation, typed and required alike.
fn check_headers(spec: &Value, recorded: &Value, found: &[&Value], findings: &mut Findings) {
    for (name, said) in recorded["request-headers"]
        .as_object()
        .into_iter()
        .flatten()
    {
        for operation in found {
            let ours = parameters(spec, operation).into_iter().find(|p| {
                p["in"] == "header"
                    && p["name"]
                        .as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
            });
            let id = operation["operationId"].as_str().unwrap_or_default();
            match ours {
                None => findings.add(
                    "header",
                    name.clone(),
                    format!("the reference lists it on every operation; the spec not on {id}"),
                ),
                Some(parameter) => {
                    let subject = parameter["name"].as_str().unwrap_or(name).to_owned();
                    let required = parameter["required"] == true;
                    compare(subject, said, &parameter["schema"], required, findings);
                }
            }
        }
    }
}

/// `type`, `required`: each body property the reference lists, against the request schema.
fn check_body(spec: &Value, recorded: &Value, findings: &mut Findings) {
    let schema = &spec["components"]["schemas"]["ProductUpgradeRequest"];
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for (name, said) in recorded["request-body"].as_object().into_iter().flatten() {
        let subject = format!("ProductUpgradeRequest.{name}");
        let property = &schema["properties"][name];
        if property.is_null() {
            findings.add(
                "type",
                subject,
                "the spec's request has no such property".into(),
            );
            continue;
        }
        let is_required = required.contains(&name.as_str());
        compare(subject, said, property, is_required, findings);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_compare_by_shape() {
        assert_eq!(
            shape("/v{version}/productUpgrades/{upgradeId}/status"),
            shape("/v1/productUpgrades/{upgrade-id}/status")
        );
        assert_ne!(
            shape("/v{version}/productUpgrades/{upgradeId}"),
            shape("/v1/productUpgrades/{upgrade-id}/status")
        );
    }
}
