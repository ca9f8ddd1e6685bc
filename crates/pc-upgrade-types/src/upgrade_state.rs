//! [`UpgradeState`]: the `status` of an upgrade or line item, read as an open set.

use std::fmt;

use crate::{ProductUpgradesStatus, UpgradesLineItem};

/// The state of a product upgrade (or of one of its line items).
///
/// The status page shows only `Completed`; the error codes page speaks of upgrades that are
/// pending, in progress and failed. The spec keeps `status` a free string, so a value the
/// documents do not name is kept as it came, in [`UpgradeState::Other`]. Known values are
/// recognised ignoring ASCII case, spaces, `-` and `_` (`InProgress`, `in progress`,
/// `in_progress`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UpgradeState {
    /// The upgrade is done.
    Completed,
    /// The upgrade is being carried out.
    InProgress,
    /// The upgrade is accepted and waits to start.
    Pending,
    /// The upgrade failed; the status's `errorDetails` say why, when they are given.
    Failed,
    /// A value the documents do not name, as it came.
    Other(String),
}

impl UpgradeState {
    /// Reads a `status` value.
    pub fn parse(status: &str) -> Self {
        let folded: String = status
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '_'))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match folded.as_str() {
            "completed" => Self::Completed,
            "inprogress" => Self::InProgress,
            "pending" => Self::Pending,
            "failed" => Self::Failed,
            _ => Self::Other(status.to_owned()),
        }
    }

    /// True for the states an upgrade does not leave: [`Completed`](Self::Completed) and
    /// [`Failed`](Self::Failed).
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Completed | Self::Failed)
    }
}

impl fmt::Display for UpgradeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Completed => "Completed",
            Self::InProgress => "InProgress",
            Self::Pending => "Pending",
            Self::Failed => "Failed",
            Self::Other(text) => text,
        })
    }
}

impl ProductUpgradesStatus {
    /// The upgrade's [`UpgradeState`], read from `status`.
    pub fn state(&self) -> UpgradeState {
        UpgradeState::parse(&self.status)
    }
}

impl UpgradesLineItem {
    /// The line item's [`UpgradeState`], if it has a `status`.
    pub fn state(&self) -> Option<UpgradeState> {
        self.status.as_deref().map(UpgradeState::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_states_are_read_in_any_spelling_and_others_kept() {
        for (text, state) in [
            ("Completed", UpgradeState::Completed),
            ("completed", UpgradeState::Completed),
            ("InProgress", UpgradeState::InProgress),
            ("in progress", UpgradeState::InProgress),
            ("IN_PROGRESS", UpgradeState::InProgress),
            ("Pending", UpgradeState::Pending),
            ("Failed", UpgradeState::Failed),
            ("Cancelled", UpgradeState::Other("Cancelled".into())),
            ("", UpgradeState::Other(String::new())),
        ] {
            assert_eq!(UpgradeState::parse(text), state, "{text:?}");
        }
        assert_eq!(
            UpgradeState::Other("Cancelled".into()).to_string(),
            "Cancelled"
        );
        assert!(UpgradeState::Failed.is_final() && !UpgradeState::Pending.is_final());
    }
}
