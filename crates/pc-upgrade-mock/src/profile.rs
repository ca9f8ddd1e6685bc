//! Who a fleet customer is in the partner's list ([`ScriptedProfile`]) and how that list
//! is paged ([`Listing`], [`ListEnd`]): data alone; `partner` answers from them.

use serde::{Deserialize, Serialize};

/// Who a customer is in the partner's list: `{"companyName": "…", "domain": "…",
/// "relationship": "reseller", "mcaAgreed": "2021-03-01T00:00:00Z"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct ScriptedProfile {
    /// Its company's name.
    pub company_name: String,
    /// Its domain.
    pub domain: String,
    /// `reseller` (default) or `advisor`, …
    #[serde(default = "reseller")]
    pub relationship: String,
    /// When it accepted the Microsoft Customer Agreement, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mca_agreed: Option<String>,
}

fn reseller() -> String {
    "reseller".to_owned()
}

/// When the fake's customers accepted the Microsoft Customer Agreement, unless scripted.
const MCA_AGREED: &str = "2021-03-01T00:00:00Z";

impl ScriptedProfile {
    /// A reseller's customer named `company_name`, at `domain`, that accepted the MCA.
    pub fn new(company_name: impl Into<String>, domain: impl Into<String>) -> Self {
        Self {
            company_name: company_name.into(),
            domain: domain.into(),
            relationship: reseller(),
            mca_agreed: Some(MCA_AGREED.to_owned()),
        }
    }

    /// The partner is the customer's advisor, not its reseller.
    pub fn advisor(mut self) -> Self {
        self.relationship = "advisor".to_owned();
        self
    }

    /// The customer accepted the MCA then (none: never).
    pub fn mca(mut self, agreed: Option<&str>) -> Self {
        self.mca_agreed = agreed.map(str::to_owned);
        self
    }
}

/// How the customer list is paged, and how often a valid call fails:
/// `{"maxPageSize": 500, "end": "error2000", "serverErrorEvery": 100}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct Listing {
    /// A page holds at most this many customers, whatever `size` asks (default 500).
    #[serde(default = "max_page")]
    pub max_page_size: usize,
    /// How the list ends.
    #[serde(default)]
    pub end: ListEnd,
    /// Every this many valid calls, one answers `500` (none: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_error_every: Option<u64>,
}

fn max_page() -> usize {
    500
}

impl Default for Listing {
    fn default() -> Self {
        Self {
            max_page_size: max_page(),
            end: ListEnd::default(),
            server_error_every: None,
        }
    }
}

impl Listing {
    /// Pages of at most `max` customers.
    pub fn max_page_size(mut self, max: usize) -> Self {
        self.max_page_size = max.max(1);
        self
    }

    /// The list ends as `end` says.
    pub fn ending(mut self, end: ListEnd) -> Self {
        self.end = end;
        self
    }

    /// One valid call in `every` answers `500`.
    pub fn server_error_every(mut self, every: u64) -> Self {
        self.server_error_every = Some(every.max(1));
        self
    }
}

/// How Partner Center ends a list: both are seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum ListEnd {
    /// The last page carries no token.
    #[default]
    NoToken,
    /// The last page carries a token, and the request for the page after it answers `400`
    /// with code 2000.
    Error2000,
}
