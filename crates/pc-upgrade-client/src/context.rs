//! What the calls of a client share ([`Shared`]), what one call adds ([`CallContext`], handed
//! to the generated operations as progenitor's `inner` value), and the names of the Partner
//! Center headers. A leaf: it depends on no other module of the client but the settings
//! types.

use std::fmt;
use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue};
use uuid::Uuid;

use crate::retry::{RetryPolicy, Timeouts};
use crate::throttle::RateLimit;
use crate::token::TokenSource;

/// The Partner Center request headers the client sets (the spec declares them on every
/// operation; a test holds this list to the spec).
pub(crate) mod names {
    use super::HeaderName;
    pub(crate) const MS_REQUEST_ID: HeaderName = HeaderName::from_static("ms-requestid");
    pub(crate) const MS_CORRELATION_ID: HeaderName = HeaderName::from_static("ms-correlationid");
    pub(crate) const X_LOCALE: HeaderName = HeaderName::from_static("x-locale");
    pub(crate) const MS_CONTRACT_VERSION: HeaderName =
        HeaderName::from_static("ms-contract-version");
    pub(crate) const MS_PARTNER_CENTER_APPLICATION: HeaderName =
        HeaderName::from_static("ms-partnercenter-application");
    /// The correlation vector: the service's in every answer, the caller's in a request when
    /// it set one.
    pub(crate) const MS_CV: HeaderName = HeaderName::from_static("ms-cv");
    /// The token of a collection's next page (`list_customers`).
    pub(crate) const MS_CONTINUATION_TOKEN: HeaderName =
        HeaderName::from_static("ms-continuationtoken");
    /// Added by progenitor to every request; Partner Center does not define it.
    pub(crate) const API_VERSION: HeaderName = HeaderName::from_static("api-version");
}

/// What every call of a client and its clones shares.
pub(crate) struct Shared {
    pub(crate) base_url: String,
    pub(crate) http: reqwest::Client,
    pub(crate) token: Arc<dyn TokenSource>,
    pub(crate) locale: HeaderValue,
    pub(crate) application: Option<HeaderValue>,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeouts: Timeouts,
    pub(crate) max_response_bytes: usize,
    pub(crate) rate_limit: Option<Arc<RateLimit>>,
}

/// The headers that differ from call to call.
pub(crate) struct CallHeaders {
    /// `Authorization: Bearer …`, marked sensitive.
    pub(crate) authorization: HeaderValue,
    pub(crate) request_id: HeaderValue,
    pub(crate) correlation_id: HeaderValue,
    /// `MS-CV`, when the caller set one.
    pub(crate) correlation_vector: Option<HeaderValue>,
    /// `MS-ContinuationToken`, for the next page of a collection.
    pub(crate) continuation: Option<HeaderValue>,
    /// The call's span, when a subscriber listens to it: the request hook records the
    /// request's URL, method and server on it.
    pub(crate) traced: Option<tracing::Span>,
}

/// The generated client's `inner` value: the client's shared settings and one call's
/// headers. The request hook reads the headers from it, so a request's headers can be
/// followed from the call that built it.
#[derive(Clone)]
pub(crate) struct CallContext {
    pub(crate) shared: Arc<Shared>,
    pub(crate) headers: Arc<CallHeaders>,
}

impl fmt::Debug for CallContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallContext { .. }")
    }
}

/// A GUID as a header value.
pub(crate) fn uuid_header(id: Uuid) -> HeaderValue {
    let mut buffer = Uuid::encode_buffer();
    // A hyphenated GUID is ASCII hex and hyphens, always a valid header value.
    HeaderValue::from_str(id.hyphenated().encode_lower(&mut buffer))
        .unwrap_or_else(|_| HeaderValue::from_static("00000000-0000-0000-0000-000000000000"))
}
