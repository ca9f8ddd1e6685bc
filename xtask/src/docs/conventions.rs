//! The pages every Partner Center operation follows, held to the spec: the headers page (the
//! request headers the operations declare, required or not, new for every call or not) and
//! the error-codes page (the error statuses every operation declares).

use serde_json::Value;

use super::{Findings, Page, operations};

/// Request headers the spec declares by its structure rather than as parameters:
/// `Authorization` is the bearer security scheme, `Accept` the operations' media types.
const STRUCTURAL: &[&str] = &["authorization", "accept"];

/// The spec's header parameter of that name, if it declares one.
fn parameter<'s>(spec: &'s Value, name: &str) -> Option<&'s Value> {
    spec["components"]["parameters"]
        .as_object()?
        .values()
        .find(|p| {
            p["in"] == "header"
                && p["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
}

/// `missing-in-spec`, `header-required`, `header-lifetime`: the headers page's tables.
pub(super) fn check_headers(spec: &Value, page: &Page, findings: &mut Findings) {
    for header in &page.headers {
        let name = &header.name;
        if STRUCTURAL.contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        if !header.request {
            let declared = spec["components"]["headers"]
                .as_object()
                .is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case(name)));
            if !declared {
                findings.add(
                    "missing-in-spec",
                    format!("response header {name}"),
                    "the page lists it, the spec declares no such response header".into(),
                );
            }
            continue;
        }
        let Some(declared) = parameter(spec, name) else {
            findings.add(
                "missing-in-spec",
                format!("request header {name}"),
                "the page lists it, no operation of the spec takes it".into(),
            );
            continue;
        };
        let required = declared["required"].as_bool().unwrap_or(false);
        if header.required() != required {
            findings.add(
                "header-required",
                name.clone(),
                format!(
                    "the page calls it {}, the spec {}",
                    if header.required() {
                        "required"
                    } else {
                        "optional"
                    },
                    if required { "required" } else { "optional" }
                ),
            );
        }
        let per_call = declared["x-per-call"].as_bool();
        if header.per_call() && per_call != Some(true) {
            findings.add(
                "header-lifetime",
                name.clone(),
                match per_call {
                    Some(_) => {
                        "the page says a new value for every call, the spec keeps one \
                                value across calls (x-per-call: false)"
                    }
                    None => {
                        "the page says a new value for every call, the spec does not say \
                             (x-per-call)"
                    }
                }
                .into(),
            );
        }
    }
}

/// Whether an operation's responses cover `status`: itself, its range (`4XX`) or `default`.
fn covers(operation: &Value, status: u16) -> bool {
    let Some(responses) = operation["responses"].as_object() else {
        return false;
    };
    let range = format!("{}XX", status / 100);
    responses.keys().any(|key| {
        key == &status.to_string() || key.eq_ignore_ascii_case(&range) || key == "default"
    })
}

/// `status`: an error status the error-codes page lists that an operation does not declare.
pub(super) fn check_statuses(spec: &Value, page: &Page, findings: &mut Findings) {
    for (status, name) in page.statuses.iter().filter(|(s, _)| *s >= 400) {
        let missing: Vec<String> = operations(spec)
            .into_iter()
            .filter(|(_, _, operation)| !covers(operation, *status))
            .map(|(_, _, operation)| operation["operationId"].as_str().unwrap_or("?").to_owned())
            .collect();
        if !missing.is_empty() {
            findings.add(
                "status",
                status.to_string(),
                format!(
                    "the page lists {status} ({name}); {} declare{} neither it, nor {}XX, nor \
                     default",
                    missing.join(", "),
                    if missing.len() == 1 { "s" } else { "" },
                    status / 100
                ),
            );
        }
    }
}
