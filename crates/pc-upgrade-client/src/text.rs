//! Server text made safe to show: bounded in length and with control characters escaped, so
//! that what a server sends cannot flood a log or drive a terminal.

use std::fmt;

/// How many characters of a server's error description are kept (the documented maximum).
pub(crate) const MAX_DESCRIPTION: usize = 1024;
/// How many characters of a short server value (a source, a code, `MS-CV`) are kept.
pub(crate) const MAX_SHORT: usize = 128;

/// `text` cut to `max` characters, with `…` when it was longer.
pub(crate) fn bounded(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((end, _)) => {
            let mut kept = text[..end].to_owned();
            kept.push('…');
            kept
        }
    }
}

/// Server text as it may be shown or written for a person (a terminal, a log, a report):
/// cut to `max` characters (with `…`), its control characters and the characters that
/// reorder or hide text (bidirectional overrides and isolates, zero-width characters)
/// escaped as `\u{..}`. The one sanitizer of server text, for this crate's errors and for
/// what its users show.
///
/// ```
/// let shown = pc_upgrade_client::shown("Moved\u{202e}txt.exe\u{1b}[2J", 100);
/// assert_eq!(shown, "Moved\\u{202e}txt.exe\\u{1b}[2J");
/// ```
pub fn shown(text: &str, max: usize) -> String {
    Escaped(&bounded(text, max)).to_string()
}

/// Displays text with every control character, and the Unicode characters that reorder or
/// hide text (bidirectional overrides and isolates, zero-width characters), escaped as
/// `\u{..}`; newlines and tabs become `\n` and `\t`.
pub(crate) struct Escaped<'a>(pub(crate) &'a str);

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
        )
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(needs_escape) {
            f.write_str(&rest[..at])?;
            let c = rest[at..].chars().next().unwrap_or_default();
            match c {
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c => write!(f, "{}", c.escape_unicode())?,
            }
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        assert_eq!(bounded("abc", 3), "abc");
        assert_eq!(bounded("abcd", 3), "abc…");
        assert_eq!(bounded("ééé", 2), "éé…");
    }

    #[test]
    fn control_and_reordering_characters_are_escaped() {
        let shown = Escaped("a\u{1b}[31mred\nline\u{202e}x\u{7f}").to_string();
        assert_eq!(shown, "a\\u{1b}[31mred\\nline\\u{202e}x\\u{7f}");
        assert_eq!(Escaped("plain café").to_string(), "plain café");
    }
}
