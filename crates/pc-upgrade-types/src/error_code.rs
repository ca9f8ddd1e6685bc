//! [`PartnerCenterErrorCode`]: the documented error codes of the product upgrade operations
//! (Partner Center REST error codes page), as a type.

use std::fmt;

use uuid::Uuid;

use crate::{ErrorCode, PartnerCenterError};

/// A Partner Center error code, named when the documentation names it.
///
/// Read one with [`PartnerCenterErrorCode::from_code`] or [`PartnerCenterError::known_code`];
/// a code the documents do not list is kept in [`Other`](Self::Other) (numeric) or
/// [`Text`](Self::Text).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PartnerCenterErrorCode {
    /// 3000 (400): a property of the request is not valid.
    InvalidProperty,
    /// 20002 (403): the caller may not do this.
    Forbidden,
    /// 800001 (401): the caller is not authenticated.
    Unauthorized,
    /// 800002 (400): the request input is not valid.
    InvalidRequestInput,
    /// 800003 (500): the service failed.
    InternalError,
    /// 900105 (403): one or more Azure subscriptions are suspended; suspended subscriptions
    /// cannot be transitioned.
    SubscriptionsSuspended,
    /// 900106 (404): no upgrade request was found.
    UpgradeNotFound,
    /// 900107 (400): the Azure catalog item was not found.
    CatalogItemNotFound,
    /// 900108 (403): the customer has no Azure subscription.
    NoAzureSubscription,
    /// 900109 (409): an upgrade is already in progress; the message names it.
    UpgradeAlreadyInProgress,
    /// 900110 (400): the upgrade is already completed; the message names it.
    UpgradeAlreadyCompleted,
    /// 900111 (400): the upgrade id does not belong to the customer, who is mapped to another
    /// upgrade id, given in the message.
    CustomerMappedToAnotherUpgrade,
    /// 900112 (409): the upgrade request is pending.
    UpgradePending,
    /// 900113 (409): the upgrade request is in progress.
    UpgradeInProgress,
    /// 900114 (409): the upgrade request failed.
    UpgradeFailed,
    /// 900118 (400): the customer id is not valid.
    InvalidCustomerId,
    /// 900119 (403): Azure Partner Shared Services cannot be upgraded.
    PartnerSharedServices,
    /// 900120 (403): the Azure upgrade cannot be processed.
    UpgradeCannotBeProcessed,
    /// 900130 (403): Azure subscriptions purchased recently cannot be transitioned yet; try
    /// again later.
    RecentlyPurchased,
    /// A numeric code the documents do not list for these operations.
    Other(i64),
    /// A code that is not a number.
    Text(String),
}

use PartnerCenterErrorCode as Code;

/// Every named code with its number, HTTP status and meaning.
const TABLE: &[(Code, i64, u16, &str)] = &[
    (
        Code::InvalidProperty,
        3000,
        400,
        "a property of the request is not valid",
    ),
    (Code::Forbidden, 20002, 403, "the caller may not do this"),
    (
        Code::Unauthorized,
        800001,
        401,
        "the caller is not authenticated",
    ),
    (
        Code::InvalidRequestInput,
        800002,
        400,
        "the request input is not valid",
    ),
    (Code::InternalError, 800003, 500, "the service failed"),
    (
        Code::SubscriptionsSuspended,
        900105,
        403,
        "Azure subscriptions are suspended and cannot be transitioned",
    ),
    (
        Code::UpgradeNotFound,
        900106,
        404,
        "no upgrade request was found",
    ),
    (
        Code::CatalogItemNotFound,
        900107,
        400,
        "the Azure catalog item was not found",
    ),
    (
        Code::NoAzureSubscription,
        900108,
        403,
        "the customer has no Azure subscription",
    ),
    (
        Code::UpgradeAlreadyInProgress,
        900109,
        409,
        "an upgrade is already in progress",
    ),
    (
        Code::UpgradeAlreadyCompleted,
        900110,
        400,
        "the upgrade is already completed",
    ),
    (
        Code::CustomerMappedToAnotherUpgrade,
        900111,
        400,
        "the customer is mapped to another upgrade id",
    ),
    (
        Code::UpgradePending,
        900112,
        409,
        "the upgrade request is pending",
    ),
    (
        Code::UpgradeInProgress,
        900113,
        409,
        "the upgrade request is in progress",
    ),
    (
        Code::UpgradeFailed,
        900114,
        409,
        "the upgrade request failed",
    ),
    (
        Code::InvalidCustomerId,
        900118,
        400,
        "the customer id is not valid",
    ),
    (
        Code::PartnerSharedServices,
        900119,
        403,
        "Azure Partner Shared Services cannot be upgraded",
    ),
    (
        Code::UpgradeCannotBeProcessed,
        900120,
        403,
        "the Azure upgrade cannot be processed",
    ),
    (
        Code::RecentlyPurchased,
        900130,
        403,
        "recently purchased Azure subscriptions cannot be transitioned yet",
    ),
];

impl PartnerCenterErrorCode {
    /// The code of an error body (a numeric string counts as its number).
    pub fn from_code(code: &ErrorCode) -> Self {
        match code.as_i64() {
            Some(number) => Self::from_number(number),
            None => match code {
                ErrorCode::Text(text) => Self::Text(text.clone()),
                ErrorCode::Number(number) => Self::from_number(*number),
            },
        }
    }

    /// The code with this number.
    pub fn from_number(number: i64) -> Self {
        TABLE
            .iter()
            .find(|(_, n, ..)| *n == number)
            .map(|(code, ..)| code.clone())
            .unwrap_or(Self::Other(number))
    }

    fn entry(&self) -> Option<&'static (Code, i64, u16, &'static str)> {
        TABLE.iter().find(|(code, ..)| code == self)
    }

    /// The code's number, unless it is [`Text`](Self::Text).
    pub fn number(&self) -> Option<i64> {
        match self {
            Self::Other(number) => Some(*number),
            Self::Text(_) => None,
            known => known.entry().map(|(_, n, ..)| *n),
        }
    }

    /// The HTTP status the documents give the code with.
    pub fn http_status(&self) -> Option<u16> {
        self.entry().map(|(_, _, status, _)| *status)
    }

    /// What the code means, as the documents explain it.
    pub fn meaning(&self) -> Option<&'static str> {
        self.entry().map(|(.., meaning)| *meaning)
    }

    /// True for the codes that say the customer already has an upgrade, whose id the message
    /// carries (900109, 900110, 900111, 900112, 900113, 900114).
    pub fn names_existing_upgrade(&self) -> bool {
        matches!(
            self,
            Self::UpgradeAlreadyInProgress
                | Self::UpgradeAlreadyCompleted
                | Self::CustomerMappedToAnotherUpgrade
                | Self::UpgradePending
                | Self::UpgradeInProgress
                | Self::UpgradeFailed
        )
    }
}

impl fmt::Display for PartnerCenterErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.number(), self.meaning(), self) {
            (Some(number), Some(meaning), _) => write!(f, "{number} ({meaning})"),
            (Some(number), None, _) => write!(f, "{number}"),
            (None, _, Self::Text(text)) => write!(f, "{text:?}"),
            (None, ..) => f.write_str("unknown"),
        }
    }
}

impl PartnerCenterError {
    /// The error's code, named when the documents list it.
    pub fn known_code(&self) -> PartnerCenterErrorCode {
        PartnerCenterErrorCode::from_code(&self.code)
    }

    /// The upgrade the description names, for the codes that carry one
    /// ([`PartnerCenterErrorCode::names_existing_upgrade`]): the last GUID in the text. For
    /// 900111 that is the upgrade the customer is mapped to.
    pub fn existing_upgrade_id(&self) -> Option<Uuid> {
        if !self.known_code().names_existing_upgrade() {
            return None;
        }
        last_guid(&self.description)
    }
}

/// The last hyphenated GUID in `text`.
fn last_guid(text: &str) -> Option<Uuid> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(35)).rev().find_map(|start| {
        let candidate = text.get(start..start + 36)?;
        let bounded = |i: usize| bytes.get(i).is_none_or(|b| !b.is_ascii_hexdigit());
        let before = start == 0 || bounded(start - 1);
        (before && bounded(start + 36))
            .then(|| Uuid::try_parse(candidate).ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: i64, description: &str) -> PartnerCenterError {
        serde_json::from_value(serde_json::json!({"code": code, "description": description}))
            .unwrap()
    }

    #[test]
    fn every_documented_code_round_trips_with_its_meaning() {
        for (code, number, status, meaning) in TABLE {
            assert_eq!(PartnerCenterErrorCode::from_number(*number), *code);
            assert_eq!(code.number(), Some(*number));
            assert_eq!(code.http_status(), Some(*status));
            assert_eq!(code.meaning(), Some(*meaning));
        }
        assert_eq!(
            PartnerCenterErrorCode::from_code(&ErrorCode::Text("900109".into())),
            Code::UpgradeAlreadyInProgress
        );
        assert_eq!(PartnerCenterErrorCode::from_number(42), Code::Other(42));
        assert_eq!(
            PartnerCenterErrorCode::from_code(&ErrorCode::Text("Conflict".into())),
            Code::Text("Conflict".into())
        );
        assert_eq!(
            Code::UpgradeAlreadyInProgress.to_string(),
            "900109 (an upgrade is already in progress)"
        );
    }

    #[test]
    fn the_existing_upgrade_is_read_from_the_message_of_the_codes_that_carry_it() {
        let id = "42d075a4-bfe7-43e7-af6d-7c68a57edcb4";
        let in_progress = error(
            900109,
            &format!("Not allowed as original upgrade {id} is in progress."),
        );
        assert_eq!(in_progress.existing_upgrade_id(), Some(id.parse().unwrap()));
        let mapped = error(
            900111,
            &format!(
                "The upgrade id doesn't belong to customer 4c721420-72ad-4708-a0a7-371a2f7b0969. The customer is mapped to upgrade id {id}"
            ),
        );
        assert_eq!(mapped.existing_upgrade_id(), Some(id.parse().unwrap()));
        // Other codes carry no upgrade, whatever their text.
        assert_eq!(
            error(900118, &format!("customer {id}")).existing_upgrade_id(),
            None
        );
        // No GUID, or something GUID-like embedded in a longer hex run.
        assert_eq!(error(900109, "in progress").existing_upgrade_id(), None);
        assert_eq!(error(900109, &format!("a{id}")).existing_upgrade_id(), None);
    }
}
