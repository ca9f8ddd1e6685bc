//! A page's resource tables against the spec's component schemas: properties, casing, types
//! and what the page says is always there.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Findings, blocks};

/// The component schema a schema object names (directly, or as the one `allOf`), if any.
pub(super) fn reference(schema: &Value) -> Option<String> {
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

fn page_type(row: &blocks::Row) -> String {
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

/// One row of a page's table against the spec's property it names: required and type.
fn check_row(
    row: &blocks::Row,
    (spec_name, property): (&String, &Value),
    schema: &Value,
    subject: String,
    findings: &mut Findings,
) {
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

/// `unknown-resource`, `broken-row`, `duplicate-row`, `missing-in-spec`, `casing`, `type`,
/// `missing-in-docs`, `required`: a resource table against the spec's schema of its name (or the one
/// `x-resources` maps it to).
pub(super) fn check_resource(
    resource: &blocks::Resource,
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
        check_row(row, (spec_name, property), schema, subject, findings);
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
