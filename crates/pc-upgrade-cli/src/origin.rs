//! How a customer's upgrade was found, as the journal writes it.

use serde::{Deserialize, Serialize};

/// How a customer's upgrade was found. The journal writes it as the words earlier versions
/// wrote (`created`, `eligibility`, `conflict 900109`), so journals of either read alike;
/// the names are those of the client's `Origin`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Origin {
    /// This run, or an earlier one, created it.
    Created,
    /// Eligibility named it: it existed already.
    Eligibility,
    /// The create was refused because the customer has it; the refusal's code, if numeric.
    Conflict {
        /// The Partner Center error code that named the upgrade.
        code: Option<i64>,
    },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Created => f.write_str("created"),
            Self::Eligibility => f.write_str("eligibility"),
            Self::Conflict { code: Some(code) } => write!(f, "conflict {code}"),
            Self::Conflict { code: None } => f.write_str("conflict"),
        }
    }
}

impl From<Origin> for String {
    fn from(origin: Origin) -> Self {
        origin.to_string()
    }
}

impl TryFrom<String> for Origin {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        match text.split_once(' ') {
            None if text == "created" => Ok(Self::Created),
            None if text == "eligibility" => Ok(Self::Eligibility),
            None if text == "conflict" => Ok(Self::Conflict { code: None }),
            Some(("conflict", code)) => code
                .parse()
                .map(|code| Self::Conflict { code: Some(code) })
                .map_err(|_| format!("{text:?} is not how an upgrade was found")),
            _ => Err(format!("{text:?} is not how an upgrade was found")),
        }
    }
}
