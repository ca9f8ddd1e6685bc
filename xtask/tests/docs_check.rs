//! `cargo xtask docs-check` on pages the project wrote itself in the form of the Partner
//! Center pages (`tests/pages/`): each kind of finding, an erratum that expires when its page
//! is fixed, and a change of page template that is not drift.

use std::collections::BTreeSet;

use serde_json::Value;
use xtask::docs::{self, Erratum, Report, page};

const RESOURCES: &str = include_str!("pages/resources.md");
const STATUS: &str = include_str!("pages/status.md");
const CREATE: &str = include_str!("pages/create.md");

fn published_spec() -> Value {
    docs::load_spec(&xtask::workspace_root().join(xtask::codegen::SPEC)).unwrap()
}

/// The spec, its records of the pages set to the project's pages: these stand for the
/// revisions the spec records, at their `ms.date`, but they are not Microsoft's bytes, so
/// the records' digests are taken out (the revision tests below put them back).
fn spec() -> Value {
    let mut spec = published_spec();
    let pages: Vec<page::Page> = [RESOURCES, STATUS, CREATE]
        .iter()
        .map(|text| page::parse("", text))
        .collect();
    for entry in spec["info"]["x-documentation-pages"]
        .as_array_mut()
        .unwrap()
    {
        let record = entry.as_object_mut().unwrap();
        record.remove("x-revision");
        if let Some(page) = pages
            .iter()
            .find(|p| Some(&p.title) == record["title"].as_str().map(str::to_owned).as_ref())
        {
            record.insert("ms.date".into(), page.ms_date_text.clone().unwrap().into());
        }
    }
    spec
}

fn errata() -> Vec<Erratum> {
    docs::load_errata(&xtask::workspace_root().join(docs::ERRATA)).unwrap()
}

fn run(pages: &[&str], errata: &[Erratum]) -> Report {
    let fixtures = docs::load_fixtures(&xtask::workspace_root().join(docs::FIXTURES)).unwrap();
    let pages: Vec<page::Page> = pages
        .iter()
        .enumerate()
        .map(|(i, text)| page::parse(&format!("page {i}"), text))
        .collect();
    docs::check(&spec(), &pages, &fixtures, errata)
}

/// Every finding as (page index, kind, subject).
fn found(report: &Report) -> BTreeSet<(usize, String, String)> {
    report
        .pages
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            p.findings
                .iter()
                .map(move |f| (i, f.kind.to_owned(), f.subject.clone()))
        })
        .collect()
}

fn one(report: &Report, kind: &str, subject: &str) {
    let found = found(report);
    let expected: BTreeSet<_> = [(0, kind.to_owned(), subject.to_owned())].into();
    assert_eq!(found, expected, "\n{}", report.render());
}

fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "the test page no longer has {from:?}");
    text.replacen(from, to, 1)
}

#[test]
fn the_project_pages_report_only_what_the_errata_explain() {
    // The project's resources page has none of the published page's defects.
    let errata: Vec<Erratum> = errata()
        .into_iter()
        .filter(|e| e.page != "Product upgrade resources")
        .collect();
    let report = run(&[RESOURCES, STATUS, CREATE], &errata);
    assert!(report.passed(), "\n{}", report.render());
    assert!(report.pages[0].findings.is_empty(), "\n{}", report.render());
    let explained: BTreeSet<&str> = report
        .pages
        .iter()
        .flat_map(|p| &p.findings)
        .map(|f| f.kind)
        .collect();
    assert_eq!(
        explained,
        ["invalid-json", "response-resource", "value-casing"].into()
    );
}

#[test]
fn deleting_a_row_reports_the_property_missing_from_the_docs() {
    let page = edit(RESOURCES, "| reason | string | Why not, when not. |\n", "");
    one(
        &run(&[&page], &[]),
        "missing-in-docs",
        "ProductUpgradesEligibility.reason",
    );
}

#[test]
fn adding_a_row_reports_the_property_missing_from_the_spec() {
    let page = edit(
        RESOURCES,
        "| status | string | Where the upgrade stands. |\n",
        "| status | string | Where the upgrade stands. |\n| renewalDate | string | When. |\n",
    );
    one(
        &run(&[&page], &[]),
        "missing-in-spec",
        "ProductUpgradesStatus.renewalDate",
    );
}

#[test]
fn a_casing_difference_is_its_own_finding() {
    let page = edit(
        RESOURCES,
        "| id | string | The upgrade",
        "| Id | string | The upgrade",
    );
    one(&run(&[&page], &[]), "casing", "ProductUpgradesStatus.Id");
}

#[test]
fn a_type_difference_is_reported() {
    for (from, to, subject) in [
        (
            "| isEligible | bool |",
            "| isEligible | string |",
            "ProductUpgradesEligibility.isEligible",
        ),
        (
            "| upgradeId | string | The existing upgrade, as a GUID-formatted string. |",
            "| upgradeId | string | The existing upgrade. |",
            "ProductUpgradesEligibility.upgradeId",
        ),
        (
            "| upgradedDate | string in UTC date-time format |",
            "| upgradedDate | string |",
            "UpgradesLineItem.upgradedDate",
        ),
        (
            "| lineItems | array of [UpgradesLineItem](#upgradeslineitem) resources |",
            "| lineItems | array of [UpgradeProduct](#upgradeproduct) resources |",
            "ProductUpgradesStatus.lineItems",
        ),
    ] {
        one(&run(&[&edit(RESOURCES, from, to)], &[]), "type", subject);
    }
}

#[test]
fn a_row_run_into_another_and_a_repeated_row_are_reported() {
    let page = edit(
        RESOURCES,
        "| customerId | string | The customer, as a GUID-formatted string. |\n| productFamily | string | The family asked about. |\n",
        "| customerId | string | The customer, as a GUID-formatted string. |    | productFamily | string | The family asked about. |\n| productFamily | string | The family asked about. |\n",
    );
    let report = run(&[&page], &[]);
    let expected: BTreeSet<_> = [
        (
            0,
            "broken-row".to_owned(),
            "ProductUpgradesEligibility.productFamily".to_owned(),
        ),
        (
            0,
            "duplicate-row".to_owned(),
            "ProductUpgradesEligibility.productFamily".to_owned(),
        ),
    ]
    .into();
    assert_eq!(found(&report), expected, "\n{}", report.render());
}

#[test]
fn a_table_for_a_resource_the_spec_lacks_is_reported() {
    let page = format!(
        "{RESOURCES}\n## UpgradeSchedule\n\n| Property | Type | Description |\n|---|---|---|\n| at | string | When. |\n"
    );
    one(&run(&[&page], &[]), "unknown-resource", "upgradeschedule");
}

#[test]
fn an_operation_the_spec_lacks_is_reported() {
    let page = edit(
        CREATE,
        ")/v1/productupgrades HTTP/1.1",
        ")/v1/productupgrades/batch HTTP/1.1",
    );
    let report = run(&[&page], &[]);
    assert!(
        found(&report).contains(&(
            0,
            "operation".into(),
            "POST /v1/productupgrades/batch".into()
        )),
        "\n{}",
        report.render()
    );
}

#[test]
fn the_resources_a_page_says_an_operation_takes_and_returns_are_checked() {
    let page = edit(
        CREATE,
        "must contain a [ProductUpgradeRequest]",
        "must contain a [UpgradeProduct]",
    );
    one(
        &run(&[&page], &[]),
        "request-resource",
        "create_product_upgrade",
    );
    let report = run(&[STATUS], &[]);
    assert!(
        found(&report).contains(&(
            0,
            "response-resource".into(),
            "get_product_upgrade_status".into()
        )),
        "\n{}",
        report.render()
    );
}

#[test]
fn changing_an_example_value_reports_the_example() {
    let page = edit(
        CREATE,
        "\"productFamily\": \"azure\"",
        "\"productFamily\": \"Azure plan\"",
    );
    let report = run(&[&page], &[]);
    one(&report, "example-differs", "request example");
    let detail = &report.pages[0].findings[0].detail;
    assert!(
        detail.contains("/productFamily") && detail.contains("create_request_000"),
        "{detail}"
    );
}

#[test]
fn an_example_of_a_revision_without_fixture_is_held_to_the_spec_examples() {
    let older = edit(CREATE, "ms.date: 10/11/2019", "ms.date: 01/01/2019");
    // The body equals a spec example: the only finding is that the page is older.
    let report = run(&[&older], &[]);
    one(&report, "revision", "ms.date");
    assert!(
        report.pages[0].findings[0]
            .detail
            .contains("is older than the recorded")
    );
    let changed = edit(
        &older,
        "4c721420-72ad-4708-a0a7-371a2f7b0969",
        "00000000-72ad-4708-a0a7-371a2f7b0969",
    );
    let report = run(&[&changed], &[]);
    let expected: BTreeSet<_> = [
        (0, "revision".to_owned(), "ms.date".to_owned()),
        (
            0,
            "example-not-in-spec".to_owned(),
            "request example".to_owned(),
        ),
    ]
    .into();
    assert_eq!(found(&report), expected, "\n{}", report.render());
    // The finding names where the block first parts from the spec's example.
    let detail = &report.pages[0].findings[1].detail;
    assert!(
        detail.contains("/customerId is \"00000000-72ad"),
        "{detail}"
    );
}

#[test]
fn the_same_value_in_two_casings_is_reported_on_each_page() {
    let other = edit(
        &edit(CREATE, "ms.date: 10/11/2019", "ms.date: 11/01/2019"),
        "\"productFamily\": \"azure\"",
        "\"productFamily\": \"Azure\"",
    );
    let report = run(&[CREATE, &other], &[]);
    let expected: BTreeSet<_> = [
        (0, "value-casing".to_owned(), "/productFamily".to_owned()),
        (1, "revision".to_owned(), "ms.date".to_owned()),
        (1, "value-casing".to_owned(), "/productFamily".to_owned()),
    ]
    .into();
    assert_eq!(found(&report), expected, "\n{}", report.render());
}

#[test]
fn a_newer_revision_is_changed_since_the_spec_was_last_checked() {
    let page = edit(RESOURCES, "ms.date: 10/11/2019", "ms.date: 03/14/2026");
    let report = run(&[&page], &[]);
    one(&report, "revision", "ms.date");
    assert!(
        report
            .render()
            .contains("changed since the spec was last checked against it")
    );
}

/// The spec with the record of `title` set to `ms_date` and `revision` (`None`: removed).
fn recording(title: &str, ms_date: Option<&str>, revision: Option<&str>) -> Value {
    let mut spec = spec();
    let pages = spec["info"]["x-documentation-pages"]
        .as_array_mut()
        .unwrap();
    let record = pages
        .iter_mut()
        .find(|p| p["title"] == title)
        .and_then(Value::as_object_mut)
        .unwrap();
    for (key, value) in [("ms.date", ms_date), ("x-revision", revision)] {
        match value {
            Some(value) => record.insert(key.into(), value.into()),
            None => record.remove(key),
        };
    }
    spec
}

fn run_with(spec: &Value, pages: &[&str]) -> Report {
    let fixtures = docs::load_fixtures(&xtask::workspace_root().join(docs::FIXTURES)).unwrap();
    let pages: Vec<page::Page> = pages
        .iter()
        .map(|text| page::parse("page 0", text))
        .collect();
    docs::check(spec, &pages, &fixtures, &[])
}

#[test]
fn the_recorded_revision_is_known_by_its_digest_whatever_its_ms_date() {
    let title = "Product upgrade resources";
    let digest = docs::digest(RESOURCES);
    assert!(
        digest.starts_with("sha256:") && digest.len() == 7 + 16,
        "{digest}"
    );
    // The recorded bytes: no finding, even where the record's date is another one.
    let spec = recording(title, Some("11/01/2019"), Some(&digest));
    assert!(run_with(&spec, &[RESOURCES]).passed());
    // One character changed under the same ms.date is another revision.
    let spec = recording(title, Some("10/11/2019"), Some(&digest));
    let edited = edit(RESOURCES, "Why not, when not.", "Why not, when not!");
    let report = run_with(&spec, &[&edited]);
    one(&report, "revision", "ms.date");
    let detail = &report.pages[0].findings[0].detail;
    assert!(detail.contains("edited without a new ms.date"), "{detail}");
    assert!(
        detail.contains(&digest) && detail.contains(&docs::digest(&edited)),
        "{detail}"
    );
}

#[test]
fn an_older_revision_than_the_recorded_one_is_reported() {
    let spec = recording("Product upgrade resources", Some("11/01/2019"), None);
    let report = run_with(&spec, &[RESOURCES]);
    one(&report, "revision", "ms.date");
    let detail = &report.pages[0].findings[0].detail;
    assert!(
        detail.contains("10/11/2019")
            && detail.contains("is older than the recorded ms.date 11/01/2019"),
        "{detail}"
    );
}

#[test]
fn a_page_recorded_without_a_revision_is_reported() {
    let spec = recording("Product upgrade resources", None, None);
    let report = run_with(&spec, &[RESOURCES]);
    one(&report, "revision", "not recorded");
    assert!(
        report.pages[0].findings[0]
            .detail
            .contains(&docs::digest(RESOURCES))
    );
}

#[test]
fn a_page_the_spec_does_not_record_is_reported() {
    let page = edit(
        RESOURCES,
        "title: Product upgrade resources",
        "title: Subscription transfer resources",
    );
    one(
        &run(&[&page], &[]),
        "unknown-page",
        "Subscription transfer resources",
    );
}

#[test]
fn a_fixture_whose_block_is_gone_from_its_page_is_reported() {
    let start = CREATE.find("### Request example").unwrap();
    let end = CREATE.find("## REST response").unwrap();
    let page = format!("{}{}", &CREATE[..start], &CREATE[end..]);
    one(
        &run(&[&page], &[]),
        "fixture-unmatched",
        "create_request_000",
    );
}

#[test]
fn repairing_the_status_page_s_json_expires_its_erratum() {
    let repaired = edit(
        STATUS,
        "{\n {\n    \"customerId\": \"4c721420-72ad-4708-a0a7-371a2f7b0969\",\n    \"productFamily\": \"azure\"\n  }\n  \"Attributes\"",
        "{\n    \"customerId\": \"4c721420-72ad-4708-a0a7-371a2f7b0969\",\n    \"productFamily\": \"azure\",\n  \"Attributes\"",
    );
    let report = run(&[&repaired, CREATE], &errata());
    let expired: Vec<(&str, &str)> = report
        .expired
        .iter()
        .map(|e| (e.finding.as_str(), e.subject.as_str()))
        .collect();
    assert_eq!(
        expired,
        [("invalid-json", "request example")],
        "\n{}",
        report.render()
    );
    assert!(!report.passed());
    assert!(
        report
            .render()
            .contains("fixed upstream? remove this erratum and revisit the decision"),
        "{}",
        report.render()
    );
}

/// Headings at other levels and in another order, sections added, white space changed: the
/// same findings as before, and none on a page without drift.
#[test]
fn a_new_page_template_is_not_drift() {
    let restyle = |text: &str| -> String {
        let mut out = String::new();
        for line in text.lines() {
            let line = if let Some(heading) = line.strip_prefix("### ") {
                format!("#### {heading}   ")
            } else if let Some(heading) = line.strip_prefix("## ") {
                format!("\n### {heading}\n\nA section the template added.\n")
            } else if line.starts_with('|') {
                line.replace(" | ", "   |   ").replace("|---|", "| :--- |")
            } else {
                line.to_owned()
            };
            out.push_str(&line);
            // Blank lines everywhere but inside a table (where one would end it).
            out.push_str(if line.starts_with('|') { "\n" } else { "\n\n" });
        }
        out.push_str("## Next steps\n\n| Property | Type | Description |\n");
        out
    };
    // The status page with its response section first.
    let split = STATUS.find("## REST response").unwrap();
    let request_part = &STATUS[STATUS.find("## REST request").unwrap()..split];
    let reordered = format!(
        "{}{}\n{}",
        &STATUS[..STATUS.find("## REST request").unwrap()],
        &STATUS[split..],
        request_part
    );
    let before = found(&run(&[RESOURCES, STATUS, CREATE], &[]));
    let after_report = run(
        &[&restyle(RESOURCES), &restyle(&reordered), &restyle(CREATE)],
        &[],
    );
    assert_eq!(found(&after_report), before, "\n{}", after_report.render());
    assert!(after_report.pages[0].findings.is_empty());
}

#[test]
fn a_stray_fence_is_a_finding_and_expires_no_erratum() {
    let page = format!("{STATUS}\n```\n");
    let report = run(&[&page], &errata());
    let kinds: BTreeSet<&str> = report.pages[0].findings.iter().map(|f| f.kind).collect();
    assert!(kinds.contains("unbalanced-fence"), "\n{}", report.render());
    assert!(
        report.expired.is_empty(),
        "an erratum was taken as fixed:\n{}",
        report.render()
    );
    assert!(!report.passed());
}

#[test]
fn method_words_are_read_ignoring_case_and_an_unknown_one_is_a_finding() {
    let post = edit(CREATE, "| **POST** |", "| **Post** |");
    let report = run(&[&post], &errata());
    assert!(
        report.pages[0]
            .findings
            .iter()
            .all(|f| f.kind != "operation" && f.kind != "unknown-method"),
        "\n{}",
        report.render()
    );
    let translated = edit(CREATE, "| **POST** |", "| **Příspěvek** |");
    let report = run(&[&translated], &errata());
    let unknown: Vec<&str> = report.pages[0]
        .findings
        .iter()
        .filter(|f| f.kind == "unknown-method")
        .map(|f| f.subject.as_str())
        .collect();
    assert_eq!(
        unknown,
        ["Příspěvek /v1/productupgrades"],
        "\n{}",
        report.render()
    );
}

#[test]
fn an_erratum_about_several_pages_expires_only_when_all_of_them_are_checked() {
    // The create page alone writes the product family one way: no casing finding, and the
    // casing erratum, which needs the status page too, is not taken as fixed.
    let report = run(&[CREATE], &errata());
    assert!(
        report.expired.iter().all(|e| e.finding != "value-casing"),
        "\n{}",
        report.render()
    );
    // Without `with`, the same erratum expires: the rule is what keeps it.
    let alone: Vec<Erratum> = errata()
        .into_iter()
        .map(|e| Erratum {
            with: Vec::new(),
            ..e
        })
        .collect();
    let report = run(&[CREATE], &alone);
    assert!(
        report.expired.iter().any(|e| e.finding == "value-casing"),
        "\n{}",
        report.render()
    );
}

#[test]
fn exit_codes_tell_drift_from_a_usage_or_io_error() {
    let xtask = env!("CARGO_BIN_EXE_xtask");
    let code = |args: &[&str]| {
        std::process::Command::new(xtask)
            .args(args)
            .output()
            .unwrap()
            .status
            .code()
    };
    let dir = std::env::temp_dir().join(format!("pc-upgrade-docs-exit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let clean = dir.join("resources.md");
    std::fs::write(&clean, RESOURCES).unwrap();
    let drift = dir.join("drift.md");
    std::fs::write(
        &drift,
        edit(
            RESOURCES,
            "| id | string | The upgrade",
            "| Id | string | The upgrade",
        ),
    )
    .unwrap();
    let (clean, drift) = (clean.to_str().unwrap(), drift.to_str().unwrap());
    assert_eq!(code(&["docs-check", "--json", drift]), Some(1));
    assert_eq!(
        code(&["docs-check", "--JSON", clean]),
        Some(2),
        "an unknown flag"
    );
    assert_eq!(
        code(&["docs-check", "/nonexistent/page.md"]),
        Some(2),
        "a missing page"
    );
    assert_eq!(code(&["docs-check"]), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_renamed_page_is_known_by_its_slug_or_an_alias_and_keeps_its_title() {
    let renamed = edit(
        CREATE,
        "title: Create a product upgrade entity for a customer",
        "title: Create a product upgrade entity",
    );
    let report = run(&[&renamed], &[]);
    assert!(
        report.pages[0]
            .findings
            .iter()
            .all(|f| f.kind != "unknown-page"),
        "\n{}",
        report.render()
    );
    assert_eq!(
        report.pages[0].title,
        "Create a product upgrade entity for a customer"
    );
    let mut by_slug = page::parse(
        "page 0",
        &edit(
            CREATE,
            "title: Create a product upgrade entity for a customer",
            "title: Creates a product upgrade entity.",
        ),
    );
    by_slug.slugs = vec!["Initiate-product-upgrade-for-a-customer".into()];
    let fixtures = docs::load_fixtures(&xtask::workspace_root().join(docs::FIXTURES)).unwrap();
    let report = docs::check(&spec(), &[by_slug], &fixtures, &[]);
    assert!(report.pages[0].url.is_some(), "\n{}", report.render());
}

#[test]
fn a_page_saved_under_its_url_slug_is_known_by_the_file_name() {
    let dir = std::env::temp_dir().join(format!("pc-upgrade-docs-slug-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("product-upgrade-resources.md");
    let renamed = edit(
        RESOURCES,
        "title: Product upgrade resources",
        "title: Upgrade resources",
    );
    std::fs::write(&file, renamed).unwrap();
    let report = docs::check_files(&xtask::workspace_root(), &[&file]).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        report.pages[0].title,
        "Product upgrade resources",
        "\n{}",
        report.render()
    );
    assert!(
        !found(&report)
            .iter()
            .any(|(_, kind, _)| kind == "unknown-page")
    );
}

#[test]
fn a_translated_copy_is_reported_once_as_not_checked_never_as_drift() {
    let translated = edit(
        CREATE,
        "title: Create a product upgrade entity for a customer",
        "title: Créer une entité de mise à niveau de produit pour un client\nms.contentlocale: fr-FR",
    )
    .replace("| **POST** |", "| **PUBLICAR** |");
    let report = run(&[&translated], &errata());
    assert!(report.pages[0].findings.is_empty(), "\n{}", report.render());
    assert!(
        report.pages[0]
            .not_checked
            .as_deref()
            .unwrap()
            .contains("fr-FR")
    );
    assert!(report.passed(), "\n{}", report.render());
    assert!(report.render().contains("not checked"));
    // A copy that kept the English text is checked as the English page.
    let english = edit(
        CREATE,
        "title: Create a product upgrade entity for a customer",
        "title: Create a product upgrade entity for a customer\nms.contentlocale: zh-TW",
    );
    let report = run(&[&english], &[]);
    assert!(
        report.pages[0].not_checked.is_none(),
        "\n{}",
        report.render()
    );
}

#[test]
fn a_request_example_sent_to_another_operations_path_is_a_finding_naming_both() {
    let page = edit(
        CREATE,
        "POST https://api.partnercenter.microsoft.com/v1/productupgrades HTTP/1.1",
        "POST https://api.partnercenter.microsoft.com/v1/productUpgrades/eligibility HTTP/1.1",
    );
    let report = run(&[&page], &errata());
    let finding = report.pages[0]
        .findings
        .iter()
        .find(|f| f.kind == "request-line")
        .unwrap_or_else(|| panic!("no request-line finding:\n{}", report.render()));
    assert!(
        finding.detail.contains("/v1/productUpgrades/eligibility"),
        "{}",
        finding.detail
    );
    assert!(
        finding.detail.contains("POST /v1/productupgrades"),
        "{}",
        finding.detail
    );
    // The page as written: no such finding.
    let report = run(&[CREATE], &errata());
    assert!(
        report.pages[0]
            .findings
            .iter()
            .all(|f| f.kind != "request-line"),
        "\n{}",
        report.render()
    );
}

const HEADERS: &str = "---
title: Partner Center REST headers
ms.date: 12/15/2017
---

# Headers

A test page written for pc-upgrade in the form of the Partner Center headers page.

## REST request headers

| Header | Description | Value Type |
|---|---|---|
| Authorization: | Required. A bearer token. | string |
| MS-RequestId: | The call's id; a retry sends the same, the next call a new one: reset for the next call. | GUID |
| MS-CorrelationId: | Ties the calls of a flow together. | GUID |
| MS-Contract-Version: | Optional. The API version. | string |
| MS-Tenant-Hint: | Optional. Not a header of the spec. | string |

## REST response headers

| Header | Description | Value Type |
|---|---|---|
| MS-RequestId: | The call's id. | GUID |
| MS-Unknown: | Not declared by the spec. | string |
";

#[test]
fn the_headers_page_is_held_to_the_header_parameters() {
    let report = run(&[HEADERS], &[]);
    let expected: BTreeSet<_> = [
        (
            0,
            "missing-in-spec".to_owned(),
            "request header MS-Tenant-Hint".to_owned(),
        ),
        (
            0,
            "missing-in-spec".to_owned(),
            "response header MS-Unknown".to_owned(),
        ),
    ]
    .into();
    assert_eq!(found(&report), expected, "\n{}", report.render());
    // Required where the spec has it optional, and a new value per call where it keeps one.
    let page = edit(
        &edit(
            HEADERS,
            "Optional. The API version.",
            "Required. The API version.",
        ),
        "Ties the calls of a flow together.",
        "The value should be reset for every call.",
    );
    let report = run(&[&page], &[]);
    let found = found(&report);
    assert!(
        found.contains(&(0, "header-required".into(), "MS-Contract-Version".into())),
        "\n{}",
        report.render()
    );
    assert!(
        found.contains(&(0, "header-lifetime".into(), "MS-CorrelationId".into())),
        "\n{}",
        report.render()
    );
    assert_eq!(found.len(), 4, "\n{}", report.render());
}

const ERROR_CODES: &str = "---
title: Partner Center REST error codes
ms.date: 10/01/2021
---

# Error codes

A test page written for pc-upgrade in the form of the Partner Center error-codes page.

## HTTP status codes

- 200: OK
- 405: Method not allowed
- 429: Too many requests
- 503: Service unavailable

## Error responses

| Name | Type | Description |
|---|---|---|
| code | [ErrorCode](#code) | Always returned. The code. |
| description | string | Always returned. What went wrong. |
| data | array | Sometimes. More. |
| source | string | Sometimes. Who. |
";

#[test]
fn the_error_codes_page_is_held_to_every_operations_statuses_and_the_error_body() {
    assert!(
        run(&[ERROR_CODES], &[]).passed(),
        "\n{}",
        run(&[ERROR_CODES], &[]).render()
    );
    // An operation that declares no 4XX misses the page's 405.
    let mut spec = spec();
    spec["paths"]["/v1/productupgrades"]["post"]["responses"]
        .as_object_mut()
        .unwrap()
        .remove("4XX");
    let fixtures = docs::load_fixtures(&xtask::workspace_root().join(docs::FIXTURES)).unwrap();
    let pages = [page::parse("page 0", ERROR_CODES)];
    let report = docs::check(&spec, &pages, &fixtures, &[]);
    one(&report, "status", "405");
    let detail = &report.pages[0].findings[0].detail;
    assert!(
        detail.contains("create_product_upgrade declares neither"),
        "{detail}"
    );
    // A property the page says is always returned, which the spec does not require.
    let page = edit(ERROR_CODES, "Sometimes. Who.", "Always returned. Who.");
    one(&run(&[&page], &[]), "required", "PartnerCenterError.source");
}

#[test]
fn an_empty_page_is_a_finding_and_expires_no_erratum() {
    let report = run(&[""], &errata());
    one(&report, "nothing-read", "page");
    assert!(report.pages[0].not_checked.is_some());
    // A recorded page whose body is gone: its errata (the published resources page has
    // several) are not taken as fixed.
    let emptied = "---\ntitle: Product upgrade resources\nms.date: 10/11/2019\n---\n";
    let report = run(&[emptied], &errata());
    one(&report, "nothing-read", "page");
    assert!(report.expired.is_empty(), "\n{}", report.render());
    assert!(!report.passed());
}

#[test]
fn a_byte_order_mark_does_not_hide_the_front_matter() {
    let with_mark = format!("\u{feff}{RESOURCES}");
    let (plain, marked) = (run(&[RESOURCES], &[]), run(&[&with_mark], &[]));
    assert_eq!(found(&marked), found(&plain), "\n{}", marked.render());
    assert_eq!(marked.pages[0].title, "Product upgrade resources");
    assert_eq!(marked.pages[0].ms_date.as_deref(), Some("10/11/2019"));
}

#[test]
fn an_operation_page_without_an_example_is_a_finding() {
    // Both example headings renamed: the syntax is read, no example is.
    let renamed = edit(
        &edit(CREATE, "### Request example", "### Sample request"),
        "### Response example",
        "### Sample response",
    );
    let report = run(&[&renamed], &[]);
    assert!(
        report.pages[0]
            .findings
            .iter()
            .any(|f| f.kind == "no-example"),
        "\n{}",
        report.render()
    );
    assert!(!report.passed());
}

#[test]
fn the_recorded_revisions_are_found_in_folders_by_their_digests() {
    let dir = std::env::temp_dir().join(format!("pc-upgrade-docs-recorded-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("nested")).unwrap();
    let title = "Product upgrade resources";
    let spec = recording(title, Some("10/11/2019"), Some(&docs::digest(RESOURCES)));
    std::fs::write(dir.join("nested/any-name.md"), RESOURCES).unwrap();
    std::fs::write(
        dir.join("other.md"),
        edit(RESOURCES, "Why not, when not.", "Why not?"),
    )
    .unwrap();
    let (found, missing) = docs::find_recorded(&spec, &[&dir]).unwrap();
    assert_eq!(found, [dir.join("nested/any-name.md")]);
    // The other records carry no digest here (the project's pages are not Microsoft's), so
    // none of them can be found.
    assert!(missing.iter().all(|m| !m.starts_with(title)), "{missing:?}");
    assert!(
        missing
            .iter()
            .any(|m| m.starts_with("Partner Center REST headers")),
        "{missing:?}"
    );
    // Without the recorded bytes, the resources page is missing too.
    std::fs::remove_file(dir.join("nested/any-name.md")).unwrap();
    let (found, missing) = docs::find_recorded(&spec, &[&dir]).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(found.is_empty());
    assert!(
        missing
            .iter()
            .any(|m| m.starts_with(title) && m.contains("sha256:")),
        "{missing:?}"
    );
}
