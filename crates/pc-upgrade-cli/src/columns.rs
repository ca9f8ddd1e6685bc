//! Text at the width of a terminal: a cell cut with `…` ([`fit`]), prose wrapped at spaces
//! ([`wrap`]).

/// The width the summaries keep to, a terminal's.
pub const WIDTH: usize = 80;

/// `text` in at most `width` characters, escaped as server text is: cut, with `…`, when
/// longer.
pub fn fit(text: &str, width: usize) -> String {
    // A table's cells may hold server text: escaped first (no more of it than fits), then
    // cut.
    let text = pc_upgrade_client::shown(text, width.saturating_mul(2));
    if text.chars().count() <= width {
        return text;
    }
    let mut kept: String = text.chars().take(width.saturating_sub(1)).collect();
    kept.push('…');
    kept
}

/// Prose wrapped at 80 columns, at spaces (each line of `text` on its own).
pub fn wrap(text: &str) -> String {
    text.lines().map(wrap_line).collect::<Vec<_>>().join("\n")
}

fn wrap_line(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out
}
