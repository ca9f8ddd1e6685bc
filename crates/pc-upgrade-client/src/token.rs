//! Where bearer tokens come from.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use secrecy::SecretString;

/// Why a [`TokenSource`] could not give a token. Its message must not contain the token.
pub type TokenError = Box<dyn std::error::Error + Send + Sync>;

/// The future a [`TokenSource`] returns.
pub type TokenFuture<'a> =
    Pin<Box<dyn Future<Output = Result<SecretString, TokenError>> + Send + 'a>>;

/// Gives the bearer token for a call. Partner Center tokens expire, so a long-running service
/// implements this over its token cache; it is asked once per logical call (retries of the
/// call reuse the token it gave).
pub trait TokenSource: Send + Sync + 'static {
    /// The token to send, without the `Bearer ` prefix.
    fn token(&self) -> TokenFuture<'_>;

    /// Partner Center refused `rejected` (`401`): forget it and give a fresh one. The client
    /// retries the call once with it if it differs. The default gives [`token`](Self::token)
    /// again, which for a token that cannot be refreshed means no retry.
    fn invalidate(&self, rejected: &SecretString) -> TokenFuture<'_> {
        let _ = rejected;
        self.token()
    }
}

/// A token that never changes.
#[derive(Clone)]
pub struct StaticToken(SecretString);

impl StaticToken {
    /// Wraps a token.
    pub fn new(token: impl Into<SecretString>) -> Self {
        Self(token.into())
    }
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticToken([REDACTED])")
    }
}

impl TokenSource for StaticToken {
    fn token(&self) -> TokenFuture<'_> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }
}

/// A [`TokenSource`] made of an async closure.
///
/// ```
/// # use pc_upgrade_client::{token_fn, SecretString};
/// let source = token_fn(|| async { Ok(SecretString::from("fresh token")) });
/// ```
pub fn token_fn<F, Fut>(f: F) -> impl TokenSource
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<SecretString, TokenError>> + Send + 'static,
{
    struct FnSource<F>(F);
    impl<F, Fut> TokenSource for FnSource<F>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<SecretString, TokenError>> + Send + 'static,
    {
        fn token(&self) -> TokenFuture<'_> {
            Box::pin((self.0)())
        }
    }
    FnSource(f)
}
