-- Two guarantees of the counters (000004) for writers other than Folio itself (an operator's SQL, another tool):
-- 1. A statement that may move counters takes the counters' lock before its first row lock, as Folio's own write
--    transactions do, so a plain `UPDATE articles` and an API write wait for each other instead of deadlocking.
-- 2. A new link reads its article's timeline place under a share lock, so it waits for a concurrent publish or
--    unpublish of that article to commit and then reads the new place (the publish's own update of the links
--    cannot see a link that is not committed yet).
CREATE FUNCTION folio_lock_counts_first() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM folio_lock_counts();
    RETURN NULL;
END;
$$;
CREATE TRIGGER articles_lock_counts BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON articles
    FOR EACH STATEMENT EXECUTE FUNCTION folio_lock_counts_first();
CREATE TRIGGER article_tags_lock_counts BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON article_tags
    FOR EACH STATEMENT EXECUTE FUNCTION folio_lock_counts_first();
CREATE TRIGGER article_authors_lock_counts BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON article_authors
    FOR EACH STATEMENT EXECUTE FUNCTION folio_lock_counts_first();
CREATE TRIGGER tags_lock_counts BEFORE DELETE OR TRUNCATE ON tags
    FOR EACH STATEMENT EXECUTE FUNCTION folio_lock_counts_first();

CREATE OR REPLACE FUNCTION folio_link_listed_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT folio_listed_at(a.status, a.published_at) INTO NEW.listed_at
    FROM articles a WHERE a.id = NEW.article_id FOR SHARE;
    RETURN NEW;
END;
$$;
