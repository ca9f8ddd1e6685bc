//! [`ScriptedCode`]: an error code as a fleet scripts it, a number or a string.

use serde::{Deserialize, Serialize};

/// An error details' code as the fleet scripts it: a number (`900120`, what the service
/// sends) or a string (`"SubscriptionTransitionFailed"`: the spec's `ErrorCode` allows both).
/// The fake's own type, not the client's, so that the fake checks the client and not itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ScriptedCode {
    /// A number.
    Number(i64),
    /// A string.
    Text(String),
}

impl From<i64> for ScriptedCode {
    fn from(code: i64) -> Self {
        Self::Number(code)
    }
}

impl From<&str> for ScriptedCode {
    fn from(code: &str) -> Self {
        Self::Text(code.to_owned())
    }
}
