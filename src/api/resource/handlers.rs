//! The documented handlers of a slug-addressed resource, written once as a macro: utoipa reads each handler's
//! attributes, so the routes and texts must be literal in each resource's module.

/// The six documented handlers of a slug-addressed resource (list, get, create, put, patch, delete), each a
/// line over the generic functions above, documented in the resource's own words: `a`, `one` and `many` name
/// it ("a", "tag", "tags"), `at` and `each` are its routes, and the patch examples and delete summary are its own.
macro_rules! slug_resource_handlers {
    (
        $R:ty { a: $a:tt, one: $one:tt, many: $many:tt, at: $at:tt, each: $each:tt, example: $example:tt },
        $Input:ty => $View:ty, $Listing:ident, [$list:ident, $get:ident, $create:ident, $put:ident, $patch:ident, $delete:ident],
        patch: $merge_example:tt or $json_example:tt, delete: $delete_summary:tt $(, $delete_extra:tt)*
    ) => {
        #[utoipa::path(
            tag = $many,
            summary = concat!("List ", $many, " with their counts of public articles."),
            description = concat!("Sorted by name or by count. `article_count` counts public articles only; `hide_empty=true` leaves out the ", $many, " without one (anonymous callers never see a tag without one: drafts create tags)."),
            params($crate::api::resource::ResourceListParams),
            responses(
                (status = 200, description = concat!("A page of ", $many), body = $Listing),
                (status = 400, response = BadRequest), TokenRead,
            ),
            security((), ("token" = []))
        )]
        #[get($at)]
        pub async fn $list(cx: Ctx, caller: Caller, params: Query<$crate::api::resource::ResourceListParams>) -> Answer {
            $crate::api::resource::list::<$R, _>(cx, caller, params, |data, meta, links| $Listing { data, meta, links })
                .await
        }

        #[utoipa::path(
            tag = $many,
            summary = concat!("One ", $one, "."),
            description = "With its count of public articles (a tag that no public article uses is found only with a `content:read` token).",
            params(("slug" = String, Path, description = concat!("The ", $one, "'s slug"), example = $example)),
            responses(
                (status = 200, description = concat!("The ", $one), body = $View),
                (status = 400, response = BadRequest), (status = 404, response = NotFound), TokenRead,
            ),
            security((), ("token" = []))
        )]
        #[get($each)]
        pub async fn $get(
            cx: Ctx,
            caller: Caller,
            slug: Path<String>,
            _: Query<$crate::api::resource::NoParams>,
        ) -> Answer {
            $crate::api::resource::get::<$R>(cx, caller, slug).await
        }

        #[utoipa::path(
            tag = $many,
            summary = concat!("Create ", $a, " ", $one, "; its slug (given or derived from the name) must be free."),
            description = "The slug is derived from the name when absent (`System Design` becomes `system-design`); a taken slug is a 409.",
            request_body = $Input,
            responses(
                (status = 201, description = "Created", body = $View, headers(("Location" = String))),
                (status = 409, response = Conflict), Write,
            ),
            security(("token" = []))
        )]
        #[post($at)]
        pub async fn $create(cx: Ctx, writer: Writer, payload: Payload) -> Answer {
            $crate::api::resource::create::<$R>(cx, writer, payload).await
        }

        #[utoipa::path(
            tag = $many,
            summary = concat!("Create or replace the ", $one, " at this slug; identical content changes nothing."),
            description = "Omitted fields return to their defaults; an identical replacement writes nothing (same `updated_at`).",
            params(("slug" = String, Path, description = concat!("The ", $one, "'s slug"), pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120)),
            request_body = $Input,
            responses(
                (status = 200, description = "Replaced, or unchanged", body = $View),
                (status = 201, description = "Created", body = $View, headers(("Location" = String))),
                Write,
            ),
            security(("token" = []))
        )]
        #[put($each)]
        pub async fn $put(cx: Ctx, writer: Writer, slug: Path<String>, payload: Payload) -> Answer {
            $crate::api::resource::put::<$R>(cx, writer, slug, payload).await
        }

        #[utoipa::path(
            tag = $many,
            summary = concat!("Change some fields (JSON merge patch); may rename the ", $one, "."),
            description = concat!("`null` returns an optional field to its default; a new `slug` renames the ", $one, " (a taken one is a 409)."),
            params(("slug" = String, Path, description = concat!("The ", $one, "'s current slug"))),
            request_body(content(
                (Object = "application/merge-patch+json", example = json!($merge_example)),
                (Object = "application/json", example = json!($json_example)),
            )),
            responses(
                (status = 200, description = concat!("The ", $one, " after the patch"), body = $View),
                (status = 404, response = NotFound), (status = 409, response = Conflict), Write,
            ),
            security(("token" = []))
        )]
        #[patch($each)]
        pub async fn $patch(cx: Ctx, writer: Writer, slug: Path<String>, payload: Payload) -> Answer {
            $crate::api::resource::patch::<$R>(cx, writer, slug, payload).await
        }

        #[utoipa::path(
            tag = $many,
            summary = $delete_summary,
            description = concat!("Answers 204; a slug that names no ", $one, " is a 404."),
            params(("slug" = String, Path, description = concat!("The ", $one, "'s slug"))),
            responses(
                (status = 204, description = "Deleted"),
                (status = 404, response = NotFound), $($delete_extra,)* Authorized,
            ),
            security(("token" = []))
        )]
        #[delete($each)]
        pub async fn $delete(cx: Ctx, writer: Writer, slug: Path<String>) -> Answer {
            $crate::api::resource::delete::<$R>(cx, writer, slug).await
        }
    };
}
pub(crate) use slug_resource_handlers;
