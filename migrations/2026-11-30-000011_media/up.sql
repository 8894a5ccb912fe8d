-- Uploaded files. A file is addressed by the SHA-256 of the bytes as uploaded (`hash`): uploading the same bytes
-- again finds this row, and the served URLs, which contain the hash, never change their content.
CREATE TABLE media (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    hash text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
    content_type text NOT NULL,
    -- The served original's file name under its hash: `original.png`.
    file text NOT NULL,
    -- Bytes of the served original (metadata stripped), not of the upload.
    bytes bigint NOT NULL CHECK (bytes >= 0),
    width integer,
    height integer,
    alt text,
    filename text,
    -- The responsive variants: [{"file", "content_type", "width", "height", "bytes"}].
    variants jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_listing ON media (created_at DESC, id DESC);

-- Which documents mention which files (by hash, so a mention written before its upload counts too). Kept by the
-- documents' write path; a document's rows go with it.
CREATE TABLE article_media (
    article_id uuid NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    hash text NOT NULL,
    PRIMARY KEY (article_id, hash)
);
CREATE INDEX article_media_hash ON article_media (hash);

CREATE TABLE page_media (
    page_id uuid NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    hash text NOT NULL,
    PRIMARY KEY (page_id, hash)
);
CREATE INDEX page_media_hash ON page_media (hash);
