//! How the service binds a request body, as ASP.NET does: any of its JSON media types, a form
//! (`application/x-www-form-urlencoded`: what PowerShell's `Invoke-RestMethod -Body @{…}`
//! sends), and property names matched ignoring case (Microsoft's .NET SDK and PowerShell
//! module send `{"CustomerId": …}`). The fake folds a body's names to the spec's casing
//! before it checks the values, so its refusals name the rule whatever the casing.
//!
//! XML (`application/xml`, `text/xml`), which ASP.NET's DataContract formatter would read,
//! is refused with `415`: no client is known to send it, and the element names and
//! namespace of the service's models are not published, so a fake that guessed them would
//! accept what the service may refuse (the spec's errata say so).

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

/// How a body's media type is bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Binding {
    /// One of ASP.NET's JSON media types.
    Json,
    /// A form: `name=value` pairs, each value a string.
    Form,
    /// XML, which the fake refuses: see the module's comment.
    Xml,
}

/// How a body of this `Content-Type` is bound, if it is at all.
pub(crate) fn binding(content_type: &str) -> Option<Binding> {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    match essence.to_ascii_lowercase().as_str() {
        _ if is_json_media_type(content_type) => Some(Binding::Json),
        "application/x-www-form-urlencoded" => Some(Binding::Form),
        "application/xml" | "text/xml" => Some(Binding::Xml),
        _ => None,
    }
}

/// A form body as the JSON object ASP.NET's model binding makes of it: each name once (the
/// first value wins), each value a string. `None` when the body is not UTF-8.
pub(crate) fn form_object(body: &[u8]) -> Option<Value> {
    std::str::from_utf8(body).ok()?;
    let mut object = serde_json::Map::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        object
            .entry(name.into_owned())
            .or_insert_with(|| Value::String(value.into_owned()));
    }
    Some(Value::Object(object))
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
