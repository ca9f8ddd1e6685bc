//! The client a command calls Partner Center with: its base URL, its rate limit, its
//! retries, and how it signs in (a token given, or Entra ID from the environment's
//! `PC_UPGRADE_*` variables, which `pc-upgrade --help` lists).

use anyhow::{Context, Result};
use pc_upgrade_client::{
    BuildError, DEFAULT_AUTHORITY, EntraTokenSource, Learned, PartnerCenterClient, RateLimit,
    RetryPolicy,
};

use crate::args::Rate;
use crate::console::Vars;

/// How a command reaches Partner Center.
#[derive(Clone, Debug)]
pub struct Connection {
    /// The API's base URL.
    pub base_url: String,
    /// `--rate`, a ceiling; none: the limit is found as the run goes.
    pub rate: Option<Rate>,
    /// How it signs in.
    pub sign_in: SignIn,
}

impl Connection {
    /// The rate in force, in the operator's words.
    pub fn rate_text(&self) -> String {
        match &self.rate {
            Some(rate) => format!("at most {rate} (--rate), less if Partner Center throttles"),
            None => "found as the run goes (from where the journal's last run left it, else \
                     2 calls a second; --rate sets a ceiling, 5/s or 300/min)"
                .to_owned(),
        }
    }
}

/// How a command signs in.
#[derive(Clone)]
pub enum SignIn {
    /// With this access token (the demo's fake takes its own).
    Token(String),
    /// As the environment says: `PC_UPGRADE_TOKEN`, else Entra ID.
    FromEnvironment(Vars),
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token(_) => f.write_str("Token(..)"),
            Self::FromEnvironment(vars) => f.debug_tuple("FromEnvironment").field(vars).finish(),
        }
    }
}

/// The client of `connection`, its rate starting from `found` (the rates a journal's last
/// run found on this API), else searching from two calls a second; under `--rate` always.
pub fn client(connection: &Connection, found: Option<&Learned>) -> Result<PartnerCenterClient> {
    let rate_limit = match (&connection.rate, found) {
        (Some(rate), Some(found)) => RateLimit::resuming_up_to(found, rate.calls, rate.per),
        (Some(rate), None) => RateLimit::adaptive_up_to(rate.calls, rate.per),
        (None, Some(found)) => RateLimit::resuming(found),
        (None, None) => RateLimit::adaptive(),
    };
    let builder = PartnerCenterClient::builder()
        .base_url(&connection.base_url)
        .application_name(concat!("pc-upgrade/", env!("CARGO_PKG_VERSION")))
        .rate_limit(rate_limit)
        .retry(RetryPolicy::default().with_max_attempts(6));
    let builder = match &connection.sign_in {
        SignIn::Token(token) => builder.token(token.clone()),
        SignIn::FromEnvironment(vars) => match vars.get("PC_UPGRADE_TOKEN") {
            Some(token) => builder.token(token),
            None => builder.token_source(entra(vars)?.build()),
        },
    };
    builder.build().map_err(|error| match error {
        // The command line's own value (or its variable's): exit 2, as clap's refusals.
        BuildError::InvalidBaseUrl { .. } | BuildError::InsecureBaseUrl { .. } => {
            crate::files::Misuse(format!("--base-url: {error}")).into()
        }
        other => other.into(),
    })
}

/// Entra ID sign-in from the environment: a refresh token (App+User), else app-only.
fn entra(vars: &Vars) -> Result<pc_upgrade_client::EntraTokenSourceBuilder> {
    let missing = |name: &str| format!("{name} is not set (see pc-upgrade --help)");
    let tenant = vars
        .get("PC_UPGRADE_TENANT_ID")
        .with_context(|| missing("PC_UPGRADE_TENANT_ID or PC_UPGRADE_TOKEN"))?;
    let client_id = vars
        .get("PC_UPGRADE_CLIENT_ID")
        .with_context(|| missing("PC_UPGRADE_CLIENT_ID"))?;
    let secret = var_or_file(vars, "PC_UPGRADE_CLIENT_SECRET")?
        .with_context(|| missing("PC_UPGRADE_CLIENT_SECRET"))?;
    let authority = vars
        .get("PC_UPGRADE_AUTHORITY")
        .unwrap_or_else(|| DEFAULT_AUTHORITY.to_owned());
    Ok(match var_or_file(vars, "PC_UPGRADE_REFRESH_TOKEN")? {
        Some(refresh) => {
            let source = EntraTokenSource::refresh_token(tenant, client_id, secret, refresh)
                .authority(authority);
            match vars.get("PC_UPGRADE_REFRESH_TOKEN_FILE") {
                Some(path) => source.persist_refresh_token(path),
                None => source,
            }
        }
        None => {
            tracing::warn!("no refresh token: app-only tokens, which product upgrades refuse");
            EntraTokenSource::client_credentials(tenant, client_id, secret).authority(authority)
        }
    })
}

/// A value from `NAME`, or from the file `NAME_FILE`.
fn var_or_file(vars: &Vars, name: &str) -> Result<Option<String>> {
    if let Some(value) = vars.get(name) {
        return Ok(Some(value));
    }
    match vars.get(&format!("{name}_FILE")) {
        Some(path) => Ok(Some(
            std::fs::read_to_string(&path)
                .with_context(|| format!("reading {name}_FILE ({path})"))?
                .trim()
                .to_owned(),
        )),
        None => Ok(None),
    }
}
