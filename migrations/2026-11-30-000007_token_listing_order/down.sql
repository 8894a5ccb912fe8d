DROP INDEX articles_draft_timeline_idx;
DROP INDEX articles_any_timeline_idx;
