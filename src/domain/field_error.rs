//! A field-level validation failure: what every write rule reports, and what a problem's `errors` lists.

use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"field": "title", "code": "length", "message": "must be 1 to 200 characters"}))]
pub struct FieldError {
    /// The field's name as the client sent it (dotted for nested fields).
    pub field: String,
    /// A stable, machine-readable reason: `required`, `length`, `format`, `unknown_field`, `type`, ...
    pub code: String,
    /// A human-readable explanation.
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// Sorted by field and without repeats, so a client sees each problem once in a stable order.
pub fn tidy(mut errors: Vec<FieldError>) -> Vec<FieldError> {
    errors.sort_by(|a, b| a.field.cmp(&b.field));
    errors.dedup();
    errors
}

/// `validator`'s errors as field errors, nested fields dotted.
pub fn from_validator(input: &impl validator::Validate) -> Vec<FieldError> {
    match input.validate() {
        Ok(()) => Vec::new(),
        Err(e) => {
            let mut out = Vec::new();
            flatten("", &e, &mut out);
            out.sort_by(|a, b| a.field.cmp(&b.field));
            out
        }
    }
}

fn flatten(prefix: &str, errors: &validator::ValidationErrors, out: &mut Vec<FieldError>) {
    use validator::ValidationErrorsKind;
    for (field, kind) in errors.errors() {
        let name = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e
                        .message
                        .as_deref()
                        .map(str::to_owned)
                        .unwrap_or_else(|| e.code.to_string());
                    out.push(FieldError::new(name.clone(), e.code.as_ref(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten(&name, inner, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    flatten(&format!("{name}[{i}]"), inner, out);
                }
            }
        }
    }
}
