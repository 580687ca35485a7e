-- Events are written once, at the rate callbacks arrive. What becomes of them goes to a narrow
-- table of its own, so applying an effect never rewrites the wide event row (its JSON and
-- every index entry) as an update did.
CREATE TABLE outcomes (
  event_id            bigint PRIMARY KEY,
  matched_message_id  uuid,
  applied_at          timestamptz NOT NULL DEFAULT now()
);

INSERT INTO outcomes (event_id, matched_message_id, applied_at)
SELECT id, matched_message_id, applied_at FROM events WHERE applied_at IS NOT NULL;

-- An apply failure's reason stays on its outbox entry.
ALTER TABLE events
  DROP COLUMN matched_message_id,
  DROP COLUMN applied_at,
  DROP COLUMN last_error;

-- A request's body already holds its only event; payload is kept for events of an array.
ALTER TABLE events ALTER COLUMN payload DROP NOT NULL;

-- Outbox entries are written in the statement that writes their event, so the foreign key
-- only added a row lock on the event per insert.
ALTER TABLE outbox DROP CONSTRAINT outbox_event_id_fkey;

-- Listing by type walks the primary key newest first; this index cost every insert.
DROP INDEX events_type;
