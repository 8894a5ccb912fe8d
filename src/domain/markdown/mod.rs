//! Markdown to sanitized HTML, done once at write time: heading ids and the table of contents, the plain text
//! that search and word counts read, and the summary derived when a writer gives none.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::slug::Slug;

mod images;
mod limits;

pub use images::{EmbeddedFile, EmbeddedImage, Images};

use limits::{block_depth, html_depth};
pub use limits::{TooComplex, MAX_BLOCK_DEPTH, MAX_HTML_DEPTH};

pub const WORDS_PER_MINUTE: usize = 230;
/// Footnote labels become ids with this prefix, so a label can never take a page's meaningful id.
const FOOTNOTE_PREFIX: &str = "fn-";
pub const DERIVED_SUMMARY_MAX_CHARS: usize = 200;

/// One heading of an article, for a table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"level": 2, "id": "why-queues", "text": "Why queues?"}))]
pub struct TocEntry {
    /// 1 to 6.
    pub level: u8,
    /// The `id` of the heading in `body_html`, unique within the article.
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub html: String,
    /// The text a reader sees, code included, blocks separated by newlines.
    pub text: String,
    pub toc: Vec<TocEntry>,
    pub word_count: usize,
    pub reading_time_minutes: usize,
    /// Derived from the paragraphs' text: used when the writer gives no summary.
    pub summary: String,
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
}

/// The sanitizer for one document. Raw HTML may not choose ids or classes, nor add form fields: only the ids
/// Folio generated (headings, prefixed footnotes) and the classes it writes survive, and every `<input>` is a
/// checkbox (the task-list markup), never a text or password field.
fn sanitizer(generated_ids: Option<HashSet<String>>) -> ammonia::Builder<'static> {
    // `None`: HTML this module already sanitized, whose ids are Folio's.
    let ids = Arc::new(generated_ids);
    let mut b = ammonia::Builder::default();
    for h in ["h1", "h2", "h3", "h4", "h5", "h6"] {
        b.add_tag_attributes(h, &["id"]);
    }
    // One forced value only: ammonia keeps forced values in a hash map, and the output must not depend on its
    // iteration order (writes compare the rendered HTML to tell an identical PUT).
    b.add_tags(&["input"])
        .add_tag_attributes("input", &["checked", "disabled"])
        .set_tag_attribute_value("input", "type", "checkbox")
        .add_tag_attributes("code", &["class"])
        .add_tag_attributes("div", &["class", "id"])
        .add_tag_attributes("sup", &["class", "id"])
        .add_tag_attributes("li", &["id"])
        .add_tag_attributes("img", &["loading", "decoding", "srcset", "sizes"])
        .attribute_filter(
            move |element, attribute, value| match (element, attribute) {
                (_, "id") => match ids.as_ref() {
                    Some(ids) => ids.contains(value).then_some(Cow::Borrowed(value)),
                    None => Some(Cow::Borrowed(value)),
                },
                ("code", "class") => value
                    .starts_with("language-")
                    .then_some(Cow::Borrowed(value)),
                ("img", "loading") => {
                    matches!(value, "lazy" | "eager").then_some(Cow::Borrowed(value))
                }
                ("img", "decoding") => {
                    matches!(value, "async" | "sync" | "auto").then_some(Cow::Borrowed(value))
                }
                ("img", "srcset") => images::safe_srcset(value).then_some(Cow::Borrowed(value)),
                ("div" | "sup", "class") => matches!(
                    value,
                    "footnote-definition" | "footnote-reference" | "footnote-definition-label"
                )
                .then_some(Cow::Borrowed(value)),
                _ => Some(Cow::Borrowed(value)),
            },
        );
    b
}

/// Rendered HTML (`body_html`) with every relative link and image source made absolute against `base`, the
/// document's public URL: for feeds, which readers show away from the site. The same sanitizer runs again, so
/// nothing it refused can come back.
pub fn absolute_links(html: &str, base: &url::Url) -> String {
    let mut builder = sanitizer(None);
    builder.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
    builder.clean(html).to_string()
}

/// Checks the nesting limits, then renders.
pub fn render_checked(markdown: &str) -> Result<Rendered, TooComplex> {
    render_checked_with(markdown, &Images::new())
}

/// `render_checked`, with the uploaded images the document shows: each gets its `width`, `height`,
/// `loading="lazy"` and a `srcset` of its variants.
pub fn render_checked_with(markdown: &str, images: &Images) -> Result<Rendered, TooComplex> {
    if block_depth(markdown) > MAX_BLOCK_DEPTH {
        return Err(TooComplex::BlockDepth);
    }
    let events: Vec<Event<'_>> = Parser::new_ext(markdown, options()).collect();
    let raw = events.iter().filter_map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Some(h.as_ref()),
        _ => None,
    });
    if html_depth(raw) > MAX_HTML_DEPTH {
        return Err(TooComplex::HtmlDepth);
    }
    Ok(render_events(markdown, events, images))
}

/// Renders Markdown (CommonMark with tables, strikethrough, task lists and footnotes), whatever its nesting: for
/// trusted input (the seeder); writes go through `render_checked`.
pub fn render(markdown: &str) -> Rendered {
    render_events(
        markdown,
        Parser::new_ext(markdown, options()).collect(),
        &Images::new(),
    )
}

fn render_events<'a>(markdown: &str, mut events: Vec<Event<'a>>, images: &Images) -> Rendered {
    let mut text = String::with_capacity(markdown.len());
    let mut paragraphs = String::new();
    let mut toc = Vec::new();
    let mut used_ids = HashSet::new();
    let mut next_suffix = HashMap::new();
    let mut heading: Option<(usize, String)> = None;
    let mut paragraph_depth = 0usize;
    // Text inside raw <script> or <style> is removed by the sanitizer, so it is no reader's text either.
    let mut in_raw_code = false;

    for event in events.iter_mut() {
        if let Event::FootnoteReference(label) | Event::Start(Tag::FootnoteDefinition(label)) =
            event
        {
            let id = format!("{FOOTNOTE_PREFIX}{label}");
            used_ids.insert(id.clone());
            *label = CowStr::from(id);
        }
    }

    for i in 0..events.len() {
        if let Event::Html(raw) | Event::InlineHtml(raw) = &events[i] {
            let lower = raw.to_ascii_lowercase();
            if lower.contains("<script") || lower.contains("<style") {
                in_raw_code = !(lower.contains("</script") || lower.contains("</style"));
            } else if lower.contains("</script") || lower.contains("</style") {
                in_raw_code = false;
            }
            continue;
        }
        if in_raw_code && matches!(events[i], Event::Text(_)) {
            continue;
        }
        match &events[i] {
            Event::Start(Tag::Heading { .. }) => heading = Some((i, String::new())),
            Event::Start(Tag::Paragraph) => paragraph_depth += 1,
            Event::Text(t) | Event::Code(t) => {
                text.push_str(t);
                if let Some((_, h)) = heading.as_mut() {
                    h.push_str(t);
                }
                if paragraph_depth > 0 {
                    paragraphs.push_str(t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                text.push(' ');
                if paragraph_depth > 0 {
                    paragraphs.push(' ');
                }
            }
            Event::End(end) => {
                text.push('\n');
                match end {
                    TagEnd::Paragraph => {
                        paragraph_depth = paragraph_depth.saturating_sub(1);
                        paragraphs.push('\n');
                    }
                    TagEnd::Heading(level) => {
                        let level = *level as u8;
                        if let Some((start, heading_text)) = heading.take() {
                            let heading_text = heading_text.trim().to_owned();
                            let id = unique_id(&heading_text, &mut used_ids, &mut next_suffix);
                            if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[start]
                            {
                                *slot = Some(CowStr::from(id.clone()));
                            }
                            toc.push(TocEntry {
                                level,
                                id,
                                text: heading_text,
                            });
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    let events = images::sized(events, images);
    let mut raw_html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut raw_html, events.into_iter());
    let html = sanitizer(Some(used_ids)).clean(&raw_html).to_string();

    let word_count = text.split_whitespace().count();
    Rendered {
        html,
        word_count,
        reading_time_minutes: reading_time_minutes(word_count),
        summary: derive_summary(&paragraphs),
        toc,
        text: text.trim().to_owned(),
    }
}

pub fn reading_time_minutes(word_count: usize) -> usize {
    word_count.div_ceil(WORDS_PER_MINUTE).max(1)
}

/// The heading's id: its slug, or the slug with the next free `-N` suffix. The next suffix to try is kept per
/// slug, so a document of n identical headings costs O(n), not O(n²).
fn unique_id(text: &str, used: &mut HashSet<String>, next: &mut HashMap<String, usize>) -> String {
    let base = Slug::derive(text)
        .map(Slug::into_string)
        .unwrap_or_else(|| "section".to_owned());
    if used.insert(base.clone()) {
        return base;
    }
    let n = next.entry(base.clone()).or_insert(2);
    loop {
        let id = format!("{base}-{n}");
        *n += 1;
        if used.insert(id.clone()) {
            return id;
        }
    }
}

/// The first sentences of the text that fit in 200 characters; a first sentence longer than that is cut at a
/// word boundary and marked with an ellipsis.
pub fn derive_summary(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= DERIVED_SUMMARY_MAX_CHARS {
        return text;
    }
    // Ends of sentences: a terminator followed by a space.
    let mut best = None;
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?') && text[i + 1..].starts_with(' ') {
            let end = i + 1;
            if text[..end].chars().count() <= DERIVED_SUMMARY_MAX_CHARS {
                best = Some(end);
            } else {
                break;
            }
        }
    }
    if let Some(end) = best {
        return text[..end].to_owned();
    }
    let limit = DERIVED_SUMMARY_MAX_CHARS - 1; // room for the ellipsis
    let cut = text
        .char_indices()
        .nth(limit)
        .map(|(i, _)| i)
        .unwrap_or(text.len());
    let head = &text[..cut];
    let at_word = match text[cut..].starts_with(' ') {
        true => head,
        false => head.rfind(' ').map(|i| &head[..i]).unwrap_or(head),
    };
    format!("{}…", at_word.trim_end_matches([',', ';', ':', ' ']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_get_unique_ids_and_a_toc() {
        let r = render("# Intro\n\ntext\n\n## Setup\n\n## Setup\n\n### Ünïcode `code`!\n");
        assert!(
            r.html.contains(r#"<h1 id="intro">Intro</h1>"#),
            "{}",
            r.html
        );
        assert!(r.html.contains(r#"<h2 id="setup">"#));
        assert!(r.html.contains(r#"<h2 id="setup-2">"#));
        let ids: Vec<_> = r.toc.iter().map(|t| (t.level, t.id.as_str())).collect();
        assert_eq!(
            ids,
            vec![
                (1, "intro"),
                (2, "setup"),
                (2, "setup-2"),
                (3, "unicode-code")
            ]
        );
        assert_eq!(r.toc[3].text, "Ünïcode code!");
    }

    #[test]
    fn extensions_render() {
        let r = render("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~\n\n- [x] done\n- [ ] todo\n\nNote[^1].\n\n[^1]: The note.\n");
        assert!(r.html.contains("<table>"), "{}", r.html);
        assert!(r.html.contains("<del>old</del>"));
        assert!(r.html.contains("checkbox"), "{}", r.html);
        assert!(r.html.contains("footnote"), "{}", r.html);
    }

    #[test]
    fn the_same_document_always_renders_the_same_html() {
        let md = "- [x] done\n- [ ] todo\n\n<input type=password>\n\nNote[^a].\n\n[^a]: A.\n";
        let first = render(md).html;
        for _ in 0..20 {
            assert_eq!(render(md).html, first);
        }
        assert!(first.contains("type=\"checkbox\""), "{first}");
        assert!(!first.contains("password"), "{first}");
    }

    #[test]
    fn dangerous_html_is_removed() {
        let inline = render("Before <script>alert(1)</script> after.");
        assert_eq!(inline.summary, "Before after.");
        assert!(!inline.text.contains("alert"), "{}", inline.text);
        let r = render(
            "<script>alert(1)</script>\n\n<img src=x onerror=\"alert(1)\">\n\n[click](javascript:alert(1))\n\n<a href=\"javascript:alert(2)\">x</a>\n",
        );
        let html = r.html.to_lowercase();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn words_count_code_too_and_reading_time_rounds_up() {
        let r = render("one two\n\n```\nthree four\n```\n\n`five`\n");
        assert_eq!(r.word_count, 5);
        assert_eq!(r.reading_time_minutes, 1);
        assert_eq!(reading_time_minutes(230), 1);
        assert_eq!(reading_time_minutes(231), 2);
        assert_eq!(reading_time_minutes(0), 1);
    }

    #[test]
    fn summary_takes_whole_sentences_then_cuts_at_a_word() {
        let r = render(
            "# Title\n\nFirst sentence here. Second one!\n\n```\ncode is not summary\n```\n",
        );
        assert_eq!(r.summary, "First sentence here. Second one!");
        let long = "Short one. ".to_owned() + &"word ".repeat(60);
        assert_eq!(derive_summary(&long), "Short one.");
        let one = "word ".repeat(60);
        let s = derive_summary(&one);
        assert!(s.chars().count() <= 200 && s.ends_with("word…"), "{s}");
    }
}
