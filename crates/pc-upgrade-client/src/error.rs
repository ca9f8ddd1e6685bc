//! The client's errors.

use std::fmt;
use std::time::Duration;

use pc_upgrade_types::{LocationError, PartnerCenterError, PartnerCenterErrorCode, UpgradeId};
use reqwest::StatusCode;
use uuid::Uuid;

use crate::text::Escaped;
use crate::token::TokenError;

/// What is known of a call: its ids, its attempts and its last answer. Every [`Error`]
/// carries one, and so does every successful answer of the `*_with` methods
/// ([`WithInfo`](crate::WithInfo)), for audit logs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallInfo {
    /// The operation, as named in the spec (`check_eligibility`, `create_product_upgrade`,
    /// `get_product_upgrade_status`).
    pub operation: &'static str,
    /// The status of the last answer, if one came.
    pub status: Option<StatusCode>,
    /// The `MS-RequestId` the call was sent with (the same on every attempt).
    pub request_id: Uuid,
    /// The `MS-CorrelationId` the call was sent with.
    pub correlation_id: Uuid,
    /// How many times the request was sent.
    pub attempts: u32,
    /// The `MS-CV` correlation vector of the last answer, if it had one (at most 128
    /// characters of it).
    pub ms_cv: Option<String>,
}

impl fmt::Display for CallInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.operation)?;
        if let Some(status) = self.status {
            write!(f, ", HTTP {}", status.as_u16())?;
        }
        write!(
            f,
            ", MS-RequestId {}, MS-CorrelationId {}, {} attempt{}",
            self.request_id,
            self.correlation_id,
            self.attempts,
            if self.attempts == 1 { "" } else { "s" }
        )?;
        if let Some(cv) = &self.ms_cv {
            write!(f, ", MS-CV {}", Escaped(cv))?;
        }
        Ok(())
    }
}

/// The start of a response body kept for an error: never more than
/// [`BodyExcerpt::MAX_KEPT`] bytes, whatever the server sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BodyExcerpt {
    /// The first bytes of the body, as text (invalid UTF-8 replaced).
    pub text: String,
    /// The body's full length in bytes (of what was read).
    pub len: usize,
    /// The `Content-Type` of the answer, if it had one.
    pub content_type: Option<String>,
}

impl BodyExcerpt {
    /// How many bytes of a body an error keeps.
    pub const MAX_KEPT: usize = 512;

    pub(crate) fn new(body: &[u8], content_type: Option<String>) -> Self {
        let kept = &body[..body.len().min(Self::MAX_KEPT)];
        Self {
            text: String::from_utf8_lossy(kept).into_owned(),
            len: body.len(),
            content_type,
        }
    }
}

impl fmt::Display for BodyExcerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.len == 0 {
            return f.write_str("no body");
        }
        let kind = self.content_type.as_deref().unwrap_or("no content type");
        write!(f, "{kind}, {} bytes: {:?}", self.len, self.text)?;
        if self.len > self.text.len() {
            f.write_str("…")?;
        }
        Ok(())
    }
}

/// Why a call failed.
///
/// Every variant carries the [`CallInfo`] of the call (status, `MS-RequestId`,
/// `MS-CorrelationId`, attempts); see [`Error::call`]. No variant holds the bearer token or an
/// unbounded body, and server text is kept bounded (an error description to its documented
/// 1024 characters) and shown with control characters escaped. A variant with a cause
/// returns it from `source()` and does not repeat it in its own message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Partner Center answered with its error body (`code`, `description`, `data`, `source`).
    #[error("Partner Center refused the call ({call}): error {} from {}: {}",
        Escaped(&.error.code.to_string()),
        Escaped(.error.source.as_deref().unwrap_or("an unnamed source")),
        Escaped(&.error.description))]
    Api {
        /// The call.
        call: Box<CallInfo>,
        /// The error body.
        error: Box<PartnerCenterError>,
    },
    /// The call was throttled (`429`) and retrying within the configured bounds did not help.
    #[error("Partner Center throttled the call ({call}){}{}",
        .retry_after.map(|d| format!("; retry after {}s", d.as_secs())).unwrap_or_default(),
        .message.as_deref().map(|m| format!(": {}", Escaped(m))).unwrap_or_default())]
    Throttled {
        /// The call.
        call: Box<CallInfo>,
        /// How long the service asked to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
        /// The throttling message, if the body had one.
        message: Option<String>,
    },
    /// A status the API does not document for this operation, or an error status whose body
    /// is not a Partner Center error (empty, or an HTML page from a gateway).
    #[error("unexpected answer from Partner Center ({call}): {body}")]
    UnexpectedStatus {
        /// The call.
        call: Box<CallInfo>,
        /// The start of the body.
        body: BodyExcerpt,
    },
    /// A success status whose body is not the JSON the operation returns.
    #[error("Partner Center's answer could not be read ({call}): {}; body: {body}", Escaped(.reason))]
    InvalidJson {
        /// The call.
        call: Box<CallInfo>,
        /// What the JSON parser said (at most 256 characters of it).
        reason: String,
        /// The start of the body.
        body: BodyExcerpt,
    },
    /// A `202 Accepted` to a create call without a `Location` header.
    #[error("the upgrade was accepted but the answer has no Location header ({call})")]
    MissingLocation {
        /// The call.
        call: Box<CallInfo>,
    },
    /// A `202 Accepted` to a create call whose `Location` names no upgrade.
    #[error("the upgrade was accepted but its Location cannot be read ({call})")]
    InvalidLocation {
        /// The call.
        call: Box<CallInfo>,
        /// What is wrong with it.
        source: LocationError,
    },
    /// The answer's body is larger than the configured limit; it was not read further.
    #[error("Partner Center's answer is larger than the {limit}-byte limit ({call})")]
    BodyTooLarge {
        /// The call.
        call: Box<CallInfo>,
        /// The limit, in bytes.
        limit: usize,
    },
    /// No answer within the per-attempt or overall time limit.
    #[error("no answer from Partner Center within {after:?} ({call})")]
    Timeout {
        /// The call.
        call: Box<CallInfo>,
        /// The limit that was reached.
        after: Duration,
    },
    /// The request could not be sent or the answer not received.
    #[error("could not reach Partner Center ({call})")]
    Transport {
        /// The call.
        call: Box<CallInfo>,
        /// The HTTP client's error.
        source: reqwest::Error,
    },
    /// The [`TokenSource`](crate::TokenSource) failed.
    #[error("no bearer token for the call ({call})")]
    Token {
        /// The call.
        call: Box<CallInfo>,
        /// The token source's error.
        source: TokenError,
    },
    /// The request could not be built (for example a header value that is not valid).
    #[error("the request could not be built ({call}): {reason}")]
    InvalidRequest {
        /// The call.
        call: Box<CallInfo>,
        /// Why.
        reason: String,
    },
    /// The call was called off before the rate limit let it go: nothing was sent (see
    /// [`PartnerCenterClient::with_call_off`](crate::PartnerCenterClient::with_call_off)).
    #[error("the call was called off before it was sent ({call})")]
    CalledOff {
        /// The call.
        call: Box<CallInfo>,
    },
}

impl Error {
    /// The call this error comes from.
    pub fn call(&self) -> &CallInfo {
        match self {
            Self::Api { call, .. }
            | Self::Throttled { call, .. }
            | Self::UnexpectedStatus { call, .. }
            | Self::InvalidJson { call, .. }
            | Self::MissingLocation { call }
            | Self::InvalidLocation { call, .. }
            | Self::BodyTooLarge { call, .. }
            | Self::Timeout { call, .. }
            | Self::Transport { call, .. }
            | Self::Token { call, .. }
            | Self::CalledOff { call }
            | Self::InvalidRequest { call, .. } => call,
        }
    }

    /// OpenTelemetry's `error.type` of the call: the HTTP status of an answer that is an
    /// error, else what went wrong, in a word.
    pub(crate) fn error_type(&self) -> String {
        let word = match self {
            Self::Api { .. } | Self::Throttled { .. } | Self::UnexpectedStatus { .. } => {
                if let Some(status) = self.status() {
                    return status.as_u16().to_string();
                }
                "unexpected_status"
            }
            Self::InvalidJson { .. } => "invalid_json",
            Self::MissingLocation { .. } => "missing_location",
            Self::InvalidLocation { .. } => "invalid_location",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::Timeout { .. } => "timeout",
            Self::Transport { .. } => "transport",
            Self::Token { .. } => "token",
            Self::CalledOff { .. } => "called_off",
            Self::InvalidRequest { .. } => "invalid_request",
        };
        word.to_owned()
    }

    /// The HTTP status of the last answer, if one came.
    pub fn status(&self) -> Option<StatusCode> {
        self.call().status
    }

    /// The `MS-RequestId` of the call: quote it to Partner Center support.
    pub fn request_id(&self) -> Uuid {
        self.call().request_id
    }

    /// The `MS-CorrelationId` of the call.
    pub fn correlation_id(&self) -> Uuid {
        self.call().correlation_id
    }

    /// The Partner Center error body, when Partner Center answered with one.
    pub fn partner_center_error(&self) -> Option<&PartnerCenterError> {
        match self {
            Self::Api { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The Partner Center error code, named when the documents list it
    /// (`PartnerCenterErrorCode::UpgradeAlreadyInProgress` for 900109, …).
    pub fn code(&self) -> Option<PartnerCenterErrorCode> {
        self.partner_center_error()
            .map(PartnerCenterError::known_code)
    }

    /// The upgrade the customer already has, when the error says so (900109, 900110,
    /// 900111, 900112, 900113, 900114 name it in their description).
    pub fn existing_upgrade(&self) -> Option<UpgradeId> {
        self.partner_center_error()?
            .existing_upgrade_id()
            .map(UpgradeId::new)
    }
}

/// The first error of type `E` in `error`'s chain of sources, itself included.
pub(crate) fn find_source<'e, E: std::error::Error + 'static>(
    error: &'e (dyn std::error::Error + 'static),
) -> Option<&'e E> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(found) = error.downcast_ref::<E>() {
            return Some(found);
        }
        next = error.source();
    }
    None
}

/// Whether the base URL's host name does not exist: the resolver said so for certain (not
/// "try again", which a resolver says when it is itself unreachable). Asking again gets the
/// same answer: the URL is wrong, which is the caller's to fix.
///
/// The resolvers' own words, as `getaddrinfo` and Windows give them (`EAI_NONAME`,
/// `EAI_NODATA`, `WSAHOST_NOT_FOUND`): the error carries no code that is the same everywhere.
pub(crate) fn unknown_host(error: &(dyn std::error::Error + 'static)) -> bool {
    const NOT_FOUND: [&str; 4] = [
        "Name or service not known",
        "nodename nor servname provided, or not known",
        "No address associated with hostname",
        "No such host is known",
    ];
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(io) = error.downcast_ref::<std::io::Error>()
            && io.raw_os_error() == Some(11001)
            && cfg!(windows)
        {
            return true;
        }
        let text = error.to_string();
        if NOT_FOUND.iter().any(|words| text.contains(words)) {
            return true;
        }
        next = error.source();
    }
    false
}

/// Why a [`PartnerCenterClient`](crate::PartnerCenterClient) could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No token or token source was given.
    #[error("no bearer token or token source was configured")]
    MissingToken,
    /// The base URL does not parse, or cannot be a base.
    #[error("the base URL {url:?} is not valid: {reason}")]
    InvalidBaseUrl {
        /// The URL given.
        url: String,
        /// Why it is refused.
        reason: String,
    },
    /// A plain `http://` base URL for a host that is not the loopback interface: the bearer
    /// token would cross the network in clear.
    #[error("the base URL {url:?} uses plain http for a host that is not loopback; use https")]
    InsecureBaseUrl {
        /// The URL given.
        url: String,
    },
    /// A configured header value (locale, application name) is not valid in HTTP.
    #[error("the configured {header} is not a valid header value")]
    InvalidHeader {
        /// Which header.
        header: String,
    },
    /// The HTTP client could not be built.
    #[error("the HTTP client could not be built")]
    Http(#[source] reqwest::Error),
}
