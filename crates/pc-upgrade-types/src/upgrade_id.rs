//! [`UpgradeId`]: the identifier of a product upgrade, and how it is read from `Location`.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// The identifier of one product upgrade (the `upgrade-id` of the Partner Center docs).
///
/// A create call answers `202 Accepted` with `Location: productUpgrades/{upgrade-id}`;
/// [`UpgradeId::from_location`] reads the id out of that value, so that callers never split
/// strings by hand.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct UpgradeId(Uuid);

/// Why a `Location` value does not name a product upgrade.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LocationError {
    /// The value is empty (or only white space).
    Empty,
    /// The value is not of the form `productUpgrades/{upgrade-id}` (relative, rooted or
    /// absolute).
    NotAnUpgrade {
        /// The value as received, cut to [`LocationError::MAX_KEPT`] characters.
        location: String,
    },
    /// The answer carried `count` `Location` headers; which one names the upgrade cannot be
    /// told, so none is used.
    Repeated {
        /// How many there were.
        count: usize,
    },
    /// The last segment is not a GUID in its hyphenated form.
    InvalidId {
        /// The value as received, cut to [`LocationError::MAX_KEPT`] characters.
        location: String,
        /// What the GUID parser said.
        reason: String,
    },
}

impl LocationError {
    /// How many characters of a bad `Location` an error keeps.
    pub const MAX_KEPT: usize = 200;

    fn kept(location: &str) -> String {
        location.chars().take(Self::MAX_KEPT).collect()
    }
}

impl fmt::Display for LocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the Location header is empty"),
            Self::NotAnUpgrade { location } => write!(
                f,
                "the Location header {location:?} is not of the form productUpgrades/{{upgrade-id}}"
            ),
            Self::Repeated { count } => write!(
                f,
                "the answer carries {count} Location headers; none is used"
            ),
            Self::InvalidId { location, reason } => write!(
                f,
                "the Location header {location:?} does not end in a GUID upgrade id: {reason}"
            ),
        }
    }
}

impl std::error::Error for LocationError {}

impl UpgradeId {
    /// Wraps a GUID.
    pub const fn new(id: Uuid) -> Self {
        Self(id)
    }

    /// The GUID.
    pub const fn as_uuid(&self) -> &Uuid {
        &self.0
    }

    /// Reads the upgrade id out of a create call's `Location` value.
    ///
    /// The documented form is relative, `productUpgrades/{upgrade-id}`; a rooted
    /// (`/v1/productUpgrades/…`) or absolute URL is accepted too, the segment name in any case
    /// (the documents write both `productupgrades` and `productUpgrades`), and a query or
    /// fragment is ignored.
    ///
    /// ```
    /// # use pc_upgrade_types::{LocationError, UpgradeId};
    /// let id = UpgradeId::from_location("productUpgrades/42d075a4-bfe7-43e7-af6d-7c68a57edcb4")?;
    /// assert_eq!(id.to_string(), "42d075a4-bfe7-43e7-af6d-7c68a57edcb4");
    /// assert!(matches!(
    ///     UpgradeId::from_location("productUpgrades/not-a-guid"),
    ///     Err(LocationError::InvalidId { .. })
    /// ));
    /// # Ok::<(), LocationError>(())
    /// ```
    ///
    /// # Errors
    /// [`LocationError`]: empty, not `…/productUpgrades/{upgrade-id}`, or an id that is not a
    /// GUID in its hyphenated form.
    pub fn from_location(location: &str) -> Result<Self, LocationError> {
        let trimmed = location.trim();
        if trimmed.is_empty() {
            return Err(LocationError::Empty);
        }
        let path = trimmed
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .trim_end_matches('/');
        let mut segments = path.rsplit('/');
        let (Some(id), Some(collection)) = (segments.next(), segments.next()) else {
            return Err(LocationError::NotAnUpgrade {
                location: LocationError::kept(location),
            });
        };
        if !collection.eq_ignore_ascii_case("productUpgrades") {
            return Err(LocationError::NotAnUpgrade {
                location: LocationError::kept(location),
            });
        }
        let invalid = |reason: String| LocationError::InvalidId {
            location: LocationError::kept(location),
            reason,
        };
        // Only the hyphenated form (8-4-4-4-12), as the spec's pattern says: the uuid crate
        // would also take 32 bare digits, braces or a `urn:uuid:` prefix.
        if id.len() != 36 {
            return Err(invalid(format!(
                "a GUID has 36 characters in its hyphenated form, not {}",
                id.chars().count()
            )));
        }
        Uuid::try_parse(id)
            .map(Self)
            .map_err(|error| invalid(error.to_string()))
    }
}

impl fmt::Display for UpgradeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for UpgradeId {
    type Err = uuid::Error;

    /// Parses a bare GUID (not a `Location`; see [`UpgradeId::from_location`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::try_parse(s).map(Self)
    }
}

impl From<Uuid> for UpgradeId {
    fn from(id: Uuid) -> Self {
        Self(id)
    }
}

impl From<UpgradeId> for Uuid {
    fn from(id: UpgradeId) -> Self {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "42d075a4-bfe7-43e7-af6d-7c68a57edcb4";

    fn ok(location: &str) -> String {
        match UpgradeId::from_location(location) {
            Ok(id) => id.to_string(),
            Err(error) => panic!("{location:?} was refused: {error}"),
        }
    }

    #[test]
    fn accepts_the_documented_relative_form_and_its_variants() {
        for location in [
            format!("productUpgrades/{ID}"),
            format!("productupgrades/{ID}"),
            format!("/v1/productUpgrades/{ID}"),
            format!("https://api.partnercenter.microsoft.com/v1/productUpgrades/{ID}"),
            format!("productUpgrades/{ID}/"),
            format!("productUpgrades/{ID}?x=1#y"),
            format!("  productUpgrades/{}  ", ID.to_uppercase()),
        ] {
            assert_eq!(ok(&location), ID, "{location:?}");
        }
    }

    #[test]
    fn refuses_what_is_not_an_upgrade_location() {
        assert_eq!(UpgradeId::from_location(""), Err(LocationError::Empty));
        assert_eq!(UpgradeId::from_location(" \t"), Err(LocationError::Empty));
        for location in [ID, "customers/42", "productUpgrade/x", "/"] {
            assert!(
                matches!(
                    UpgradeId::from_location(location),
                    Err(LocationError::NotAnUpgrade { .. })
                ),
                "{location:?}"
            );
        }
    }

    #[test]
    fn refuses_a_non_guid_id_and_says_which_value() {
        let error = UpgradeId::from_location("productUpgrades/42d075a4").unwrap_err();
        assert!(matches!(error, LocationError::InvalidId { .. }));
        let message = error.to_string();
        assert!(message.contains("productUpgrades/42d075a4"), "{message}");
        assert!(message.contains("GUID"), "{message}");
    }

    #[test]
    fn refuses_guid_forms_the_spec_does_not_allow_and_36_characters_that_are_no_guid() {
        for id in [
            "42d075a4bfe743e7af6d7c68a57edcb4",
            "{42d075a4-bfe7-43e7-af6d-7c68a57edcb4}",
            "urn:uuid:42d075a4-bfe7-43e7-af6d-7c68a57edcb4",
            "--9aeae4B66596fc445BdE30BF0CFCaA3F4b",
            "42d075a4-bfe7-43e7-af6d-7c68a57edcbz",
        ] {
            let location = format!("productUpgrades/{id}");
            assert!(
                matches!(
                    UpgradeId::from_location(&location),
                    Err(LocationError::InvalidId { .. })
                ),
                "{location:?}"
            );
        }
    }

    #[test]
    fn keeps_a_bounded_copy_of_a_huge_value() {
        let huge = format!("productUpgrades/{}", "x".repeat(100_000));
        let Err(LocationError::InvalidId { location, .. }) = UpgradeId::from_location(&huge) else {
            panic!("accepted a huge garbage value");
        };
        assert_eq!(location.chars().count(), LocationError::MAX_KEPT);
    }

    #[test]
    fn serializes_as_a_bare_guid() {
        let id: UpgradeId = ID.parse().unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{ID}\""));
    }
}
