-- Every callback request as it arrived, stored before it is answered.
CREATE TABLE requests (
  id           uuid PRIMARY KEY,
  body         text NOT NULL,
  headers      jsonb NOT NULL,
  verified     text NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per event in a request; dedupe_key makes a redelivered event a no-op.
CREATE TABLE events (
  id                   bigserial PRIMARY KEY,
  request_id           uuid NOT NULL REFERENCES requests (id),
  dedupe_key           text NOT NULL UNIQUE,
  event_type           text NOT NULL,
  email_id             text,
  provider_message_id  text,
  our_message_id       uuid,
  recipient            text,
  event_time           timestamptz NOT NULL,
  time_source          text NOT NULL,
  received_at          timestamptz NOT NULL DEFAULT now(),
  payload              jsonb NOT NULL,
  normalized           jsonb NOT NULL,
  matched_message_id   uuid,
  applied_at           timestamptz,
  last_error           text
);

CREATE INDEX events_type ON events (event_type, id);
CREATE INDEX events_recipient ON events (lower(recipient));

-- Effects still to apply; a row leaves only once its effect is done.
CREATE TABLE outbox (
  event_id         bigint PRIMARY KEY REFERENCES events (id),
  attempts         int NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_error       text
);

CREATE INDEX outbox_due ON outbox (next_attempt_at);
