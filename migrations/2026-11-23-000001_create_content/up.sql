-- Folio's content model: articles, tags, authors, their ordered links, slugs an article used to have, and API tokens.
-- Rules that matter for every writer live here as constraints, not only in Rust.

CREATE DOMAIN folio_slug AS text
    CHECK (length(VALUE) BETWEEN 1 AND 120 AND VALUE ~ '^[a-z0-9]+(-[a-z0-9]+)*$');

CREATE TABLE authors (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        folio_slug  NOT NULL,
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    bio         text,
    avatar_url  text,
    website     text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT authors_slug_key UNIQUE (slug)
);

CREATE TABLE tags (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        folio_slug  NOT NULL,
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tags_slug_key UNIQUE (slug)
);

CREATE TABLE articles (
    id                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    slug                 folio_slug  NOT NULL,
    title                text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    summary              text        NOT NULL CHECK (length(summary) <= 500),
    -- True when the writer gave no summary and it was derived from the body (and so follows body edits).
    summary_derived      boolean     NOT NULL DEFAULT false,
    body_markdown        text        NOT NULL,
    body_html            text        NOT NULL,
    -- Plain text of the rendered body: what search reads and what word_count counts.
    body_text            text        NOT NULL,
    toc                  jsonb       NOT NULL DEFAULT '[]',
    word_count           integer     NOT NULL CHECK (word_count >= 0),
    reading_time_minutes integer     NOT NULL CHECK (reading_time_minutes >= 1),
    -- 'scheduled' is never stored: it is a published article whose published_at lies ahead.
    status               text        NOT NULL CHECK (status IN ('draft', 'published')),
    featured             boolean     NOT NULL DEFAULT false,
    published_at         timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    version              bigint      NOT NULL DEFAULT 1 CHECK (version >= 1),
    cover_image          jsonb,
    seo                  jsonb       NOT NULL DEFAULT '{}',
    search               tsvector    GENERATED ALWAYS AS (
                             setweight(to_tsvector('english', title), 'A') ||
                             setweight(to_tsvector('english', summary), 'B') ||
                             setweight(to_tsvector('english', body_text), 'C')
                         ) STORED,
    CONSTRAINT articles_slug_key UNIQUE (slug),
    CONSTRAINT articles_published_has_date CHECK (status <> 'published' OR published_at IS NOT NULL)
);

-- Public listing, newest first, keyset on (published_at, id). Partial: drafts never enter it.
CREATE INDEX articles_public_published_at_idx ON articles (published_at DESC, id DESC)
    WHERE status = 'published';
-- The featured strip.
CREATE INDEX articles_featured_published_at_idx ON articles (published_at DESC, id DESC)
    WHERE status = 'published' AND featured;
-- "Recently updated" and token listings of every status.
CREATE INDEX articles_updated_at_idx ON articles (updated_at DESC, id DESC);
CREATE INDEX articles_title_idx ON articles (title, id);
-- Full-text search over title, summary and body.
CREATE INDEX articles_search_idx ON articles USING gin (search);

CREATE TABLE article_tags (
    article_id uuid     NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id     uuid     NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    position   smallint NOT NULL CHECK (position >= 0),
    PRIMARY KEY (article_id, tag_id),
    CONSTRAINT article_tags_position_key UNIQUE (article_id, position)
);
-- Tag pages and tag counts start from the tag.
CREATE INDEX article_tags_tag_id_idx ON article_tags (tag_id, article_id);

CREATE TABLE article_authors (
    article_id uuid     NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    -- An author with articles cannot be deleted by accident: remove them from the articles first.
    author_id  uuid     NOT NULL REFERENCES authors (id) ON DELETE RESTRICT,
    position   smallint NOT NULL CHECK (position >= 0),
    PRIMARY KEY (article_id, author_id),
    CONSTRAINT article_authors_position_key UNIQUE (article_id, position)
);
CREATE INDEX article_authors_author_id_idx ON article_authors (author_id, article_id);

-- Slugs an article used to have, answered with 301 to its current slug.
CREATE TABLE article_slug_history (
    slug       folio_slug  PRIMARY KEY,
    article_id uuid        NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX article_slug_history_article_id_idx ON article_slug_history (article_id);

CREATE TABLE api_tokens (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- SHA-256 of the secret; the secret itself is never stored. Revoking a token deletes its row.
    secret_hash  bytea       NOT NULL CHECK (length(secret_hash) = 32),
    scopes       text[]      NOT NULL CHECK (scopes <@ ARRAY['content:read', 'content:write', 'admin']::text[]
                                             AND cardinality(scopes) >= 1),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    expires_at   timestamptz,
    CONSTRAINT api_tokens_secret_hash_key UNIQUE (secret_hash)
);

-- Secrets shared by every instance on this database (cursor signing), created once with the schema.
CREATE TABLE instance_secrets (
    name  text  PRIMARY KEY,
    value bytea NOT NULL CHECK (length(value) >= 32)
);
INSERT INTO instance_secrets (name, value)
VALUES ('cursor', uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()));
