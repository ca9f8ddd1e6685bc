//! The checks every documented message goes through, as functions returning a message that
//! names the fixture (and the spec example, property or header at fault) when they fail. The
//! tests call them on the real spec; meta-tests call them on a spec broken on purpose.

use chrono::{DateTime, FixedOffset};
use pc_upgrade_types::{
    PartnerCenterError, ProductUpgradeRequest, ProductUpgradesEligibility, ProductUpgradesStatus,
    ThrottlingError,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::fixtures::{Direction, Fixture};
use crate::spec::{Mode, Spec, violations};

/// The schema of the fixture's body, per the spec (`None` when the spec declares no body).
pub fn body_schema<'a>(spec: &'a Spec, fixture: &Fixture) -> Result<Option<&'a Value>, String> {
    let operation = fixture.operation();
    match fixture.direction() {
        Direction::Request => Ok(spec.request_schema(operation)),
        Direction::Response => {
            let status = fixture.status().ok_or_else(|| {
                format!("{}: no status in {:?}", fixture.name, fixture.start_line)
            })?;
            spec.response(operation, status).ok_or_else(|| {
                format!(
                    "{}: the spec declares no {status} answer for {operation}",
                    fixture.name
                )
            })?;
            Ok(spec.response_schema(operation, status))
        }
    }
}

/// Whether the spec marks the fixture's answer `x-body-optional`.
fn body_optional(spec: &Spec, fixture: &Fixture) -> bool {
    fixture
        .status()
        .and_then(|status| spec.response(fixture.operation(), status))
        .is_some_and(|response| response["x-body-optional"] == true)
}

/// Everything the spec says about one fixture: its method and path or status, its headers,
/// its body against the schema (lenient, and strict unless it keeps the PascalCase defect),
/// and its equality with the spec example it names.
pub fn check_fixture(spec: &Spec, fixture: &Fixture) -> Result<(), String> {
    let name = &fixture.name;
    let operation = fixture.operation();
    let (template, _) = spec.operation(operation);
    if let Some((method, path)) = fixture.method_and_path() {
        if method != "POST" {
            return Err(format!("{name}: {method} is not the method of {operation}"));
        }
        if !path_matches(template, path) {
            return Err(format!(
                "{name}: {path} does not match {template} ({operation})"
            ));
        }
    }
    check_headers(spec, fixture)?;

    let json = match fixture.json() {
        Ok(json) => json,
        Err(error) if fixture.defect() == Some("invalid-json") => {
            // Kept verbatim on purpose; its parse error is pinned by its own test.
            let _ = error;
            return Ok(());
        }
        Err(error) => return Err(format!("{name}: the body is not JSON: {error}")),
    };
    if fixture.defect() == Some("invalid-json") {
        return Err(format!(
            "{name}: marked `defect: invalid-json` but its body parses; is it still verbatim?"
        ));
    }
    let schema = body_schema(spec, fixture)?;
    match (schema, &json) {
        (None, None) => {}
        (None, Some(_)) => return Err(format!("{name}: has a body, the spec declares none")),
        // A body the spec marks `x-body-optional` may be absent (the create's `202`: the
        // pages show none; the REST reference types one).
        (Some(_), None) if body_optional(spec, fixture) => {}
        (Some(_), None) => return Err(format!("{name}: has no body, the spec declares one")),
        (Some(schema), Some(body)) => {
            let mut modes = vec![Mode::Lenient];
            if fixture.defect() != Some("pascal-case") {
                modes.push(Mode::Strict);
            }
            for mode in modes {
                let found = violations(&spec.validator(schema, mode), body);
                if !found.is_empty() {
                    return Err(format!(
                        "{name}: the documented body does not validate against the spec ({mode:?}):\n  {}",
                        join(&found)
                    ));
                }
            }
        }
    }
    if let Some(pointer) = fixture.meta("spec-example") {
        let example = spec
            .pointer(pointer)
            .ok_or_else(|| format!("{name}: the spec has no example at {pointer}"))?;
        if Some(example) != json.as_ref() {
            return Err(format!(
                "{name}: the spec example {pointer} differs from the documented body\n  spec:     {example}\n  document: {}",
                json.as_ref().map(Value::to_string).unwrap_or_default()
            ));
        }
    }
    Ok(())
}

/// Response headers the spec declares: required ones are present, and every declared one
/// that is present validates against its schema (the `Location` pattern, for instance).
fn check_headers(spec: &Spec, fixture: &Fixture) -> Result<(), String> {
    let Some(status) = fixture.status() else {
        return Ok(());
    };
    let Some(response) = spec.response(fixture.operation(), status) else {
        return Ok(());
    };
    let Some(declared) = response.get("headers").and_then(Value::as_object) else {
        return Ok(());
    };
    // Fixtures whose source documents only the body carry no headers at all.
    if fixture.headers.is_empty() {
        return Ok(());
    }
    for (header, definition) in declared {
        let definition = spec.resolve(definition);
        match fixture.header(header) {
            None if definition["required"] == Value::Bool(true) => {
                return Err(format!(
                    "{}: the required header {header} is missing",
                    fixture.name
                ));
            }
            None => {}
            Some(value) => {
                let schema = &definition["schema"];
                let found = violations(
                    &spec.validator(schema, Mode::Strict),
                    &Value::String(value.to_owned()),
                );
                if !found.is_empty() {
                    return Err(format!(
                        "{}: header {header}: {value:?} does not validate: {}",
                        fixture.name,
                        join(&found)
                    ));
                }
            }
        }
    }
    Ok(())
}

/// True when `path` is an instance of the template `template` (segments compared ignoring
/// ASCII case, as the documents' mixed casing requires; `{param}` matches one segment).
pub fn path_matches(template: &str, path: &str) -> bool {
    let template: Vec<&str> = template.trim_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_matches('/').split('/').collect();
    template.len() == path.len()
        && template.iter().zip(&path).all(|(t, p)| {
            (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t.eq_ignore_ascii_case(p)
        })
}

/// The outcome of a typed round trip.
#[derive(Debug)]
pub struct RoundTrip {
    /// `{:#?}` of the typed value.
    pub debug: String,
    /// What the type serialises back to.
    pub written: Value,
}

/// Deserialises the fixture's body into its `pc-upgrade-types` type, serialises it back,
/// validates that against the schema again (strictly) and compares it with the original as
/// JSON, date-times compared as instants. `Ok(None)` for a message without a body.
pub fn round_trip(spec: &Spec, fixture: &Fixture) -> Result<Option<RoundTrip>, String> {
    let name = &fixture.name;
    let Some(original) = fixture.json().map_err(|e| format!("{name}: {e}"))? else {
        return Ok(None);
    };
    let trip = match (fixture.operation(), fixture.direction(), fixture.status()) {
        (_, Direction::Request, _) => typed::<ProductUpgradeRequest>(name, &original)?,
        ("check_eligibility", _, Some(200)) => {
            typed::<ProductUpgradesEligibility>(name, &original)?
        }
        ("get_product_upgrade_status", _, Some(200)) => {
            typed::<ProductUpgradesStatus>(name, &original)?
        }
        ("list_customers", _, Some(200)) => {
            typed::<pc_upgrade_types::CustomerCollection>(name, &original)?
        }
        ("get_customer_agreements", _, Some(200)) => {
            typed::<pc_upgrade_types::AgreementCollection>(name, &original)?
        }
        ("get_customer_subscriptions", _, Some(200)) => {
            typed::<pc_upgrade_types::SubscriptionCollection>(name, &original)?
        }
        (_, _, Some(429)) => typed::<ThrottlingError>(name, &original)?,
        (_, _, Some(status)) if status >= 400 => typed::<PartnerCenterError>(name, &original)?,
        other => return Err(format!("{name}: no type for {other:?}")),
    };
    let schema =
        body_schema(spec, fixture)?.ok_or_else(|| format!("{name}: the spec declares no body"))?;
    let found = violations(&spec.validator(schema, Mode::Strict), &trip.written);
    if !found.is_empty() {
        return Err(format!(
            "{name}: what the types write back does not validate: {}",
            join(&found)
        ));
    }
    if normalized(&trip.written) != normalized(&original) {
        return Err(format!(
            "{name}: the round trip changed the body\n  document: {original}\n  written:  {}",
            trip.written
        ));
    }
    Ok(Some(trip))
}

fn typed<T: DeserializeOwned + Serialize + std::fmt::Debug>(
    name: &str,
    body: &Value,
) -> Result<RoundTrip, String> {
    let value: T = serde_json::from_value(body.clone()).map_err(|e| {
        format!(
            "{name}: the body does not deserialize into {}: {e}",
            std::any::type_name::<T>()
        )
    })?;
    let written = serde_json::to_value(&value).map_err(|e| format!("{name}: {e}"))?;
    Ok(RoundTrip {
        debug: format!("{value:#?}"),
        written,
    })
}

/// `value` as the round trips compare it, with the two differences the types are allowed:
/// - every RFC 3339 date-time string becomes its instant (nanoseconds since the epoch), so
///   that the documents' `.8524555Z` and chrono's `.852455500Z` compare equal;
/// - an empty array property is dropped: every array of the spec is optional, and the types
///   read an absent one as empty and do not write an empty one (`"data": []`).
pub fn normalized(value: &Value) -> Value {
    match value {
        Value::String(text) => match DateTime::<FixedOffset>::parse_from_rfc3339(text) {
            Ok(instant) => Value::from(instant.timestamp_nanos_opt().unwrap_or_default()),
            Err(_) => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(normalized).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !matches!(v, Value::Array(items) if items.is_empty()))
                .map(|(k, v)| (k.clone(), normalized(v)))
                .collect(),
        ),
        _ => value.clone(),
    }
}

fn join(found: &[crate::spec::Violation]) -> String {
    found
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n  ")
}
