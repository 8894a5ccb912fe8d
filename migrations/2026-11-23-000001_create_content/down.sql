DROP TABLE api_tokens;
DROP TABLE article_slug_history;
DROP TABLE article_authors;
DROP TABLE article_tags;
DROP TABLE articles;
DROP TABLE tags;
DROP TABLE authors;
DROP DOMAIN folio_slug;
