//! What an attempt of a generated operation came to, as the crate's [`Error`]: error bodies
//! read (capped) and decoded once, with the schema the spec declares for the status, and
//! the `Retry-After` the answer asked for. [`Record`] is what is known of a call so far, which
//! every error and every success reports.

use std::time::Duration;

use bytes::Bytes;
use pc_upgrade_types::PartnerCenterError;
use progenitor_client::ByteStream;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use uuid::Uuid;

use crate::body::{TooLarge, read};
use crate::context::names;
use crate::error::{BodyExcerpt, CallInfo, Error, find_source};
use crate::generated::{self, ErrorBody};
use crate::retry;
use crate::text::{self, MAX_DESCRIPTION, MAX_SHORT};

/// The error type of the generated operations (their error bodies come raw).
pub(crate) type GeneratedError = progenitor_client::Error<ByteStream>;

/// What is known of a call so far: its ids, its attempts and its last answer.
pub(crate) struct Record {
    pub(crate) operation: &'static str,
    pub(crate) request_id: Uuid,
    pub(crate) correlation_id: Uuid,
    pub(crate) attempts: u32,
    pub(crate) status: Option<StatusCode>,
    pub(crate) ms_cv: Option<String>,
}

impl Record {
    pub(crate) fn new(operation: &'static str, request_id: Uuid, correlation_id: Uuid) -> Self {
        Self {
            operation,
            request_id,
            correlation_id,
            attempts: 0,
            status: None,
            ms_cv: None,
        }
    }

    /// An answer came, with this status and these headers.
    pub(crate) fn saw(&mut self, status: StatusCode, headers: &HeaderMap) {
        self.status = Some(status);
        self.ms_cv = headers
            .get(names::MS_CV)
            .map(|v| text::bounded(&String::from_utf8_lossy(v.as_bytes()), MAX_SHORT));
    }

    pub(crate) fn info(&self) -> Box<CallInfo> {
        Box::new(CallInfo {
            operation: self.operation,
            status: self.status,
            request_id: self.request_id,
            correlation_id: self.correlation_id,
            attempts: self.attempts,
            ms_cv: self.ms_cv.clone(),
        })
    }
}

/// The crate's [`Error`] for what an attempt returned, with the wait the answer asked for.
pub(crate) async fn error(
    record: &mut Record,
    error: GeneratedError,
    limits: (usize, Duration),
) -> (Error, Option<Duration>) {
    use progenitor_client::Error as E;
    let (status, headers, body) = match error {
        E::ErrorResponse(value) => {
            let (status, headers) = (value.status(), value.headers().clone());
            (status, headers, Some(value.into_inner()))
        }
        E::UnexpectedResponse(response) => {
            let (status, headers) = (response.status(), response.headers().clone());
            let body = ByteStream::new(Box::pin(response.bytes_stream()));
            (status, headers, Some(body))
        }
        E::InvalidResponsePayload(body, source) => {
            // Only documented success bodies are decoded by the generated code.
            record.status = generated::json_success_status(record.operation)
                .and_then(|s| StatusCode::from_u16(s).ok());
            let error = Error::InvalidJson {
                call: record.info(),
                reason: text::bounded(&source.to_string(), 256),
                body: BodyExcerpt::new(&body, Some("application/json".to_owned())),
            };
            return (error, None);
        }
        E::CommunicationError(source)
        | E::ResponseBodyError(source)
        | E::InvalidUpgrade(source) => {
            return (transport(record, source, limits), None);
        }
        E::InvalidRequest(reason) | E::Custom(reason) => {
            let call = record.info();
            return (Error::InvalidRequest { call, reason }, None);
        }
    };
    record.saw(status, &headers);
    let asked = retry::retry_after(&headers, std::time::SystemTime::now());
    let body = match body {
        Some(stream) => match read(stream).await {
            Ok(body) => body,
            Err(source) => return (transport(record, source, limits), asked),
        },
        None => Bytes::new(),
    };
    (answer_error(record, status, &headers, &body, asked), asked)
}

/// An error status and its body, decoded as the spec declares it for the status.
fn answer_error(
    record: &Record,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    asked: Option<Duration>,
) -> Error {
    let call = record.info();
    match generated::decode_error_body(record.operation, status.as_u16(), body) {
        Some(Ok(ErrorBody::PartnerCenterError(error))) => Error::Api {
            call,
            error: Box::new(bounded_error(error)),
        },
        Some(Ok(ErrorBody::ThrottlingError(body))) => Error::Throttled {
            call,
            retry_after: asked,
            message: Some(text::bounded(&body.message, MAX_DESCRIPTION)),
        },
        // A 429 is throttling whatever its body says; its message only comes from the body
        // the spec declares.
        _ if status == StatusCode::TOO_MANY_REQUESTS => Error::Throttled {
            call,
            retry_after: asked,
            message: None,
        },
        // A status the spec does not declare, or a body that is not the declared one.
        _ => {
            let content_type = headers
                .get(header::CONTENT_TYPE)
                .map(|v| text::bounded(&String::from_utf8_lossy(v.as_bytes()), MAX_SHORT));
            Error::UnexpectedStatus {
                call,
                body: BodyExcerpt::new(body, content_type),
            }
        }
    }
}

/// A failure of the HTTP exchange itself; `limits` are the body cap and the per-attempt
/// time limit, which the error names.
pub(crate) fn transport(
    record: &Record,
    source: reqwest::Error,
    (max_response_bytes, per_attempt): (usize, Duration),
) -> Error {
    if let Some(too_large) = find_source::<TooLarge>(&source) {
        let mut call = record.info();
        call.status = Some(too_large.status());
        return Error::BodyTooLarge {
            call,
            limit: max_response_bytes,
        };
    }
    if source.is_timeout() {
        return Error::Timeout {
            call: record.info(),
            after: per_attempt,
        };
    }
    Error::Transport {
        call: record.info(),
        source,
    }
}

/// A Partner Center error body with its server text bounded, as an [`Error`] keeps it.
fn bounded_error(mut error: PartnerCenterError) -> PartnerCenterError {
    const MAX_DATA: usize = 4096;
    error.description = text::bounded(&error.description, MAX_DESCRIPTION);
    error.source = error.source.map(|s| text::bounded(&s, MAX_SHORT));
    if let pc_upgrade_types::ErrorCode::Text(code) = &mut error.code {
        *code = text::bounded(code, MAX_SHORT);
    }
    let mut kept = 0;
    error.data.retain(|value| {
        kept += value.to_string().len();
        kept <= MAX_DATA
    });
    error
}
