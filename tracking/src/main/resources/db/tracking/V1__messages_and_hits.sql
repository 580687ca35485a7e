-- Campaigns belong to the user who registered their first message.
CREATE TABLE campaigns (
  id            text PRIMARY KEY,
  owner_id      bigint NOT NULL,
  do_not_track  boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE messages (
  id                   uuid PRIMARY KEY,
  campaign_id          text NOT NULL REFERENCES campaigns (id),
  owner_id             bigint NOT NULL,
  recipient            text NOT NULL,
  provider_message_id  text,
  status               text NOT NULL DEFAULT 'sent',
  sent_at              timestamptz NOT NULL DEFAULT now(),
  opened_at            timestamptz,
  clicked_at           timestamptz,
  last_opened_at       timestamptz,
  last_clicked_at      timestamptz
);

CREATE INDEX messages_campaign ON messages (campaign_id);
CREATE INDEX messages_recipient ON messages (lower(recipient));
CREATE INDEX messages_provider_id ON messages (provider_message_id)
  WHERE provider_message_id IS NOT NULL;

-- Recipients whose hits a user asked us not to store.
CREATE TABLE do_not_track (
  owner_id    bigint NOT NULL,
  email       text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner_id, email)
);

-- One row per stored hit; stream_id makes a redelivered stream entry a no-op.
CREATE TABLE hits (
  id           bigserial PRIMARY KEY,
  stream_id    text NOT NULL UNIQUE,
  message_id   uuid NOT NULL,
  campaign_id  text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('open', 'click')),
  url          text,
  occurred_at  timestamptz NOT NULL,
  ip           inet,
  user_agent   text,
  agent_class  text NOT NULL CHECK (agent_class IN ('person', 'proxy', 'prefetch', 'bot')),
  people       boolean NOT NULL,
  source       text NOT NULL DEFAULT 'pixel',
  stored_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX hits_message ON hits (message_id);

-- The first people-hit per message (url '') and per message and link, for unique counts.
CREATE TABLE firsts (
  message_id   uuid NOT NULL,
  kind         text NOT NULL,
  url          text NOT NULL,
  campaign_id  text NOT NULL,
  PRIMARY KEY (message_id, kind, url)
);

-- Aggregates, updated in the transaction that stores the hits they count.
CREATE TABLE campaign_stats (
  campaign_id     text PRIMARY KEY,
  messages        bigint NOT NULL DEFAULT 0,
  opens           bigint NOT NULL DEFAULT 0,
  unique_opens    bigint NOT NULL DEFAULT 0,
  clicks          bigint NOT NULL DEFAULT 0,
  unique_clicks   bigint NOT NULL DEFAULT 0,
  open_person     bigint NOT NULL DEFAULT 0,
  open_proxy      bigint NOT NULL DEFAULT 0,
  open_prefetch   bigint NOT NULL DEFAULT 0,
  open_bot        bigint NOT NULL DEFAULT 0,
  click_person    bigint NOT NULL DEFAULT 0,
  click_proxy     bigint NOT NULL DEFAULT 0,
  click_prefetch  bigint NOT NULL DEFAULT 0,
  click_bot       bigint NOT NULL DEFAULT 0
);

CREATE TABLE campaign_links (
  campaign_id    text NOT NULL,
  url            text NOT NULL,
  clicks         bigint NOT NULL DEFAULT 0,
  people_clicks  bigint NOT NULL DEFAULT 0,
  unique_clicks  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (campaign_id, url)
);

CREATE TABLE campaign_hourly (
  campaign_id    text NOT NULL,
  hour           timestamptz NOT NULL,
  opens          bigint NOT NULL DEFAULT 0,
  people_opens   bigint NOT NULL DEFAULT 0,
  clicks         bigint NOT NULL DEFAULT 0,
  people_clicks  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (campaign_id, hour)
);
