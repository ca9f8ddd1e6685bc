//! A Partner Center error code as the journal, the reports and the summary keep it: the
//! service's own, a number or a string as the spec types it (`3000`,
//! `"SubscriptionTransitionFailed"`), a string bounded; and what the documents say it means.

use pc_upgrade_client::types::{ErrorCode, ErrorDetails};
use pc_upgrade_client::{Error, PartnerCenterErrorCode};

/// The longest text code kept; a longer one is server text gone wrong.
const MAX_TEXT: usize = 100;

/// The code of a refused or failed call, if its answer had one.
pub fn of_error(error: &Error) -> Option<ErrorCode> {
    error.partner_center_error().map(|e| kept(&e.code))
}

/// The code of error details (a failed upgrade's, a line item's).
pub fn of_details(details: Option<&ErrorDetails>) -> Option<ErrorCode> {
    details?.code.as_ref().map(kept)
}

/// `code`, a string cut to [`MAX_TEXT`] characters.
fn kept(code: &ErrorCode) -> ErrorCode {
    match code {
        ErrorCode::Text(text) if text.chars().nth(MAX_TEXT).is_some() => {
            ErrorCode::Text(text.chars().take(MAX_TEXT).chain(['…']).collect())
        }
        code => code.clone(),
    }
}

/// The code's number, when it is one (a numeric string counts).
pub fn number(code: Option<&ErrorCode>) -> Option<i64> {
    code?.as_i64()
}

/// What the documents say the code means, when they list it.
pub fn meaning(code: &ErrorCode) -> Option<&'static str> {
    PartnerCenterErrorCode::from_code(code).meaning()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(code: serde_json::Value) -> ErrorDetails {
        serde_json::from_value(serde_json::json!({ "code": code })).expect("error details")
    }

    #[test]
    fn a_code_is_kept_as_the_service_typed_it_a_text_one_bounded() {
        let Some(ErrorCode::Text(kept)) = of_details(Some(&details("x".repeat(500).into()))) else {
            panic!("not kept as text");
        };
        assert_eq!(kept.chars().count(), MAX_TEXT + 1);
        let text = "SubscriptionTransitionFailed";
        assert_eq!(
            of_details(Some(&details(text.into()))),
            Some(ErrorCode::Text(text.into()))
        );
        assert_eq!(
            of_details(Some(&details(900_120.into()))),
            Some(ErrorCode::Number(900_120))
        );
        assert_eq!(
            number(Some(&ErrorCode::Text("900120".into()))),
            Some(900_120)
        );
        assert_eq!(
            meaning(&ErrorCode::Number(900_108)),
            Some("the customer has no Azure subscription")
        );
    }
}
