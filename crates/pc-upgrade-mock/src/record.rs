//! What the fake was sent and made of it: [`RecordedRequest`], its [`Verdict`] (a `Refusal`
//! when the spec does not allow it), and the line the runnable fake writes of each to its
//! log, with secrets redacted.

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};

use crate::operation::Operation;

/// Why a request was refused: the status the fake answers with, and a reason that names the
/// rule broken (and where).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) status: StatusCode,
    pub(crate) reason: String,
}

impl Refusal {
    pub(crate) fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
        }
    }
}

/// What the server made of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// The request is one the spec allows.
    Valid,
    /// The request was refused, with this status, for this reason.
    Refused {
        /// The status answered (`400`, `401`, `404`, `405`, `413`, `415`).
        status: u16,
        /// Which rule the request broke, and where.
        reason: String,
    },
}

/// A request the server received.
///
/// Its `Debug` and [`RecordedRequest::to_json`] redact secrets: the values of headers that
/// carry credentials (`Authorization`, `Cookie`, …) and of body fields that do
/// (`client_secret`, `refresh_token`, `code`, …, in a form or a JSON body). The fields
/// themselves keep what was sent, for tests that check it.
#[derive(Clone)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The operation it matched, if any.
    pub operation: Option<Operation>,
    /// The method.
    pub method: Method,
    /// The path, as sent.
    pub path: String,
    /// The headers.
    pub headers: HeaderMap,
    /// The body (empty when it could not be read whole).
    pub body: Bytes,
    /// Whether the spec allows the request.
    pub verdict: Verdict,
    /// The status of the answer.
    pub status: u16,
    /// The `MS-CV` the answer carried.
    pub ms_cv: String,
    /// When it was received, on Tokio's clock (a paused one in a test): for tests of when
    /// calls are made.
    pub received: tokio::time::Instant,
}

impl RecordedRequest {
    /// A header's value as text, if present and textual.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The request as one JSON object, secrets redacted: the line the runnable fake writes
    /// to its `--log`.
    pub fn to_json(&self) -> Value {
        let mut headers = serde_json::Map::new();
        for (name, value) in &self.headers {
            let value = if SECRET_HEADERS.contains(&name.as_str()) {
                REDACTED.to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            headers.insert(name.as_str().to_owned(), Value::String(value));
        }
        let body = redacted_body(&self.body);
        let verdict = match &self.verdict {
            Verdict::Valid => json!({"valid": true}),
            Verdict::Refused { status, reason } => {
                json!({"valid": false, "status": status, "reason": reason})
            }
        };
        json!({
            "operation": self.operation.map(Operation::operation_id),
            "method": self.method.as_str(),
            "path": self.path,
            "headers": headers,
            "body": body,
            "verdict": verdict,
            "status": self.status,
            "msCv": self.ms_cv,
        })
    }
}

impl std::fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let line = self.to_json();
        f.debug_struct("RecordedRequest")
            .field("operation", &self.operation)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &line["headers"])
            .field("body", &line["body"])
            .field("verdict", &self.verdict)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// What a secret is replaced with.
const REDACTED: &str = "[REDACTED]";

/// Headers whose values are credentials (names as `http` keeps them, lowercase).
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "ocp-apim-subscription-key",
];

/// Body fields whose values are credentials: those of OAuth 2.0 sign-in requests and
/// answers, compared ignoring case.
const SECRET_FIELDS: &[&str] = &[
    "client_secret",
    "client_assertion",
    "assertion",
    "refresh_token",
    "access_token",
    "id_token",
    "code",
    "code_verifier",
    "password",
];

fn is_secret_field(name: &str) -> bool {
    SECRET_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(name))
}

/// A body as the log shows it: JSON with secret fields redacted at any depth, a form with
/// secret fields redacted, or else the text.
fn redacted_body(body: &Bytes) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    if let Ok(mut json) = serde_json::from_slice::<Value>(body) {
        redact_json(&mut json);
        return json;
    }
    let text = String::from_utf8_lossy(body);
    let looks_like_a_form = !text.contains(char::is_whitespace) && text.contains('=');
    if !looks_like_a_form {
        return Value::String(text.into_owned());
    }
    let pairs: Vec<String> = text
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_field(&url_decoded(name)) => format!("{name}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect();
    Value::String(pairs.join("&"))
}

fn url_decoded(text: &str) -> String {
    url::form_urlencoded::parse(format!("{text}=").as_bytes())
        .next()
        .map(|(name, _)| name.into_owned())
        .unwrap_or_else(|| text.to_owned())
}

fn redact_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (name, value) in map.iter_mut() {
                if is_secret_field(name) {
                    *value = Value::String(REDACTED.to_owned());
                } else {
                    redact_json(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(headers: &[(&str, &str)], body: &str) -> RecordedRequest {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        RecordedRequest {
            operation: None,
            method: Method::POST,
            path: "/tenant/oauth2/v2.0/token".into(),
            headers: map,
            body: Bytes::from(body.to_owned()),
            verdict: Verdict::Valid,
            status: 404,
            ms_cv: String::new(),
            received: tokio::time::Instant::now(),
        }
    }

    #[test]
    fn no_secret_reaches_the_log_or_debug() {
        let secrets = ["s3cr3t", "r3fr3sh", "c0de", "b3ar3r", "c00kie"];
        let requests = [
            recorded(
                &[("authorization", "Bearer b3ar3r"), ("cookie", "a=c00kie")],
                "grant_type=refresh_token&client_id=app&client_secret=s3cr3t&refresh_token=r3fr3sh&scope=x",
            ),
            recorded(
                &[],
                "grant_type=authorization_code&code=c0de&client_secret=s3cr3t",
            ),
            recorded(&[], "grant_type=client_credentials&client%5Fsecret=s3cr3t"),
            recorded(
                &[],
                r#"{"access_token": "b3ar3r", "nested": {"Refresh_Token": "r3fr3sh"}}"#,
            ),
        ];
        for request in &requests {
            let shown = format!("{} {request:?}", request.to_json());
            for secret in secrets {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
            assert!(shown.contains(REDACTED), "{shown}");
        }
        // What is not secret stays readable.
        assert!(
            requests[0].to_json()["body"]
                .as_str()
                .unwrap()
                .contains("client_id=app")
        );
    }
}
