-- Author links follow the rule every stored link follows (domain::link): an http(s) URL or an absolute path on
-- the site. Rows written before the rule lose links that break it; a CHECK keeps new ones out.
UPDATE authors SET website = NULL
    WHERE website IS NOT NULL AND NOT (website ~ '^https?://' OR website ~ '^/([^/\\]|$)');
UPDATE authors SET avatar_url = NULL
    WHERE avatar_url IS NOT NULL AND NOT (avatar_url ~ '^https?://' OR avatar_url ~ '^/([^/\\]|$)');
ALTER TABLE authors
    ADD CONSTRAINT authors_website_safe CHECK (website ~ '^https?://' OR website ~ '^/([^/\\]|$)'),
    ADD CONSTRAINT authors_avatar_url_safe CHECK (avatar_url ~ '^https?://' OR avatar_url ~ '^/([^/\\]|$)');

-- A tsvector holds at most 1 MB: index the body's first 250,000 characters (far beyond any article's length),
-- so that no body under the size limit can fail its write.
DROP INDEX articles_search_idx;
ALTER TABLE articles DROP COLUMN search;
ALTER TABLE articles ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A') ||
    setweight(to_tsvector('english', summary), 'B') ||
    setweight(to_tsvector('english', left(body_text, 250000)), 'C')
) STORED;
CREATE INDEX articles_search_idx ON articles USING gin (search);
