//! The parts of a documentation page the checks read (an example, a resource table's row,
//! a header table's row, a resource), and the readers of a section's lines into them: the
//! request syntax, a raw HTTP example, header tables, status lists, property tables.

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

/// The text of the first markdown link in `text`, emphasis removed.
pub(super) fn first_link(text: &str) -> Option<String> {
    let open = text.find('[')?;
    let close = text[open..].find("](")? + open;
    Some(plain(&text[open + 1..close]))
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

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// A method word and a path.
type Request = (String, String);

/// The syntax rows of a section: (method, path), and the rows whose method word is not
/// HTTP's. Method words are read ignoring case (`**Post**`).
pub(super) fn syntax(lines: &[String]) -> (Vec<Request>, Vec<Request>) {
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
pub(super) fn example(direction: Direction, lines: &[String]) -> Option<Example> {
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
pub(super) fn header_table(lines: &[String], request: bool) -> Vec<Header> {
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
pub(super) fn status_list(lines: &[String]) -> Vec<(u16, String)> {
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
pub(super) fn table(lines: &[String]) -> Option<Vec<Row>> {
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
