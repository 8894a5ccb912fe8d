DROP INDEX articles_search_idx;
ALTER TABLE articles DROP COLUMN search;
ALTER TABLE articles ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A') ||
    setweight(to_tsvector('english', summary), 'B') ||
    setweight(to_tsvector('english', body_text), 'C')
) STORED;
CREATE INDEX articles_search_idx ON articles USING gin (search);

ALTER TABLE authors
    DROP CONSTRAINT authors_website_safe,
    DROP CONSTRAINT authors_avatar_url_safe;
