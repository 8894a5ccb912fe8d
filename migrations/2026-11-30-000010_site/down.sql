DROP TRIGGER site_log_update ON site;
DROP FUNCTION folio_log_site_changes();
DROP TRIGGER pages_log_delete ON pages;
DROP TRIGGER pages_log_update ON pages;
DROP TRIGGER pages_log_insert ON pages;
DROP FUNCTION folio_log_page_changes();
CREATE OR REPLACE FUNCTION folio_publish_due() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    logged integer;
    t timestamptz;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM scheduled_articles WHERE at <= clock_timestamp()) THEN
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
    GET DIAGNOSTICS logged = ROW_COUNT;
    RETURN logged;
END;
$$;
DROP TABLE scheduled_pages;
DELETE FROM changes WHERE type LIKE 'page.%' OR type = 'site.updated';
ALTER TABLE changes DROP CONSTRAINT changes_type_check;
ALTER TABLE changes ADD CONSTRAINT changes_type_check CHECK (type IN (
    'article.created', 'article.published', 'article.updated', 'article.unpublished', 'article.deleted',
    'tag.created', 'tag.updated', 'tag.deleted',
    'author.created', 'author.updated', 'author.deleted'));
DROP TABLE site;
DROP INDEX authors_created_at_idx;
DROP INDEX tags_created_at_idx;
DROP TABLE page_slug_history;
DROP TABLE pages;
