//! The house rules of the client, the fake, the command-line tool and xtask, held by a test:
//! no module of any imports another that imports it back (directly or around a circle), no
//! hand-written file is over 500 lines, and no function over 80.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CRATES: &[&str] = &[
    "crates/pc-upgrade-client/src",
    "crates/pc-upgrade-mock/src",
    "crates/pc-upgrade-cli/src",
    "crates/pc-upgrade-types/src",
    "xtask/src",
];
const MAX_FILE_LINES: usize = 500;
const MAX_FN_LINES: usize = 80;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The crate's modules, by path from the crate root (`engine::life`; a folder's `mod.rs` is
/// the folder's module), each with its text; `generated.rs` included.
fn modules(dir: &str) -> BTreeMap<String, String> {
    files(dir)
        .into_iter()
        .map(|(name, (_, text))| (name, text))
        .collect()
}

/// The crate's modules, each with its file (relative to `dir`) and text.
fn files(dir: &str) -> BTreeMap<String, (String, String)> {
    fn walk(dir: &Path, prefix: &str, modules: &mut BTreeMap<String, (String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                walk(&path, &format!("{prefix}{stem}::"), modules);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let name = match stem.as_str() {
                    "mod" => prefix.trim_end_matches("::").to_owned(),
                    _ => format!("{prefix}{stem}"),
                };
                let file = format!("{}{stem}.rs", prefix.replace("::", "/"));
                modules.insert(name, (file, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let mut modules = BTreeMap::new();
    walk(&root().join(dir), "", &mut modules);
    modules
}

/// Which modules each module names through `crate::` (the longest module path it names) or
/// `super::` (its parent): the crate root (`lib`, `main`) is left out, as the map naming
/// every module, and so is a module's naming of its own children.
fn imports(modules: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph = BTreeMap::new();
    for (name, text) in modules {
        if name == "lib" || name == "main" {
            continue;
        }
        let parent = name.rsplit_once("::").map(|(parent, _)| parent.to_owned());
        let mut named = BTreeSet::new();
        for line in text.lines().map(str::trim) {
            if line.starts_with("//") {
                continue;
            }
            for (index, _) in line.match_indices("crate::") {
                let path: String = line[index + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                let mut module = path.trim_end_matches(':').to_owned();
                while !module.is_empty() && !modules.contains_key(&module) {
                    module = module.rsplit_once("::").map_or("", |(m, _)| m).to_owned();
                }
                named.insert(module);
            }
            if line.contains("super::")
                && let Some(parent) = &parent
            {
                named.insert(parent.clone());
            }
        }
        named.retain(|module| {
            !module.is_empty()
                && module != name
                && !module.starts_with(&format!("{name}::"))
                && module != "lib"
        });
        graph.insert(name.clone(), named);
    }
    graph
}

/// A circle of imports, if there is one.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut circle = path[at..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    for dir in CRATES {
        let graph = imports(&modules(dir));
        assert!(graph.len() > 3, "{dir}: no modules read");
        if let Some(circle) = circle(&graph) {
            panic!("{dir}: a circle of imports: {}", circle.join(" → "));
        }
    }
}

#[test]
fn a_circle_is_found() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", &["b"][..]),
        ("b", &["c"][..]),
        ("c", &["a"][..]),
        ("d", &[][..]),
    ]
    .into_iter()
    .map(|(n, e)| (n.to_owned(), e.iter().map(|s| (*s).to_owned()).collect()))
    .collect();
    assert_eq!(circle(&graph).unwrap(), ["a", "b", "c", "a"]);
}

/// Each function's name and length in lines, from its `fn` line to the line that closes it
/// at the same indentation.
fn functions(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        // Any visibility: `pub`, `pub(crate)`, `pub(super)`, `pub(in crate::engine)`.
        let words: Vec<&str> = after_visibility(trimmed).split_whitespace().collect();
        let Some(at) = words.iter().position(|w| *w == "fn") else {
            continue;
        };
        let modifiers = ["async", "const", "unsafe"];
        if !words[..at].iter().all(|w| modifiers.contains(w)) || trimmed.starts_with("//") {
            continue;
        }
        let indent = &line[..line.len() - trimmed.len()];
        let close = format!("{indent}}}");
        if let Some(end) = lines[start..].iter().position(|l| *l == close) {
            let name = words
                .get(at + 1)
                .unwrap_or(&"?")
                .split(['(', '<'])
                .next()
                .unwrap_or("?");
            found.push((name.to_owned(), end + 1));
        }
    }
    found
}

/// `text` after its visibility, if it begins with one.
fn after_visibility(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("pub") else {
        return text;
    };
    match rest.strip_prefix('(') {
        Some(inner) => inner.find(')').map_or(text, |end| &inner[end + 1..]),
        None if rest.starts_with(char::is_whitespace) => rest,
        None => text,
    }
}

#[test]
fn no_hand_written_file_or_function_is_too_long() {
    let mut long = Vec::new();
    for dir in CRATES {
        // Generated files follow the generator, not these rules.
        for (_, (file, text)) in files(dir).into_iter().filter(|(n, _)| n != "generated") {
            let file = format!("{dir}/{file}");
            let lines = text.lines().count();
            if lines > MAX_FILE_LINES {
                long.push(format!("{file}: {lines} lines"));
            }
            for (function, length) in functions(&text) {
                if length > MAX_FN_LINES {
                    long.push(format!("{file}: fn {function}: {length} lines"));
                }
            }
        }
    }
    assert!(
        long.is_empty(),
        "over {MAX_FILE_LINES} lines a file or {MAX_FN_LINES} a function:\n{}",
        long.join("\n")
    );
}

#[test]
fn function_lengths_are_measured() {
    let text =
        "fn a() {\n    1;\n}\n\n    pub(crate) async fn b(x: u8) -> u8 {\n        x\n    }\n";
    assert_eq!(functions(text), [("a".to_owned(), 3), ("b".to_owned(), 3)]);
    // Every visibility is seen: a 90-line `pub(super) fn` is 90 lines.
    let body = "    x;\n".repeat(88);
    for visibility in [
        "pub(super)",
        "pub(in crate::engine)",
        "pub",
        "pub(self) const",
    ] {
        let planted = format!("    {visibility} fn planted() {{\n{body}    }}\n");
        assert_eq!(
            functions(&planted),
            [("planted".to_owned(), 90)],
            "{visibility}"
        );
    }
    assert!(functions("    pubfn x() {\n    }\n").is_empty());
}
