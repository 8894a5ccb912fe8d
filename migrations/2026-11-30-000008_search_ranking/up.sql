-- Search that ranks, forgives typos and completes as you type (see `store::articles::search`).
--
-- `head` is a narrow vector of the title (weight A) and summary (B): small enough to stay in the row, so a search
-- can test it on every row of a walk cheaply; it finds the title and summary matches among a query's candidates and
-- serves the search box's suggestions. `search_words` is the blog's vocabulary (words of 5 to 40 letters, as
-- written, lower case) with a trigram index: a query word that is one or two typos away from a known word is
-- read as both. Both are derived on every write, in the write's transaction, by the same trigger as `search`.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Titles, summaries and bodies are text, not HTML: the parser would read `<script>` in a title as a tag and skip
-- every word after it (up to a `</script>`), so angle brackets are spaces to it.
CREATE FUNCTION folio_plain(content text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN translate(content, '<>', '  ');

CREATE OR REPLACE FUNCTION folio_body_search(body_text text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector('english', folio_plain(left(body_text, 250000))), 'C');

CREATE OR REPLACE FUNCTION folio_article_search_with(title text, summary text, body_search tsvector) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector('english', folio_plain(title)), 'A') ||
           setweight(to_tsvector('english', folio_plain(summary)), 'B') ||
           body_search;

CREATE FUNCTION folio_article_head(title text, summary text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector('english', folio_plain(title)), 'A') ||
           setweight(to_tsvector('english', folio_plain(summary)), 'B');

CREATE TABLE search_words (word text PRIMARY KEY);
CREATE INDEX search_words_trgm_idx ON search_words USING gin (word gin_trgm_ops);

-- Adds the words of `content` to the vocabulary. Words are never removed: a word of a deleted article can still
-- be offered as a correction, and then matches nothing.
CREATE FUNCTION folio_note_words(content text) RETURNS void LANGUAGE sql AS $$
    INSERT INTO search_words (word)
    SELECT w FROM unnest(tsvector_to_array(to_tsvector('simple', folio_plain(content)))) w
    WHERE length(w) BETWEEN 5 AND 40 AND w ~ '^[[:alpha:]]+$'
    ON CONFLICT DO NOTHING;
$$;

CREATE OR REPLACE FUNCTION folio_derive_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- A writer that hands in the vector (the corpus loader) adds the words itself, once per distinct body.
        IF NEW.search IS NULL THEN
            NEW.search := folio_article_search(NEW.title, NEW.summary, NEW.body_text);
            PERFORM folio_note_words(NEW.title || ' ' || NEW.summary || ' ' || left(NEW.body_text, 250000));
        END IF;
        NEW.head := folio_article_head(NEW.title, NEW.summary);
    ELSIF NEW.title IS DISTINCT FROM OLD.title OR NEW.summary IS DISTINCT FROM OLD.summary
          OR NEW.body_text IS DISTINCT FROM OLD.body_text OR NEW.search IS DISTINCT FROM OLD.search THEN
        NEW.search := folio_article_search(NEW.title, NEW.summary, NEW.body_text);
        NEW.head := folio_article_head(NEW.title, NEW.summary);
        PERFORM folio_note_words(NEW.title || ' ' || NEW.summary || ' ' || left(NEW.body_text, 250000));
    END IF;
    RETURN NEW;
END;
$$;

-- A relevance ranking reads each candidate's vector: kept in the row (compressed) rather than in the TOAST table,
-- with lz4 where the server has it, reading one costs a third of what it did (1.3 ms against 3.6 ms for 1,000
-- vectors of 1,500-word bodies). Existing vectors move as their rows are written (or at a VACUUM FULL).
ALTER TABLE articles ALTER COLUMN search SET STORAGE MAIN;
DO $$
BEGIN
    ALTER TABLE articles ALTER COLUMN search SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available: search vectors keep the default compression';
END;
$$;

ALTER TABLE articles ADD COLUMN head tsvector;
UPDATE articles SET head = folio_article_head(title, summary);
-- Vectors read before as HTML are derived again (the trigger derives every part when the vector changes).
UPDATE articles SET search = NULL
WHERE strpos(title, '<') > 0 OR strpos(summary, '<') > 0 OR strpos(body_text, '<') > 0;
ALTER TABLE articles ALTER COLUMN head SET NOT NULL;
-- The vector stays in the row: a walk tests it without a TOAST lookup.
ALTER TABLE articles ALTER COLUMN head SET STORAGE MAIN;
CREATE INDEX articles_head_idx ON articles USING gin (head);

INSERT INTO search_words (word)
SELECT DISTINCT w FROM articles,
    unnest(tsvector_to_array(to_tsvector('simple',
        folio_plain(title || ' ' || summary || ' ' || left(body_text, 250000))))) w
WHERE length(w) BETWEEN 5 AND 40 AND w ~ '^[[:alpha:]]+$'
ON CONFLICT DO NOTHING;
