//! The answer's body, capped at the configured size as it is read ([`capped`]), and read
//! whole when an error needs it ([`read`]).

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use progenitor_client::ByteStream;
use reqwest::{ResponseBuilderExt, StatusCode};

/// The answer's body was larger than the configured limit; it was not read further.
#[derive(Debug)]
pub(crate) struct TooLarge {
    status: StatusCode,
}

impl TooLarge {
    /// The status of the answer whose body it was.
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }
}

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the answer's body is larger than the configured limit")
    }
}

impl std::error::Error for TooLarge {}

/// A body that fails with [`TooLarge`] past `left` bytes, or at once when its declared length
/// is already over the limit.
struct Capped {
    inner: reqwest::Body,
    left: usize,
    declared_too_large: bool,
    status: StatusCode,
}

impl http_body::Body for Capped {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let status = self.status;
        if self.declared_too_large {
            return Poll::Ready(Some(Err(Box::new(TooLarge { status }))));
        }
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let len = frame.data_ref().map_or(0, Bytes::len);
                if len > self.left {
                    return Poll::Ready(Some(Err(Box::new(TooLarge { status }))));
                }
                self.left -= len;
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(Box::new(error)))),
            other => other.map(|frame| frame.map(|f| f.map_err(Into::into))),
        }
    }

    fn is_end_stream(&self) -> bool {
        !self.declared_too_large && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The response with its body capped at `limit` bytes. Nothing is read here: a body nobody
/// reads (a `202`'s) costs nothing, however large or broken.
pub(crate) fn capped(response: reqwest::Response, limit: usize) -> reqwest::Response {
    let url = response.url().clone();
    let status = response.status();
    let declared_too_large = response
        .content_length()
        .is_some_and(|declared| declared > limit as u64);
    let (mut parts, inner) = http::Response::<reqwest::Body>::from(response).into_parts();
    let body = reqwest::Body::wrap(Capped {
        inner,
        left: limit,
        declared_too_large,
        status,
    });
    // Without its URL, reqwest parses a placeholder URL for every rebuilt response.
    let mut with_url = http::Response::builder().url(url);
    if let Some(extensions) = with_url.extensions_mut() {
        parts.extensions = std::mem::take(extensions);
    }
    reqwest::Response::from(http::Response::from_parts(parts, body))
}

/// Reads a capped body stream whole.
pub(crate) async fn read(stream: ByteStream) -> Result<Bytes, reqwest::Error> {
    let mut stream = stream.into_inner();
    let mut body = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk?);
    }
    Ok(body.freeze())
}
