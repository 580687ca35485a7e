CREATE TABLE users (
  id             bigserial PRIMARY KEY,
  username       text NOT NULL,
  email          text,
  password_hash  text NOT NULL,
  role           text NOT NULL CHECK (role IN ('admin', 'operator', 'read_only')),
  active         boolean NOT NULL DEFAULT true,
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX users_username ON users (lower(username));
CREATE UNIQUE INDEX users_email ON users (lower(email)) WHERE email IS NOT NULL;
