-- Reads that stay flat as the blog grows: no read counts rows, and tag and author pages walk their own index.
--
-- 1. Each tag and author link carries its article's place in the public timeline (`listed_at`: the article's
--    `published_at` while it is published, NULL while it is a draft), so a tag or author page, its keyset cursors,
--    related articles and `tag_all` read one index in timeline order instead of joining the whole public index.
-- 2. Counters kept by the writing transaction itself: published (scheduled included) articles per tag, per author,
--    in all, and drafts and featured articles in all. A read subtracts the few scheduled articles, found by a range
--    scan of `published_at > now()`, so a scheduled article goes live by itself, with no job.
-- Triggers keep both exact for every writer (the API, the CLI, the corpus loader, an operator's SQL). Every counter
-- change takes one transaction-level lock first (`folio_lock_counts`), so writers that move counters commit one
-- after the other; Folio's own write transactions take it before any other lock (and 000006 makes every other
-- writer's statements take it first too).

CREATE FUNCTION folio_listed_at(status text, published_at timestamptz) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN status = 'published' THEN published_at END;

CREATE FUNCTION folio_lock_counts() RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(7461626372);
$$;

ALTER TABLE article_tags ADD COLUMN listed_at timestamptz;
ALTER TABLE article_authors ADD COLUMN listed_at timestamptz;
UPDATE article_tags l SET listed_at = folio_listed_at(a.status, a.published_at)
    FROM articles a WHERE a.id = l.article_id;
UPDATE article_authors l SET listed_at = folio_listed_at(a.status, a.published_at)
    FROM articles a WHERE a.id = l.article_id;

-- A tag's or an author's articles in timeline order (their pages, cursors, counts of scheduled ones, related).
CREATE INDEX article_tags_timeline_idx ON article_tags (tag_id, listed_at DESC, article_id DESC)
    WHERE listed_at IS NOT NULL;
CREATE INDEX article_authors_timeline_idx ON article_authors (author_id, listed_at DESC, article_id DESC)
    WHERE listed_at IS NOT NULL;

ALTER TABLE tags ADD COLUMN listed_count bigint NOT NULL DEFAULT 0 CHECK (listed_count >= 0);
ALTER TABLE authors ADD COLUMN listed_count bigint NOT NULL DEFAULT 0 CHECK (listed_count >= 0);
UPDATE tags t SET listed_count = (SELECT count(*) FROM article_tags l WHERE l.tag_id = t.id AND l.listed_at IS NOT NULL);
UPDATE authors a SET listed_count =
    (SELECT count(*) FROM article_authors l WHERE l.author_id = a.id AND l.listed_at IS NOT NULL);

-- One row: the article totals by kind.
CREATE TABLE article_counts (
    single    boolean PRIMARY KEY DEFAULT true CHECK (single),
    published bigint  NOT NULL CHECK (published >= 0),
    draft     bigint  NOT NULL CHECK (draft >= 0),
    featured  bigint  NOT NULL CHECK (featured >= 0)
);
INSERT INTO article_counts (published, draft, featured)
SELECT count(*) FILTER (WHERE status = 'published'),
       count(*) FILTER (WHERE status = 'draft'),
       count(*) FILTER (WHERE status = 'published' AND featured)
FROM articles;

-- A link takes its timeline place from its article, whatever the writer sent.
CREATE FUNCTION folio_link_listed_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT folio_listed_at(a.status, a.published_at) INTO NEW.listed_at FROM articles a WHERE a.id = NEW.article_id;
    RETURN NEW;
END;
$$;
CREATE TRIGGER article_tags_listed_at BEFORE INSERT OR UPDATE ON article_tags
    FOR EACH ROW EXECUTE FUNCTION folio_link_listed_at();
CREATE TRIGGER article_authors_listed_at BEFORE INSERT OR UPDATE ON article_authors
    FOR EACH ROW EXECUTE FUNCTION folio_link_listed_at();

-- An article that is published, unpublished or moved in time moves its links with it.
CREATE FUNCTION folio_article_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE article_tags SET listed_at = folio_listed_at(NEW.status, NEW.published_at) WHERE article_id = NEW.id;
    UPDATE article_authors SET listed_at = folio_listed_at(NEW.status, NEW.published_at) WHERE article_id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER articles_moved AFTER UPDATE OF status, published_at ON articles
    FOR EACH ROW
    WHEN (folio_listed_at(OLD.status, OLD.published_at) IS DISTINCT FROM folio_listed_at(NEW.status, NEW.published_at))
    EXECUTE FUNCTION folio_article_moved();

-- Counter upkeep, once per statement from its transition tables: a bulk load moves each counter once.
CREATE FUNCTION folio_count_links() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM folio_lock_counts();
    IF TG_TABLE_NAME = 'article_tags' THEN
        IF TG_OP = 'INSERT' THEN
            UPDATE tags t SET listed_count = t.listed_count + d.n
            FROM (SELECT tag_id, count(*) AS n FROM new_rows WHERE listed_at IS NOT NULL GROUP BY tag_id) d
            WHERE t.id = d.tag_id;
        ELSIF TG_OP = 'DELETE' THEN
            UPDATE tags t SET listed_count = t.listed_count - d.n
            FROM (SELECT tag_id, count(*) AS n FROM old_rows WHERE listed_at IS NOT NULL GROUP BY tag_id) d
            WHERE t.id = d.tag_id;
        ELSE
            UPDATE tags t SET listed_count = t.listed_count + d.n
            FROM (SELECT tag_id, sum(n) AS n FROM (
                      SELECT tag_id, 1 AS n FROM new_rows WHERE listed_at IS NOT NULL
                      UNION ALL SELECT tag_id, -1 FROM old_rows WHERE listed_at IS NOT NULL) c
                  GROUP BY tag_id) d
            WHERE t.id = d.tag_id AND d.n <> 0;
        END IF;
    ELSE
        IF TG_OP = 'INSERT' THEN
            UPDATE authors t SET listed_count = t.listed_count + d.n
            FROM (SELECT author_id, count(*) AS n FROM new_rows WHERE listed_at IS NOT NULL GROUP BY author_id) d
            WHERE t.id = d.author_id;
        ELSIF TG_OP = 'DELETE' THEN
            UPDATE authors t SET listed_count = t.listed_count - d.n
            FROM (SELECT author_id, count(*) AS n FROM old_rows WHERE listed_at IS NOT NULL GROUP BY author_id) d
            WHERE t.id = d.author_id;
        ELSE
            UPDATE authors t SET listed_count = t.listed_count + d.n
            FROM (SELECT author_id, sum(n) AS n FROM (
                      SELECT author_id, 1 AS n FROM new_rows WHERE listed_at IS NOT NULL
                      UNION ALL SELECT author_id, -1 FROM old_rows WHERE listed_at IS NOT NULL) c
                  GROUP BY author_id) d
            WHERE t.id = d.author_id AND d.n <> 0;
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER article_tags_count_insert AFTER INSERT ON article_tags
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_count_links();
CREATE TRIGGER article_tags_count_update AFTER UPDATE ON article_tags
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_count_links();
CREATE TRIGGER article_tags_count_delete AFTER DELETE ON article_tags
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_count_links();
CREATE TRIGGER article_authors_count_insert AFTER INSERT ON article_authors
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_count_links();
CREATE TRIGGER article_authors_count_update AFTER UPDATE ON article_authors
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_count_links();
CREATE TRIGGER article_authors_count_delete AFTER DELETE ON article_authors
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_count_links();

CREATE FUNCTION folio_count_articles() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d_published bigint := 0;
    d_draft bigint := 0;
    d_featured bigint := 0;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT d_published + count(*) FILTER (WHERE status = 'published'),
               d_draft + count(*) FILTER (WHERE status = 'draft'),
               d_featured + count(*) FILTER (WHERE status = 'published' AND featured)
        INTO d_published, d_draft, d_featured FROM new_rows;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        SELECT d_published - count(*) FILTER (WHERE status = 'published'),
               d_draft - count(*) FILTER (WHERE status = 'draft'),
               d_featured - count(*) FILTER (WHERE status = 'published' AND featured)
        INTO d_published, d_draft, d_featured FROM old_rows;
    END IF;
    IF d_published <> 0 OR d_draft <> 0 OR d_featured <> 0 THEN
        PERFORM folio_lock_counts();
        UPDATE article_counts SET published = published + d_published, draft = draft + d_draft,
                                  featured = featured + d_featured;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER articles_count_insert AFTER INSERT ON articles
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_count_articles();
CREATE TRIGGER articles_count_update AFTER UPDATE ON articles
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_count_articles();
CREATE TRIGGER articles_count_delete AFTER DELETE ON articles
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_count_articles();

-- TRUNCATE skips row triggers: keep the counters true for it too.
CREATE FUNCTION folio_count_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM folio_lock_counts();
    IF TG_TABLE_NAME = 'articles' THEN
        UPDATE article_counts SET published = 0, draft = 0, featured = 0;
        UPDATE tags SET listed_count = 0 WHERE listed_count <> 0;
        UPDATE authors SET listed_count = 0 WHERE listed_count <> 0;
    ELSIF TG_TABLE_NAME = 'article_tags' THEN
        UPDATE tags SET listed_count = 0 WHERE listed_count <> 0;
    ELSE
        UPDATE authors SET listed_count = 0 WHERE listed_count <> 0;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER articles_count_truncate AFTER TRUNCATE ON articles
    FOR EACH STATEMENT EXECUTE FUNCTION folio_count_truncated();
CREATE TRIGGER article_tags_count_truncate AFTER TRUNCATE ON article_tags
    FOR EACH STATEMENT EXECUTE FUNCTION folio_count_truncated();
CREATE TRIGGER article_authors_count_truncate AFTER TRUNCATE ON article_authors
    FOR EACH STATEMENT EXECUTE FUNCTION folio_count_truncated();
