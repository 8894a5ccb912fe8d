//! What the collected OpenAPI document states better from the routes as a whole than in each handler's
//! attributes: the server, that public operations need no token, and the body schemas of `PUT` and `PATCH`,
//! derived from each resource's input schema so that they never drift from it.
//! - `PUT` replaces the resource at its URL: its body schema is the input without `slug` (the URL's).
//! - `PATCH` takes a merge patch of the input: every field optional, no other field allowed.

use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{AnyOf, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::server::Server;
use utoipa::openapi::Required;
use utoipa::openapi::{OpenApi, Ref, RefOr};

const JSON_BODIES: [&str; 2] = ["application/json", "application/merge-patch+json"];

pub fn refine(spec: &mut OpenApi) {
    let mut server = Server::new("/");
    server.description = Some("The Folio instance serving this document".to_owned());
    spec.servers = Some(vec![server]);

    let mut derived: Vec<(String, String, bool)> = Vec::new();
    for item in spec.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            // An empty requirement: callable without credentials (generators otherwise assume the token).
            op.security
                .get_or_insert_with(|| vec![SecurityRequirement::default()]);
            // An optional header is absent or a string; it is never the JSON `null` its Rust type suggests.
            for param in op.parameters.iter_mut().flatten() {
                if let RefOr::T(p) = param {
                    if p.parameter_in == ParameterIn::Header {
                        if let Some(RefOr::T(Schema::Object(o))) = p.schema.as_mut() {
                            o.schema_type = SchemaType::Type(Type::String);
                        }
                    }
                }
            }
        }
        if let Some(get) = item.get.as_mut() {
            // Every GET is conditional (a matching ETag answers 304), so generated clients may send one.
            get.parameters
                .get_or_insert_with(Vec::new)
                .push(RefOr::T(if_none_match()));
        }
        let Some(input) = item.put.as_ref().and_then(json_body_schema) else {
            continue;
        };
        let replacement = format!("{input}Replacement");
        let patch = format!("{input}Patch");
        if let Some(put) = item.put.as_mut() {
            point_json_bodies(put, &replacement);
        }
        if let Some(op) = item.patch.as_mut() {
            point_json_bodies(op, &patch);
        }
        derived.push((input.clone(), replacement, false));
        derived.push((input, patch, true));
    }
    if let Some(featured) = spec
        .paths
        .paths
        .get_mut("/api/v1/featured")
        .and_then(|i| i.get.as_mut())
    {
        // Implied by the path: `/featured?featured=...` is refused.
        if let Some(params) = featured.parameters.as_mut() {
            params.retain(|p| !matches!(p, RefOr::T(p) if p.name == "featured"));
        }
    }
    // With `fields`, an article listing or an article holds only the named properties: the 200 answer is
    // either the full representation or the sparse one.
    for (path, full, sparse) in [
        ("/api/v1/articles", "ArticleListing", "SparseArticleListing"),
        ("/api/v1/featured", "ArticleListing", "SparseArticleListing"),
        ("/api/v1/articles/{slug}", "ArticleView", "SparseArticle"),
    ] {
        let Some(op) = spec.paths.paths.get_mut(path).and_then(|i| i.get.as_mut()) else {
            continue;
        };
        let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") else {
            continue;
        };
        if let Some(RefOr::T(content)) = ok.content.get_mut("application/json") {
            let either = AnyOf::builder()
                .item(Ref::from_schema_name(full))
                .item(Ref::from_schema_name(sparse))
                .build();
            content.schema = Some(RefOr::T(Schema::AnyOf(either)));
        }
    }
    let Some(components) = spec.components.as_mut() else {
        return;
    };
    for (input, name, is_patch) in derived {
        let Some(RefOr::T(Schema::Object(base))) = components.schemas.get(&input).cloned() else {
            continue;
        };
        let mut schema = base;
        let required = schema.required.clone();
        let addressed = schema.properties.contains_key("slug");
        if is_patch {
            schema.required.clear();
            schema.description = Some(format!(
                "A JSON merge patch (RFC 7396) of `{input}`: the fields to change; `null` returns an optional field \
                 to its default."
            ));
        } else if addressed {
            schema.properties.retain(|k, _| k != "slug");
            schema.required.retain(|k| k != "slug");
            schema.description = Some(format!(
                "`{input}` without `slug`: a `PUT` writes at the slug of its URL."
            ));
        } else {
            schema.description = Some(format!(
                "`{input}` whole: a `PUT` replaces it, and an omitted field takes its default."
            ));
        }
        // A default describes what the server does with an absent field; in a request body generators would read
        // it as a field always present. In a patch, such a field may also be `null` (back to its default).
        for (field, property) in schema.properties.iter_mut() {
            *property = request_property(property, is_patch && !required.contains(field));
            if is_patch {
                // A `null` inside a nested object of a merge patch removes that member too (RFC 7396): an object
                // whose members all have defaults is patched by a schema where each may be `null`.
                if let Some(nested) = nested_patch(property, components) {
                    let (target, patch) = nested;
                    *property = retarget(property, &target, &format!("{target}Patch"));
                    components
                        .schemas
                        .entry(format!("{target}Patch"))
                        .or_insert(patch);
                }
            }
        }
        components
            .schemas
            .insert(name, RefOr::T(Schema::Object(schema)));
    }
}

/// The component an object property refers to (directly or as the first of a `oneOf`), when it has no required
/// member, with its merge-patch schema: every member without its default, and `null` where it had one.
fn nested_patch(
    property: &RefOr<Schema>,
    components: &utoipa::openapi::Components,
) -> Option<(String, RefOr<Schema>)> {
    let value = serde_json::to_value(property).ok()?;
    let reference = value
        .get("$ref")
        .or_else(|| {
            value
                .get("oneOf")
                .and_then(|o| o.get(0))
                .and_then(|r| r.get("$ref"))
        })?
        .as_str()?;
    let target = reference.rsplit('/').next()?.to_owned();
    let Some(RefOr::T(Schema::Object(object))) = components.schemas.get(&target) else {
        return None;
    };
    if !object.required.is_empty() || object.properties.is_empty() {
        return None;
    }
    let mut patch = object.clone();
    patch.description = Some(format!(
        "A JSON merge patch (RFC 7396) of `{target}`: the members to change; `null` returns one to its default."
    ));
    for member in patch.properties.values_mut() {
        *member = request_property(member, true);
    }
    Some((target, RefOr::T(Schema::Object(patch))))
}

/// `property` with its references to component `from` pointed at component `to`.
fn retarget(property: &RefOr<Schema>, from: &str, to: &str) -> RefOr<Schema> {
    let Ok(text) = serde_json::to_string(property) else {
        return property.clone();
    };
    let text = text.replace(
        &format!("\"#/components/schemas/{from}\""),
        &format!("\"#/components/schemas/{to}\""),
    );
    serde_json::from_str(&text).unwrap_or_else(|_| property.clone())
}

/// A property of a request body: without its `default`; when it had one and `nullable`, also `null`.
fn request_property(property: &RefOr<Schema>, nullable: bool) -> RefOr<Schema> {
    let Ok(mut value) = serde_json::to_value(property) else {
        return property.clone();
    };
    let had_default = value
        .as_object_mut()
        .and_then(|o| o.remove("default"))
        .is_some();
    if nullable && had_default {
        let none = serde_json::json!({"type": "null"});
        value = match value.get("type").cloned() {
            Some(serde_json::Value::String(t)) => {
                value["type"] = serde_json::json!([t, "null"]);
                value
            }
            Some(serde_json::Value::Array(_)) => value,
            _ => serde_json::json!({"oneOf": [value, none]}),
        };
    }
    serde_json::from_value(value).unwrap_or_else(|_| property.clone())
}

fn if_none_match() -> Parameter {
    ParameterBuilder::new()
        .name("If-None-Match")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "ETags from an earlier answer: a `304` without a body when one still matches",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

/// The name of the component schema an operation's JSON body refers to.
fn json_body_schema(op: &Operation) -> Option<String> {
    let body = match op.request_body.as_ref()? {
        RefOr::T(body) => body,
        RefOr::Ref(_) => return None,
    };
    body.content.get("application/json").and_then(|c| match c {
        RefOr::T(content) => match content.schema.as_ref()? {
            RefOr::Ref(r) => r.ref_location.rsplit('/').next().map(str::to_owned),
            RefOr::T(_) => None,
        },
        RefOr::Ref(_) => None,
    })
}

/// Points the operation's JSON bodies (plain and merge patch) at component schema `name`.
fn point_json_bodies(op: &mut Operation, name: &str) {
    let Some(RefOr::T(body)) = op.request_body.as_mut() else {
        return;
    };
    for media in JSON_BODIES {
        if let Some(RefOr::T(content)) = body.content.get_mut(media) {
            content.schema = Some(RefOr::Ref(Ref::from_schema_name(name)));
        }
    }
}
