//! `cargo xtask docs-check` on the pages as Microsoft published them: the revisions kept
//! byte for byte beside the checkout (`../shared/pages`, `../shared/seeds`; another folder
//! with `PC_UPGRADE_PUBLISHED`). They are not the project's, so they are not copied into it;
//! without them these tests say so and check nothing, and CI, which has them, sets
//! `PC_UPGRADE_PUBLISHED_REQUIRED=1` so that their absence fails instead.
//!
//! - every English revision, checked alone and known by its `ms.date` and digest, against
//!   a reviewed snapshot of its findings (oldest first);
//! - the revisions the spec records (the newest of each page), found by their digests,
//!   together and each alone: no unexplained finding, no erratum expired;
//! - the translated copies: never an unknown page, never an example held to the spec;
//! - a stray fence, and an eligibility example posted to the create path, are findings.

use std::path::{Path, PathBuf};

use xtask::docs::{self, Report};

fn published() -> Option<PathBuf> {
    let dir = std::env::var_os("PC_UPGRADE_PUBLISHED")
        .map(PathBuf::from)
        .unwrap_or_else(|| xtask::workspace_root().join("../shared"));
    if dir.join("pages/en-us").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("PC_UPGRADE_PUBLISHED_REQUIRED").is_none(),
        "no published pages at {}",
        dir.display()
    );
    eprintln!(
        "no published pages at {}: not checked (PC_UPGRADE_PUBLISHED names another folder)",
        dir.display()
    );
    None
}

/// The revisions the spec records (its `x-revision` digests), found among the published
/// pages: the newest of each page the spec was written from.
fn recorded(dir: &Path) -> Vec<PathBuf> {
    let spec = docs::load_spec(&xtask::workspace_root().join(xtask::codegen::SPEC)).unwrap();
    let (found, missing) = docs::find_recorded(&spec, &[dir]).unwrap();
    assert!(
        missing.is_empty(),
        "recorded revisions not found: {missing:?}"
    );
    found
}

/// The recorded revision of the page of this title.
fn recorded_page(dir: &Path, title: &str) -> String {
    recorded(dir)
        .into_iter()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .find(|text| docs::page::parse("", text).title == title)
        .unwrap_or_else(|| panic!("no recorded revision titled {title:?}"))
}

fn check(pages: &[PathBuf]) -> Report {
    docs::check_files(&xtask::workspace_root(), pages).unwrap()
}

/// What `cargo xtask docs-check --recorded` reports (CI runs it on the same folder).
fn check_recorded(dir: &Path) -> Report {
    docs::check_recorded(&xtask::workspace_root(), &[dir]).unwrap()
}

fn check_text(name: &str, text: &str) -> Report {
    let path = std::env::temp_dir().join(format!(
        "pc-upgrade-published-{}-{name}",
        std::process::id()
    ));
    std::fs::write(&path, text).unwrap();
    let report = check(std::slice::from_ref(&path));
    std::fs::remove_file(&path).unwrap();
    report
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md" || e == "txt"))
        .collect();
    files.sort();
    files
}

/// A report in short: a line per finding, and the errata it expired.
fn summary(report: &Report) -> String {
    let mut out = String::new();
    for page in &report.pages {
        out.push_str(&format!(
            "ms.date {}, {}: {}\n",
            page.ms_date.as_deref().unwrap_or("none"),
            page.revision,
            if report.passed() { "exit 0" } else { "exit 1" }
        ));
        if let Some(why) = &page.not_checked {
            out.push_str(&format!("  not checked: {why}\n"));
        }
        for finding in &page.findings {
            out.push_str(&format!(
                "  {} {} {}: {}\n",
                if finding.explained_by.is_some() {
                    "explained  "
                } else {
                    "UNEXPLAINED"
                },
                finding.kind,
                finding.subject,
                finding.detail
            ));
        }
    }
    for erratum in &report.expired {
        out.push_str(&format!(
            "  expired erratum: {} {}\n",
            erratum.finding, erratum.subject
        ));
    }
    out
}

#[test]
fn every_english_revision_has_the_findings_reviewed_in_its_snapshot() {
    let Some(dir) = published() else { return };
    let mut folders: Vec<PathBuf> = std::fs::read_dir(dir.join("pages/en-us"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    assert!(!folders.is_empty());
    for folder in folders {
        let mut text = String::new();
        for file in files(&folder) {
            text.push_str(&summary(&check(std::slice::from_ref(&file))));
        }
        let slug = folder
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_ascii_lowercase();
        insta::assert_snapshot!(format!("history-{slug}"), text);
    }
}

#[test]
fn the_recorded_revisions_pass_together_and_each_alone() {
    let Some(dir) = published() else { return };
    let newest = recorded(&dir);
    let together = check_recorded(&dir);
    assert!(together.passed(), "\n{}", together.render());
    // Each recorded page, and the REST reference the spec records.
    assert_eq!(together.pages.len(), newest.len() + 1);
    let reference = together.pages.last().unwrap();
    assert_eq!(reference.source, "info.x-rest-reference");
    assert!(!reference.findings.is_empty(), "{}", together.render());
    for page in &newest {
        let alone = check(std::slice::from_ref(page));
        assert!(alone.passed(), "{}\n{}", page.display(), alone.render());
    }
}

#[test]
fn the_translated_copies_are_reported_once_and_never_as_drift() {
    let Some(dir) = published() else { return };
    for locale in ["fr-fr", "ja-jp", "zh-tw"] {
        let pages: Vec<PathBuf> = std::fs::read_dir(dir.join("pages").join(locale))
            .unwrap()
            .flat_map(|e| files(&e.unwrap().path()))
            .collect();
        assert!(!pages.is_empty(), "{locale}");
        let report = check(&pages);
        for page in &report.pages {
            assert!(
                page.url.is_some(),
                "{locale}: {} is not matched to a recorded page",
                page.title
            );
            assert!(
                page.not_checked
                    .as_deref()
                    .is_some_and(|why| why.contains(locale.split('-').next().unwrap())),
                "{locale}: {page:?}"
            );
            assert!(page.findings.is_empty(), "{locale}: {page:?}");
        }
        assert!(report.passed(), "{locale}\n{}", report.render());
    }
}

#[test]
fn a_stray_fence_after_the_status_pages_sample_is_a_finding_and_expires_nothing() {
    let Some(dir) = published() else { return };
    let text = recorded_page(&dir, "Get the product upgrade status for a customer");
    let sample = text.find("```csharp").unwrap();
    let close = sample + text[sample + 3..].find("```").unwrap() + 3;
    let end = close + text[close..].find('\n').unwrap() + 1;
    let broken = format!("{}```\n{}", &text[..end], &text[end..]);
    let report = check_text("status.md", &broken);
    let page = &report.pages[0];
    assert!(
        page.findings.iter().any(|f| f.kind == "unbalanced-fence"),
        "\n{}",
        report.render()
    );
    assert!(page.not_checked.is_some());
    assert!(report.expired.is_empty(), "\n{}", report.render());
    assert!(!report.passed());
}

#[test]
fn an_eligibility_example_posted_to_the_create_path_names_both_paths() {
    let Some(dir) = published() else { return };
    let text = recorded_page(
        &dir,
        "Check a customer's eligibility for upgrading to an Azure plan",
    );
    let from =
        "POST https://api.partnercenter.microsoft.com/v1/productupgrades/eligibility HTTP/1.1";
    assert!(text.contains(from));
    let moved = text.replace(
        from,
        "POST https://api.partnercenter.microsoft.com/v1/productupgrades HTTP/1.1",
    );
    let report = check_text("get-eligibility-for-product-upgrade.md", &moved);
    let finding = report.pages[0]
        .findings
        .iter()
        .find(|f| f.kind == "request-line")
        .unwrap_or_else(|| panic!("\n{}", report.render()));
    assert!(finding.explained_by.is_none());
    assert!(
        finding.detail.contains("POST /v1/productupgrades;")
            && finding.detail.contains("/v1/productUpgrades/eligibility"),
        "{}",
        finding.detail
    );
}
