CREATE OR REPLACE FUNCTION folio_link_listed_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT folio_listed_at(a.status, a.published_at) INTO NEW.listed_at FROM articles a WHERE a.id = NEW.article_id;
    RETURN NEW;
END;
$$;
DROP TRIGGER articles_lock_counts ON articles;
DROP TRIGGER article_tags_lock_counts ON article_tags;
DROP TRIGGER article_authors_lock_counts ON article_authors;
DROP TRIGGER tags_lock_counts ON tags;
DROP FUNCTION folio_lock_counts_first();
