//! The other direction: the JSON Schema each type gives of itself (`schemars`, feature
//! `schemars` of `pc-upgrade-types`) is snapshotted, and every documented body validates
//! against its type's own schema too. Spec → types is checked by the round trips; types →
//! documents here.

use jsonschema::Validator;
use pc_upgrade_conformance::checks::body_schema;
use pc_upgrade_conformance::fixtures;
use pc_upgrade_conformance::spec::{Spec, violations};
use pc_upgrade_types::*;
use schemars::schema_for;

/// schemars 0.8 writes draft-07 schemas, whose format vocabulary has no `uuid`; the schema is
/// validated under draft 2020-12 (the same keywords, plus `uuid`) so that GUIDs are checked.
fn validator(schema: &schemars::schema::RootSchema) -> Validator {
    let mut value = serde_json::to_value(schema).unwrap();
    value.as_object_mut().unwrap().remove("$schema");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&value)
        .unwrap()
}

/// The schemars schema of the type a spec schema names (a `$ref` to a component).
fn schema_of_component(name: &str) -> schemars::schema::RootSchema {
    match name {
        "ProductUpgradeRequest" => schema_for!(ProductUpgradeRequest),
        "ProductUpgradesEligibility" => schema_for!(ProductUpgradesEligibility),
        "ProductUpgradesStatus" => schema_for!(ProductUpgradesStatus),
        "PartnerCenterError" => schema_for!(PartnerCenterError),
        "ThrottlingError" => schema_for!(ThrottlingError),
        "SubscriptionCollection" => schema_for!(SubscriptionCollection),
        "CustomerCollection" => schema_for!(CustomerCollection),
        "AgreementCollection" => schema_for!(AgreementCollection),
        other => panic!("no type for {other}"),
    }
}

macro_rules! schema_snapshots {
    ($($ty:ident),* $(,)?) => {
        $(
            #[test]
            #[allow(non_snake_case)]
            fn $ty() {
                insta::assert_json_snapshot!(stringify!($ty), schema_for!($ty));
            }
        )*
    };
}

schema_snapshots! {
    ProductUpgradeRequest,
    ProductUpgradesEligibility,
    ProductUpgradesStatus,
    UpgradesLineItem,
    UpgradeProduct,
    ErrorDetails,
    ResourceAttributes,
    ErrorCode,
    PartnerCenterError,
    ThrottlingError,
    SubscriptionCollection,
    Subscription,
    CustomerCollection,
    Customer,
    AgreementCollection,
}

#[test]
fn documented_bodies_validate_against_the_types_own_schemas() {
    let spec = Spec::load();
    let mut checked = 0;
    for name in fixtures::names() {
        let fixture = fixtures::load(&name);
        let Ok(Some(body)) = fixture.json() else {
            continue;
        };
        let reference = body_schema(&spec, &fixture).unwrap().unwrap()["$ref"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        let found = violations(&validator(&schema_of_component(&reference)), &body);
        assert!(
            found.is_empty(),
            "{name} against the {reference} type's schema: {found:#?}"
        );
        checked += 1;
    }
    assert_eq!(checked, 13, "fixtures with a JSON body");
}

#[test]
fn the_types_own_schema_refuses_a_non_guid_id() {
    let body = serde_json::json!({"id": "42d075a4", "status": "Completed"});
    let found = violations(&validator(&schema_for!(ProductUpgradesStatus)), &body);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].path, "/id");
    assert!(found[0].message.contains("uuid"), "{}", found[0]);
}

/// The types are `#[non_exhaustive]` (a new optional property breaks no other crate), so other
/// crates build them with their builders; a required field left unset is an error.
#[test]
fn other_crates_build_the_types_with_their_builders() {
    let id: uuid::Uuid = "42d075a4-bfe7-43e7-af6d-7c68a57edcb4".parse().unwrap();
    let status: ProductUpgradesStatus = ProductUpgradesStatus::builder()
        .id(id)
        .status("InProgress")
        .try_into()
        .unwrap();
    assert_eq!(status.id, id);
    assert_eq!(status.line_items, []);
    let missing: Result<ProductUpgradesStatus, _> = ProductUpgradesStatus::builder()
        .status("Completed")
        .try_into();
    let error = missing.unwrap_err().to_string();
    assert!(error.contains("id"), "{error}");
}
