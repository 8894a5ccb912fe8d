-- Every change to public content notifies the channel `folio_content` when its transaction commits, whoever made
-- it (the API, the CLI, an operator's SQL). Each Folio instance listens and drops its response cache.
CREATE FUNCTION folio_notify_content_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('folio_content', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER articles_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON articles
    FOR EACH STATEMENT EXECUTE FUNCTION folio_notify_content_change();
CREATE TRIGGER tags_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tags
    FOR EACH STATEMENT EXECUTE FUNCTION folio_notify_content_change();
CREATE TRIGGER authors_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON authors
    FOR EACH STATEMENT EXECUTE FUNCTION folio_notify_content_change();
CREATE TRIGGER article_tags_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON article_tags
    FOR EACH STATEMENT EXECUTE FUNCTION folio_notify_content_change();
CREATE TRIGGER article_authors_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON article_authors
    FOR EACH STATEMENT EXECUTE FUNCTION folio_notify_content_change();
CREATE TRIGGER article_slug_history_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON article_slug_history
    FOR EACH STATEMENT EXECUTE FUNCTION folio_notify_content_change();
