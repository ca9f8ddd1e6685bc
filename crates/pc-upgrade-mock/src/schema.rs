//! OpenAPI 3.0 schema objects as JSON Schema documents: the one place where the spec's
//! schemas become what a JSON Schema validator reads, for the fake and for the conformance
//! suite alike.

use serde_json::{Value, json};

/// The JSON Schema (draft 2020-12) document of an OpenAPI schema object `schema` whose
/// `$ref`s point into the spec's component schemas `schemas`: the components become its
/// `$defs`, and the references are rewritten to point there. OpenAPI 3.0 schema objects are
/// JSON Schema as far as the product upgrades spec uses them.
pub fn json_schema_document(schemas: &Value, schema: &Value) -> Value {
    let mut root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": schemas,
    });
    if let (Some(root), Some(schema)) = (root.as_object_mut(), schema.as_object()) {
        for (key, value) in schema {
            root.insert(key.clone(), value.clone());
        }
    }
    rewrite_refs(&mut root);
    root
}

/// Points every `#/components/schemas/…` reference at `#/$defs/…`.
fn rewrite_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => {
                        if let Some(name) = reference.strip_prefix("#/components/schemas/") {
                            *reference = format!("#/$defs/{name}");
                        }
                    }
                    (_, value) => rewrite_refs(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_point_into_the_defs() {
        let schemas = json!({"A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}}, "B": {"type": "string"}});
        let document = json_schema_document(&schemas, &json!({"$ref": "#/components/schemas/A"}));
        assert_eq!(document["$ref"], "#/$defs/A");
        assert_eq!(
            document["$defs"]["A"]["properties"]["b"]["$ref"],
            "#/$defs/B"
        );
        assert_eq!(
            document["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
    }
}
