//! The suite catches a spec that drifts from the documents: these tests break the spec in
//! memory and run the same checks the fixture tests run. Also, the code generation drift
//! check runs here too.

use pc_upgrade_conformance::checks::check_fixture;
use pc_upgrade_conformance::fixtures;
use pc_upgrade_conformance::spec::Spec;

/// Runs every fixture check against `spec` and returns the failure messages.
fn failures(spec: &Spec) -> Vec<String> {
    fixtures::names()
        .iter()
        .filter_map(|name| check_fixture(spec, &fixtures::load(name)).err())
        .collect()
}

#[test]
fn the_real_spec_has_no_failures() {
    assert_eq!(failures(&Spec::load()), Vec::<String>::new());
}

#[test]
fn deleting_a_property_fails_on_the_documented_example_naming_both() {
    let mut spec = Spec::load();
    let properties = spec
        .pointer_mut("/components/schemas/UpgradesLineItem/properties")
        .and_then(|p| p.as_object_mut())
        .unwrap();
    assert!(properties.remove("upgradedDate").is_some());

    let failed = failures(&spec);
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert!(
        failed[0].starts_with("status_response_003:"),
        "{}",
        failed[0]
    );
    assert!(
        failed[0].contains("'upgradedDate' was unexpected"),
        "{}",
        failed[0]
    );
    assert!(failed[0].contains("/lineItems/0"), "{}", failed[0]);
}

#[test]
fn changing_a_value_in_a_spec_example_fails_naming_the_example() {
    let mut spec = Spec::load();
    let pointer = "/paths/~1v1~1productUpgrades~1eligibility/post/responses/200/content/application~1json/examples/documented/value";
    let example = spec.pointer_mut(pointer).unwrap();
    example["isEligible"] = serde_json::Value::Bool(false);

    let failed = failures(&spec);
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert!(
        failed[0].starts_with("eligibility_response:"),
        "{}",
        failed[0]
    );
    assert!(failed[0].contains(pointer), "{}", failed[0]);
}

#[test]
fn a_stricter_location_pattern_fails_on_the_documented_202s() {
    let mut spec = Spec::load();
    let pattern = spec
        .pointer_mut(
            "/paths/~1v1~1productupgrades/post/responses/202/headers/Location/schema/pattern",
        )
        .unwrap();
    *pattern = serde_json::Value::String("^/v1/productUpgrades/.*$".into());

    let failed = failures(&spec);
    assert_eq!(failed.len(), 3, "{failed:#?}");
    assert!(
        failed.iter().all(|f| f.contains("header Location")),
        "{failed:#?}"
    );
}

#[test]
fn generated_code_matches_the_spec() {
    let root = xtask::workspace_root();
    let drift = xtask::codegen::check(&root).expect("the spec could not be generated from");
    assert!(drift.is_empty(), "\n{}", xtask::codegen::report(&drift));
}
