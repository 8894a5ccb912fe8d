-- pg_trgm stays: another schema object may use it, and it holds no data of Folio's.
DROP INDEX articles_head_idx;
ALTER TABLE articles DROP COLUMN head;
ALTER TABLE articles ALTER COLUMN search SET STORAGE EXTENDED, ALTER COLUMN search SET COMPRESSION default;
CREATE OR REPLACE FUNCTION folio_derive_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.search IS NULL THEN
            NEW.search := folio_article_search(NEW.title, NEW.summary, NEW.body_text);
        END IF;
    ELSIF NEW.title IS DISTINCT FROM OLD.title OR NEW.summary IS DISTINCT FROM OLD.summary
          OR NEW.body_text IS DISTINCT FROM OLD.body_text OR NEW.search IS DISTINCT FROM OLD.search THEN
        NEW.search := folio_article_search(NEW.title, NEW.summary, NEW.body_text);
    END IF;
    RETURN NEW;
END;
$$;
DROP FUNCTION folio_note_words(text);
DROP TABLE search_words;
DROP FUNCTION folio_article_head(text, text);
CREATE OR REPLACE FUNCTION folio_body_search(body_text text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector('english', left(body_text, 250000)), 'C');
CREATE OR REPLACE FUNCTION folio_article_search_with(title text, summary text, body_search tsvector) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector('english', title), 'A') ||
           setweight(to_tsvector('english', summary), 'B') ||
           body_search;
DROP FUNCTION folio_plain(text);
