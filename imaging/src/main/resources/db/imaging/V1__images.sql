-- One row per upload. The files themselves are content-addressed under the upload path and
-- may be shared by several rows (the same file uploaded twice, or by two users).
CREATE TABLE images (
  id            bigserial PRIMARY KEY,
  owner_id      bigint NOT NULL,
  original_name text NOT NULL,
  source_type   text NOT NULL,
  source_bytes  bigint NOT NULL,
  source_sha256 text NOT NULL,
  source_width  integer NOT NULL,
  source_height integer NOT NULL,
  type          text NOT NULL,
  bytes         bigint NOT NULL,
  width         integer NOT NULL,
  height        integer NOT NULL,
  frames        integer NOT NULL DEFAULT 1,
  path          text NOT NULL,
  -- [{name, path, type, width, height, bytes}], the image first, then each thumbnail
  variants      jsonb NOT NULL,
  -- every path in variants, for the "is this file still used" check on delete
  files         text[] NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX images_owner ON images (owner_id, id DESC);
CREATE INDEX images_files ON images USING gin (files);
