DROP TRIGGER article_slug_history_notify ON article_slug_history;
DROP TRIGGER article_authors_notify ON article_authors;
DROP TRIGGER article_tags_notify ON article_tags;
DROP TRIGGER authors_notify ON authors;
DROP TRIGGER tags_notify ON tags;
DROP TRIGGER articles_notify ON articles;
DROP FUNCTION folio_notify_content_change();
