-- Hits are a write-mostly log inserted at the pixel's rate, where every index costs every
-- insert. The stream entry id (unique, not null) already identifies a hit, so the surrogate
-- key goes; per-message answers come from the message row and the aggregates, not from hits.
ALTER TABLE hits DROP COLUMN id;
DROP INDEX hits_message;
ALTER TABLE hits REPLICA IDENTITY USING INDEX hits_stream_id_key;
