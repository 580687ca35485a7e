package org.edm.tracking;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Writes a batch of hits and the campaign aggregates they change in one transaction. The
 * hits table is unique on the stream entry id and aggregates count only rows that were
 * really inserted, so storing a redelivered batch again changes nothing. A message's first
 * people-open and first people-click are the moments its opened_at and clicked_at get set,
 * which is what makes them count as unique; per link, the firsts table keeps that record.
 */
public final class HitStore {

  private static final String INSERT_HITS = """
      INSERT INTO tracking.hits (stream_id, message_id, campaign_id, kind, url, occurred_at, ip,
                                 user_agent, agent_class, people, source)
      SELECT h.stream_id, h.message_id, m.campaign_id, h.kind, h.url,
             timestamptz 'epoch' + h.at * interval '1 millisecond', h.ip::inet, h.user_agent,
             h.agent_class, h.people, h.source
      FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::int8[],
                  $6::text[], $7::text[], $8::text[], $9::bool[], $10::text[])
             AS h (stream_id, message_id, kind, url, at, ip, user_agent, agent_class,
                   people, source)
      JOIN tracking.messages m ON m.id = h.message_id
      JOIN tracking.campaigns c ON c.id = m.campaign_id
      WHERE NOT c.do_not_track
        AND NOT EXISTS (SELECT 1 FROM tracking.do_not_track d
                        WHERE d.owner_id = m.owner_id AND d.email = lower(m.recipient))
      ON CONFLICT (stream_id) DO NOTHING
      RETURNING stream_id, campaign_id
      """;

  // Per message in the batch: its first and last open and click, and the status they imply.
  private static final String MESSAGE_CHANGES = """
      SELECT id,
             min(at) FILTER (WHERE kind = 'open') AS opened_at,
             max(at) FILTER (WHERE kind = 'open') AS opened_last,
             min(at) FILTER (WHERE kind = 'click') AS clicked_at,
             max(at) FILTER (WHERE kind = 'click') AS clicked_last,
             CASE WHEN bool_or(kind = 'click') THEN 'clicked' ELSE 'opened' END AS status
      FROM (SELECT id, kind, timestamptz 'epoch' + ms * interval '1 millisecond' AS at
            FROM unnest($1::uuid[], $2::text[], $3::int8[]) AS h (id, kind, ms)) h
      GROUP BY id""";

  // Most hits are repeat opens that change nothing a reader sees (last times are kept to the
  // minute), so only messages the batch really changes are written. Those are locked in id
  // order first, so concurrent batchers never wait in a cycle. A batcher that waited for a
  // row sees the other's update before deciding, so a first open or click counts once.
  private static final String NEEDS_CHANGE = """
      (u.opened_at < m.opened_at OR (m.opened_at IS NULL AND u.opened_at IS NOT NULL)
        OR u.clicked_at < m.clicked_at OR (m.clicked_at IS NULL AND u.clicked_at IS NOT NULL)
        OR u.opened_last >= m.last_opened_at + interval '1 minute'
        OR u.clicked_last >= m.last_clicked_at + interval '1 minute'
        OR tracking.status_rank(u.status) > tracking.status_rank(m.status))""";

  private static final String LOCK_MESSAGES = "SELECT m.id, m.campaign_id,"
    + " m.opened_at IS NULL AND u.opened_at IS NOT NULL AS first_open,"
    + " m.clicked_at IS NULL AND u.clicked_at IS NOT NULL AS first_click"
    + " FROM tracking.messages m JOIN (" + MESSAGE_CHANGES + ") u ON m.id = u.id"
    + " WHERE " + NEEDS_CHANGE + " ORDER BY m.id FOR UPDATE OF m";

  private static final String UPDATE_MESSAGES = """
      UPDATE tracking.messages m
      SET opened_at = LEAST(m.opened_at, u.opened_at),
          clicked_at = LEAST(m.clicked_at, u.clicked_at),
          last_opened_at = GREATEST(m.last_opened_at, u.opened_last),
          last_clicked_at = GREATEST(m.last_clicked_at, u.clicked_last),
          status = CASE
            WHEN tracking.status_rank(u.status) > tracking.status_rank(m.status) THEN u.status
            ELSE m.status END
      FROM (""" + MESSAGE_CHANGES + """
      ) u
      WHERE m.id = u.id AND m.id = ANY($4::uuid[])
      """;

  // The first people-click per message and link; rows that come back are new, so unique.
  private static final String INSERT_LINK_FIRSTS = """
      INSERT INTO tracking.firsts (message_id, kind, url, campaign_id)
      SELECT DISTINCT id, 'click', url, campaign
      FROM unnest($1::uuid[], $2::text[], $3::text[]) AS f (id, url, campaign)
      ORDER BY 1, 3
      ON CONFLICT DO NOTHING
      RETURNING campaign_id, url
      """;

  private static final String UPSERT_STATS = """
      INSERT INTO tracking.campaign_stats AS s (campaign_id, opens, unique_opens, clicks,
        unique_clicks, open_person, open_proxy, open_prefetch, open_bot, click_person,
        click_proxy, click_prefetch, click_bot, provider_opens, provider_clicks)
      SELECT * FROM unnest($1::text[], $2::int8[], $3::int8[], $4::int8[], $5::int8[],
        $6::int8[], $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::int8[], $12::int8[],
        $13::int8[], $14::int8[], $15::int8[])
      ON CONFLICT (campaign_id) DO UPDATE SET
        opens = s.opens + EXCLUDED.opens,
        unique_opens = s.unique_opens + EXCLUDED.unique_opens,
        clicks = s.clicks + EXCLUDED.clicks,
        unique_clicks = s.unique_clicks + EXCLUDED.unique_clicks,
        open_person = s.open_person + EXCLUDED.open_person,
        open_proxy = s.open_proxy + EXCLUDED.open_proxy,
        open_prefetch = s.open_prefetch + EXCLUDED.open_prefetch,
        open_bot = s.open_bot + EXCLUDED.open_bot,
        click_person = s.click_person + EXCLUDED.click_person,
        click_proxy = s.click_proxy + EXCLUDED.click_proxy,
        click_prefetch = s.click_prefetch + EXCLUDED.click_prefetch,
        click_bot = s.click_bot + EXCLUDED.click_bot,
        provider_opens = s.provider_opens + EXCLUDED.provider_opens,
        provider_clicks = s.provider_clicks + EXCLUDED.provider_clicks
      """;

  private static final String UPSERT_LINKS = """
      INSERT INTO tracking.campaign_links AS l (campaign_id, url, clicks, people_clicks,
        unique_clicks)
      SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::int8[])
      ON CONFLICT (campaign_id, url) DO UPDATE SET
        clicks = l.clicks + EXCLUDED.clicks,
        people_clicks = l.people_clicks + EXCLUDED.people_clicks,
        unique_clicks = l.unique_clicks + EXCLUDED.unique_clicks
      """;

  private static final String UPSERT_HOURLY = """
      INSERT INTO tracking.campaign_hourly AS h (campaign_id, hour, opens, people_opens, clicks,
        people_clicks)
      SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::int8[], $4::int8[], $5::int8[],
        $6::int8[])
      ON CONFLICT (campaign_id, hour) DO UPDATE SET
        opens = h.opens + EXCLUDED.opens,
        people_opens = h.people_opens + EXCLUDED.people_opens,
        clicks = h.clicks + EXCLUDED.clicks,
        people_clicks = h.people_clicks + EXCLUDED.people_clicks
      """;

  private static final List<String> CLASSES = List.of("person", "proxy", "prefetch", "bot");
  private static final int STATS_COLUMNS = 14;
  private static final int UNIQUE_OPENS = 1;
  private static final int UNIQUE_CLICKS = 3;
  private static final long HOUR_MS = 3_600_000;
  // Aggregate rows are upserted in key order, again so that batchers lock in the same order.
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static final Comparator<List<?>> BY_PARTS = (a, b) -> {
    for (int i = 0; i < a.size(); i++) {
      int order = ((Comparable) a.get(i)).compareTo(b.get(i));
      if (order != 0) {
        return order;
      }
    }
    return 0;
  };

  private final Pool pool;

  public HitStore(Pool pool) {
    this.pool = pool;
  }

  /** Stores the batch; the future holds how many hits were new (stored for the first time). */
  public Future<Integer> persist(List<Hit> hits) {
    if (hits.isEmpty()) {
      return Future.succeededFuture(0);
    }
    return pool.withTransaction(conn -> insertHits(conn, hits)
      .compose(stored -> stored.isEmpty()
        ? Future.succeededFuture(0)
        : applyAggregates(conn, stored).map(stored.size())));
  }

  private Future<List<StoredHit>> insertHits(SqlConnection conn, List<Hit> hits) {
    int n = hits.size();
    String[] streamIds = new String[n];
    UUID[] messageIds = new UUID[n];
    String[] kinds = new String[n];
    String[] urls = new String[n];
    Long[] times = new Long[n];
    String[] ips = new String[n];
    String[] agents = new String[n];
    String[] classes = new String[n];
    Boolean[] people = new Boolean[n];
    String[] sources = new String[n];
    Map<String, Hit> byStreamId = new HashMap<>(n * 2);
    for (int i = 0; i < n; i++) {
      Hit hit = hits.get(i);
      streamIds[i] = hit.streamId();
      messageIds[i] = hit.messageId();
      kinds[i] = hit.open() ? "open" : "click";
      urls[i] = hit.url();
      times[i] = hit.occurredAt();
      ips[i] = hit.ip();
      agents[i] = hit.userAgent();
      classes[i] = hit.agentClass();
      people[i] = hit.people();
      sources[i] = hit.source();
      byStreamId.put(hit.streamId(), hit);
    }
    Tuple args = Tuple.tuple().addArrayOfString(streamIds).addArrayOfUUID(messageIds)
      .addArrayOfString(kinds).addArrayOfString(urls).addArrayOfLong(times)
      .addArrayOfString(ips).addArrayOfString(agents).addArrayOfString(classes)
      .addArrayOfBoolean(people).addArrayOfString(sources);
    // Only the key and campaign come back; the rest of each stored hit is already here.
    return conn.preparedQuery(INSERT_HITS).execute(args).map(rows -> {
      List<StoredHit> stored = new ArrayList<>(rows.rowCount());
      for (Row row : rows) {
        stored.add(new StoredHit(byStreamId.get(row.getString(0)), row.getString(1)));
      }
      return stored;
    });
  }

  private Future<Void> applyAggregates(SqlConnection conn, List<StoredHit> stored) {
    Map<String, long[]> byCampaign = countByCampaign(stored);
    return updateMessages(conn, stored, byCampaign)
      .compose(v -> insertLinkFirsts(conn, stored))
      .compose(linkFirsts -> upsertStats(conn, byCampaign)
        .compose(v -> upsertLinks(conn, stored, linkFirsts))
        .compose(v -> upsertHourly(conn, stored)));
  }

  /** Stats columns per campaign, unique counts still zero: they come from updateMessages. */
  private static Map<String, long[]> countByCampaign(List<StoredHit> stored) {
    Map<String, long[]> byCampaign = new TreeMap<>();
    for (StoredHit entry : stored) {
      Hit hit = entry.hit();
      long[] counts = byCampaign.computeIfAbsent(entry.campaignId(),
        k -> new long[STATS_COLUMNS]);
      boolean open = hit.open();
      if (!Hit.PIXEL.equals(hit.source())) {
        counts[open ? 12 : 13]++;
        continue;
      }
      counts[open ? 0 : 2]++;
      counts[(open ? 4 : 8) + CLASSES.indexOf(hit.agentClass())]++;
    }
    return byCampaign;
  }

  /**
   * Moves message status and event times with hits from people, and adds each message whose
   * first open or click this is to its campaign's unique counts.
   */
  private Future<Void> updateMessages(SqlConnection conn, List<StoredHit> stored,
      Map<String, long[]> byCampaign) {
    List<Hit> people = stored.stream().map(StoredHit::hit).filter(Hit::people).toList();
    if (people.isEmpty()) {
      return Future.succeededFuture();
    }
    UUID[] ids = people.stream().map(Hit::messageId).toArray(UUID[]::new);
    String[] kinds = people.stream().map(hit -> hit.open() ? "open" : "click")
      .toArray(String[]::new);
    Long[] times = people.stream().map(Hit::occurredAt).toArray(Long[]::new);
    Tuple changes = Tuple.tuple().addArrayOfUUID(ids).addArrayOfString(kinds)
      .addArrayOfLong(times);
    return conn.preparedQuery(LOCK_MESSAGES).execute(changes)
      .compose(locked -> {
        if (locked.rowCount() == 0) {
          return Future.succeededFuture();
        }
        UUID[] lockedIds = new UUID[locked.rowCount()];
        int i = 0;
        for (Row row : locked) {
          lockedIds[i++] = row.getUUID(0);
          long[] counts = byCampaign.computeIfAbsent(row.getString(1),
            k -> new long[STATS_COLUMNS]);
          counts[UNIQUE_OPENS] += row.getBoolean(2) ? 1 : 0;
          counts[UNIQUE_CLICKS] += row.getBoolean(3) ? 1 : 0;
        }
        Tuple update = Tuple.tuple().addArrayOfUUID(ids).addArrayOfString(kinds)
          .addArrayOfLong(times).addArrayOfUUID(lockedIds);
        return conn.preparedQuery(UPDATE_MESSAGES).execute(update).mapEmpty();
      });
  }

  /** Records first people-clicks per link; what comes back is new, so counts as unique. */
  private Future<List<LinkFirst>> insertLinkFirsts(SqlConnection conn, List<StoredHit> stored) {
    List<UUID> ids = new ArrayList<>();
    List<String> urls = new ArrayList<>();
    List<String> campaigns = new ArrayList<>();
    for (StoredHit entry : stored) {
      Hit hit = entry.hit();
      if (!hit.open() && hit.people() && Hit.PIXEL.equals(hit.source())) {
        ids.add(hit.messageId());
        urls.add(hit.url());
        campaigns.add(entry.campaignId());
      }
    }
    if (ids.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    Tuple args = Tuple.tuple().addArrayOfUUID(ids.toArray(new UUID[0]))
      .addArrayOfString(urls.toArray(new String[0]))
      .addArrayOfString(campaigns.toArray(new String[0]));
    return conn.preparedQuery(INSERT_LINK_FIRSTS).execute(args).map(rows -> {
      List<LinkFirst> firsts = new ArrayList<>(rows.rowCount());
      for (Row row : rows) {
        firsts.add(new LinkFirst(row.getString(0), row.getString(1)));
      }
      return firsts;
    });
  }

  private Future<Void> upsertStats(SqlConnection conn, Map<String, long[]> byCampaign) {
    int n = byCampaign.size();
    String[] campaigns = byCampaign.keySet().toArray(new String[0]);
    Tuple args = Tuple.tuple().addArrayOfString(campaigns);
    for (int column = 0; column < STATS_COLUMNS; column++) {
      Long[] values = new Long[n];
      for (int i = 0; i < n; i++) {
        values[i] = byCampaign.get(campaigns[i])[column];
      }
      args.addArrayOfLong(values);
    }
    return conn.preparedQuery(UPSERT_STATS).execute(args).mapEmpty();
  }

  private Future<Void> upsertLinks(SqlConnection conn, List<StoredHit> stored,
      List<LinkFirst> firsts) {
    Map<List<String>, long[]> byLink = new TreeMap<>(BY_PARTS);
    for (StoredHit entry : stored) {
      Hit hit = entry.hit();
      if (!hit.open() && Hit.PIXEL.equals(hit.source())) {
        long[] counts = byLink.computeIfAbsent(List.of(entry.campaignId(), hit.url()),
          k -> new long[3]);
        counts[0]++;
        counts[1] += hit.people() ? 1 : 0;
      }
    }
    for (LinkFirst first : firsts) {
      long[] counts = byLink.get(List.of(first.campaignId(), first.url()));
      if (counts != null) {
        counts[2]++;
      }
    }
    if (byLink.isEmpty()) {
      return Future.succeededFuture();
    }
    List<List<String>> keys = new ArrayList<>(byLink.keySet());
    Tuple args = Tuple.tuple()
      .addArrayOfString(keys.stream().map(key -> key.get(0)).toArray(String[]::new))
      .addArrayOfString(keys.stream().map(key -> key.get(1)).toArray(String[]::new))
      .addArrayOfLong(keys.stream().map(key -> byLink.get(key)[0]).toArray(Long[]::new))
      .addArrayOfLong(keys.stream().map(key -> byLink.get(key)[1]).toArray(Long[]::new))
      .addArrayOfLong(keys.stream().map(key -> byLink.get(key)[2]).toArray(Long[]::new));
    return conn.preparedQuery(UPSERT_LINKS).execute(args).mapEmpty();
  }

  private Future<Void> upsertHourly(SqlConnection conn, List<StoredHit> stored) {
    Map<List<Object>, long[]> byHour = new TreeMap<>(BY_PARTS);
    for (StoredHit entry : stored) {
      Hit hit = entry.hit();
      if (!Hit.PIXEL.equals(hit.source())) {
        continue;
      }
      OffsetDateTime hour = toTime(hit.occurredAt() - Math.floorMod(hit.occurredAt(), HOUR_MS));
      long[] counts = byHour.computeIfAbsent(List.of(entry.campaignId(), hour),
        k -> new long[4]);
      int base = hit.open() ? 0 : 2;
      counts[base]++;
      counts[base + 1] += hit.people() ? 1 : 0;
    }
    if (byHour.isEmpty()) {
      return Future.succeededFuture();
    }
    List<List<Object>> keys = new ArrayList<>(byHour.keySet());
    Tuple args = Tuple.tuple()
      .addArrayOfString(keys.stream().map(key -> (String) key.get(0)).toArray(String[]::new))
      .addArrayOfOffsetDateTime(
        keys.stream().map(key -> (OffsetDateTime) key.get(1)).toArray(OffsetDateTime[]::new));
    for (int column = 0; column < 4; column++) {
      int c = column;
      args.addArrayOfLong(keys.stream().map(key -> byHour.get(key)[c]).toArray(Long[]::new));
    }
    return conn.preparedQuery(UPSERT_HOURLY).execute(args).mapEmpty();
  }

  static OffsetDateTime toTime(long epochMillis) {
    return OffsetDateTime.ofInstant(Instant.ofEpochMilli(epochMillis), ZoneOffset.UTC);
  }

  /** A hit INSERT_HITS really stored, with its message's campaign. */
  private record StoredHit(Hit hit, String campaignId) {
  }

  /** A first people-click on a link of a campaign. */
  private record LinkFirst(String campaignId, String url) {
  }
}
