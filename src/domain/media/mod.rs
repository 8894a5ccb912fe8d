//! The rules of uploaded files: which kinds are accepted (sniffed from the bytes, never from a name or a header),
//! what counts as a polyglot, the limits on size and dimensions, the names files are served under, and how a
//! document's text mentions a file. Raster processing (metadata stripped, responsive variants) is `raster.rs`.

use std::collections::BTreeSet;
use std::fmt;

use sha2::{Digest, Sha256};

mod raster;

pub use raster::{prepare_raster, Prepared, Variant};

/// The path under which files are served: `/media/{hash}/{file}`.
pub const PATH_PREFIX: &str = "/media/";
/// Hex digits of a file's hash (SHA-256).
pub const HASH_LEN: usize = 64;
/// Bytes at the start of a file that content sniffers read (the WHATWG sniffing window is 1,445; legacy ones
/// read 256 to 1,024): markup there could make a sniffing client run the file as HTML.
const SNIFF_WINDOW: usize = 1445;

/// Most characters of an alt text.
pub const MAX_ALT_CHARS: usize = 1000;
pub const ALT_RULE: &str = "must be at most 1000 characters, without NUL";

/// An alt text: at most `MAX_ALT_CHARS` characters, no NUL.
pub fn valid_alt(alt: &str) -> bool {
    alt.chars().count() <= MAX_ALT_CHARS && !alt.contains('\0')
}

/// The path a file is served at.
pub fn served_path(hash: &str, file: &str) -> String {
    format!("{PATH_PREFIX}{hash}/{file}")
}

/// An accepted kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Gif,
    Webp,
    Svg,
    Pdf,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Jpeg,
        Kind::Png,
        Kind::Gif,
        Kind::Webp,
        Kind::Svg,
        Kind::Pdf,
    ];

    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Gif => "image/gif",
            Kind::Webp => "image/webp",
            Kind::Svg => "image/svg+xml",
            Kind::Pdf => "application/pdf",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpg",
            Kind::Png => "png",
            Kind::Gif => "gif",
            Kind::Webp => "webp",
            Kind::Svg => "svg",
            Kind::Pdf => "pdf",
        }
    }

    /// The kind a served file's extension names.
    pub fn from_extension(ext: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.extension() == ext)
    }

    /// Decoded to pixels: dimensions, re-encoding, variants.
    pub fn is_raster(self) -> bool {
        matches!(self, Kind::Jpeg | Kind::Png | Kind::Gif | Kind::Webp)
    }

    /// Served so that a browser never renders it as a page of the API's origin: SVG can hold script and PDF
    /// viewers run some, so both are sandboxed and offered as downloads (an `<img>` still shows an SVG).
    pub fn is_active(self) -> bool {
        matches!(self, Kind::Svg | Kind::Pdf)
    }

    pub fn allowed_list() -> String {
        Kind::ALL
            .iter()
            .map(|k| k.content_type())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The settings that bound an upload's image.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Widest and tallest image, in pixels.
    pub max_dimension: u32,
    /// Most pixels (width × height): what decoding allocates is about four bytes per pixel.
    pub max_pixels: u64,
    /// The widths of the responsive variants, ascending; only those narrower than the image are made.
    pub widths: Vec<u32>,
}

/// Why a file is refused. Each names what it found and, for limits, the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not an accepted kind (`found`: what the bytes look like, when known).
    Kind { found: Option<String> },
    /// Bytes that another format or a browser's sniffer could read as something else.
    Polyglot(String),
    /// Looks like an accepted kind but does not decode.
    Unreadable(String),
    /// The header declares more than the limits allow; nothing was decoded.
    Dimensions(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Kind { found } => write!(
                f,
                "{} is not accepted; accepted types: {}",
                found
                    .as_deref()
                    .map(|t| format!("the file's content ({t})"))
                    .unwrap_or_else(|| "a file of unknown type".to_owned()),
                Kind::allowed_list()
            ),
            Refusal::Polyglot(why) | Refusal::Unreadable(why) | Refusal::Dimensions(why) => {
                f.write_str(why)
            }
        }
    }
}

impl Refusal {
    /// The code of the problem's field error.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Kind { .. } => "type",
            Refusal::Polyglot(_) => "polyglot",
            Refusal::Unreadable(_) => "unreadable",
            Refusal::Dimensions(_) => "dimensions",
        }
    }
}

/// What an upload becomes: its kind, the served original and, for raster images, the variants. SVG and PDF are
/// served as uploaded (their width and height are 0: not measured). CPU-heavy: call it off the HTTP workers.
pub fn prepare(bytes: Vec<u8>, limits: &Limits) -> Result<(Kind, Prepared), Refusal> {
    let kind = sniff(&bytes)?;
    if kind.is_raster() {
        return prepare_raster(kind, &bytes, limits).map(|p| (kind, p));
    }
    let original = Variant {
        file: original_file(kind),
        kind,
        width: 0,
        height: 0,
        bytes,
    };
    Ok((
        kind,
        Prepared {
            original,
            variants: Vec::new(),
        },
    ))
}

/// The hex SHA-256 of an upload's bytes: its identity, and the directory its files are served from.
pub fn hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(HASH_LEN);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

pub fn is_hash(text: &str) -> bool {
    text.len() == HASH_LEN && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A served file's name under its hash: `original.png`, `960w.png`, `960w.webp`. Nothing else is one.
pub fn is_file_name(file: &str) -> bool {
    let Some((stem, ext)) = file.split_once('.') else {
        return false;
    };
    let stem_ok = stem == "original"
        || stem.strip_suffix('w').is_some_and(|n| {
            !n.is_empty() && n.len() <= 5 && n.bytes().all(|b| b.is_ascii_digit())
        });
    stem_ok && Kind::from_extension(ext).is_some()
}

pub fn original_file(kind: Kind) -> String {
    format!("original.{}", kind.extension())
}

pub fn variant_file(width: u32, kind: Kind) -> String {
    format!("{width}w.{}", kind.extension())
}

/// What the bytes are, if an accepted kind; refuses anything else and the polyglots this module can tell.
pub fn sniff(bytes: &[u8]) -> Result<Kind, Refusal> {
    let kind = match infer::get(bytes).map(|t| t.mime_type()) {
        Some("image/jpeg") => Kind::Jpeg,
        Some("image/png") => Kind::Png,
        Some("image/gif") => Kind::Gif,
        Some("image/webp") => Kind::Webp,
        Some("application/pdf") => Kind::Pdf,
        // An SVG that starts with a comment reads as HTML to the sniffer; its root element decides.
        Some("text/xml" | "text/html") | None if is_svg(bytes) => Kind::Svg,
        Some(other) => {
            return Err(Refusal::Kind {
                found: Some(other.to_owned()),
            })
        }
        None => return Err(Refusal::Kind { found: None }),
    };
    if kind != Kind::Svg {
        if let Some(tag) = markup_in_sniff_window(bytes) {
            return Err(Refusal::Polyglot(format!(
                "the file starts like {} but holds `{tag}` markup where browsers sniff for HTML",
                kind.content_type()
            )));
        }
    }
    if let Some(extra) = trailing_bytes(kind, bytes) {
        return Err(Refusal::Polyglot(format!(
            "{extra} bytes follow the end of the {} data: another file is appended to it",
            kind.content_type()
        )));
    }
    Ok(kind)
}

/// An XML document (UTF-8) whose root element is `svg`.
fn is_svg(bytes: &[u8]) -> bool {
    use quick_xml::events::Event;
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let mut reader = quick_xml::Reader::from_str(text.trim_start_matches('\u{feff}'));
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                return e.local_name().as_ref().eq_ignore_ascii_case(b"svg")
            }
            Ok(Event::Decl(_) | Event::Comment(_) | Event::DocType(_) | Event::PI(_)) => {}
            Ok(Event::Text(t)) if t.iter().all(u8::is_ascii_whitespace) => {}
            _ => return false,
        }
    }
}

/// The first HTML-ish tag within the sniffing window, if any.
fn markup_in_sniff_window(bytes: &[u8]) -> Option<&'static str> {
    const TAGS: [&str; 6] = ["<script", "<html", "<body", "<iframe", "<!doctype", "<head"];
    let window = &bytes[..bytes.len().min(SNIFF_WINDOW)];
    let lower = window.to_ascii_lowercase();
    TAGS.into_iter()
        .find(|tag| lower.windows(tag.len()).any(|w| w == tag.as_bytes()))
}

/// How many bytes follow the end of the format's data, where it has a findable end. JPEG and GIF are not
/// checked: they are re-encoded from their pixels, so nothing after their data is kept.
fn trailing_bytes(kind: Kind, bytes: &[u8]) -> Option<usize> {
    let end = match kind {
        Kind::Png => png_end(bytes)?,
        Kind::Webp => {
            let size = u32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?);
            8usize.checked_add(usize::try_from(size).ok()?)? + (size as usize % 2)
        }
        Kind::Pdf => {
            let at = bytes.windows(5).rposition(|w| w == b"%%EOF")? + 5;
            at + bytes[at..]
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count()
        }
        Kind::Jpeg | Kind::Gif | Kind::Svg => return None,
    };
    (bytes.len() > end).then(|| bytes.len() - end)
}

/// The offset just past a PNG's `IEND` chunk.
fn png_end(bytes: &[u8]) -> Option<usize> {
    let mut at = 8usize;
    loop {
        let len = u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize;
        let kind = bytes.get(at + 4..at + 8)?;
        let next = at.checked_add(12)?.checked_add(len)?;
        if kind == b"IEND" {
            return Some(next);
        }
        at = next;
    }
}

/// The hashes of the uploaded files a text mentions (`…/media/{hash}/…`, as an image, a link or a URL).
pub fn mentioned(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find(PATH_PREFIX) {
        let after = &rest[at + PATH_PREFIX.len()..];
        if let Some(candidate) = after.get(..HASH_LEN) {
            if is_hash(candidate) && after[HASH_LEN..].starts_with('/') {
                found.insert(candidate.to_owned());
            }
        }
        rest = after;
    }
    found
}

/// The hash and file a URL names, if it is a served file's URL (absolute or a path).
pub fn served_file(url: &str) -> Option<(&str, &str)> {
    let at = url.rfind(PATH_PREFIX)?;
    let (hash, file) = url[at + PATH_PREFIX.len()..].split_once('/')?;
    (is_hash(hash) && is_file_name(file)).then_some((hash, file))
}

#[cfg(test)]
mod tests;
