//! `cargo xtask docs-check` on the REST reference the spec records (`info.x-rest-reference`):
//! every difference from the spec is explained by an erratum; an operation of the reference
//! the spec loses is a finding; an erratum whose difference is gone expires.

use serde_json::{Value, json};
use xtask::docs::{self, Erratum, Report};

fn spec() -> Value {
    docs::load_spec(&xtask::workspace_root().join(xtask::codegen::SPEC)).unwrap()
}

fn errata() -> Vec<Erratum> {
    docs::load_errata(&xtask::workspace_root().join(docs::ERRATA)).unwrap()
}

fn run(spec: &Value) -> Report {
    let fixtures = docs::load_fixtures(&xtask::workspace_root().join(docs::FIXTURES)).unwrap();
    docs::check_with_reference(spec, &[], &fixtures, &errata())
}

/// The reference's errata (the pages' are not checked here, so they cannot expire).
fn reference_errata_expired(report: &Report) -> Vec<String> {
    report
        .expired
        .iter()
        .filter(|e| e.page.contains("REST API reference"))
        .map(|e| format!("{} {}", e.finding, e.subject))
        .collect()
}

#[test]
fn every_difference_from_the_reference_is_explained() {
    let report = run(&spec());
    let reference = report.pages.last().unwrap();
    assert_eq!(reference.source, "info.x-rest-reference");
    assert!(
        reference
            .url
            .as_deref()
            .unwrap()
            .contains("/rest/api/partner-center/azure-spending/")
    );
    let kinds: Vec<&str> = reference.findings.iter().map(|f| f.kind).collect();
    for kind in ["media-type", "type", "required"] {
        assert!(kinds.contains(&kind), "{kind}: {}", report.render());
    }
    assert!(report.unexplained().is_empty(), "{}", report.render());
    assert!(
        reference_errata_expired(&report).is_empty(),
        "{}",
        report.render()
    );
}

#[test]
fn an_operation_of_the_reference_missing_from_the_spec_is_found() {
    let mut spec = spec();
    spec["paths"]
        .as_object_mut()
        .unwrap()
        .remove("/v1/productUpgrades/{upgrade-id}");
    let report = run(&spec);
    let unexplained: Vec<String> = report
        .unexplained()
        .iter()
        .map(|(_, f)| format!("{} {}", f.kind, f.subject))
        .collect();
    assert_eq!(
        unexplained,
        ["operation POST /v{version}/productUpgrades/{upgradeId}"],
        "{}",
        report.render()
    );
    // A 202 typed otherwise is found too.
    let mut spec = self::spec();
    let accepted = spec
        .pointer_mut("/paths/~1v1~1productupgrades/post/responses/202")
        .unwrap();
    accepted.as_object_mut().unwrap().remove("content");
    let report = run(&spec);
    assert!(
        report.render().contains("success create_product_upgrade"),
        "{}",
        report.render()
    );
}

#[test]
fn an_erratum_whose_difference_is_gone_expires() {
    let mut spec = spec();
    for path in spec["paths"].as_object_mut().unwrap().values_mut() {
        let content = &mut path["post"]["requestBody"]["content"];
        content["application/xml"] =
            json!({"schema": {"$ref": "#/components/schemas/ProductUpgradeRequest"}});
    }
    let report = run(&spec);
    assert_eq!(
        reference_errata_expired(&report),
        ["media-type application/xml"],
        "{}",
        report.render()
    );
}
