-- A message's status only climbs; bounced, unsubscribed and complained override the ladder.
-- Ranking makes the final state independent of the order events arrive in.
CREATE FUNCTION status_rank(status text) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE status
    WHEN 'sent' THEN 0
    WHEN 'soft_bounced' THEN 1
    WHEN 'delivered' THEN 2
    WHEN 'opened' THEN 3
    WHEN 'clicked' THEN 4
    WHEN 'bounced' THEN 10
    WHEN 'unsubscribed' THEN 11
    WHEN 'complained' THEN 12
    ELSE 0 END
$$;

ALTER TABLE messages
  ADD COLUMN delivered_at        timestamptz,
  ADD COLUMN soft_bounced_at     timestamptz,
  ADD COLUMN soft_bounce_reason  text,
  ADD COLUMN soft_bounce_code    int,
  ADD COLUMN bounced_at          timestamptz,
  ADD COLUMN bounce_reason       text,
  ADD COLUMN bounce_code         int,
  ADD COLUMN unsubscribed_at     timestamptz,
  ADD COLUMN complained_at       timestamptz;

CREATE INDEX messages_recipient_latest ON messages (lower(recipient), sent_at DESC);

-- Addresses a user must not mail again, from hard bounces, unsubscribes and spam reports.
CREATE TABLE suppressions (
  owner_id    bigint NOT NULL,
  email       text NOT NULL,
  reason      text NOT NULL,
  message_id  uuid,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner_id, email)
);

-- Opens and clicks the provider saw count apart from our pixel's, and once in unique counts.
ALTER TABLE campaign_stats
  ADD COLUMN provider_opens   bigint NOT NULL DEFAULT 0,
  ADD COLUMN provider_clicks  bigint NOT NULL DEFAULT 0;
