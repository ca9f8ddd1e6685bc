//! How the service binds a request body, as ASP.NET does: any of its JSON media types, and
//! property names matched ignoring case (Microsoft's .NET SDK and PowerShell module send
//! `{"CustomerId": …}`). The fake folds a body's names to the spec's casing before it checks
//! the values, so its refusals name the rule whatever the casing.

use std::collections::HashMap;

use serde_json::Value;

/// Whether a `Content-Type` is one of the JSON media types ASP.NET reads by default.
pub(crate) fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    let essence = essence.to_ascii_lowercase();
    essence == "application/json"
        || essence == "text/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Every property name of the spec's schemas, by its lowercase form (a name the schemas write
/// in two casings is left out: it cannot be folded).
pub(crate) fn property_names(schemas: &Value) -> HashMap<String, String> {
    fn collect(value: &Value, names: &mut HashMap<String, Option<String>>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::Object(properties)) = map.get("properties") {
                    for name in properties.keys() {
                        let entry = names
                            .entry(name.to_ascii_lowercase())
                            .or_insert_with(|| Some(name.clone()));
                        if entry.as_deref() != Some(name.as_str()) {
                            *entry = None;
                        }
                    }
                }
                map.values().for_each(|v| collect(v, names));
            }
            Value::Array(items) => items.iter().for_each(|v| collect(v, names)),
            _ => {}
        }
    }
    let mut names = HashMap::new();
    collect(schemas, &mut names);
    names
        .into_iter()
        .filter_map(|(folded, name)| Some((folded, name?)))
        .collect()
}

/// Renames, at any depth, each property whose name matches one of the spec's ignoring case
/// to the spec's casing (unless the object already has that name).
pub(crate) fn fold_names(value: &mut Value, names: &HashMap<String, String>) {
    match value {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                if let Some(name) = names.get(&key.to_ascii_lowercase())
                    && *name != key
                    && !map.contains_key(name)
                    && let Some(item) = map.remove(&key)
                {
                    map.insert(name.clone(), item);
                }
            }
            map.values_mut().for_each(|v| fold_names(v, names));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| fold_names(v, names)),
        _ => {}
    }
}
