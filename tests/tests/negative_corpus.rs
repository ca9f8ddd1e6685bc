//! Bodies the spec must refuse, each its own test, each refused for the reason its name says:
//! the violation is asserted at its instance path, with the word that names the rule.

use pc_upgrade_conformance::spec::{Mode, Spec, violations};
use serde_json::{Value, json};

const CUSTOMER: &str = "4c721420-72ad-4708-a0a7-371a2f7b0969";
const UPGRADE: &str = "42d075a4-bfe7-43e7-af6d-7c68a57edcb4";

/// Validates `body` against component `schema` and asserts exactly one violation, at `path`,
/// whose message contains `says`.
fn refused(schema: &str, mode: Mode, body: Value, path: &str, says: &str) {
    let spec = Spec::load();
    let found = violations(&spec.component_validator(schema, mode), &body);
    assert_eq!(
        found.len(),
        1,
        "{schema}: expected one violation, got {found:#?}\nbody: {body}"
    );
    assert_eq!(found[0].path, path, "{schema}: {}", found[0]);
    assert!(
        found[0].message.contains(says),
        "{schema}: the message should say {says:?}: {}",
        found[0]
    );
}

fn status_with_line_item(item: Value) -> Value {
    json!({"id": UPGRADE, "status": "Completed", "lineItems": [item]})
}

macro_rules! negative {
    ($($name:ident: $schema:literal, $mode:ident, $body:expr => at $path:literal, says $says:literal;)*) => {
        $(
            #[test]
            fn $name() {
                refused($schema, Mode::$mode, $body, $path, $says);
            }
        )*
        #[test]
        fn the_corpus_has_at_least_a_dozen_cases() {
            let names = [$(stringify!($name)),*];
            assert!(names.len() >= 12, "{}", names.len());
        }
    };
}

negative! {
    request_customer_id_not_a_guid: "ProductUpgradeRequest", Lenient,
        json!({"customerId": "4c721420", "productFamily": "azure"})
        => at "/customerId", says "is not a \"uuid\"";
    request_customer_id_a_number: "ProductUpgradeRequest", Lenient,
        json!({"customerId": 4, "productFamily": "azure"})
        => at "/customerId", says "is not of type \"string\"";
    request_without_customer_id: "ProductUpgradeRequest", Lenient,
        json!({"productFamily": "azure"})
        => at "", says "\"customerId\" is a required property";
    request_without_product_family: "ProductUpgradeRequest", Lenient,
        json!({"customerId": CUSTOMER})
        => at "", says "\"productFamily\" is a required property";
    request_product_family_not_a_string: "ProductUpgradeRequest", Lenient,
        json!({"customerId": CUSTOMER, "productFamily": ["azure"]})
        => at "/productFamily", says "is not of type \"string\"";
    request_attributes_not_an_object: "ProductUpgradeRequest", Lenient,
        json!({"customerId": CUSTOMER, "productFamily": "azure", "attributes": "ProductUpgradeRequest"})
        => at "/attributes", says "is not of type \"object\"";
    request_pascal_case_attributes_in_strict_mode: "ProductUpgradeRequest", Strict,
        json!({"customerId": CUSTOMER, "productFamily": "azure", "Attributes": {"ObjectType": "ProductUpgradeRequest"}})
        => at "", says "'Attributes' was unexpected";
    eligibility_is_eligible_a_string: "ProductUpgradesEligibility", Lenient,
        json!({"customerId": CUSTOMER, "isEligible": "true"})
        => at "/isEligible", says "is not of type \"boolean\"";
    eligibility_without_is_eligible: "ProductUpgradesEligibility", Lenient,
        json!({"customerId": CUSTOMER, "productFamily": "azure"})
        => at "", says "\"isEligible\" is a required property";
    eligibility_upgrade_id_not_a_guid: "ProductUpgradesEligibility", Lenient,
        json!({"customerId": CUSTOMER, "isEligible": false, "upgradeId": "productUpgrades/42"})
        => at "/upgradeId", says "is not a \"uuid\"";
    status_without_id: "ProductUpgradesStatus", Lenient,
        json!({"status": "Completed"})
        => at "", says "\"id\" is a required property";
    status_id_not_a_guid: "ProductUpgradesStatus", Lenient,
        json!({"id": "42d075a4-bfe7-43e7-af6d", "status": "Completed"})
        => at "/id", says "is not a \"uuid\"";
    status_status_not_a_string: "ProductUpgradesStatus", Lenient,
        json!({"id": UPGRADE, "status": 1})
        => at "/status", says "is not of type \"string\"";
    status_line_items_not_an_array: "ProductUpgradesStatus", Lenient,
        json!({"id": UPGRADE, "status": "Completed", "lineItems": {"status": "Completed"}})
        => at "/lineItems", says "is not of type \"array\"";
    status_upgraded_date_not_a_date_time: "ProductUpgradesStatus", Lenient,
        status_with_line_item(json!({"upgradedDate": "2019-08-29", "status": "Completed"}))
        => at "/lineItems/0/upgradedDate", says "is not a \"date-time\"";
    status_upgraded_date_without_a_zone: "ProductUpgradesStatus", Lenient,
        status_with_line_item(json!({"upgradedDate": "2019-08-29T23:47:28.8524555"}))
        => at "/lineItems/0/upgradedDate", says "is not a \"date-time\"";
    status_target_product_id_not_a_guid: "ProductUpgradesStatus", Lenient,
        status_with_line_item(json!({"targetProduct": {"id": "Microsoft Azure plan"}}))
        => at "/lineItems/0/targetProduct/id", says "is not a \"uuid\"";
    status_target_product_without_id: "ProductUpgradesStatus", Lenient,
        status_with_line_item(json!({"targetProduct": {"name": "Microsoft Azure plan"}}))
        => at "/lineItems/0/targetProduct", says "\"id\" is a required property";
    status_error_code_a_boolean: "ProductUpgradesStatus", Lenient,
        json!({"id": UPGRADE, "status": "Failed", "errorDetails": {"code": true}})
        => at "/errorDetails/code", says "is not valid under any of the schemas";
    status_line_item_misspelt_in_strict_mode: "ProductUpgradesStatus", Strict,
        status_with_line_item(json!({"upgradeDate": "2019-08-29T23:47:28Z"}))
        => at "/lineItems/0", says "'upgradeDate' was unexpected";
    error_body_without_description: "PartnerCenterError", Lenient,
        json!({"code": 3000, "data": [], "source": "PartnerFD"})
        => at "", says "\"description\" is a required property";
    error_body_code_an_object: "PartnerCenterError", Lenient,
        json!({"code": {"value": 3000}, "description": "Invalid property."})
        => at "/code", says "is not valid under any of the schemas";
    error_body_data_not_an_array: "PartnerCenterError", Lenient,
        json!({"code": 3000, "description": "Invalid property.", "data": "none"})
        => at "/data", says "is not of type \"array\"";
    throttling_status_code_a_string: "ThrottlingError", Lenient,
        json!({"statusCode": "429", "message": "Rate limit is exceeded."})
        => at "/statusCode", says "is not of type \"integer\"";
}

/// Each error status names one body: a `429` the throttling body, every other error the
/// Partner Center body. A body of the other shape is refused where it does not belong; a body
/// with both shapes' properties is the declared one with extra properties.
#[test]
fn each_error_status_declares_its_own_body() {
    let spec = Spec::load();
    let partner_center =
        json!({"code": 3000, "description": "…", "data": [], "source": "PartnerFD"});
    let throttling =
        json!({"statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds."});
    let both = json!({"code": 3000, "description": "d", "statusCode": 400, "message": "m"});
    for operation in [
        "check_eligibility",
        "create_product_upgrade",
        "get_product_upgrade_status",
    ] {
        for status in [400, 401, 403, 404, 413, 415, 500, 503] {
            let schema = spec.response_schema(operation, status).unwrap();
            let validator = spec.validator(schema, Mode::Lenient);
            assert!(
                violations(&validator, &partner_center).is_empty(),
                "{operation} {status}"
            );
            assert!(
                violations(&validator, &both).is_empty(),
                "{operation} {status}"
            );
            let found = violations(&validator, &json!({"statusCode": status, "message": "m"}));
            assert_eq!(found.len(), 2, "{operation} {status}: {found:#?}");
            assert!(
                found
                    .iter()
                    .all(|v| v.message.contains("is a required property"))
            );
        }
        let schema = spec.response_schema(operation, 429).unwrap();
        let validator = spec.validator(schema, Mode::Lenient);
        assert!(
            violations(&validator, &throttling).is_empty(),
            "{operation}"
        );
        let found = violations(&validator, &partner_center);
        assert_eq!(found.len(), 2, "{operation} 429: {found:#?}");
    }
}

/// The `Location` of a create's `202`: a GUID in its hyphenated form, after the collection in
/// either of the documents' casings; 36 characters of hex digits and dashes are not enough.
#[test]
fn location_must_end_in_a_guid() {
    let spec = Spec::load();
    let header = spec
        .pointer("/paths/~1v1~1productupgrades/post/responses/202/headers/Location/schema")
        .unwrap()
        .clone();
    let validator = spec.validator(&header, Mode::Strict);
    for good in [
        "productUpgrades/42d075a4-bfe7-43e7-af6d-7c68a57edcb4",
        "productupgrades/42D075A4-BFE7-43E7-AF6D-7C68A57EDCB4",
    ] {
        assert!(violations(&validator, &json!(good)).is_empty(), "{good}");
    }
    for bad in [
        "productUpgrades/--9aeae4B66596fc445BdE30BF0CFCaA3F4b",
        "productUpgrades/42d075a4bfe743e7af6d7c68a57edcb4",
        "productUpgrades/42d075a4-bfe7-43e7-af6d-7c68a57edcb4/status",
        "customers/42d075a4-bfe7-43e7-af6d-7c68a57edcb4",
    ] {
        let found = violations(&validator, &json!(bad));
        assert_eq!(found.len(), 1, "{bad}: {found:#?}");
        assert!(found[0].message.contains("does not match"), "{}", found[0]);
    }
}
