//! The nesting limits that keep rendering time proportional to a document's size: parsers and sanitizers
//! cost more than linear time on deeply nested trees, so such documents are refused before rendering.

/// The deepest nesting of block containers (lists, block quotes) a document may have.
pub const MAX_BLOCK_DEPTH: usize = 64;
/// The deepest nesting of raw HTML elements a document may have.
pub const MAX_HTML_DEPTH: usize = 128;

/// A document past one of the nesting limits: rendering it would cost time that grows faster than its size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TooComplex {
    #[error("nests lists or block quotes more than {MAX_BLOCK_DEPTH} levels deep")]
    BlockDepth,
    #[error("nests raw HTML elements more than {MAX_HTML_DEPTH} levels deep")]
    HtmlDepth,
}

/// The deepest run of container markers (`>`, list bullets and numbers) that opens any line: a cheap upper bound
/// of the parser's nesting, checked before parsing (deep nesting is what makes parsing and sanitizing slow).
pub(super) fn block_depth(markdown: &str) -> usize {
    markdown
        .lines()
        .map(|line| {
            let mut depth = 0;
            let mut rest = line.trim_start();
            loop {
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                let marker = match rest.as_bytes().get(digits) {
                    Some(b'>') if digits == 0 => 1,
                    Some(b'-' | b'*' | b'+') if digits == 0 => 1,
                    Some(b'.' | b')') if digits > 0 => digits + 1,
                    _ => break,
                };
                let after = &rest[marker..];
                // A bullet or number opens a list only when followed by a space or the end of the line.
                if rest.as_bytes()[0] != b'>'
                    && !(after.is_empty() || after.starts_with([' ', '\t']))
                {
                    break;
                }
                depth += 1;
                rest = after.trim_start();
            }
            depth
        })
        .max()
        .unwrap_or(0)
}

/// Void elements have no closing tag, so they do not nest.
const VOID: [&str; 14] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// The nesting depth of the raw HTML of the document's HTML events.
pub(super) fn html_depth<'a>(raw: impl Iterator<Item = &'a str>) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for chunk in raw {
        let mut rest = chunk;
        while let Some(open) = rest.find('<') {
            rest = &rest[open + 1..];
            let closing = rest.starts_with('/');
            let name: String = rest
                .trim_start_matches('/')
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            if name.is_empty() {
                continue;
            }
            let end = rest.find('>').unwrap_or(rest.len());
            let self_closing = rest[..end].ends_with('/');
            if closing {
                depth = depth.saturating_sub(1);
            } else if !self_closing && !VOID.contains(&name.as_str()) {
                depth += 1;
                max = max.max(depth);
            }
        }
    }
    max
}
