//! The documented answers the server gives by default, as sent on the wire.
//!
//! They are the examples of the Partner Center documentation; the conformance suite checks
//! them against the fixtures and the spec.

/// The upgrade id of the documented create and status examples.
pub const UPGRADE_ID: &str = "42d075a4-bfe7-43e7-af6d-7c68a57edcb4";

/// The documented `Location` of a `202 Accepted` to a create call.
pub const CREATE_LOCATION: &str = "productUpgrades/42d075a4-bfe7-43e7-af6d-7c68a57edcb4";

/// The documented body of an eligibility answer.
pub const ELIGIBILITY_RESPONSE: &str = r#"{
  "customerId": "c1958bc7-3284-4952-a257-de594ee64743",
  "isEligible": true,
  "productFamily": "azure"
}"#;

/// The documented body of a status answer.
pub const STATUS_RESPONSE: &str = r#"{
    "id": "42d075a4-bfe7-43e7-af6d-7c68a57edcb4",
    "status": "Completed",
    "productFamily": "Azure",
    "lineItems": [
        {
            "sourceProduct": {
                "id": "b1beb621-3cad-4d7a-b360-62db33ce028e",
                "name": "AzureSubscription"
            },
            "targetProduct": {
                "id": "d231908e-31c1-de0e-027b-bc5ce11f09d9",
                "name": "Microsoft Azure plan"
            },
            "upgradedDate": "2019-08-29T23:47:28.8524555Z",
            "status": "Completed"
        }
    ]
}"#;

/// The body of a customer's subscriptions, as the spec's example gives it: one legacy Azure
/// subscription (the subscriptions page's resource, its GUID in upper case as there).
pub const SUBSCRIPTIONS_RESPONSE: &str = r#"{
    "totalCount": 1,
    "items": [
        {
            "id": "A356AC8C-E310-44F4-BF85-C7F29044AF99",
            "offerId": "MS-AZR-0145P",
            "offerName": "Microsoft Azure",
            "friendlyName": "Microsoft Azure",
            "quantity": 1,
            "status": "active",
            "attributes": {"objectType": "Subscription"}
        }
    ],
    "attributes": {"objectType": "Collection"}
}"#;

/// A page of the partner's customers, as the spec's example gives it (one customer and the
/// token of the next page).
pub const CUSTOMERS_RESPONSE: &str = r#"{
    "totalCount": 1,
    "items": [
        {
            "id": "c501c3c4-d776-40ef-9ecf-9cefb59442c1",
            "companyProfile": {
                "tenantId": "c501c3c4-d776-40ef-9ecf-9cefb59442c1",
                "domain": "contoso.onmicrosoft.com",
                "companyName": "Contoso"
            },
            "relationshipToPartner": "reseller",
            "attributes": {"objectType": "Customer"}
        }
    ],
    "continuationToken": "d19617b8-fbe5-4684-a5d8-0230972fb0cf,0000000000000001",
    "attributes": {"objectType": "Collection"}
}"#;

/// A customer's acceptance of the Microsoft Customer Agreement, as the spec's example gives
/// it.
pub const AGREEMENTS_RESPONSE: &str = r#"{
    "totalCount": 1,
    "items": [
        {
            "templateId": "117a77b0-9360-443b-8795-c6dedc750cf9",
            "dateAgreed": "2019-07-01T00:00:00Z",
            "type": "MicrosoftCustomerAgreement",
            "primaryContact": {"firstName": "Ana", "lastName": "Bowman", "email": "ana@contoso.com"},
            "attributes": {"objectType": "Agreement"}
        }
    ],
    "attributes": {"objectType": "Collection"}
}"#;
