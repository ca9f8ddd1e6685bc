//! Reading a Partner Center documentation page by its structure, not its bytes: front matter,
//! sections by heading (their English anchor when a translation renamed them), the request
//! syntax table, raw HTTP examples, and resource tables. Heading levels, section order, extra
//! sections and white space do not matter, so a change of page template is not drift.
//!
//! Both published forms are read: markdown with front matter, and the plain-text rendering
//! (headings as bare lines, examples without fences).

/// A request or a response example.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Direction {
    /// A request example.
    Request,
    /// A response example.
    Response,
}

impl Direction {
    /// `request example` or `response example`, as fixtures and errata name the block.
    pub fn block(self) -> &'static str {
        match self {
            Self::Request => "request example",
            Self::Response => "response example",
        }
    }
}

/// One example block: the raw HTTP message and its body.
#[derive(Clone, Debug)]
pub struct Example {
    /// Request or response.
    pub direction: Direction,
    /// The first line (`POST https://…` or `HTTP/1.1 202 Accepted`).
    pub start_line: String,
    /// The body as written, trimmed; `None` when the message has none.
    pub body: Option<String>,
}

/// One row of a resource table.
#[derive(Clone, Debug)]
pub struct Row {
    /// The property name as written.
    pub property: String,
    /// The type cell, markdown removed.
    pub kind: String,
    /// The description cell, markdown removed.
    pub description: String,
    /// The resource a link in the type cell names, if any.
    pub link: Option<String>,
    /// True when this row was run together with the one before it on one line.
    pub run_together: bool,
}

impl Row {
    /// Whether the description says the property is always there (`Always returned.`, as
    /// the error-codes page writes).
    pub fn always_returned(&self) -> bool {
        self.description
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("always returned")
    }
}

/// One row of a `| Header | Description | Value Type |` table (the headers page).
#[derive(Clone, Debug)]
pub struct Header {
    /// The header's name, without the trailing colon the page writes.
    pub name: String,
    /// Whether it is a request header (else a response header).
    pub request: bool,
    /// The description cell, markdown removed.
    pub description: String,
}

impl Header {
    /// Whether the page calls it required (`Required.`).
    pub fn required(&self) -> bool {
        self.description
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("required")
    }

    /// Whether the page says its value is reset for every call.
    pub fn per_call(&self) -> bool {
        let text = self.description.to_ascii_lowercase();
        text.contains("reset for every call") || text.contains("reset for the next call")
    }
}

/// A table of properties under a resource's heading.
#[derive(Clone, Debug)]
pub struct Resource {
    /// The heading's slug (the resource's name, lower-cased).
    pub name: String,
    /// The rows, in order.
    pub rows: Vec<Row>,
}

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

/// Markdown emphasis and links removed: `[**X**](y.md#x)` → `X`.
pub fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match (after.find("]("), after.find(']')) {
            (Some(close), Some(first)) if close == first => {
                out.push_str(&after[..close]);
                let target = &after[close + 2..];
                rest = match target.find(')') {
                    Some(end) => &target[end + 1..],
                    None => "",
                };
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.replace("**", "").replace('*', "").trim().to_owned()
}

/// The text of the first markdown link in `text`, emphasis removed.
fn first_link(text: &str) -> Option<String> {
    let open = text.find('[')?;
    let close = text[open..].find("](")? + open;
    Some(plain(&text[open + 1..close]))
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

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// A method word and a path.
type Request = (String, String);

/// The syntax rows of a section: (method, path), and the rows whose method word is not
/// HTTP's. Method words are read ignoring case (`**Post**`).
fn syntax(lines: &[String]) -> (Vec<Request>, Vec<Request>) {
    let (mut found, mut unknown) = (Vec::new(), Vec::new());
    for line in lines {
        // `{baseURL}` may be set apart by spaces (`[ *{baseURL}* ](…)/v1/…`).
        let text = plain(line).replace('|', " ").replace("{baseURL}", " ");
        let words: Vec<&str> = text.split_whitespace().collect();
        for pair in words.windows(2) {
            if !pair[1].starts_with("/v1/") && !pair[1].starts_with("/v{") {
                continue;
            }
            match METHODS.iter().find(|m| m.eq_ignore_ascii_case(pair[0])) {
                Some(method) => found.push(((*method).to_owned(), pair[1].to_owned())),
                None if pair[0].chars().all(char::is_alphabetic) => {
                    unknown.push((pair[0].to_owned(), pair[1].to_owned()));
                }
                None => {}
            }
        }
    }
    (found, unknown)
}

fn is_start_line(line: &str) -> bool {
    let line = line.trim();
    line.starts_with("HTTP/")
        || METHODS
            .iter()
            .any(|m| line.strip_prefix(m).is_some_and(|r| r.starts_with(' ')))
}

/// The example in a section: a fenced block, or (plain text) the message from its start line
/// to the end of its body.
fn example(direction: Direction, lines: &[String]) -> Option<Example> {
    let fence = lines.iter().position(|l| l.trim().starts_with("```"));
    let message: Vec<&str> = match fence {
        Some(open) => lines[open + 1..]
            .iter()
            .take_while(|l| !l.trim().starts_with("```"))
            .map(String::as_str)
            .collect(),
        None => {
            let start = lines.iter().position(|l| is_start_line(l))?;
            let mut taken = Vec::new();
            let mut depth = 0i32;
            let mut in_body = false;
            for line in &lines[start..] {
                let trimmed = line.trim();
                if !in_body && (trimmed.starts_with('{') || trimmed.starts_with('[')) {
                    in_body = true;
                }
                if !in_body && trimmed.is_empty() && !taken.is_empty() {
                    break;
                }
                taken.push(line.as_str());
                if in_body {
                    depth += brace_balance(trimmed);
                    if depth <= 0 {
                        break;
                    }
                }
            }
            taken
        }
    };
    let start = message.iter().position(|l| is_start_line(l))?;
    let start_line = message[start].trim().to_owned();
    let rest = &message[start + 1..];
    let body_start = rest.iter().position(|l| {
        let t = l.trim();
        t.starts_with('{') || t.starts_with('[')
    });
    let body = body_start.map(|i| rest[i..].join("\n").trim().to_owned());
    Some(Example {
        direction,
        start_line,
        body,
    })
}

/// Opening minus closing braces and brackets outside JSON strings.
fn brace_balance(line: &str) -> i32 {
    let (mut depth, mut in_string, mut escaped) = (0, false, false);
    for c in line.chars() {
        match (in_string, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (false, _, '"') => in_string = true,
            (false, _, '{' | '[') => depth += 1,
            (false, _, '}' | ']') => depth -= 1,
            _ => {}
        }
    }
    depth
}

fn cells(line: &str) -> Vec<String> {
    let line = line.trim();
    let line = line.strip_prefix('|').unwrap_or(line);
    let line = line.strip_suffix('|').unwrap_or(line);
    line.split('|').map(|c| c.trim().to_owned()).collect()
}

/// The rows of a `| Header | Description | Value Type |` table.
fn header_table(lines: &[String], request: bool) -> Vec<Header> {
    let Some(start) = lines.iter().position(|l| {
        cells(l)
            .first()
            .is_some_and(|c| c.eq_ignore_ascii_case("header"))
    }) else {
        return Vec::new();
    };
    lines[start + 1..]
        .iter()
        .take_while(|l| l.trim_start().starts_with('|'))
        .map(|l| cells(l))
        .filter(|c| c.len() >= 2 && !c[0].starts_with('-'))
        .map(|c| Header {
            name: plain(&c[0]).trim_end_matches(':').trim().to_owned(),
            request,
            description: plain(&c[1]),
        })
        .collect()
}

/// The `- 405: Method not allowed` items of a list.
fn status_list(lines: &[String]) -> Vec<(u16, String)> {
    lines
        .iter()
        .filter_map(|l| {
            let item = l
                .trim()
                .strip_prefix("- ")
                .or(l.trim().strip_prefix("* "))?;
            let (code, name) = item.split_once(':')?;
            Some((code.trim().parse().ok()?, name.trim().to_owned()))
        })
        .collect()
}

/// The rows of a `| Property | Type | Description |` table in these lines, if there is one.
fn table(lines: &[String]) -> Option<Vec<Row>> {
    let header = lines.iter().position(|l| {
        let c = cells(l);
        c.len() >= 3
            && (c[0].eq_ignore_ascii_case("property") || c[0].eq_ignore_ascii_case("name"))
            && c[1].eq_ignore_ascii_case("type")
            && c[2].eq_ignore_ascii_case("description")
    })?;
    let mut rows = Vec::new();
    for line in &lines[header + 1..] {
        if !line.trim_start().starts_with('|') {
            if line.trim().is_empty() && !rows.is_empty() {
                break;
            }
            continue;
        }
        let cells = cells(line);
        if cells
            .iter()
            .all(|c| c.chars().all(|ch| ch == '-' || ch == ':' || ch == ' '))
        {
            continue;
        }
        // A row may run into the next one on the same line; read each in turn.
        let mut rest: &[String] = &cells;
        let mut first = true;
        while rest.len() >= 2 {
            let property = plain(&rest[0]);
            if property.is_empty() {
                rest = &rest[1..];
                continue;
            }
            let kind_cell = rest.get(1).cloned().unwrap_or_default();
            let description = rest.get(2).map(|d| plain(d)).unwrap_or_default();
            rows.push(Row {
                property,
                link: first_link(&kind_cell),
                kind: plain(&kind_cell),
                description,
                run_together: !first,
            });
            first = false;
            rest = &rest[rest.len().min(3)..];
        }
    }
    Some(rows)
}

#[cfg(test)]
mod tests {
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
