//! [`FakeEntra`]: a fake Microsoft Entra ID token endpoint, served by the same
//! [`MockServer`](crate::MockServer) at `/{tenant}/oauth2/v2.0/token`, so that sign-in can be
//! tested on 127.0.0.1. With it, the fake Partner Center accepts only the access tokens it
//! issued, until they expire.
//!
//! Its requests carry secrets (the client secret, refresh tokens): they are counted, never
//! recorded or logged.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

// Tokio's clock: a test on a paused clock sees upgrades take their time in no time.
use tokio::time::Instant;

use serde_json::json;

use crate::response::MockResponse;

/// The fake token endpoint's settings.
#[derive(Clone, Debug)]
#[must_use]
pub struct FakeEntra {
    refresh_tokens: Vec<String>,
    client_secret: Option<String>,
    expires_in: u64,
    rotate: bool,
}

impl Default for FakeEntra {
    fn default() -> Self {
        Self {
            refresh_tokens: Vec::new(),
            client_secret: None,
            expires_in: 3600,
            rotate: true,
        }
    }
}

impl FakeEntra {
    /// A token endpoint that knows no refresh token yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts this refresh token (until it is rotated).
    pub fn refresh_token(mut self, token: impl Into<String>) -> Self {
        self.refresh_tokens.push(token.into());
        self
    }

    /// Requires this client secret (default: any).
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// The `expires_in` of the access tokens it issues, in seconds (default 3600).
    pub fn expires_in(mut self, seconds: u64) -> Self {
        self.expires_in = seconds;
        self
    }

    /// Whether each refresh answers with a new refresh token and retires the old one
    /// (default: yes, as Entra ID does).
    pub fn rotate(mut self, on: bool) -> Self {
        self.rotate = on;
        self
    }
}

/// The endpoint's state while the fake runs.
pub(crate) struct EntraState {
    settings: FakeEntra,
    refresh_tokens: HashSet<String>,
    access_tokens: HashMap<String, Instant>,
    issued: u64,
    pub(crate) requests: u64,
}

impl EntraState {
    pub(crate) fn new(settings: FakeEntra) -> Self {
        Self {
            refresh_tokens: settings.refresh_tokens.iter().cloned().collect(),
            settings,
            access_tokens: HashMap::new(),
            issued: 0,
            requests: 0,
        }
    }

    /// Whether `token` is an access token it issued that has not expired.
    pub(crate) fn accepts(&self, token: &str) -> bool {
        self.access_tokens
            .get(token)
            .is_some_and(|expiry| Instant::now() < *expiry)
    }

    /// Makes every access token issued so far expire now.
    pub(crate) fn expire_all(&mut self) {
        self.access_tokens.clear();
    }

    /// Answers a token request (form-encoded `body`).
    pub(crate) fn answer(&mut self, body: &[u8]) -> MockResponse {
        self.requests += 1;
        let form: HashMap<String, String> =
            url::form_urlencoded::parse(body).into_owned().collect();
        let field = |name: &str| form.get(name).map(String::as_str);
        let refuse = |status: u16, error: &str, description: &str| {
            MockResponse::json(
                status,
                json!({"error": error, "error_description": description}).to_string(),
            )
        };
        if let Some(secret) = &self.settings.client_secret
            && field("client_secret") != Some(secret.as_str())
        {
            return refuse(401, "invalid_client", "The client secret is not valid.");
        }
        if field("scope").is_none() || field("client_id").is_none() {
            return refuse(400, "invalid_request", "client_id and scope are required.");
        }
        let mut answer = json!({"token_type": "Bearer", "expires_in": self.settings.expires_in});
        match field("grant_type") {
            Some("refresh_token") => {
                let Some(token) =
                    field("refresh_token").filter(|t| self.refresh_tokens.contains(*t))
                else {
                    return refuse(
                        400,
                        "invalid_grant",
                        "The refresh token has expired or is not valid; sign in again.",
                    );
                };
                if self.settings.rotate {
                    let token = token.to_owned();
                    self.refresh_tokens.remove(&token);
                    let rotated = format!("fake-refresh-token-{}", self.issued + 1);
                    self.refresh_tokens.insert(rotated.clone());
                    answer["refresh_token"] = json!(rotated);
                }
            }
            Some("client_credentials") => {}
            _ => return refuse(400, "unsupported_grant_type", "Unsupported grant type."),
        }
        self.issued += 1;
        let access = format!("fake-access-token-{}", self.issued);
        self.access_tokens.insert(
            access.clone(),
            Instant::now() + Duration::from_secs(self.settings.expires_in),
        );
        answer["access_token"] = json!(access);
        MockResponse::json(200, answer.to_string())
    }
}
