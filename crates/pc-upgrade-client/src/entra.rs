//! [`EntraTokenSource`]: access tokens for Partner Center from Microsoft Entra ID, with the
//! App+User refresh-token grant these operations require, or app-only client credentials.
//!
//! It posts to `{authority}/{tenant}/oauth2/v2.0/token` with the client's own reqwest (no
//! second HTTP stack), caches the access token until shortly before it expires, runs one
//! refresh at a time however many calls wait for it, keeps a rotated refresh token (and hands
//! it to a callback, or writes it atomically to a file), and turns `invalid_grant` into an
//! error that says the refresh token must be renewed. No token or secret appears in its
//! `Debug`, its logs or its errors.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::time::Instant;

use crate::text::{self, Escaped, MAX_SHORT};
use crate::token::{TokenError, TokenFuture, TokenSource};

/// The public Entra ID authority.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";
/// The scope of Partner Center access tokens.
pub const PARTNER_CENTER_SCOPE: &str = "https://api.partnercenter.microsoft.com/.default";

/// How long before its expiry a cached access token is replaced.
const EARLY: Duration = Duration::from_secs(300);

/// Why Entra ID gave no access token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EntraError {
    /// The refresh token was refused (`invalid_grant`): it expired (90 days unused), was
    /// revoked, or consent was withdrawn. A person must consent again (authorization code with
    /// MFA) to get a new one.
    #[error("Entra ID refused the refresh token (invalid_grant): it must be renewed by consenting again{}",
        .description.as_deref().map(|d| format!(": {}", Escaped(d))).unwrap_or_default())]
    InvalidGrant {
        /// Entra ID's `error_description`, bounded.
        description: Option<String>,
    },
    /// Entra ID answered with another error.
    #[error("Entra ID answered HTTP {status}{}", .error.as_deref().map(|e| format!(" ({})", Escaped(e))).unwrap_or_default())]
    Refused {
        /// The HTTP status.
        status: u16,
        /// Entra ID's `error` code, bounded.
        error: Option<String>,
    },
    /// The answer was not a token answer.
    #[error("Entra ID's answer is not a token: {}", Escaped(.0))]
    InvalidAnswer(String),
    /// Entra ID could not be reached.
    #[error("Entra ID could not be reached")]
    Transport(#[source] reqwest::Error),
    /// The rotated refresh token could not be kept.
    #[error("the new refresh token could not be written to {path}")]
    Persist {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// What to do with a refresh token Entra ID rotated.
type RotationHook = Box<dyn Fn(&SecretString) -> Result<(), EntraError> + Send + Sync>;

enum Grant {
    RefreshToken(SecretString),
    ClientCredentials,
}

struct Cached {
    token: SecretString,
    refresh_at: Instant,
}

struct State {
    grant: Grant,
    cached: Option<Cached>,
}

struct Inner {
    http: reqwest::Client,
    endpoint: String,
    client_id: String,
    client_secret: SecretString,
    scope: String,
    state: tokio::sync::Mutex<State>,
    on_rotation: Option<RotationHook>,
}

/// Access tokens from Entra ID, cached and refreshed; a [`TokenSource`] for
/// [`ClientBuilder::token_source`](crate::ClientBuilder::token_source). Cheap to clone: clones
/// share the cache.
#[derive(Clone)]
pub struct EntraTokenSource {
    inner: Arc<Inner>,
}

impl fmt::Debug for EntraTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntraTokenSource")
            .field("endpoint", &self.inner.endpoint)
            .field("client_id", &self.inner.client_id)
            .field("secrets", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

/// Builds an [`EntraTokenSource`].
#[must_use]
pub struct EntraTokenSourceBuilder {
    tenant: String,
    client_id: String,
    client_secret: SecretString,
    grant: Grant,
    authority: String,
    scope: String,
    http: Option<reqwest::Client>,
    on_rotation: Option<RotationHook>,
}

impl fmt::Debug for EntraTokenSourceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntraTokenSourceBuilder")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("authority", &self.authority)
            .finish_non_exhaustive()
    }
}

impl EntraTokenSource {
    /// App+User tokens, from the refresh token a partner's consent gave (the secure
    /// application model). These operations accept App+User tokens only.
    pub fn refresh_token(
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
        refresh_token: impl Into<SecretString>,
    ) -> EntraTokenSourceBuilder {
        EntraTokenSourceBuilder::new(
            tenant.into(),
            client_id.into(),
            client_secret.into(),
            Grant::RefreshToken(refresh_token.into()),
        )
    }

    /// App-only tokens (client credentials).
    pub fn client_credentials(
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
    ) -> EntraTokenSourceBuilder {
        EntraTokenSourceBuilder::new(
            tenant.into(),
            client_id.into(),
            client_secret.into(),
            Grant::ClientCredentials,
        )
    }
}

impl EntraTokenSourceBuilder {
    fn new(tenant: String, client_id: String, client_secret: SecretString, grant: Grant) -> Self {
        Self {
            tenant,
            client_id,
            client_secret,
            grant,
            authority: DEFAULT_AUTHORITY.to_owned(),
            scope: PARTNER_CENTER_SCOPE.to_owned(),
            http: None,
            on_rotation: None,
        }
    }

    /// The authority (default [`DEFAULT_AUTHORITY`]): another for a sovereign cloud, or a
    /// local one for tests.
    pub fn authority(mut self, url: impl Into<String>) -> Self {
        self.authority = url.into();
        self
    }

    /// The scope (default [`PARTNER_CENTER_SCOPE`]).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// The reqwest client to post with (default: a new one).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Called with every refresh token Entra ID rotates, before it is used; an error stops the
    /// token refresh.
    pub fn on_refresh_token_rotated(
        mut self,
        hook: impl Fn(&SecretString) -> Result<(), EntraError> + Send + Sync + 'static,
    ) -> Self {
        self.on_rotation = Some(Box::new(hook));
        self
    }

    /// Writes every rotated refresh token to `path`, atomically (a temporary file beside it,
    /// then a rename), readable by the owner only.
    pub fn persist_refresh_token(self, path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        self.on_refresh_token_rotated(move |token| {
            write_atomically(&path, token.expose_secret()).map_err(|source| EntraError::Persist {
                path: path.clone(),
                source,
            })
        })
    }

    /// The token source.
    pub fn build(self) -> EntraTokenSource {
        crate::tls::ensure_provider();
        let endpoint = format!(
            "{}/{}/oauth2/v2.0/token",
            self.authority.trim_end_matches('/'),
            self.tenant
        );
        EntraTokenSource {
            inner: Arc::new(Inner {
                http: self.http.unwrap_or_default(),
                endpoint,
                client_id: self.client_id,
                client_secret: self.client_secret,
                scope: self.scope,
                state: tokio::sync::Mutex::new(State {
                    grant: self.grant,
                    cached: None,
                }),
                on_rotation: self.on_rotation,
            }),
        }
    }
}

fn write_atomically(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&temporary)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, path)
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

impl Inner {
    async fn fetch(&self, state: &mut State) -> Result<SecretString, EntraError> {
        // Built before the first await: the serializer is not `Send`.
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("client_id", &self.client_id)
                .append_pair("client_secret", self.client_secret.expose_secret())
                .append_pair("scope", &self.scope);
            match &state.grant {
                Grant::RefreshToken(token) => {
                    form.append_pair("grant_type", "refresh_token")
                        .append_pair("refresh_token", token.expose_secret());
                }
                Grant::ClientCredentials => {
                    form.append_pair("grant_type", "client_credentials");
                }
            }
            form.finish()
        };
        let started = Instant::now();
        let response = self
            .http
            .post(&self.endpoint)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| EntraError::Transport(e.without_url()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| EntraError::Transport(e.without_url()))?;
        if !status.is_success() {
            return Err(refusal(status, &body));
        }
        let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|e| {
            // serde's message names a field or a position, never the token's value.
            EntraError::InvalidAnswer(text::bounded(&e.to_string(), MAX_SHORT))
        })?;
        let lifetime = match &answer.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(3600));
        if let Some(rotated) = answer.refresh_token.map(SecretString::from)
            && let Grant::RefreshToken(current) = &mut state.grant
            && rotated.expose_secret() != current.expose_secret()
        {
            if let Some(hook) = &self.on_rotation {
                hook(&rotated)?;
            }
            *current = rotated;
            tracing::info!("Entra ID rotated the refresh token; the new one is kept");
        }
        let token = SecretString::from(answer.access_token);
        state.cached = Some(Cached {
            token: token.clone(),
            refresh_at: started + lifetime.saturating_sub(EARLY.min(lifetime / 2)),
        });
        tracing::debug!(expires_in = lifetime.as_secs(), "new access token");
        Ok(token)
    }
}

/// The error of a token endpoint's refusal (`invalid_grant` typed), its text bounded.
fn refusal(status: reqwest::StatusCode, body: &[u8]) -> EntraError {
    let answer: Option<ErrorAnswer> = serde_json::from_slice(body).ok();
    let (error, description) = answer
        .map(|a| (a.error, a.error_description))
        .unwrap_or_default();
    let bound = |t: String| text::bounded(&t, MAX_SHORT * 4);
    match error.as_deref() {
        Some("invalid_grant") => EntraError::InvalidGrant {
            description: description.map(bound),
        },
        _ => EntraError::Refused {
            status: status.as_u16(),
            error: error.map(bound),
        },
    }
}

impl TokenSource for EntraTokenSource {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            // One refresh at a time: callers that arrive during it wait, then take its token.
            let mut state = self.inner.state.lock().await;
            if let Some(cached) = &state.cached
                && Instant::now() < cached.refresh_at
            {
                return Ok(cached.token.clone());
            }
            self.inner
                .fetch(&mut state)
                .await
                .map_err(|e| Box::new(e) as TokenError)
        })
    }

    fn invalidate(&self, rejected: &SecretString) -> TokenFuture<'_> {
        let rejected = rejected.clone();
        Box::pin(async move {
            let mut state = self.inner.state.lock().await;
            // Another call may have replaced it already: then that token is the answer.
            let stale = state
                .cached
                .as_ref()
                .is_none_or(|c| c.token.expose_secret() == rejected.expose_secret());
            if !stale && let Some(cached) = &state.cached {
                return Ok(cached.token.clone());
            }
            state.cached = None;
            self.inner
                .fetch(&mut state)
                .await
                .map_err(|e| Box::new(e) as TokenError)
        })
    }
}
