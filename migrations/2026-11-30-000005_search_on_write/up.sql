-- The search vector becomes an ordinary column that a trigger derives on every write, the same expression as before.
-- A writer may hand in the vector of a new row itself (NULL means "derive it"): the corpus loader computes the
-- vector of each distinct body once instead of once per article. Updates always derive it again when the text
-- changed.
ALTER TABLE articles ALTER COLUMN search DROP EXPRESSION;

-- The body's part of the vector; a tsvector holds at most 1 MB, so only the first 250,000 characters count.
CREATE FUNCTION folio_body_search(body_text text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector('english', left(body_text, 250000)), 'C');

-- The whole vector from the body's part: the corpus loader computes that part once per distinct body.
CREATE FUNCTION folio_article_search_with(title text, summary text, body_search tsvector) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector('english', title), 'A') ||
           setweight(to_tsvector('english', summary), 'B') ||
           body_search;

CREATE FUNCTION folio_article_search(title text, summary text, body_text text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN folio_article_search_with(title, summary, folio_body_search(body_text));

CREATE FUNCTION folio_derive_search() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER articles_search BEFORE INSERT OR UPDATE ON articles
    FOR EACH ROW EXECUTE FUNCTION folio_derive_search();

ALTER TABLE articles ALTER COLUMN search SET NOT NULL;

-- lz4 compresses the three stored forms of a body several times faster than the default, for about the same size.
-- A server built without lz4 keeps its default.
DO $$
BEGIN
    ALTER TABLE articles
        ALTER COLUMN body_markdown SET COMPRESSION lz4,
        ALTER COLUMN body_html SET COMPRESSION lz4,
        ALTER COLUMN body_text SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available: bodies keep the default compression';
END;
$$;
