//! What the fake was sent: [`RecordedRequest`] and its [`Verdict`], and the line the runnable
//! fake writes of each to its log, with `Authorization` redacted.

use bytes::Bytes;
use http::{HeaderMap, Method, header};
use serde_json::{Value, json};

use crate::operation::Operation;

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
#[derive(Clone, Debug)]
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

    /// The request as one JSON object, the `Authorization` value redacted: the line the
    /// runnable fake writes to its `--log`.
    pub fn to_json(&self) -> Value {
        let mut headers = serde_json::Map::new();
        for (name, value) in &self.headers {
            let value = if name == header::AUTHORIZATION {
                "[REDACTED]".to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            headers.insert(name.as_str().to_owned(), Value::String(value));
        }
        let body = match self.json() {
            Some(json) => json,
            None if self.body.is_empty() => Value::Null,
            None => Value::String(String::from_utf8_lossy(&self.body).into_owned()),
        };
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
