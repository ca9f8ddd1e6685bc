//! The fuzz targets' invariants (`fuzz/`, nightly) as property tests on stable, so that
//! `cargo test` checks them on every run; and the agreement of the client and the spec on
//! what a `Location` is.

use pc_upgrade_conformance::invariants;
use pc_upgrade_conformance::spec::{Mode, Spec, violations};
use pc_upgrade_types::{LocationError, UpgradeId};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("id".to_owned()),
                    Just("status".to_owned()),
                    Just("customerId".to_owned()),
                    Just("productFamily".to_owned()),
                    Just("isEligible".to_owned()),
                    Just("lineItems".to_owned()),
                    Just("code".to_owned()),
                    Just("description".to_owned()),
                    "[a-zA-Z]{1,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A status body the spec allows, with optional parts present or not.
fn a_status() -> impl Strategy<Value = Value> {
    (
        any::<u128>(),
        "[A-Za-z ]{0,12}",
        prop::option::of((any::<u128>(), 0i64..4_102_444_800, 0u32..1_000_000_000)),
        prop::option::of((any::<i64>(), ".{0,20}")),
    )
        .prop_map(|(id, status, item, error)| {
            let mut body = json!({"id": uuid::Uuid::from_u128(id), "status": status});
            if let Some((product, seconds, nanos)) = item {
                let date = chrono::DateTime::from_timestamp(seconds, nanos).unwrap();
                body["lineItems"] = json!([{
                    "targetProduct": {"id": uuid::Uuid::from_u128(product), "name": "plan"},
                    "upgradedDate": date.to_rfc3339(),
                }]);
            }
            if let Some((code, message)) = error {
                body["errorDetails"] = json!({"code": code, "message": message});
            }
            body
        })
}

fn location_validator(spec: &Spec) -> jsonschema::Validator {
    let schema = spec
        .pointer("/paths/~1v1~1productupgrades/post/responses/202/headers/Location/schema")
        .unwrap()
        .clone();
    spec.validator(&schema, Mode::Strict)
}

proptest! {
    #[test]
    fn any_json_keeps_every_type_s_invariants(value in any_json()) {
        invariants::every_type_round_trips(value.to_string().as_bytes());
    }

    #[test]
    fn any_bytes_keep_every_type_s_invariants(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        invariants::every_type_round_trips(&bytes);
    }

    #[test]
    fn statuses_the_spec_allows_are_read_and_round_trip(body in a_status()) {
        let text = body.to_string();
        prop_assert!(serde_json::from_str::<pc_upgrade_types::ProductUpgradesStatus>(&text).is_ok(), "{}", text);
        invariants::json_round_trip::<pc_upgrade_types::ProductUpgradesStatus>(text.as_bytes());
    }

    #[test]
    fn any_text_keeps_the_location_invariants(text in ".{0,80}") {
        invariants::location(&text);
    }

    #[test]
    fn every_guid_location_is_accepted_by_the_client_and_the_spec(
        id in any::<u128>(),
        upper in any::<bool>(),
        collection in prop_oneof![Just("productUpgrades"), Just("productupgrades")],
    ) {
        let id = uuid::Uuid::from_u128(id);
        let text = if upper { id.to_string().to_uppercase() } else { id.to_string() };
        let location = format!("{collection}/{text}");
        prop_assert_eq!(UpgradeId::from_location(&location), Ok(UpgradeId::new(id)));
        let spec = Spec::load();
        prop_assert!(violations(&location_validator(&spec), &json!(location)).is_empty());
    }

    #[test]
    fn thirty_six_characters_that_are_no_guid_are_refused_by_both(
        text in "[0-9a-fA-F-]{36}".prop_filter("no GUID", |t| uuid::Uuid::try_parse(t).is_err()),
    ) {
        let location = format!("productUpgrades/{text}");
        let refused = matches!(
            UpgradeId::from_location(&location),
            Err(LocationError::InvalidId { .. })
        );
        prop_assert!(refused, "{}", location);
        let spec = Spec::load();
        prop_assert_eq!(violations(&location_validator(&spec), &json!(location)).len(), 1);
    }
}
