-- The change log: one entry per content change, appended by triggers in the transaction that makes the change (so
-- no change goes unrecorded and none is recorded for a write that rolled back), whoever writes (the API, the CLI,
-- the corpus loader, an operator's SQL). The change feed and the webhooks read it.
--
-- Positions only ever grow in commit order. A reader that remembers position P and later reads `position > P`
-- must never miss an entry that commits after its read with a smaller position (the outbox pitfall of plain
-- sequences: transaction A takes 10, B takes 11 and commits first, a reader sees 11 and moves past 10). Here a
-- position is drawn only while holding `folio_lock_counts()`, an exclusive transaction-level lock held until
-- commit or rollback: whoever draws a position after yours waits until yours has committed (or vanished), so
-- every entry a reader can see has every smaller position already decided. Content writes already serialize on
-- that lock (it guards the counters), and they take it first, before any row lock, so it adds no deadlock.
--
-- Time is read the same way: an entry's `at`, and the instant that decides whether an article is public or still
-- scheduled, is `clock_timestamp()` taken once the lock is held (not `now()`, the transaction's start, which can
-- precede an announcement made while this transaction waited), so times grow with positions.

CREATE SEQUENCE changes_position_seq AS bigint;

-- The one way to draw a position: under the lock, until the transaction ends.
CREATE FUNCTION folio_next_change_position() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    PERFORM folio_lock_counts();
    RETURN nextval('changes_position_seq');
END;
$$;

CREATE TABLE changes (
    position      bigint      PRIMARY KEY DEFAULT folio_next_change_position(),
    -- When the change took its place in the log, on the database's clock.
    at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    type          text        NOT NULL CHECK (type IN (
                      'article.created', 'article.published', 'article.updated', 'article.unpublished',
                      'article.deleted', 'tag.created', 'tag.updated', 'tag.deleted',
                      'author.created', 'author.updated', 'author.deleted')),
    resource_id   uuid        NOT NULL,
    -- The slug at the time of the change; `previous_slug` when the change renamed the resource.
    slug          text        NOT NULL,
    previous_slug text,
    -- Whether a reader without a token could see the change: a public article's edits, publications and removals,
    -- the changes of tags and authors that published articles use; not a draft's or a scheduled article's edits,
    -- nor a tag only drafts use.
    public        boolean     NOT NULL
);
ALTER SEQUENCE changes_position_seq OWNED BY changes.position;
CREATE INDEX changes_public_idx ON changes (position) WHERE public;
CREATE INDEX changes_at_idx ON changes (at);

-- How far each reader of the whole log has got: `webhooks` (entries turned into deliveries) and `pruned` (every
-- entry at or below it was deleted by retention; a feed reader behind it must resync).
CREATE TABLE change_cursors (
    name     text   PRIMARY KEY CHECK (name IN ('webhooks', 'pruned')),
    position bigint NOT NULL CHECK (position >= 0)
);
INSERT INTO change_cursors (name, position) VALUES ('webhooks', 0), ('pruned', 0);

-- Scheduled articles not yet announced: a scheduled article's "published" entry is written when its time comes,
-- by `folio_publish_due()`, not when it was written. Deleting the row in the transaction that logs the entry makes
-- the announcement happen exactly once, whichever instance (or write) runs it first.
CREATE TABLE scheduled_articles (
    article_id uuid        PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    at         timestamptz NOT NULL
);
CREATE INDEX scheduled_articles_at_idx ON scheduled_articles (at);
INSERT INTO scheduled_articles (article_id, at)
SELECT id, published_at FROM articles WHERE status = 'published' AND published_at > now();

CREATE FUNCTION folio_public(status text, published_at timestamptz, at timestamptz) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT status = 'published' AND published_at <= at
$$;

-- Logs "published" for every scheduled article whose time has come; answers how many. Every instance calls it
-- often, and every article write calls it first, so go-live entries precede the changes that follow them.
CREATE FUNCTION folio_publish_due() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    logged integer;
    t timestamptz;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM scheduled_articles WHERE at <= clock_timestamp()) THEN
        RETURN 0;
    END IF;
    PERFORM folio_lock_counts();
    t := clock_timestamp();
    WITH due AS (
        DELETE FROM scheduled_articles s WHERE s.at <= t RETURNING s.article_id
    )
    INSERT INTO changes (type, resource_id, slug, public, at)
    SELECT 'article.published', a.id, a.slug, true, t
    FROM due JOIN articles a ON a.id = due.article_id
    WHERE folio_public(a.status, a.published_at, t)
    ORDER BY a.published_at, a.id;
    GET DIAGNOSTICS logged = ROW_COUNT;
    RETURN logged;
END;
$$;

CREATE FUNCTION folio_log_article_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    t timestamptz;
BEGIN
    PERFORM folio_lock_counts();
    PERFORM folio_publish_due();
    t := clock_timestamp();
    IF TG_OP = 'INSERT' THEN
        INSERT INTO changes (type, resource_id, slug, public, at)
        SELECT CASE WHEN folio_public(n.status, n.published_at, t) THEN 'article.published' ELSE 'article.created' END,
               n.id, n.slug, folio_public(n.status, n.published_at, t), t
        FROM new_rows n;
    ELSIF TG_OP = 'UPDATE' THEN
        -- "Was public" counts an article whose time came as public only once it was announced (its row in
        -- scheduled_articles is gone), so its first public entry is always the announcement.
        INSERT INTO changes (type, resource_id, slug, previous_slug, public, at)
        -- A public entry names only slugs the public saw: an unpublished article by its old slug, and a rename only
        -- between two public states.
        SELECT CASE WHEN NOT v.was AND v.now THEN 'article.published'
                    WHEN v.was AND NOT v.now THEN 'article.unpublished'
                    ELSE 'article.updated' END,
               n.id,
               CASE WHEN v.was AND NOT v.now THEN o.slug ELSE n.slug END,
               CASE WHEN v.was = v.now THEN NULLIF(o.slug, n.slug) END,
               v.was OR v.now, t
        FROM old_rows o
        JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (SELECT folio_public(o.status, o.published_at, t)
                                   AND NOT EXISTS (SELECT 1 FROM scheduled_articles s WHERE s.article_id = o.id) AS was,
                                   folio_public(n.status, n.published_at, t) AS now) v
        -- Content only: derived columns (search vectors) and maintenance writes that change nothing are not news.
        WHERE (o.slug, o.title, o.summary, o.body_markdown, o.status, o.featured, o.published_at, o.cover_image,
               o.seo, o.version)
              IS DISTINCT FROM
              (n.slug, n.title, n.summary, n.body_markdown, n.status, n.featured, n.published_at, n.cover_image,
               n.seo, n.version);
        DELETE FROM scheduled_articles s USING new_rows n
        WHERE s.article_id = n.id AND NOT (n.status = 'published' AND n.published_at > t);
    ELSE
        INSERT INTO changes (type, resource_id, slug, public, at)
        SELECT 'article.deleted', o.id, o.slug,
               folio_public(o.status, o.published_at, t)
               AND NOT EXISTS (SELECT 1 FROM scheduled_articles s WHERE s.article_id = o.id), t
        FROM old_rows o;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO scheduled_articles (article_id, at)
        SELECT n.id, n.published_at FROM new_rows n
        WHERE n.status = 'published' AND n.published_at > t
        ON CONFLICT (article_id) DO UPDATE SET at = EXCLUDED.at;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER articles_log_insert AFTER INSERT ON articles
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_log_article_changes();
CREATE TRIGGER articles_log_update AFTER UPDATE ON articles
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_log_article_changes();
CREATE TRIGGER articles_log_delete AFTER DELETE ON articles
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_log_article_changes();

-- Tags and authors: created, updated (content columns only: the stored counters move with articles) and deleted;
-- public while published articles use them (`listed_count`), as anonymous listings show them. `kind` is the entry
-- types' prefix.
CREATE FUNCTION folio_log_resource_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text := TG_ARGV[0];
BEGIN
    PERFORM folio_lock_counts();
    IF TG_OP = 'INSERT' THEN
        INSERT INTO changes (type, resource_id, slug, public)
        SELECT kind || '.created', n.id, n.slug, n.listed_count > 0 FROM new_rows n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO changes (type, resource_id, slug, previous_slug, public)
        SELECT kind || '.updated', n.id, n.slug, NULLIF(o.slug, n.slug), n.listed_count > 0
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE (to_jsonb(o) - '{listed_count,created_at,updated_at}'::text[])
              IS DISTINCT FROM (to_jsonb(n) - '{listed_count,created_at,updated_at}'::text[]);
    ELSE
        INSERT INTO changes (type, resource_id, slug, public)
        SELECT kind || '.deleted', o.id, o.slug, o.listed_count > 0 FROM old_rows o;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER tags_log_insert AFTER INSERT ON tags
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_log_resource_changes('tag');
CREATE TRIGGER tags_log_update AFTER UPDATE ON tags
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_log_resource_changes('tag');
CREATE TRIGGER tags_log_delete AFTER DELETE ON tags
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_log_resource_changes('tag');
CREATE TRIGGER authors_log_insert AFTER INSERT ON authors
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_log_resource_changes('author');
CREATE TRIGGER authors_log_update AFTER UPDATE ON authors
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_log_resource_changes('author');
CREATE TRIGGER authors_log_delete AFTER DELETE ON authors
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION folio_log_resource_changes('author');

-- TRUNCATE is an operator's reset, not a change: it logs nothing (the feed's readers must resync after one).

-- Tag and author writes take the lock first too, before their row locks (000006 did it for deletes), so a tag
-- update waiting for the lock never holds a row an article write needs.
DROP TRIGGER tags_lock_counts ON tags;
CREATE TRIGGER tags_lock_counts BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON tags
    FOR EACH STATEMENT EXECUTE FUNCTION folio_lock_counts_first();
CREATE TRIGGER authors_lock_counts BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON authors
    FOR EACH STATEMENT EXECUTE FUNCTION folio_lock_counts_first();

-- A go-live entry is a change too: caches drop what they hold when one is logged.
CREATE TRIGGER changes_notify AFTER INSERT ON changes
    FOR EACH STATEMENT EXECUTE FUNCTION folio_notify_content_change();

-- Webhooks: endpoints, their deliveries (one per event and endpoint, retried until delivered or given up) and
-- every attempt of each.
CREATE TABLE webhooks (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    url             text        NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    description     text        CHECK (length(description) <= 500),
    events          text[]      NOT NULL CHECK (cardinality(events) >= 1),
    -- `whsec_` and the base64 of the key; needed to sign, so kept (an admin token can rotate it).
    secret          text        NOT NULL,
    -- After a rotation the old secret signs too (a second signature) until `previous_secret_until`.
    previous_secret       text,
    previous_secret_until timestamptz,
    enabled         boolean     NOT NULL DEFAULT true,
    disabled_reason text,
    -- Events after this position are delivered to it: a new endpoint gets no history.
    since_position  bigint      NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    seq             bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    webhook_id      uuid        NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_type      text        NOT NULL,
    -- The change it announces; NULL for a ping.
    position        bigint,
    -- The exact body sent (and signed) on every attempt.
    payload         text        NOT NULL,
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- When a pending delivery may next be attempted. Claiming it moves this past the attempt's timeout, so a
    -- claim lost in a crash turns into a retry, not a loss.
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    CONSTRAINT webhook_deliveries_once UNIQUE (webhook_id, position)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (webhook_id, seq DESC);
CREATE INDEX webhook_deliveries_created_at_idx ON webhook_deliveries (created_at);

CREATE TABLE webhook_attempts (
    delivery_id  uuid        NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt      integer     NOT NULL CHECK (attempt >= 1),
    at           timestamptz NOT NULL,
    duration_ms  integer     NOT NULL CHECK (duration_ms >= 0),
    -- The receiver's status code, when it answered.
    status_code  integer,
    -- Why the attempt failed, when it did.
    error        text,
    PRIMARY KEY (delivery_id, attempt)
);
