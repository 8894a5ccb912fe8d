-- The rest of a site: pages (standalone documents written like articles, never listed with them) and the site's
-- settings (title, URL, permalinks, navigation), both in the change log and the cache's notifications.

CREATE TABLE pages (
    id                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    slug                 text        NOT NULL,
    title                text        NOT NULL,
    summary              text        NOT NULL,
    summary_derived      boolean     NOT NULL DEFAULT false,
    body_markdown        text        NOT NULL,
    body_html            text        NOT NULL,
    body_text            text        NOT NULL,
    toc                  jsonb       NOT NULL DEFAULT '[]',
    word_count           integer     NOT NULL,
    reading_time_minutes integer     NOT NULL,
    status               text        NOT NULL CHECK (status IN ('draft', 'published')),
    published_at         timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    version              bigint      NOT NULL DEFAULT 1,
    cover_image          jsonb,
    seo                  jsonb       NOT NULL DEFAULT '{}',
    CONSTRAINT pages_slug_key UNIQUE (slug),
    CONSTRAINT pages_published_has_date CHECK (status <> 'published' OR published_at IS NOT NULL)
);
-- Public pages in publication order (the sitemap's walk), and every page by title (listings).
CREATE INDEX pages_public_idx ON pages (published_at, id) WHERE status = 'published';
CREATE INDEX pages_title_idx ON pages (title, id);

-- The sitemap walks tags and authors in creation order.
CREATE INDEX tags_created_at_idx ON tags (created_at, id);
CREATE INDEX authors_created_at_idx ON authors (created_at, id);

-- A renamed page's former slugs redirect to it, like an article's.
CREATE TABLE page_slug_history (
    slug       text        PRIMARY KEY,
    page_id    uuid        NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX page_slug_history_page_id_idx ON page_slug_history (page_id);

-- The site's settings: one row, one JSON document whose shape the application checks (`domain::site`).
CREATE TABLE site (
    single     boolean     PRIMARY KEY DEFAULT true CHECK (single),
    settings   jsonb       NOT NULL,
    version    bigint      NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO site (settings) VALUES ('{}');

-- Pages and the site change the public content: caches drop what they hold.
CREATE TRIGGER pages_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pages
    FOR EACH STATEMENT EXECUTE FUNCTION folio_notify_content_change();
CREATE TRIGGER page_slug_history_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON page_slug_history
    FOR EACH STATEMENT EXECUTE FUNCTION folio_notify_content_change();
CREATE TRIGGER site_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON site
    FOR EACH STATEMENT EXECUTE FUNCTION folio_notify_content_change();

-- Page writers take the counters' lock first, like every content writer, so positions keep commit order.
CREATE TRIGGER pages_lock_counts BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON pages
    FOR EACH STATEMENT EXECUTE FUNCTION folio_lock_counts_first();
CREATE TRIGGER site_lock_counts BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON site
    FOR EACH STATEMENT EXECUTE FUNCTION folio_lock_counts_first();

ALTER TABLE changes DROP CONSTRAINT changes_type_check;
ALTER TABLE changes ADD CONSTRAINT changes_type_check CHECK (type IN (
    'article.created', 'article.published', 'article.updated', 'article.unpublished', 'article.deleted',
    'tag.created', 'tag.updated', 'tag.deleted',
    'author.created', 'author.updated', 'author.deleted',
    'page.created', 'page.published', 'page.updated', 'page.unpublished', 'page.deleted',
    'site.updated'));

-- Pages not yet announced: like `scheduled_articles`, a scheduled page's "published" entry is written when its
-- time comes, by `folio_publish_due()`, exactly once.
CREATE TABLE scheduled_pages (
    page_id uuid        PRIMARY KEY REFERENCES pages (id) ON DELETE CASCADE,
    at      timestamptz NOT NULL
);
CREATE INDEX scheduled_pages_at_idx ON scheduled_pages (at);

-- Go-live announcements of articles and pages, in one transaction under the lock (see 000009).
CREATE OR REPLACE FUNCTION folio_publish_due() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    articles integer;
    pages integer;
    t timestamptz;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM scheduled_articles WHERE at <= clock_timestamp())
       AND NOT EXISTS (SELECT 1 FROM scheduled_pages WHERE at <= clock_timestamp()) THEN
        RETURN 0;
    END IF;
    PERFORM folio_lock_counts();
    t := clock_timestamp();
    WITH due AS (
        DELETE FROM scheduled_articles s WHERE s.at <= t RETURNING s.article_id
    )
    INSERT INTO changes (type, resource_id, slug, public, at)
    SELECT 'article.published', a.id, a.slug, true, t
    FROM due JOIN articles a ON a.id = due.article_id
    WHERE folio_public(a.status, a.published_at, t)
    ORDER BY a.published_at, a.id;
    GET DIAGNOSTICS articles = ROW_COUNT;
    WITH due AS (
        DELETE FROM scheduled_pages s WHERE s.at <= t RETURNING s.page_id
    )
    INSERT INTO changes (type, resource_id, slug, public, at)
    SELECT 'page.published', p.id, p.slug, true, t
    FROM due JOIN pages p ON p.id = due.page_id
    WHERE folio_public(p.status, p.published_at, t)
    ORDER BY p.published_at, p.id;
    GET DIAGNOSTICS pages = ROW_COUNT;
    RETURN articles + pages;
END;
$$;

-- Pages: the article rules (000009), said of pages.
CREATE FUNCTION folio_log_page_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    t timestamptz;
BEGIN
    PERFORM folio_lock_counts();
    PERFORM folio_publish_due();
    t := clock_timestamp();
    IF TG_OP = 'INSERT' THEN
        INSERT INTO changes (type, resource_id, slug, public, at)
        SELECT CASE WHEN folio_public(n.status, n.published_at, t) THEN 'page.published' ELSE 'page.created' END,
               n.id, n.slug, folio_public(n.status, n.published_at, t), t
        FROM new_rows n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO changes (type, resource_id, slug, previous_slug, public, at)
        SELECT CASE WHEN NOT v.was AND v.now THEN 'page.published'
                    WHEN v.was AND NOT v.now THEN 'page.unpublished'
                    ELSE 'page.updated' END,
               n.id,
               CASE WHEN v.was AND NOT v.now THEN o.slug ELSE n.slug END,
               CASE WHEN v.was = v.now THEN NULLIF(o.slug, n.slug) END,
               v.was OR v.now, t
        FROM old_rows o
        JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (SELECT folio_public(o.status, o.published_at, t)
                                   AND NOT EXISTS (SELECT 1 FROM scheduled_pages s WHERE s.page_id = o.id) AS was,
                                   folio_public(n.status, n.published_at, t) AS now) v
        WHERE (o.slug, o.title, o.summary, o.body_markdown, o.status, o.published_at, o.cover_image, o.seo, o.version)
              IS DISTINCT FROM
              (n.slug, n.title, n.summary, n.body_markdown, n.status, n.published_at, n.cover_image, n.seo, n.version);
        DELETE FROM scheduled_pages s USING new_rows n
        WHERE s.page_id = n.id AND NOT (n.status = 'published' AND n.published_at > t);
    ELSE
        INSERT INTO changes (type, resource_id, slug, public, at)
        SELECT 'page.deleted', o.id, o.slug,
               folio_public(o.status, o.published_at, t)
               AND NOT EXISTS (SELECT 1 FROM scheduled_pages s WHERE s.page_id = o.id), t
        FROM old_rows o;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO scheduled_pages (page_id, at)
        SELECT n.id, n.published_at FROM new_rows n
        WHERE n.status = 'published' AND n.published_at > t
        ON CONFLICT (page_id) DO UPDATE SET at = EXCLUDED.at;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER pages_log_insert AFTER INSERT ON pages
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_log_page_changes();
CREATE TRIGGER pages_log_update AFTER UPDATE ON pages
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_log_page_changes();
CREATE TRIGGER pages_log_delete AFTER DELETE ON pages
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_log_page_changes();

-- The site's settings are public: every change of them is one public `site.updated` entry (the nil id, slug
-- `site`).
CREATE FUNCTION folio_log_site_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (type, resource_id, slug, public)
    SELECT 'site.updated', '00000000-0000-0000-0000-000000000000', 'site', true
    FROM old_rows o JOIN new_rows n ON n.single = o.single
    WHERE o.settings IS DISTINCT FROM n.settings;
    RETURN NULL;
END;
$$;
CREATE TRIGGER site_log_update AFTER UPDATE ON site
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_log_site_changes();
