//! The house rules of the client and the fake, held by a test: no module of either imports
//! another that imports it back (directly or around a circle), no hand-written file is over
//! 500 lines, and no function over 80.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CRATES: &[&str] = &["crates/pc-upgrade-client/src", "crates/pc-upgrade-mock/src"];
const MAX_FILE_LINES: usize = 500;
const MAX_FN_LINES: usize = 80;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The crate's modules (file stem → text), `generated.rs` included.
fn modules(dir: &str) -> BTreeMap<String, String> {
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(root().join(dir)).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.extension().is_some_and(|e| e == "rs") {
            modules.insert(stem, std::fs::read_to_string(&path).unwrap());
        }
    }
    modules
}

/// Which modules each module names through `crate::` (the crate root, `lib`, left out: it
/// is the map, naming every module).
fn imports(modules: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph = BTreeMap::new();
    for (name, text) in modules {
        if name == "lib" || name == "main" {
            continue;
        }
        let mut named = BTreeSet::new();
        for line in text.lines().map(str::trim) {
            if line.starts_with("//") {
                continue;
            }
            for (index, _) in line.match_indices("crate::") {
                let rest = &line[index + "crate::".len()..];
                let module: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if module != *name && modules.contains_key(&module) && module != "lib" {
                    named.insert(module);
                }
            }
        }
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
        let words: Vec<&str> = trimmed.split_whitespace().collect();
        let Some(at) = words.iter().position(|w| *w == "fn") else {
            continue;
        };
        let modifiers = ["pub", "pub(crate)", "async", "const", "unsafe"];
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

#[test]
fn no_hand_written_file_or_function_is_too_long() {
    let mut long = Vec::new();
    for dir in CRATES {
        // Generated files follow the generator, not these rules.
        for (name, text) in modules(dir).into_iter().filter(|(n, _)| n != "generated") {
            let lines = text.lines().count();
            if lines > MAX_FILE_LINES {
                long.push(format!("{dir}/{name}.rs: {lines} lines"));
            }
            for (function, length) in functions(&text) {
                if length > MAX_FN_LINES {
                    long.push(format!("{dir}/{name}.rs: fn {function}: {length} lines"));
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
}
