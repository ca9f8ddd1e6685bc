//! The fixture corpus: one documented HTTP message per file in `tests/fixtures/`.
//!
//! A fixture is the message as the documents print it (start line, headers, body; the
//! documents' requests have no blank line before the body, so a header block also ends at a
//! line that starts a JSON value), preceded by `# key: value` comment lines: `title`, `page`
//! (its URL on learn.microsoft.com) and `ms.date` (the revision; `none` for the plain-text copy,
//! `not recorded` for a page the project does not keep) name the public page it comes from;
//! `block` (`request example` or `response example`) marks a verbatim copy of that example,
//! which `cargo xtask docs-check` ties to the block on the page, and `derived-from` one the
//! project derived from it; `operation` names an operationId of the spec; optionally
//! `spec-example` (the JSON pointer of the spec example that must equal its body), `defect`
//! (`invalid-json` or `pascal-case`: a documented defect kept as found) and `note`s.

use std::path::{Path, PathBuf};

/// Whether a message is a request or a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// A request, with a method and a path.
    Request,
    /// A response, with a status.
    Response,
}

/// One documented HTTP message.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// The file name without `.http`.
    pub name: String,
    /// The `# key: value` lines, in order.
    pub meta: Vec<(String, String)>,
    /// The first line of the message.
    pub start_line: String,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body as written (trimmed), if any.
    pub body: Option<String>,
}

/// The fixtures directory.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Every fixture's name, sorted.
pub fn names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("tests/fixtures exists")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "http").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    names.sort();
    names
}

/// Reads and parses a fixture.
pub fn load(name: &str) -> Fixture {
    let path = dir().join(format!("{name}.http"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    parse(name, &text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// Parses fixture text.
pub fn parse(name: &str, text: &str) -> Result<Fixture, String> {
    let mut lines = text.lines().peekable();
    let mut meta = Vec::new();
    while let Some(line) = lines.next_if(|l| l.starts_with('#')) {
        let line = line.trim_start_matches('#').trim();
        let (key, value) = line
            .split_once(": ")
            .ok_or_else(|| format!("comment line {line:?} is not `# key: value`"))?;
        meta.push((key.to_owned(), value.to_owned()));
    }
    let start_line = lines.next().ok_or("no start line")?.to_owned();
    let mut headers = Vec::new();
    while let Some(line) = lines.peek() {
        if line.trim().is_empty() {
            lines.next();
            break;
        }
        if line.starts_with('{') || line.starts_with('[') {
            break;
        }
        let (header, value) = line
            .split_once(':')
            .ok_or_else(|| format!("header line {line:?} has no colon"))?;
        headers.push((header.trim().to_owned(), value.trim().to_owned()));
        lines.next();
    }
    let body = lines.collect::<Vec<_>>().join("\n");
    let body = body.trim();
    Ok(Fixture {
        name: name.to_owned(),
        meta,
        start_line,
        headers,
        body: (!body.is_empty()).then(|| body.to_owned()),
    })
}

impl Fixture {
    /// The first value of a `# key: value` line.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The operation it belongs to.
    pub fn operation(&self) -> &str {
        self.meta("operation")
            .unwrap_or_else(|| panic!("fixture {} names no operation", self.name))
    }

    /// Request or response.
    pub fn direction(&self) -> Direction {
        if self.start_line.starts_with("HTTP/") {
            Direction::Response
        } else {
            Direction::Request
        }
    }

    /// The status of a response.
    pub fn status(&self) -> Option<u16> {
        if self.direction() != Direction::Response {
            return None;
        }
        self.start_line.split_whitespace().nth(1)?.parse().ok()
    }

    /// The method and path of a request (the path without scheme and host).
    pub fn method_and_path(&self) -> Option<(&str, &str)> {
        if self.direction() != Direction::Request {
            return None;
        }
        let mut words = self.start_line.split_whitespace();
        let method = words.next()?;
        let target = words.next()?;
        let path = match target.find("://") {
            Some(i) => &target[i + 3..][target[i + 3..].find('/')?..],
            None => target,
        };
        Some((method, path))
    }

    /// A header's value (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, `Ok(None)` when there is no body.
    pub fn json(&self) -> Result<Option<serde_json::Value>, serde_json::Error> {
        self.body.as_deref().map(serde_json::from_str).transpose()
    }

    /// The documented defect this fixture keeps, if any.
    pub fn defect(&self) -> Option<&str> {
        self.meta("defect")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_without_a_blank_line_before_its_body_parses() {
        let f = parse(
            "x",
            "# operation: op\nPOST https://h/v1/a HTTP/1.1\nA: 1\nB: two: 2\n{\n \"k\": 1\n}\n",
        )
        .unwrap();
        assert_eq!(f.method_and_path(), Some(("POST", "/v1/a")));
        assert_eq!(
            f.headers,
            [("A".into(), "1".into()), ("B".into(), "two: 2".into())]
        );
        assert_eq!(f.json().unwrap(), Some(serde_json::json!({"k": 1})));
    }

    #[test]
    fn a_response_with_no_body_has_none() {
        let f = parse("x", "HTTP/1.1 202 Accepted\nLocation: a/b\n").unwrap();
        assert_eq!(f.status(), Some(202));
        assert_eq!(f.header("location"), Some("a/b"));
        assert_eq!(f.body, None);
    }

    #[test]
    fn a_malformed_comment_or_header_is_refused() {
        assert!(parse("x", "# no colon here\nHTTP/1.1 200 OK\n").is_err());
        assert!(parse("x", "HTTP/1.1 200 OK\nnot a header\n").is_err());
    }
}
