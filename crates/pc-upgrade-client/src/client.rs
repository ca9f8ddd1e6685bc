//! [`PartnerCenterClient`] and its builder.

use std::fmt;
use std::sync::Arc;

use pc_upgrade_types::{
    ProductUpgradeRequest, ProductUpgradesEligibility, ProductUpgradesStatus, UpgradeId,
};
use reqwest::header::{HeaderValue, LOCATION};
use secrecy::SecretString;
use uuid::Uuid;

use crate::call::{Call, CallContext};
use crate::error::{BuildError, Error};
use crate::generated;
use crate::retry::{RetryPolicy, Timeouts};
use crate::token::{StaticToken, TokenSource};

/// The public Partner Center endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api.partnercenter.microsoft.com";

/// What every call of a client shares.
pub(crate) struct Shared {
    pub(crate) base_url: String,
    pub(crate) http: reqwest::Client,
    pub(crate) token: Arc<dyn TokenSource>,
    pub(crate) locale: HeaderValue,
    pub(crate) application: Option<HeaderValue>,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeouts: Timeouts,
    pub(crate) max_response_bytes: usize,
}

/// A client for the product upgrade operations.
///
/// Cheap to clone (clones share the connection pool). Build one with
/// [`PartnerCenterClient::builder`].
#[derive(Clone)]
pub struct PartnerCenterClient {
    shared: Arc<Shared>,
    correlation_id: Uuid,
}

impl fmt::Debug for PartnerCenterClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartnerCenterClient")
            .field("base_url", &self.shared.base_url)
            .field("correlation_id", &self.correlation_id)
            .field("token", &"[REDACTED]")
            .field("retry", &self.shared.retry)
            .field("timeouts", &self.shared.timeouts)
            .finish_non_exhaustive()
    }
}

/// Builds a [`PartnerCenterClient`].
pub struct ClientBuilder {
    base_url: String,
    token: Option<Arc<dyn TokenSource>>,
    correlation_id: Option<Uuid>,
    locale: String,
    application: Option<String>,
    retry: RetryPolicy,
    timeouts: Timeouts,
    max_response_bytes: usize,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            token: None,
            correlation_id: None,
            locale: "en-US".to_owned(),
            application: None,
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            max_response_bytes: 4 * 1024 * 1024,
            http: None,
        }
    }
}

impl ClientBuilder {
    /// The API's base URL, without the `/v1` path (default [`DEFAULT_BASE_URL`]). Plain
    /// `http://` is refused unless the host is loopback (a local test server).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// A bearer token that never changes.
    pub fn token(mut self, token: impl Into<SecretString>) -> Self {
        self.token = Some(Arc::new(StaticToken::new(token)));
        self
    }

    /// Where to get a bearer token for each call (tokens expire).
    pub fn token_source(mut self, source: impl TokenSource) -> Self {
        self.token = Some(Arc::new(source));
        self
    }

    /// The `MS-CorrelationId` of every call (default: a new GUID for this client).
    pub fn correlation_id(mut self, id: Uuid) -> Self {
        self.correlation_id = Some(id);
        self
    }

    /// The `X-Locale` of every call (default `en-US`).
    pub fn locale(mut self, locale: impl Into<String>) -> Self {
        self.locale = locale.into();
        self
    }

    /// The `MS-PartnerCenter-Application` name sent with every call (default: none).
    pub fn application_name(mut self, name: impl Into<String>) -> Self {
        self.application = Some(name.into());
        self
    }

    /// How calls are retried (default [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How long calls may take (default [`Timeouts::default`]).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The largest answer body read, in bytes (default 4 MiB); a larger one is an
    /// [`Error::BodyTooLarge`].
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// A `reqwest::Client` of your own (proxy, TLS roots, pool settings). Its own timeouts, if
    /// any, apply beside [`Timeouts`].
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<PartnerCenterClient, BuildError> {
        let token = self.token.ok_or(BuildError::MissingToken)?;
        let base_url = check_base_url(&self.base_url)?;
        let header = |what: &str, value: &str| {
            HeaderValue::from_str(value).map_err(|_| BuildError::InvalidHeader {
                header: what.to_owned(),
            })
        };
        let locale = header("X-Locale", &self.locale)?;
        let application = self
            .application
            .as_deref()
            .map(|name| header("MS-PartnerCenter-Application", name))
            .transpose()?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.timeouts.per_attempt)
                .build()
                .map_err(BuildError::Http)?,
        };
        Ok(PartnerCenterClient {
            shared: Arc::new(Shared {
                base_url,
                http,
                token,
                locale,
                application,
                retry: self.retry,
                timeouts: self.timeouts,
                max_response_bytes: self.max_response_bytes,
            }),
            correlation_id: self.correlation_id.unwrap_or_else(Uuid::new_v4),
        })
    }
}

/// Refuses URLs that cannot be a base, and plain http to anything but loopback.
fn check_base_url(url: &str) -> Result<String, BuildError> {
    let invalid = |reason: &str| BuildError::InvalidBaseUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("a base URL has no query or fragment"));
    }
    match parsed.scheme() {
        "https" => {}
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if !loopback {
                return Err(BuildError::InsecureBaseUrl {
                    url: url.to_owned(),
                });
            }
        }
        other => {
            return Err(invalid(&format!(
                "the scheme {other:?} is not http or https"
            )));
        }
    }
    // The generated operations append `/v1/...` to the base as written.
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

impl PartnerCenterClient {
    /// A builder with the defaults: the public endpoint, `en-US`, [`RetryPolicy::default`],
    /// [`Timeouts::default`]. A token is required.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The `MS-CorrelationId` this client sends.
    pub fn correlation_id(&self) -> Uuid {
        self.correlation_id
    }

    /// A client sharing this one's settings and connections, sending another
    /// `MS-CorrelationId` (to tie one flow's calls together).
    pub fn with_correlation_id(&self, id: Uuid) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            correlation_id: id,
        }
    }

    /// Checks whether the customer can be upgraded to the product family
    /// (`POST /v1/productUpgrades/eligibility`).
    pub async fn check_eligibility(
        &self,
        request: &ProductUpgradeRequest,
    ) -> Result<ProductUpgradesEligibility, Error> {
        let call = self.start("check_eligibility");
        let value = call.run(call.client.check_eligibility(request)).await?;
        Ok(value.into_inner())
    }

    /// Starts the upgrade (`POST /v1/productupgrades`) and returns its id, read from the
    /// `Location` of the `202 Accepted`.
    pub async fn create_product_upgrade(
        &self,
        request: &ProductUpgradeRequest,
    ) -> Result<UpgradeId, Error> {
        let call = self.start("create_product_upgrade");
        let value = call
            .run(call.client.create_product_upgrade(request))
            .await?;
        let Some(location) = value.headers().get(LOCATION) else {
            return Err(Error::MissingLocation { call: call.info() });
        };
        let location = String::from_utf8_lossy(location.as_bytes());
        UpgradeId::from_location(&location).map_err(|source| Error::InvalidLocation {
            call: call.info(),
            source,
        })
    }

    /// Reads the status of an upgrade (`POST /v1/productUpgrades/{upgrade-id}/status`). The
    /// body names the customer and product family of the upgrade.
    pub async fn get_product_upgrade_status(
        &self,
        upgrade: UpgradeId,
        request: &ProductUpgradeRequest,
    ) -> Result<ProductUpgradesStatus, Error> {
        let call = self.start("get_product_upgrade_status");
        let value = call
            .run(
                call.client
                    .get_product_upgrade_status(upgrade.as_uuid(), request),
            )
            .await?;
        Ok(value.into_inner())
    }

    /// Starts one logical call of `operation`.
    fn start(&self, operation: &'static str) -> Call {
        let context = CallContext::new(Arc::clone(&self.shared), operation, self.correlation_id);
        Call {
            client: generated::Client::new_with_client(
                &self.shared.base_url,
                self.shared.http.clone(),
                context,
            ),
        }
    }
}
