//! Every documented message of `tests/fixtures/`, each its own test: it agrees with the spec
//! (schema, strictly; headers; embedded example), round-trips through its `pc-upgrade-types`
//! type, and its typed value is snapshotted.

use std::collections::BTreeSet;

use pc_upgrade_conformance::checks::{check_fixture, round_trip};
use pc_upgrade_conformance::fixtures::{self, Fixture};
use pc_upgrade_conformance::spec::{Mode, Spec, violations};

fn conforms(name: &str) -> Fixture {
    let spec = Spec::load();
    let fixture = fixtures::load(name);
    if let Err(message) = check_fixture(&spec, &fixture) {
        panic!("{message}");
    }
    match round_trip(&spec, &fixture) {
        Ok(Some(trip)) => insta::assert_snapshot!(format!("typed__{name}"), trip.debug),
        Ok(None) => {}
        Err(message) if fixture.defect().is_some() => {
            // Documented defects are pinned by their own tests below.
            let _ = message;
        }
        Err(message) => panic!("{message}"),
    }
    fixture
}

macro_rules! fixture_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                conforms(stringify!($name));
            }
        )*
        const LISTED: &[&str] = &[$(stringify!($name)),*];
    };
}

fixture_tests! {
    agreements_response,
    create_request_000,
    create_request_001,
    create_request_002,
    create_response_000,
    create_response_001,
    create_response_002,
    customers_response,
    eligibility_request,
    eligibility_response,
    error_response_400,
    status_request_003_corrected,
    status_request_003_pascal_case,
    status_request_003_verbatim,
    status_response_003,
    subscriptions_response,
    throttled_response_429,
}

#[test]
fn every_fixture_file_has_its_own_test() {
    let on_disk: BTreeSet<String> = fixtures::names().into_iter().collect();
    let listed: BTreeSet<String> = LISTED.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        on_disk, listed,
        "add the fixture to fixture_tests!, or remove the file"
    );
}

/// The documented pages with examples, by URL and revision (`ms.date`; `none` for the
/// plain-text copy). The resources page has tables and no examples.
const PAGES_WITH_EXAMPLES: &[(&str, &str)] = &[
    (
        "https://learn.microsoft.com/en-us/partner-center/developer/create-product-upgrade-entity",
        "10/11/2019",
    ),
    (
        "https://learn.microsoft.com/en-us/partner-center/developer/create-product-upgrade-entity",
        "11/01/2019",
    ),
    (
        "https://learn.microsoft.com/en-us/partner-center/developer/create-product-upgrade-entity",
        "none",
    ),
    (
        "https://learn.microsoft.com/en-us/partner-center/developer/get-product-upgrade-status",
        "09/22/2023",
    ),
];

#[test]
fn every_documented_example_block_has_its_verbatim_fixture() {
    let kept: Vec<(String, String, String)> = fixtures::names()
        .iter()
        .map(|name| fixtures::load(name))
        .filter_map(|f| {
            let meta = |key| f.meta(key).map(str::to_owned);
            Some((meta("page")?, meta("ms.date")?, meta("block")?))
        })
        .collect();
    for (page, revision) in PAGES_WITH_EXAMPLES {
        for block in ["request example", "response example"] {
            let count = kept
                .iter()
                .filter(|(p, r, b)| p == page && r == revision && b == block)
                .count();
            assert_eq!(
                count, 1,
                "{page} (ms.date {revision}): {count} fixtures of its {block}"
            );
        }
    }
}

#[test]
fn every_fixture_names_its_public_page() {
    for name in fixtures::names() {
        let fixture = fixtures::load(&name);
        let page = fixture.meta("page").unwrap_or_default();
        assert!(
            page.starts_with("https://learn.microsoft.com/en-us/partner-center/developer/"),
            "{name}: page {page:?}"
        );
        assert!(fixture.meta("title").is_some(), "{name} has no title");
        assert!(fixture.meta("ms.date").is_some(), "{name} has no ms.date");
        assert!(
            fixture.meta("block").is_some() || fixture.meta("derived-from").is_some(),
            "{name}: neither a verbatim block nor derived from one"
        );
    }
}

/// Every example the spec embeds is pinned to a fixture: the spec cannot carry an example the
/// documents do not have.
#[test]
fn every_spec_example_is_pinned_by_a_fixture() {
    fn collect(value: &serde_json::Value, pointer: String, out: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, child) in map {
                    let escaped = key.replace('~', "~0").replace('/', "~1");
                    let here = format!("{pointer}/{escaped}");
                    if key == "examples" {
                        for name in child.as_object().into_iter().flatten().map(|(k, _)| k) {
                            out.insert(format!("{here}/{name}/value"));
                        }
                    } else {
                        collect(child, here, out);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    collect(child, format!("{pointer}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let spec = Spec::load();
    let mut in_spec = BTreeSet::new();
    collect(&spec.doc, String::new(), &mut in_spec);
    let pinned: BTreeSet<String> = fixtures::names()
        .iter()
        .filter_map(|n| fixtures::load(n).meta("spec-example").map(str::to_owned))
        .collect();
    let unpinned: Vec<&String> = in_spec.difference(&pinned).collect();
    assert!(
        unpinned.is_empty(),
        "spec examples no fixture pins: {unpinned:#?}"
    );
    assert_eq!(in_spec.len(), 11, "{in_spec:#?}");
}

#[test]
fn the_location_example_of_the_spec_is_the_documented_one() {
    let spec = Spec::load();
    let example = spec
        .pointer("/paths/~1v1~1productupgrades/post/responses/202/headers/Location/example")
        .and_then(|v| v.as_str())
        .expect("the 202 answer has a Location example");
    for name in [
        "create_response_000",
        "create_response_001",
        "create_response_002",
    ] {
        assert_eq!(
            fixtures::load(name).header("Location"),
            Some(example),
            "{name}"
        );
    }
}

/// Defect 1, kept verbatim: the status page's request body is not JSON. It gives a clear
/// parse error, at the line where the unnamed inner object starts.
#[test]
fn the_verbatim_status_request_is_not_json() {
    let fixture = fixtures::load("status_request_003_verbatim");
    assert_eq!(fixture.defect(), Some("invalid-json"));
    let error = fixture
        .json()
        .expect_err("the documented body must stay invalid");
    assert!(error.is_syntax(), "{error}");
    assert_eq!((error.line(), error.column()), (2, 2), "{error}");
    assert_eq!(error.to_string(), "key must be a string at line 2 column 2");
    // The same bytes through the types crate: the same clear error, not a panic.
    let typed = serde_json::from_str::<pc_upgrade_types::ProductUpgradeRequest>(
        fixture.body.as_deref().unwrap_or_default(),
    );
    assert_eq!(
        typed.unwrap_err().to_string(),
        "key must be a string at line 2 column 2"
    );
}

/// Defect 2: the status page writes `"Attributes": {"ObjectType": …}`. Decision: the spec
/// declares the resources page's camelCase only. Strict validation names the undeclared
/// property; at run time the body is accepted and its PascalCase metadata ignored.
#[test]
fn the_pascal_case_attributes_are_not_the_spec_and_are_ignored_at_run_time() {
    let spec = Spec::load();
    let fixture = fixtures::load("status_request_003_pascal_case");
    let body = fixture.json().unwrap().unwrap();
    let schema = spec.request_schema("get_product_upgrade_status").unwrap();

    assert!(violations(&spec.validator(schema, Mode::Lenient), &body).is_empty());
    let strict = violations(&spec.validator(schema, Mode::Strict), &body);
    assert_eq!(strict.len(), 1, "{strict:?}");
    assert_eq!(strict[0].path, "");
    assert!(
        strict[0].message.contains("'Attributes' was unexpected"),
        "{}",
        strict[0]
    );

    let typed: pc_upgrade_types::ProductUpgradeRequest = serde_json::from_value(body).unwrap();
    assert_eq!(typed.attributes, None);
    let corrected: pc_upgrade_types::ProductUpgradeRequest = serde_json::from_value(
        fixtures::load("status_request_003_corrected")
            .json()
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        corrected.attributes.and_then(|a| a.object_type).as_deref(),
        Some("ProductUpgradeRequest")
    );
}

/// The documents disagree on the product family's case; both validate and keep their case.
#[test]
fn both_product_family_spellings_are_valid_and_kept() {
    let families: Vec<String> = ["create_request_000", "create_request_001"]
        .iter()
        .map(|n| {
            let body = fixtures::load(n).json().unwrap().unwrap();
            serde_json::from_value::<pc_upgrade_types::ProductUpgradeRequest>(body)
                .unwrap()
                .product_family
        })
        .collect();
    assert_eq!(families, ["azure", "Azure"]);
}

/// The documented `upgradedDate` has 7 fractional digits; chrono writes 9 back. The instant
/// is the same, which is what the round trips compare.
#[test]
fn upgraded_date_is_written_back_with_nine_fractional_digits() {
    let body = fixtures::load("status_response_003")
        .json()
        .unwrap()
        .unwrap();
    assert_eq!(
        body["lineItems"][0]["upgradedDate"],
        "2019-08-29T23:47:28.8524555Z"
    );
    let status: pc_upgrade_types::ProductUpgradesStatus = serde_json::from_value(body).unwrap();
    let written = serde_json::to_value(&status).unwrap();
    assert_eq!(
        written["lineItems"][0]["upgradedDate"],
        "2019-08-29T23:47:28.852455500Z"
    );
}

/// The one other difference a round trip may make: an empty optional array is not written.
#[test]
fn an_empty_error_data_array_is_read_and_not_written_back() {
    let body = fixtures::load("error_response_400")
        .json()
        .unwrap()
        .unwrap();
    assert_eq!(body["data"], serde_json::json!([]));
    let error: pc_upgrade_types::PartnerCenterError = serde_json::from_value(body).unwrap();
    assert!(error.data.is_empty());
    let written = serde_json::to_value(&error).unwrap();
    assert_eq!(written.get("data"), None);
    assert_eq!(
        pc_upgrade_conformance::checks::normalized(&written),
        pc_upgrade_conformance::checks::normalized(
            &fixtures::load("error_response_400")
                .json()
                .unwrap()
                .unwrap()
        )
    );
}

/// The fake service's default answers are the documented ones.
#[test]
fn the_mock_server_serves_the_documented_bodies() {
    use pc_upgrade_mock::documented;
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
    assert_eq!(
        Some(parse(documented::STATUS_RESPONSE)),
        fixtures::load("status_response_003").json().unwrap()
    );
    assert_eq!(
        Some(parse(documented::ELIGIBILITY_RESPONSE)),
        fixtures::load("eligibility_response").json().unwrap()
    );
    assert_eq!(
        Some(documented::CREATE_LOCATION),
        fixtures::load("create_response_000").header("Location")
    );
}
