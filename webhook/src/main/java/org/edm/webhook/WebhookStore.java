package org.edm.webhook;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Stored callbacks and the outbox of their effects. */
public final class WebhookStore {

  /** An outbox entry taken for applying. */
  public record Pending(long eventId, int attempts, String type, JsonObject normalized,
      long receivedAt) {
  }

  /** A callback request waiting to be stored. */
  public record Incoming(String body, JsonObject headers, String verified,
      List<Callback> callbacks) {
  }

  /** Requests, their new events and the events' outbox entries in one statement: one round
   *  trip and one commit for a whole batch of callbacks. */
  private static final String STORE = """
      WITH request AS (
        INSERT INTO webhook.requests (id, body, headers, verified)
        SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::text[])),
      stored AS (
        INSERT INTO webhook.events (request_id, dedupe_key, event_type, email_id,
          provider_message_id, our_message_id, recipient, event_time, time_source, payload,
          normalized)
        SELECT r, k, t, e, p, o, rc, et, ts, nullif(pl, 'null'::jsonb), n
        FROM unnest($5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[],
          $10::uuid[], $11::text[], $12::timestamptz[], $13::text[], $14::jsonb[],
          $15::jsonb[]) AS x (r, k, t, e, p, o, rc, et, ts, pl, n)
        ON CONFLICT (dedupe_key) DO NOTHING
        RETURNING id, dedupe_key),
      queued AS (
        INSERT INTO webhook.outbox (event_id) SELECT id FROM stored)
      SELECT id, dedupe_key FROM stored""";

  /** Leases due entries; a crashed applier's lease runs out and another takes them. */
  private static final String CLAIM = """
      UPDATE webhook.outbox o SET attempts = o.attempts + 1,
        next_attempt_at = now() + interval '60 seconds'
      FROM webhook.events e
      WHERE o.event_id IN (SELECT event_id FROM webhook.outbox WHERE next_attempt_at <= now()
                           ORDER BY event_id LIMIT $1 FOR UPDATE SKIP LOCKED)
        AND e.id = o.event_id
      RETURNING o.event_id, o.attempts, e.event_type, e.normalized, e.received_at""";

  private final Pool pool;

  public WebhookStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * Stores the requests and their new events and queues the events' effects, atomically.
   * Answers, per request, {stored, duplicates, eventIds}; within a batch the first of two
   * identical events is the one stored.
   */
  public Future<List<JsonObject>> store(List<Incoming> batch) {
    List<UUID> requestIds = batch.stream().map(in -> UUID.randomUUID()).toList();
    List<UUID> eventRequests = new ArrayList<>();
    List<Callback> callbacks = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      for (Callback callback : batch.get(i).callbacks()) {
        eventRequests.add(requestIds.get(i));
        callbacks.add(callback);
      }
    }
    Tuple args = Tuple.tuple()
      .addArrayOfUUID(requestIds.toArray(new UUID[0]))
      .addArrayOfString(batch.stream().map(Incoming::body).toArray(String[]::new))
      .addArrayOfJsonObject(batch.stream().map(Incoming::headers).toArray(JsonObject[]::new))
      .addArrayOfString(batch.stream().map(Incoming::verified).toArray(String[]::new))
      .addArrayOfUUID(eventRequests.toArray(new UUID[0]))
      .addArrayOfString(callbacks.stream().map(Callback::dedupeKey).toArray(String[]::new))
      .addArrayOfString(callbacks.stream().map(Callback::type).toArray(String[]::new))
      .addArrayOfString(callbacks.stream().map(Callback::emailId).toArray(String[]::new))
      .addArrayOfString(
        callbacks.stream().map(Callback::providerMessageId).toArray(String[]::new))
      .addArrayOfUUID(callbacks.stream().map(Callback::ourMessageId).toArray(UUID[]::new))
      .addArrayOfString(callbacks.stream().map(Callback::recipient).toArray(String[]::new))
      .addArrayOfOffsetDateTime(
        callbacks.stream().map(c -> time(c.eventTime())).toArray(OffsetDateTime[]::new))
      .addArrayOfString(callbacks.stream().map(Callback::timeSource).toArray(String[]::new))
      .addArrayOfJsonObject(payloads(batch))
      .addArrayOfJsonObject(
        callbacks.stream().map(WebhookStore::normalized).toArray(JsonObject[]::new));
    return pool.preparedQuery(STORE).execute(args).map(rows -> answers(batch, rows));
  }

  /** Each event's own JSON, except where it is its request's whole body (one JSON object):
   *  there the body is the record, and storing it twice cost as much as the rest. The client
   *  sends a null array element as JSON null, which STORE turns into SQL NULL. */
  private static JsonObject[] payloads(List<Incoming> batch) {
    List<JsonObject> payloads = new ArrayList<>();
    for (Incoming incoming : batch) {
      boolean wholeBody = incoming.callbacks().size() == 1
        && incoming.body().stripLeading().startsWith("{");
      for (Callback callback : incoming.callbacks()) {
        payloads.add(wholeBody ? null : callback.payload());
      }
    }
    return payloads.toArray(new JsonObject[0]);
  }

  private static List<JsonObject> answers(List<Incoming> batch, RowSet<Row> rows) {
    Map<String, Long> stored = new HashMap<>();
    rows.forEach(row -> stored.put(row.getString("dedupe_key"), row.getLong("id")));
    List<JsonObject> answers = new ArrayList<>(batch.size());
    for (Incoming incoming : batch) {
      JsonArray ids = new JsonArray();
      for (Callback callback : incoming.callbacks()) {
        Long id = stored.remove(callback.dedupeKey());
        if (id != null) {
          ids.add(id);
        }
      }
      answers.add(new JsonObject()
        .put("stored", ids.size())
        .put("duplicates", incoming.callbacks().size() - ids.size())
        .put("eventIds", ids));
    }
    return answers;
  }

  private static JsonObject normalized(Callback callback) {
    return callback.toTrackingEvent(0).put("inbound", callback.inbound())
      .put("ignoredTime", callback.ignoredTime());
  }

  public Future<List<Pending>> claim(int limit) {
    return pool.preparedQuery(CLAIM).execute(Tuple.of(limit)).map(rows -> {
      List<Pending> pending = new ArrayList<>();
      rows.forEach(row -> pending.add(new Pending(row.getLong("event_id"),
        row.getInteger("attempts"), row.getString("event_type"),
        (JsonObject) row.getValue("normalized"),
        row.getOffsetDateTime("received_at").toInstant().toEpochMilli())));
      pending.sort((a, b) -> Long.compare(a.eventId(), b.eventId()));
      return pending;
    });
  }

  /** Marks effects done, with the message each matched (or null), in one statement. */
  public Future<Void> applied(List<Long> eventIds, List<String> matchedMessageIds) {
    if (eventIds.isEmpty()) {
      return Future.succeededFuture();
    }
    Tuple args = Tuple.tuple()
      .addArrayOfLong(eventIds.toArray(new Long[0]))
      .addArrayOfUUID(matchedMessageIds.stream().map(id -> id == null ? null : UUID.fromString(id))
        .toArray(UUID[]::new));
    return pool.preparedQuery("""
        WITH done AS (
          DELETE FROM webhook.outbox WHERE event_id = ANY($1::int8[]) RETURNING event_id)
        INSERT INTO webhook.outcomes AS o (event_id, matched_message_id)
        SELECT m.id, m.message_id FROM unnest($1::int8[], $2::uuid[]) AS m (id, message_id)
        WHERE m.id IN (SELECT event_id FROM done)
        ORDER BY m.id
        ON CONFLICT (event_id) DO UPDATE SET applied_at = now(),
          matched_message_id = coalesce(EXCLUDED.matched_message_id, o.matched_message_id)""")
      .execute(args)
      .mapEmpty();
  }

  /** Seconds until the next try after this many attempts: doubling, up to five minutes. */
  static long retryDelaySeconds(int attempts) {
    return Math.min(300, 1L << Math.min(attempts, 9));
  }

  /** Tries again later, backing off up to five minutes. */
  public Future<Void> failed(long eventId, int attempts, String error) {
    long delaySeconds = retryDelaySeconds(attempts);
    return pool.preparedQuery("""
          UPDATE webhook.outbox SET last_error = $2,
            next_attempt_at = now() + make_interval(secs => $3)
          WHERE event_id = $1""")
      .execute(Tuple.of(eventId, error, (double) delaySeconds))
      .mapEmpty();
  }

  public Future<Integer> replay(long fromId, long toId) {
    return pool.preparedQuery("""
        INSERT INTO webhook.outbox (event_id)
        SELECT id FROM webhook.events WHERE id BETWEEN $1 AND $2
        ON CONFLICT (event_id) DO UPDATE SET next_attempt_at = now()""")
      .execute(Tuple.of(fromId, toId))
      .map(RowSet::rowCount);
  }

  public Future<Long> backlog() {
    return pool.query("SELECT count(*) FROM webhook.outbox").execute()
      .map(rows -> rows.iterator().next().getLong(0));
  }

  /** What to list; null means any. verified false: failed the check, or not checked. */
  public record Query(String type, Boolean matched, String recipient, Boolean verified,
      Long beforeId, int limit) {
  }

  /** Stored callbacks, newest first, filtered as asked. */
  public Future<JsonObject> list(Query query) {
    Tuple args = Tuple.of(query.type(), query.matched(), query.recipient(),
      query.beforeId() == null ? Long.MAX_VALUE : query.beforeId(), query.limit(),
      query.verified());
    return pool.preparedQuery("""
        SELECT e.id, e.event_type, e.email_id, e.provider_message_id, e.our_message_id,
               e.recipient, e.event_time, e.time_source, e.received_at, o.matched_message_id,
               o.applied_at, b.attempts, b.next_attempt_at, b.last_error, r.verified,
               e.normalized->>'ignoredTime' AS ignored_time,
               coalesce(e.payload, r.body::jsonb) AS payload
        FROM webhook.events e
        JOIN webhook.requests r ON r.id = e.request_id
        LEFT JOIN webhook.outcomes o ON o.event_id = e.id
        LEFT JOIN webhook.outbox b ON b.event_id = e.id
        WHERE ($1::text IS NULL OR e.event_type = $1)
          AND ($2::bool IS NULL OR (o.matched_message_id IS NOT NULL) = $2)
          AND ($3::text IS NULL OR lower(e.recipient) = lower($3))
          AND e.id < $4
          AND ($6::bool IS NULL OR (r.verified IN ('md5', 'hmac')) = $6)
        ORDER BY e.id DESC LIMIT $5""")
      .execute(args)
      .map(rows -> {
        JsonArray events = new JsonArray();
        for (Row row : rows) {
          events.add(eventJson(row));
        }
        return new JsonObject().put("events", events);
      });
  }

  private static JsonObject eventJson(Row row) {
    UUID ours = row.getUUID("our_message_id");
    UUID matched = row.getUUID("matched_message_id");
    OffsetDateTime applied = row.getOffsetDateTime("applied_at");
    OffsetDateTime next = row.getOffsetDateTime("next_attempt_at");
    return new JsonObject()
      .put("id", row.getLong("id"))
      .put("type", row.getString("event_type"))
      .put("emailId", row.getString("email_id"))
      .put("providerMessageId", row.getString("provider_message_id"))
      .put("ourMessageId", ours == null ? null : ours.toString())
      .put("recipient", row.getString("recipient"))
      .put("eventTime", row.getOffsetDateTime("event_time").toInstant().toString())
      .put("timeSource", row.getString("time_source"))
      .put("ignoredTime", row.getString("ignored_time"))
      .put("receivedAt", row.getOffsetDateTime("received_at").toInstant().toString())
      .put("matchedMessageId", matched == null ? null : matched.toString())
      .put("appliedAt", applied == null ? null : applied.toInstant().toString())
      .put("verified", row.getString("verified"))
      .put("attempts", row.getInteger("attempts"))
      .put("nextAttemptAt", next == null ? null : next.toInstant().toString())
      .put("lastError", row.getString("last_error"))
      .put("payload", row.getValue("payload"));
  }

  static OffsetDateTime time(long millis) {
    return OffsetDateTime.ofInstant(java.time.Instant.ofEpochMilli(millis),
      java.time.ZoneOffset.UTC);
  }
}
