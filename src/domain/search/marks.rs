//! Highlights made safe: the database's match marks become `<mark>` elements in escaped HTML.

/// Marks of a highlight, as the database writes them around a match: characters that escaping leaves alone and
/// text hardly ever holds; `mark` turns them into `<mark>` elements.
pub const MARK_START: &str = "\u{2}";
pub const MARK_STOP: &str = "\u{3}";

/// Stand-ins for `<`, `>` and `&` while the database highlights a text (it would read them as HTML): characters
/// of Unicode's private use area, which `mark` turns back into the escaped characters.
pub const LESS_THAN: char = '\u{E000}';
pub const GREATER_THAN: char = '\u{E001}';
pub const AMPERSAND: char = '\u{E002}';

/// HTML-escapes `text` (stand-ins included) and turns the database's match marks into balanced `<mark>`
/// elements.
pub fn mark(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut open = false;
    for c in text.chars() {
        match c {
            '\u{2}' if !open => {
                out.push_str("<mark>");
                open = true;
            }
            '\u{3}' if open => {
                out.push_str("</mark>");
                open = false;
            }
            '\u{2}' | '\u{3}' => {}
            '&' | AMPERSAND => out.push_str("&amp;"),
            '<' | LESS_THAN => out.push_str("&lt;"),
            '>' | GREATER_THAN => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::mark;

    #[test]
    fn marks_are_balanced_and_text_escaped() {
        assert_eq!(
            mark("Escaping \u{2}<script>\u{3} & friends"),
            "Escaping <mark>&lt;script&gt;</mark> &amp; friends"
        );
        assert_eq!(mark("\u{3}a\u{2}b\u{2}c"), "a<mark>bc</mark>");
        assert_eq!(mark("\"x\" 'y'"), "&quot;x&quot; &#39;y&#39;");
        assert_eq!(mark("\u{E000}b\u{E001} \u{E002}"), "&lt;b&gt; &amp;");
    }
}
