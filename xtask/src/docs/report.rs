//! What docs-check reports: the findings per page, the errata that explain them or expired,
//! and the readable rendering.

use serde::{Deserialize, Serialize};

/// A documentation defect the spec decided on, and the finding it explains.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Erratum {
    /// The page's title.
    pub page: String,
    /// The kind of finding it explains.
    pub finding: String,
    /// What the finding is about (a property, a block, a JSON pointer).
    pub subject: String,
    /// What the spec decided, and why.
    pub decision: String,
    /// The other pages the finding needs (a value written in two casings across pages): the
    /// erratum expires only when all of them were checked too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub with: Vec<String>,
}

/// One difference between a page and the spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The kind, as the `check_*` function that adds it names it in its first line.
    pub kind: &'static str,
    /// What it is about.
    pub subject: String,
    /// What differs.
    pub detail: String,
    /// The erratum that explains it, if one does.
    pub explained_by: Option<String>,
}

/// What was found on one page.
#[derive(Clone, Debug, Serialize)]
pub struct PageReport {
    /// The page's title.
    pub title: String,
    /// Its public URL, when the spec records the page.
    pub url: Option<String>,
    /// Its `ms.date`, if it has one.
    pub ms_date: Option<String>,
    /// The digest of its bytes (`sha256:…`), as `x-revision` records it.
    pub revision: String,
    /// Where it was read from.
    pub source: String,
    /// The findings.
    pub findings: Vec<Finding>,
    /// Tables of resources the spec does not rely on this page for (`x-resources`): read,
    /// not checked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_relied_on: Vec<String>,
    /// Why the page was not checked, if it was not (a translated copy, fences that do not
    /// pair up): its errata are not taken as fixed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_checked: Option<String>,
}

/// The whole check.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Per page, in the order given.
    pub pages: Vec<PageReport>,
    /// Errata of the checked pages that explain no finding any more.
    pub expired: Vec<Erratum>,
    /// With `--recorded`: the recorded revisions found in none of the folders given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unfound: Vec<String>,
}

impl Report {
    /// Findings no erratum explains.
    pub fn unexplained(&self) -> Vec<(&PageReport, &Finding)> {
        self.pages
            .iter()
            .flat_map(|p| p.findings.iter().map(move |f| (p, f)))
            .filter(|(_, f)| f.explained_by.is_none())
            .collect()
    }

    /// True when every finding is explained and no erratum has expired.
    pub fn passed(&self) -> bool {
        self.unexplained().is_empty() && self.expired.is_empty() && self.unfound.is_empty()
    }

    /// The readable report, grouped by page.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for page in &self.pages {
            out.push_str(&format!("{}\n", page.title));
            out.push_str(&format!(
                "  {}, ms.date {}, {} ({})\n",
                page.url
                    .as_deref()
                    .unwrap_or("a page the spec does not record"),
                page.ms_date.as_deref().unwrap_or("none"),
                page.revision,
                page.source
            ));
            if !page.not_relied_on.is_empty() {
                out.push_str(&format!(
                    "  not relied on: {}\n",
                    page.not_relied_on.join(", ")
                ));
            }
            if let Some(why) = &page.not_checked {
                out.push_str(&format!("  not checked: {why}\n"));
            } else if page.findings.is_empty() {
                out.push_str("  no findings\n");
            }
            for finding in &page.findings {
                match &finding.explained_by {
                    Some(decision) => out.push_str(&format!(
                        "  explained    {} {}: {}\n               erratum: {}\n",
                        finding.kind,
                        finding.subject,
                        finding.detail,
                        first_line(decision)
                    )),
                    None => out.push_str(&format!(
                        "  UNEXPLAINED  {} {}: {}\n",
                        finding.kind, finding.subject, finding.detail
                    )),
                }
            }
        }
        for erratum in &self.expired {
            out.push_str(&format!(
                "\nexpired erratum ({}; {} {}): fixed upstream? remove this erratum and revisit \
                 the decision: {}\n",
                erratum.page,
                erratum.finding,
                erratum.subject,
                first_line(&erratum.decision)
            ));
        }
        for record in &self.unfound {
            out.push_str(&format!(
                "\nrecorded revision not found: {record}: the folders given hold another \
                 revision of the page, or none; check the newest and record it\n"
            ));
        }
        let findings: usize = self.pages.iter().map(|p| p.findings.len()).sum();
        let unexplained = self.unexplained().len();
        out.push_str(&format!(
            "\n{} pages, {findings} findings: {} explained by errata, {unexplained} unexplained; \
             {} expired errata\n",
            self.pages.len(),
            findings - unexplained,
            self.expired.len()
        ));
        out
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default().trim()
}
