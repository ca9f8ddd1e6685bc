//! [`MockResponse`]: one scripted answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};

/// One answer the server is to give.
#[derive(Clone, Debug)]
pub struct MockResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: MockBody,
    pub(crate) delay: Option<Duration>,
}

#[derive(Clone, Debug)]
pub(crate) enum MockBody {
    Bytes(Bytes),
    /// `len` bytes sent in chunks, without a `Content-Length`; `sent` counts what was produced.
    Streamed {
        len: usize,
        sent: Arc<AtomicUsize>,
    },
    /// No answer at all: the connection stays open and silent.
    Hang,
}

impl MockResponse {
    /// An answer with `status`, no headers and no body.
    ///
    /// # Panics
    /// If `status` is not a valid HTTP status (a mistake in the test that calls it).
    pub fn new(status: u16) -> Self {
        Self {
            status: StatusCode::from_u16(status).expect("a valid HTTP status"),
            headers: Vec::new(),
            body: MockBody::Bytes(Bytes::new()),
            delay: None,
        }
    }

    /// `429 Too Many Requests` asking to wait `wait`, as Partner Center says it: a
    /// `Retry-After` in whole seconds (rounded up, at least 1; the spec's form) and its
    /// `statusCode`/`message` body. On Tokio's paused clock the wait costs no time.
    pub fn throttled(wait: Duration) -> Self {
        let seconds = wait.as_millis().div_ceil(1000).max(1);
        let body = serde_json::json!({
            "statusCode": 429,
            "message": format!("Rate limit is exceeded. Try again in {seconds} seconds."),
        });
        Self::json(429, body.to_string()).header("Retry-After", &seconds.to_string())
    }

    /// An answer with `status` and `body` as `application/json` (sent as given, valid or not).
    pub fn json(status: u16, body: impl Into<Bytes>) -> Self {
        Self::new(status)
            .header("Content-Type", "application/json; charset=utf-8")
            .body(body)
    }

    /// An answer that never comes: the request is read and the connection left open.
    pub fn hang() -> Self {
        Self {
            body: MockBody::Hang,
            ..Self::new(200)
        }
    }

    /// A `200` whose body is `len` bytes, streamed in chunks with no `Content-Length`. The
    /// counter tells how many bytes the server produced before the client stopped reading.
    pub fn streamed(len: usize) -> (Self, Arc<AtomicUsize>) {
        let sent = Arc::new(AtomicUsize::new(0));
        let response = Self {
            body: MockBody::Streamed {
                len,
                sent: Arc::clone(&sent),
            },
            ..Self::new(200).header("Content-Type", "application/json")
        };
        (response, sent)
    }

    /// Adds a header.
    ///
    /// # Panics
    /// If the name or value is not valid in HTTP (a mistake in the test that calls it).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((
            HeaderName::try_from(name).expect("a valid header name"),
            HeaderValue::try_from(value).expect("a valid header value"),
        ));
        self
    }

    /// Sets the body (its `Content-Length` is set from it).
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = MockBody::Bytes(body.into());
        self
    }

    /// Waits this long before answering.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }
}

impl MockBody {
    pub(crate) fn into_body(self) -> Body {
        match self {
            Self::Bytes(bytes) => Body::from(bytes),
            Self::Streamed { len, sent } => {
                const CHUNK: usize = 64 * 1024;
                let chunk = Bytes::from(vec![b' '; CHUNK]);
                let stream = futures_util::stream::unfold(0usize, move |produced| {
                    let chunk = chunk.clone();
                    let sent = Arc::clone(&sent);
                    async move {
                        if produced >= len {
                            return None;
                        }
                        let size = CHUNK.min(len - produced);
                        sent.fetch_add(size, Ordering::SeqCst);
                        Some((
                            Ok::<_, std::convert::Infallible>(chunk.slice(..size)),
                            produced + size,
                        ))
                    }
                });
                Body::from_stream(stream)
            }
            Self::Hang => Body::empty(),
        }
    }
}
