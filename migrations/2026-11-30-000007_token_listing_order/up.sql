-- Token listings of every status, or of drafts, sort by publication time and, for an article never published, by
-- creation time (`visibility::published_key`). These indexes serve that order and its keyset cursors, so such a
-- listing reads a page instead of sorting every article.
CREATE INDEX articles_any_timeline_idx ON articles ((COALESCE(published_at, created_at)) DESC, id DESC);
CREATE INDEX articles_draft_timeline_idx ON articles ((COALESCE(published_at, created_at)) DESC, id DESC)
    WHERE status = 'draft';
