//! [`Operation`]: the operations the fake knows, by the spec's `operationId`.

/// The operations the server knows, matched on method and path as the spec gives them (the
/// path compared ignoring ASCII case, as the service does).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `POST /v1/productUpgrades/eligibility`.
    CheckEligibility,
    /// `POST /v1/productupgrades`.
    CreateProductUpgrade,
    /// `POST /v1/productUpgrades/{upgrade-id}/status`.
    GetProductUpgradeStatus,
    /// `POST /v1/productUpgrades/{upgrade-id}`: the upgrade at its create's `Location`,
    /// answered as its status (the REST reference's fourth operation).
    GetProductUpgrade,
    /// `GET /v1/customers/{customer-tenant-id}/subscriptions`: the customer's subscriptions,
    /// before and after its upgrade.
    GetCustomerSubscriptions,
    /// `GET /v1/customers`: the partner's customers, a page at a time.
    ListCustomers,
    /// `GET /v1/customers/{customer-tenant-id}/agreements`: a customer's agreements.
    GetCustomerAgreements,
}

impl Operation {
    /// The operation with this `operationId` in the spec.
    pub fn from_operation_id(id: &str) -> Option<Self> {
        match id {
            "check_eligibility" => Some(Self::CheckEligibility),
            "create_product_upgrade" => Some(Self::CreateProductUpgrade),
            "get_product_upgrade_status" => Some(Self::GetProductUpgradeStatus),
            "get_product_upgrade" => Some(Self::GetProductUpgrade),
            "get_customer_subscriptions" => Some(Self::GetCustomerSubscriptions),
            "list_customers" => Some(Self::ListCustomers),
            "get_customer_agreements" => Some(Self::GetCustomerAgreements),
            _ => None,
        }
    }

    /// The operation's `operationId` in the spec.
    pub fn operation_id(self) -> &'static str {
        match self {
            Self::CheckEligibility => "check_eligibility",
            Self::CreateProductUpgrade => "create_product_upgrade",
            Self::GetProductUpgradeStatus => "get_product_upgrade_status",
            Self::GetProductUpgrade => "get_product_upgrade",
            Self::GetCustomerSubscriptions => "get_customer_subscriptions",
            Self::ListCustomers => "list_customers",
            Self::GetCustomerAgreements => "get_customer_agreements",
        }
    }
}
