//! Reading a Partner Center documentation page by its structure, not its bytes: front matter,
//! sections by heading (their English anchor when a translation renamed them), the request
//! syntax table, raw HTTP examples, and resource tables. Heading levels, section order, extra
//! sections and white space do not matter, so a change of page template is not drift.
//!
//! Both published forms are read: markdown with front matter, and the plain-text rendering
//! (headings as bare lines, examples without fences).

use super::blocks::{
    Direction, Example, Header, Resource, example, first_link, header_table, status_list, syntax,
    table,
};

/// A documentation page, as far as the checks need it.
#[derive(Clone, Debug, Default)]
pub struct Page {
    /// Where it was read from.
    pub source: String,
    /// The title (front matter, or the first line of the plain-text form).
    pub title: String,
    /// `ms.date` as (year, month, day), if the page has one.
    pub ms_date: Option<(u32, u32, u32)>,
    /// `ms.date` as written.
    pub ms_date_text: Option<String>,
    /// The digest of its bytes (`sha256:…`), which tells revisions under one `ms.date` apart.
    pub revision: String,
    /// The request syntax: method and path (without `{baseURL}`).
    pub syntax: Vec<(String, String)>,
    /// Syntax rows whose method word is none of HTTP's (a translated `Příspěvek`, say):
    /// the word and the path.
    pub unknown_methods: Vec<(String, String)>,
    /// Whether the page's code fences do not pair up: everything after the stray one is
    /// read as code, so the page cannot be checked.
    pub unbalanced_fences: bool,
    /// `ms.contentlocale` (`fr-FR`), on a translated copy.
    pub locale: Option<String>,
    /// What the page's URL slug may be, as where it was read from says it: `check_files`
    /// takes the file's name without extension (`create-product-upgrade-entity.md`) and the
    /// folder it sits in (a published revision sits in a folder named after its slug).
    pub slugs: Vec<String>,
    /// The example blocks.
    pub examples: Vec<Example>,
    /// The resource tables.
    pub resources: Vec<Resource>,
    /// The header tables (the headers page).
    pub headers: Vec<Header>,
    /// The HTTP statuses a `- 405: Method not allowed` list names (the error-codes page).
    pub statuses: Vec<(u16, String)>,
    /// Resources the page says a successful call returns (`returns a [X](…)`).
    pub returns: Vec<String>,
    /// Resources the page says the request body contains.
    pub request_body: Vec<String>,
}

impl Page {
    /// Whether nothing the checks read was found on it.
    pub fn read_nothing(&self) -> bool {
        self.syntax.is_empty()
            && self.unknown_methods.is_empty()
            && self.examples.is_empty()
            && self.resources.is_empty()
            && self.headers.is_empty()
            && self.statuses.is_empty()
    }
}

/// Section names recognised as headings in the plain-text form.
const PLAIN_HEADINGS: &[&str] = &[
    "prerequisites",
    "c",
    "rest",
    "rest-request",
    "request-syntax",
    "uri-parameter",
    "request-headers",
    "request-body",
    "request-example",
    "rest-response",
    "response-success-and-error-codes",
    "response-example",
    "important",
];

/// `Request example` → `request-example`; `<a name="request-syntax"></a>要求的語法` →
/// `request-syntax` (a translated heading keeps its English anchor).
fn slug(heading: &str) -> String {
    if let Some(start) = heading.find("name=\"") {
        let rest = &heading[start + 6..];
        if let Some(end) = rest.find('"') {
            return rest[..end].to_ascii_lowercase();
        }
    }
    let mut slug = String::new();
    for c in heading.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if (c.is_whitespace() || c == '-') && !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// Whether the code fences of `body` pair up.
fn fences_balance(body: &[&str]) -> bool {
    body.iter().filter(|l| l.trim().starts_with("```")).count() % 2 == 0
}

/// A page's sections: (slug, lines), in order; lines before the first heading go under `""`.
fn sections(body: &[&str], plain_form: bool) -> Vec<(String, Vec<String>)> {
    let mut sections = vec![(String::new(), Vec::new())];
    let mut fenced = false;
    for line in body {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            fenced = !fenced;
        }
        let heading = if fenced {
            None
        } else if let Some(text) = trimmed.strip_prefix('#') {
            Some(slug(text.trim_start_matches('#')))
        } else if plain_form
            && trimmed.len() < 60
            && PLAIN_HEADINGS.contains(&slug(trimmed).as_str())
        {
            Some(slug(trimmed))
        } else {
            None
        };
        match heading {
            Some(slug) => sections.push((slug, Vec::new())),
            None => {
                if let Some(last) = sections.last_mut() {
                    last.1.push((*line).to_owned());
                }
            }
        }
    }
    sections
}

/// Parses a page.
pub fn parse(source: &str, text: &str) -> Page {
    let mut page = Page {
        source: source.to_owned(),
        revision: super::digest(text),
        ..Page::default()
    };
    // A byte-order mark is not part of the front matter's first line.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut body_start = 0;
    if lines.first().map(|l| l.trim()) == Some("---")
        && let Some(end) = lines.iter().skip(1).position(|l| l.trim() == "---")
    {
        for line in &lines[1..=end] {
            if let Some((key, value)) = line.split_once(':') {
                let value = value.trim().trim_matches('"').to_owned();
                match key.trim() {
                    "title" => page.title = value,
                    "ms.date" => {
                        page.ms_date = parse_date(&value);
                        page.ms_date_text = Some(value);
                    }
                    "ms.contentlocale" => page.locale = Some(value),
                    _ => {}
                }
            }
        }
        body_start = end + 2;
    }
    let body = &lines[body_start.min(lines.len())..];
    let plain_form = body_start == 0;
    if plain_form {
        page.title = body
            .iter()
            .map(|l| l.trim())
            .find(|l| !l.is_empty())
            .unwrap_or_default()
            .to_owned();
    }
    for line in body {
        // ASCII lower-casing keeps byte offsets, so `at` indexes `line` too.
        let lower = line.to_ascii_lowercase();
        if let Some(at) = lower.find("request body must contain") {
            page.request_body.extend(first_link(&line[at..]));
        } else if let Some(at) = lower.find("returns") {
            page.returns.extend(first_link(&line[at..]));
        }
    }
    page.unbalanced_fences = !fences_balance(body);
    for (slug, lines) in sections(body, plain_form) {
        match slug.as_str() {
            "request-syntax" => {
                let (found, unknown) = syntax(&lines);
                page.syntax.extend(found);
                page.unknown_methods.extend(unknown);
            }
            "request-example" => page.examples.extend(example(Direction::Request, &lines)),
            "response-example" => page.examples.extend(example(Direction::Response, &lines)),
            "rest-request-headers" | "rest-response-headers" => page
                .headers
                .extend(header_table(&lines, slug.starts_with("rest-request"))),
            "http-status-codes" => page.statuses.extend(status_list(&lines)),
            _ => {
                // A property table without rows says nothing about any resource.
                if let Some(rows) = table(&lines).filter(|rows| !rows.is_empty()) {
                    page.resources.push(Resource { name: slug, rows });
                }
            }
        }
    }
    page
}

/// `10/11/2019` (month/day/year) as (year, month, day).
pub(crate) fn parse_date(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.split('/').map(|p| p.trim().parse::<u32>().ok());
    let (month, day, year) = (parts.next()??, parts.next()??, parts.next()??);
    Some((year, month, day))
}

#[cfg(test)]
mod tests {
    use super::super::blocks::plain;
    use super::*;

    #[test]
    fn headings_are_read_by_anchor_or_text() {
        assert_eq!(slug("Request example"), "request-example");
        assert_eq!(
            slug("## <a name=\"request-syntax\"></a>要求的語法"),
            "request-syntax"
        );
        assert_eq!(slug("  REST   response "), "rest-response");
    }

    #[test]
    fn links_and_emphasis_are_removed() {
        assert_eq!(
            plain("[**ProductUpgradesEligibility**](x.md#y) resource"),
            "ProductUpgradesEligibility resource"
        );
        assert_eq!(
            plain("array of [UpgradesLineItem](#upgradeslineitem) resources"),
            "array of UpgradesLineItem resources"
        );
        assert_eq!(first_link("a [*X*](y) b").as_deref(), Some("X"));
    }
}
