//! Hand-written conveniences on the generated types.

use uuid::Uuid;

use crate::{
    ErrorCode, ErrorDetails, PartnerCenterError, ProductUpgradeRequest, ProductUpgradesStatus,
    ThrottlingError, UpgradeState,
};

impl ErrorDetails {
    /// The explanation, whichever name it came under: `description` (as Microsoft's clients
    /// read it, and so most likely what the service sends) before `message` (as the resources
    /// page documents it).
    pub fn text(&self) -> Option<&str> {
        self.description.as_deref().or(self.message.as_deref())
    }
}

impl ProductUpgradeRequest {
    /// A request for `customer_id` to be upgraded to `product_family` (for example `"Azure"`),
    /// with no metadata attributes.
    pub fn new(customer_id: Uuid, product_family: impl Into<String>) -> Self {
        Self {
            attributes: None,
            customer_id,
            product_family: product_family.into(),
        }
    }
}

impl ProductUpgradesStatus {
    /// True when the upgrade's [`state`](Self::state) is [`UpgradeState::Completed`].
    pub fn is_completed(&self) -> bool {
        self.state() == UpgradeState::Completed
    }

    /// The error details of the upgrade, or else of its first line item that has some.
    pub fn failure_details(&self) -> Option<&ErrorDetails> {
        self.error_details.as_ref().or_else(|| {
            self.line_items
                .iter()
                .find_map(|i| i.error_details.as_ref())
        })
    }

    /// True when the upgrade, or any of its line items, carries error details.
    pub fn has_error(&self) -> bool {
        self.error_details.is_some() || self.line_items.iter().any(|i| i.error_details.is_some())
    }

    /// True when the upgrade failed: its state, or a line item's, is
    /// [`UpgradeState::Failed`], or it carries error details.
    pub fn is_failed(&self) -> bool {
        self.state() == UpgradeState::Failed
            || self.has_error()
            || self
                .line_items
                .iter()
                .any(|i| i.state() == Some(UpgradeState::Failed))
    }
}

impl ErrorCode {
    /// The code as a number, when it is one (a numeric string counts).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Number(code) => Some(*code),
            Self::Text(code) => code.trim().parse().ok(),
        }
    }
}

impl std::fmt::Display for PartnerCenterError {
    /// The code, the source and the description; the description as sent (see the
    /// client's errors for a bounded, escaped rendering of server text).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error {}", self.code)?;
        if let Some(source) = &self.source {
            write!(f, " from {source}")?;
        }
        write!(f, ": {}", self.description)
    }
}

impl std::fmt::Display for ThrottlingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}: {}", self.status_code, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_of_error_details_is_the_description_or_else_the_message() {
        let status: ProductUpgradesStatus = serde_json::from_str(
            r#"{"id": "42d075a4-bfe7-43e7-af6d-7c68a57edcb4", "status": "Failed",
                "lineItems": [{"errorDetails": {"code": 900120, "description": "Cannot process."}}]}"#,
        )
        .unwrap();
        let details = status.failure_details().unwrap();
        assert_eq!(details.text(), Some("Cannot process."));
        let written = serde_json::to_value(&status).unwrap();
        assert_eq!(
            written["lineItems"][0]["errorDetails"]["description"], "Cannot process.",
            "the description is kept when written back"
        );
        let both: ErrorDetails =
            serde_json::from_str(r#"{"message": "page", "description": "clients"}"#).unwrap();
        assert_eq!(both.text(), Some("clients"));
        let page: ErrorDetails = serde_json::from_str(r#"{"message": "page"}"#).unwrap();
        assert_eq!(page.text(), Some("page"));
    }

    #[test]
    fn error_code_reads_numbers_and_numeric_strings() {
        assert_eq!(ErrorCode::Number(3000).as_i64(), Some(3000));
        assert_eq!(ErrorCode::Text("800002".into()).as_i64(), Some(800002));
        assert_eq!(ErrorCode::Text("Conflict".into()).as_i64(), None);
    }

    #[test]
    fn completed_is_the_only_finished_state() {
        let mut status: ProductUpgradesStatus = serde_json::from_str(
            r#"{"id": "42d075a4-bfe7-43e7-af6d-7c68a57edcb4", "status": "Completed"}"#,
        )
        .unwrap();
        assert!(status.is_completed());
        status.status = "InProgress".into();
        assert!(!status.is_completed());
        assert!(!status.has_error());
    }
}
