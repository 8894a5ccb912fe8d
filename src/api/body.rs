//! Request bodies of writes: read with a hard size limit, then parsed as JSON, merge-patch JSON or Markdown with
//! YAML front matter into one JSON object of fields; then checked field by field so every problem is reported.

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::problem::{ApiError, FieldError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Json,
    MergePatch,
    Markdown,
}

/// The body's media type, among those the operation accepts.
pub fn kind(req: &HttpRequest, accepted: &[BodyKind]) -> Result<BodyKind, ApiError> {
    let essence = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    let found = match essence.as_deref() {
        Some("application/json") => Some(BodyKind::Json),
        Some("application/merge-patch+json") => Some(BodyKind::MergePatch),
        Some("text/markdown") => Some(BodyKind::Markdown),
        _ => None,
    };
    found.filter(|k| accepted.contains(k)).ok_or_else(|| {
        let names: Vec<&str> = accepted
            .iter()
            .map(|k| match k {
                BodyKind::Json => "application/json",
                BodyKind::MergePatch => "application/merge-patch+json",
                BodyKind::Markdown => "text/markdown",
            })
            .collect();
        ApiError::UnsupportedMediaType(format!(
            "send the body as {} (got {})",
            names.join(" or "),
            essence.as_deref().unwrap_or("no Content-Type")
        ))
    })
}

/// A parser's message without its ` at line L column C` suffix, which means nothing to a client that sent
/// its document in another shape (front matter, a merged patch).
pub fn without_position(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

/// Reads the whole body, refusing more than `limit` bytes (early, when `Content-Length` says so).
pub async fn read(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    let too_large = || ApiError::PayloadTooLarge(format!("the body is larger than {limit} bytes"));
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A JSON object, or a 400 that says what is wrong with the JSON.
pub fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::BadRequest(
            "the body must be a JSON object".to_owned(),
        )),
        Err(e) => Err(ApiError::BadRequest(format!("malformed JSON: {e}"))),
    }
}

/// Splits Markdown into its YAML front matter (as JSON fields) and the body after it.
pub fn front_matter(bytes: &[u8]) -> Result<(Map<String, Value>, String), ApiError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ApiError::BadRequest(format!("the Markdown body is not valid UTF-8: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return Ok((Map::new(), text.to_owned()));
    };
    // The block ends at the first line that is exactly `---`.
    let mut offset = 0;
    let mut end = None;
    for line in rest.split_inclusive('\n') {
        if line.trim_end_matches(['\r', '\n']) == "---" {
            end = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((yaml_end, body_start)) = end else {
        return Err(ApiError::BadRequest(
            "the front matter opened with `---` on line 1 is never closed by a `---` line"
                .to_owned(),
        ));
    };
    let yaml = &rest[..yaml_end];
    let value: Value = if yaml.trim().is_empty() {
        Value::Object(Map::new())
    } else {
        serde_norway::from_str::<Value>(yaml).map_err(|e| {
            // Lines of the whole document, where the block starts on line 2.
            let line = e
                .location()
                .map(|l| format!(" at line {}", l.line() + 1))
                .unwrap_or_default();
            let message = without_position(&e.to_string()).to_owned();
            ApiError::BadRequest(format!(
                "the front matter is not valid YAML{line}: {message}"
            ))
        })?
    };
    match value {
        Value::Object(map) => Ok((map, rest[body_start..].to_owned())),
        Value::Null => Ok((Map::new(), rest[body_start..].to_owned())),
        _ => Err(ApiError::BadRequest(
            "the front matter must be a YAML mapping of fields (`title: ...`)".to_owned(),
        )),
    }
}

/// Refuses the fields of a merge patch that are not fields of the resource: merging would drop a `null` one
/// silently, so they are refused before the merge as they would be after it.
pub fn known_fields(patch: &Map<String, Value>, known: &[&str]) -> Result<(), ApiError> {
    valid_unless(unknown_fields(patch, known))
}

/// A field error for each key of `map` that is not among `known`.
fn unknown_fields(map: &Map<String, Value>, known: &[&str]) -> Vec<FieldError> {
    map.keys()
        .filter(|k| !known.contains(&k.as_str()))
        .map(|k| {
            FieldError::new(
                k.as_str(),
                "unknown_field",
                format!("`{k}` is not a known field"),
            )
        })
        .collect()
}

/// `Ok` when there is no error, else the validation problem listing them.
fn valid_unless(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Refuses a field of `objects` that holds anything but a JSON object or `null` (serde would also read a struct
/// from an array of its values in order, which the contract does not allow).
pub fn require_objects(map: &Map<String, Value>, objects: &[&str]) -> Result<(), ApiError> {
    let errors: Vec<FieldError> = objects
        .iter()
        .filter(|name| {
            map.get(**name)
                .is_some_and(|v| !(v.is_object() || v.is_null()))
        })
        .map(|name| FieldError::new(*name, "type", "must be a JSON object"))
        .collect();
    valid_unless(errors)
}

/// Checks the field names and the absence of NUL characters, then deserializes; every problem becomes a field
/// error. `required` names fields that must be present.
pub fn fields<T: DeserializeOwned>(
    map: Map<String, Value>,
    known: &[&str],
    required: &[&str],
) -> Result<T, ApiError> {
    let mut errors = unknown_fields(&map, known);
    errors.extend(
        required
            .iter()
            .filter(|r| !map.contains_key(**r) || map[**r].is_null())
            .map(|r| FieldError::new(*r, "required", "is required")),
    );
    for (k, v) in &map {
        nul_errors(k, v, &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
        let path = e.path().to_string();
        let message = without_position(&e.inner().to_string()).to_owned();
        // chrono's parse errors do not say what was expected.
        let chrono_errors = [
            "input contains invalid characters",
            "premature end of input",
            "trailing input",
            "input is out of range",
            "input is not enough for unique date and time",
        ];
        let message = if chrono_errors.contains(&message.as_str()) {
            "must be an RFC 3339 date-time such as 2026-04-18T09:00:00Z".to_owned()
        } else {
            message
        };
        ApiError::field(if path == "." { "body" } else { &path }, "type", message)
    })
}

fn nul_errors(path: &str, v: &Value, errors: &mut Vec<FieldError>) {
    match v {
        Value::String(s) if s.contains('\0') => errors.push(FieldError::new(
            path,
            "format",
            "must not contain NUL characters",
        )),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                nul_errors(&format!("{path}[{i}]"), item, errors);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                nul_errors(&format!("{path}.{k}"), item, errors);
            }
        }
        _ => {}
    }
}
