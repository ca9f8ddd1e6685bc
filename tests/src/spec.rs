//! The spec as JSON, and JSON Schema validators built from its schemas.
//!
//! OpenAPI 3.0 schema objects are (a subset of) JSON Schema; the component schemas become the
//! `$defs` of a draft 2020-12 document (`pc_upgrade_mock::schema`, which the fake uses too),
//! so that what is validated is exactly what the spec says. Format checking is on (`uuid`,
//! `date-time`).

use std::path::Path;

use jsonschema::{Draft, Validator};
use serde_json::{Value, json};

/// The spec file, relative to the workspace root.
pub const SPEC: &str = "openapi/product-upgrades.yaml";

/// The spec, parsed.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The whole document.
    pub doc: Value,
}

/// Whether a property the schema does not declare is an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// As at run time: undeclared properties are allowed (forward compatibility).
    Lenient,
    /// For the tests: every object schema gets `additionalProperties: false`, so a documented
    /// example with a property the spec forgot fails.
    Strict,
}

/// One validation error: where in the instance, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into the instance (`""` for the root).
    pub path: String,
    /// The validator's message.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "at {path}: {}", self.message)
    }
}

impl Spec {
    /// Reads the workspace's spec.
    pub fn load() -> Self {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(SPEC);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        Self::parse(&text)
    }

    /// Parses spec text.
    pub fn parse(text: &str) -> Self {
        let doc: Value = yaml_serde::from_str(text).expect("the spec is valid YAML");
        Self { doc }
    }

    /// The value at a JSON pointer.
    pub fn pointer(&self, pointer: &str) -> Option<&Value> {
        self.doc.pointer(pointer)
    }

    /// Mutable value at a JSON pointer (for tests that break the spec on purpose).
    pub fn pointer_mut(&mut self, pointer: &str) -> Option<&mut Value> {
        self.doc.pointer_mut(pointer)
    }

    /// The path template and operation object of an operationId.
    pub fn operation(&self, operation_id: &str) -> (&str, &Value) {
        let paths = self.doc["paths"].as_object().expect("the spec has paths");
        paths
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .into_iter()
                    .flatten()
                    .map(move |(_, op)| (path.as_str(), op))
            })
            .find(|(_, op)| op["operationId"] == operation_id)
            .unwrap_or_else(|| panic!("the spec has no operation {operation_id}"))
    }

    /// Follows a `$ref` within the document, if `value` is one.
    pub fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => self
                .pointer(reference.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("dangling $ref {reference}")),
            None => value,
        }
    }

    /// The JSON schema of an operation's request body.
    pub fn request_schema(&self, operation_id: &str) -> Option<&Value> {
        let (_, op) = self.operation(operation_id);
        self.resolve(&op["requestBody"])
            .pointer("/content/application~1json/schema")
    }

    /// The response object an operation declares for `status` (an exact code, else its
    /// `NXX` range), with any `$ref` followed.
    pub fn response(&self, operation_id: &str, status: u16) -> Option<&Value> {
        let (_, op) = self.operation(operation_id);
        let responses = &op["responses"];
        let response = responses
            .get(status.to_string())
            .or_else(|| responses.get(format!("{}XX", status / 100)))?;
        Some(self.resolve(response))
    }

    /// The JSON schema of an operation's response body for `status`.
    pub fn response_schema(&self, operation_id: &str, status: u16) -> Option<&Value> {
        self.response(operation_id, status)?
            .pointer("/content/application~1json/schema")
    }

    /// A validator for `schema` (a schema object of the spec, typically a `$ref` to a component).
    pub fn validator(&self, schema: &Value, mode: Mode) -> Validator {
        let mut defs = self.doc["components"]["schemas"].clone();
        if mode == Mode::Strict {
            for (_, def) in defs.as_object_mut().into_iter().flatten() {
                forbid_undeclared(def);
            }
        }
        // The same document the fake validates with, built in one place.
        let root = pc_upgrade_mock::schema::json_schema_document(&defs, schema);
        jsonschema::options()
            .with_draft(Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("the spec's schema does not compile: {e}"))
    }

    /// A validator for the component schema `name`.
    pub fn component_validator(&self, name: &str, mode: Mode) -> Validator {
        assert!(
            self.doc["components"]["schemas"].get(name).is_some(),
            "the spec has no component schema {name}"
        );
        self.validator(
            &json!({"$ref": format!("#/components/schemas/{name}")}),
            mode,
        )
    }
}

/// Adds `additionalProperties: false` to every object schema with declared properties, at any
/// depth.
fn forbid_undeclared(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (_, value) in map.iter_mut() {
                forbid_undeclared(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(forbid_undeclared),
        _ => {}
    }
}

/// Every violation of `instance` against `validator`, sorted.
pub fn violations(validator: &Validator, instance: &Value) -> Vec<Violation> {
    let mut found: Vec<Violation> = validator
        .iter_errors(instance)
        .map(|error| Violation {
            path: error.instance_path().as_str().to_owned(),
            message: error.to_string(),
        })
        .collect();
    found.sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
    found
}
