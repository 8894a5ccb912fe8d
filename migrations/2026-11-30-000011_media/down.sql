DROP TABLE page_media;
DROP TABLE article_media;
DROP TABLE media;
