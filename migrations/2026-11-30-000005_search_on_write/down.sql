ALTER TABLE articles
    ALTER COLUMN body_markdown SET COMPRESSION DEFAULT,
    ALTER COLUMN body_html SET COMPRESSION DEFAULT,
    ALTER COLUMN body_text SET COMPRESSION DEFAULT;
DROP TRIGGER articles_search ON articles;
DROP FUNCTION folio_derive_search();
DROP INDEX articles_search_idx;
ALTER TABLE articles DROP COLUMN search;
ALTER TABLE articles ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A') ||
    setweight(to_tsvector('english', summary), 'B') ||
    setweight(to_tsvector('english', left(body_text, 250000)), 'C')
) STORED;
CREATE INDEX articles_search_idx ON articles USING gin (search);
DROP FUNCTION folio_article_search(text, text, text);
DROP FUNCTION folio_article_search_with(text, text, tsvector);
DROP FUNCTION folio_body_search(text);
