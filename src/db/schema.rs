// @generated-shape: what `diesel print-schema` prints for migrations/, less `articles.search` and `articles.head`
// (tsvectors derived by a trigger, which only SQL fragments in store/ read). `tests/api/schema.rs` loads every column of every table
// below from a migrated database, so a drift between this file and the migrations fails the suite.

diesel::table! {
    api_tokens (id) {
        id -> Uuid,
        name -> Text,
        secret_hash -> Bytea,
        scopes -> Array<Text>,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        expires_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    article_authors (article_id, author_id) {
        article_id -> Uuid,
        author_id -> Uuid,
        position -> Int2,
        listed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    article_counts (single) {
        single -> Bool,
        published -> Int8,
        draft -> Int8,
        featured -> Int8,
    }
}

diesel::table! {
    article_slug_history (slug) {
        slug -> Text,
        article_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    article_tags (article_id, tag_id) {
        article_id -> Uuid,
        tag_id -> Uuid,
        position -> Int2,
        listed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    articles (id) {
        id -> Uuid,
        slug -> Text,
        title -> Text,
        summary -> Text,
        summary_derived -> Bool,
        body_markdown -> Text,
        body_html -> Text,
        body_text -> Text,
        toc -> Jsonb,
        word_count -> Int4,
        reading_time_minutes -> Int4,
        status -> Text,
        featured -> Bool,
        published_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int8,
        cover_image -> Nullable<Jsonb>,
        seo -> Jsonb,
    }
}

diesel::table! {
    authors (id) {
        id -> Uuid,
        slug -> Text,
        name -> Text,
        bio -> Nullable<Text>,
        avatar_url -> Nullable<Text>,
        website -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        listed_count -> Int8,
    }
}

diesel::table! {
    change_cursors (name) {
        name -> Text,
        position -> Int8,
    }
}

diesel::table! {
    changes (position) {
        position -> Int8,
        at -> Timestamptz,
        #[sql_name = "type"]
        type_ -> Text,
        resource_id -> Uuid,
        slug -> Text,
        previous_slug -> Nullable<Text>,
        public -> Bool,
    }
}

diesel::table! {
    instance_secrets (name) {
        name -> Text,
        value -> Bytea,
    }
}

diesel::table! {
    scheduled_articles (article_id) {
        article_id -> Uuid,
        at -> Timestamptz,
    }
}

diesel::table! {
    scheduled_pages (page_id) {
        page_id -> Uuid,
        at -> Timestamptz,
    }
}

diesel::table! {
    search_words (word) {
        word -> Text,
    }
}

diesel::table! {
    tags (id) {
        id -> Uuid,
        slug -> Text,
        name -> Text,
        description -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        listed_count -> Int8,
    }
}

diesel::table! {
    webhook_attempts (delivery_id, attempt) {
        delivery_id -> Uuid,
        attempt -> Int4,
        at -> Timestamptz,
        duration_ms -> Int4,
        status_code -> Nullable<Int4>,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Uuid,
        seq -> Int8,
        webhook_id -> Uuid,
        event_type -> Text,
        position -> Nullable<Int8>,
        payload -> Text,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        created_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Uuid,
        url -> Text,
        description -> Nullable<Text>,
        events -> Array<Text>,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamptz>,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        since_position -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    page_slug_history (slug) {
        slug -> Text,
        page_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    pages (id) {
        id -> Uuid,
        slug -> Text,
        title -> Text,
        summary -> Text,
        summary_derived -> Bool,
        body_markdown -> Text,
        body_html -> Text,
        body_text -> Text,
        toc -> Jsonb,
        word_count -> Int4,
        reading_time_minutes -> Int4,
        status -> Text,
        published_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int8,
        cover_image -> Nullable<Jsonb>,
        seo -> Jsonb,
    }
}

diesel::table! {
    site (single) {
        single -> Bool,
        settings -> Jsonb,
        version -> Int8,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    article_media (article_id, hash) {
        article_id -> Uuid,
        hash -> Text,
    }
}

diesel::table! {
    media (id) {
        id -> Uuid,
        hash -> Text,
        content_type -> Text,
        file -> Text,
        bytes -> Int8,
        width -> Nullable<Int4>,
        height -> Nullable<Int4>,
        alt -> Nullable<Text>,
        filename -> Nullable<Text>,
        variants -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    page_media (page_id, hash) {
        page_id -> Uuid,
        hash -> Text,
    }
}

diesel::joinable!(article_authors -> articles (article_id));
diesel::joinable!(article_authors -> authors (author_id));
diesel::joinable!(article_slug_history -> articles (article_id));
diesel::joinable!(article_tags -> articles (article_id));
diesel::joinable!(article_tags -> tags (tag_id));
diesel::joinable!(article_media -> articles (article_id));
diesel::joinable!(page_media -> pages (page_id));
diesel::joinable!(page_slug_history -> pages (page_id));
diesel::joinable!(scheduled_articles -> articles (article_id));
diesel::joinable!(scheduled_pages -> pages (page_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_tokens,
    article_authors,
    article_counts,
    article_media,
    article_slug_history,
    article_tags,
    articles,
    authors,
    change_cursors,
    changes,
    instance_secrets,
    media,
    page_media,
    page_slug_history,
    pages,
    scheduled_articles,
    scheduled_pages,
    search_words,
    site,
    tags,
    webhook_attempts,
    webhook_deliveries,
    webhooks,
);
