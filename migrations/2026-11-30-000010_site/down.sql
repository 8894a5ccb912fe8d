DROP TRIGGER site_log_update ON site;
DROP FUNCTION folio_log_site_changes();
DROP TRIGGER pages_log_delete ON pages;
DROP TRIGGER pages_log_update ON pages;
DROP TRIGGER pages_log_insert ON pages;
DROP FUNCTION folio_log_page_changes();
DELETE FROM changes WHERE type LIKE 'page.%' OR type = 'site.updated';
ALTER TABLE changes DROP CONSTRAINT changes_type_check;
ALTER TABLE changes ADD CONSTRAINT changes_type_check CHECK (type IN (
    'article.created', 'article.published', 'article.updated', 'article.unpublished', 'article.deleted',
    'tag.created', 'tag.updated', 'tag.deleted',
    'author.created', 'author.updated', 'author.deleted'));
DROP TABLE site;
DROP TABLE page_slug_history;
DROP TABLE pages;
