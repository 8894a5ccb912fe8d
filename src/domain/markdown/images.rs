//! Uploaded images in a document: an `![alt](…/media/{hash}/{file})` whose file is known is written with its
//! `width` and `height` (no layout shift while it loads), `loading="lazy"`, `decoding="async"`, and, when the
//! upload has variants in the same format, a `srcset` of them with `sizes` capped at the image's own width.

use std::collections::HashMap;

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

use crate::domain::media;

/// One file of an upload: its name under the hash, and its pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedFile {
    pub file: String,
    pub width: u32,
    pub height: u32,
}

/// An upload's files (the original and its variants).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmbeddedImage {
    pub files: Vec<EmbeddedFile>,
}

/// The uploads a document may show, by hash.
pub type Images = HashMap<String, EmbeddedImage>;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The `<img>` for `url` showing `file` of `image`, or `None` when the file is not one of its files.
fn tag(url: &str, file: &str, image: &EmbeddedImage, alt: &str, title: &str) -> Option<String> {
    let shown = image.files.iter().find(|f| f.file == file)?;
    let prefix = &url[..url.len() - file.len()];
    let ext = file.rsplit('.').next().unwrap_or_default();
    let mut same_format: Vec<&EmbeddedFile> = image
        .files
        .iter()
        .filter(|f| f.file.rsplit('.').next() == Some(ext))
        .collect();
    same_format.sort_by_key(|f| f.width);
    let mut out = format!(
        "<img src=\"{}\" alt=\"{}\" width=\"{}\" height=\"{}\" loading=\"lazy\" decoding=\"async\"",
        escape(url),
        escape(alt),
        shown.width,
        shown.height
    );
    if same_format.len() > 1 {
        let srcset = same_format
            .iter()
            .map(|f| format!("{prefix}{} {}w", f.file, f.width))
            .collect::<Vec<_>>()
            .join(", ");
        let widest = same_format.last().map_or(shown.width, |f| f.width);
        out.push_str(&format!(
            " srcset=\"{}\" sizes=\"(max-width: {widest}px) 100vw, {widest}px\"",
            escape(&srcset)
        ));
    }
    if !title.is_empty() {
        out.push_str(&format!(" title=\"{}\"", escape(title)));
    }
    out.push('>');
    Some(out)
}

/// The events with each known uploaded image replaced by its sized `<img>`.
pub(super) fn sized<'a>(events: Vec<Event<'a>>, images: &Images) -> Vec<Event<'a>> {
    if images.is_empty() {
        return events;
    }
    let mut out = Vec::with_capacity(events.len());
    let mut iter = events.into_iter();
    while let Some(event) = iter.next() {
        let Event::Start(Tag::Image {
            dest_url, title, ..
        }) = &event
        else {
            out.push(event);
            continue;
        };
        let known = media::served_file(dest_url)
            .and_then(|(hash, file)| Some((images.get(hash)?, file.to_owned())));
        let Some((image, file)) = known else {
            out.push(event);
            continue;
        };
        let (url, title) = (dest_url.to_string(), title.to_string());
        // The alt text: the image's inner text, up to its end.
        let mut inner = Vec::new();
        let mut depth = 0usize;
        for e in iter.by_ref() {
            match &e {
                Event::Start(_) => depth += 1,
                Event::End(TagEnd::Image) if depth == 0 => break,
                Event::End(_) => depth = depth.saturating_sub(1),
                _ => {}
            }
            inner.push(e);
        }
        let alt: String = inner
            .iter()
            .filter_map(|e| match e {
                Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                Event::SoftBreak | Event::HardBreak => Some(" "),
                _ => None,
            })
            .collect();
        match tag(&url, &file, image, &alt, &title) {
            Some(html) => out.push(Event::InlineHtml(CowStr::from(html))),
            None => {
                out.push(event);
                out.extend(inner);
                out.push(Event::End(TagEnd::Image));
            }
        }
    }
    out
}

/// A `srcset` whose every candidate is an http(s) URL or a path: nothing else survives sanitizing.
pub(super) fn safe_srcset(value: &str) -> bool {
    value.split(',').all(|candidate| {
        let url = candidate.split_whitespace().next().unwrap_or_default();
        url.starts_with('/') || url.starts_with("https://") || url.starts_with("http://")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uploaded_image_gets_its_size_and_srcset() {
        let hash = "c".repeat(64);
        let mut images = Images::new();
        images.insert(
            hash.clone(),
            EmbeddedImage {
                files: vec![
                    EmbeddedFile {
                        file: "original.png".into(),
                        width: 1200,
                        height: 800,
                    },
                    EmbeddedFile {
                        file: "480w.png".into(),
                        width: 480,
                        height: 320,
                    },
                    EmbeddedFile {
                        file: "480w.webp".into(),
                        width: 480,
                        height: 320,
                    },
                ],
            },
        );
        let md = format!(
            "![A \"diagram\"](https://api.example/media/{hash}/original.png \"Saga\")\n\n![other](/x.png)\n\n![unknown](/media/{}/original.png)\n",
            "d".repeat(64)
        );
        let html = super::super::render_checked_with(&md, &images)
            .expect("rendered")
            .html;
        let expected = format!(
            "<img src=\"https://api.example/media/{hash}/original.png\" alt=\"A &quot;diagram&quot;\" width=\"1200\" height=\"800\" loading=\"lazy\" decoding=\"async\" srcset=\"https://api.example/media/{hash}/480w.png 480w, https://api.example/media/{hash}/original.png 1200w\" sizes=\"(max-width: 1200px) 100vw, 1200px\" title=\"Saga\">"
        );
        assert!(html.contains(&expected), "{html}");
        assert!(
            html.contains("<img src=\"/x.png\" alt=\"other\">"),
            "{html}"
        );
        assert!(
            html.contains(&format!(
                "<img src=\"/media/{}/original.png\" alt=\"unknown\">",
                "d".repeat(64)
            )),
            "{html}"
        );
        // Without uploads known, the same Markdown renders as before.
        let plain = super::super::render_checked(&md).expect("rendered").html;
        assert!(
            !plain.contains("srcset") && !plain.contains("loading"),
            "{plain}"
        );
    }

    #[test]
    fn raw_html_cannot_smuggle_a_script_url_into_srcset() {
        let r = super::super::render(
            "<img src=\"/a.png\" srcset=\"javascript:alert(1) 1x\" loading=\"lazy\">",
        );
        assert!(!r.html.contains("javascript"), "{}", r.html);
        assert!(r.html.contains("loading=\"lazy\""), "{}", r.html);
    }
}
