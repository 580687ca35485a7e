package org.edm.tracking;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.edm.common.Caller;

/**
 * Applies what the email provider reported to the messages ledger. Every change is
 * idempotent and independent of arrival order: statuses only climb by rank, event times keep
 * the earliest, provider hits are unique on their event id, suppressions on their address.
 */
public final class ProviderEventStore {

  /** A matched message: its id and its owner, who gets any suppression. */
  private record Match(UUID id, long ownerId) {
  }

  /** Every way of matching in one round trip, the most specific first. */
  private static final String MATCH = """
      SELECT id, owner_id FROM (
        (SELECT id, owner_id, 1 AS rank FROM tracking.messages WHERE id = $1)
        UNION ALL
        (SELECT id, owner_id, 2 FROM tracking.messages WHERE provider_message_id = $2
         ORDER BY sent_at DESC LIMIT 1)
        UNION ALL
        (SELECT id, owner_id, 3 FROM tracking.messages
         WHERE provider_message_id = $3 AND lower(recipient) = lower($4)
         ORDER BY sent_at DESC LIMIT 1)
        UNION ALL
        (SELECT id, owner_id, 4 FROM tracking.messages WHERE lower(recipient) = lower($4)
         ORDER BY sent_at DESC LIMIT 1)) candidates
      ORDER BY rank LIMIT 1""";

  private static final String APPLY_STATUS = """
      UPDATE tracking.messages SET
        status = CASE WHEN tracking.status_rank($2) > tracking.status_rank(status) THEN $2
                      ELSE status END,
        delivered_at = CASE WHEN $2 = 'delivered' THEN LEAST(delivered_at, $3)
                            ELSE delivered_at END,
        soft_bounced_at = CASE WHEN $2 = 'soft_bounced' THEN LEAST(soft_bounced_at, $3)
                               ELSE soft_bounced_at END,
        soft_bounce_reason = CASE WHEN $2 = 'soft_bounced' THEN coalesce($4, soft_bounce_reason)
                                  ELSE soft_bounce_reason END,
        soft_bounce_code = CASE WHEN $2 = 'soft_bounced' THEN coalesce($5, soft_bounce_code)
                                ELSE soft_bounce_code END,
        bounced_at = CASE WHEN $2 = 'bounced' THEN LEAST(bounced_at, $3) ELSE bounced_at END,
        bounce_reason = CASE WHEN $2 = 'bounced' THEN coalesce($4, bounce_reason)
                             ELSE bounce_reason END,
        bounce_code = CASE WHEN $2 = 'bounced' THEN coalesce($5, bounce_code)
                           ELSE bounce_code END,
        unsubscribed_at = CASE WHEN $2 = 'unsubscribed' THEN LEAST(unsubscribed_at, $3)
                               ELSE unsubscribed_at END,
        complained_at = CASE WHEN $2 = 'complained' THEN LEAST(complained_at, $3)
                             ELSE complained_at END
      WHERE id = $1""";

  private static final String SUPPRESS = """
      INSERT INTO tracking.suppressions (owner_id, email, reason, message_id)
      SELECT owner_id, lower(recipient), $2, id FROM tracking.messages WHERE id = $1
      ON CONFLICT (owner_id, email) DO NOTHING""";

  private final Pool pool;
  private final HitStore hits;

  public ProviderEventStore(Pool pool, HitStore hits) {
    this.pool = pool;
    this.hits = hits;
  }

  public Future<JsonObject> apply(JsonObject event) {
    return match(event).compose(match -> {
      if (match == null) {
        return Future.succeededFuture(new JsonObject().put("matched", false));
      }
      return applyTo(match, event).map(v -> new JsonObject()
        .put("matched", true)
        .put("messageId", match.id().toString()));
    });
  }

  /** Our id first, then the provider's per-recipient id, its request id with the recipient,
   *  and last the latest message to that recipient. */
  private Future<Match> match(JsonObject event) {
    UUID ours = TrackingVerticle.uuid(event.getValue("ourMessageId"));
    String recipient = event.getString("recipient");
    Tuple args = Tuple.of(ours, event.getString("emailId"),
      recipient == null ? null : event.getString("providerMessageId"), recipient);
    return pool.preparedQuery(MATCH).execute(args)
      .map(rows -> rows.size() == 0 ? null
        : new Match(rows.iterator().next().getUUID("id"), rows.iterator().next().getLong(1)));
  }

  private Future<Void> applyTo(Match match, JsonObject event) {
    String type = event.getString("type", "");
    OffsetDateTime at = HitStore.toTime(event.getLong("eventTime", System.currentTimeMillis()));
    return switch (type) {
      case "delivered" -> status(match, "delivered", at, event);
      case "soft_bounce" -> status(match, "soft_bounced", at, event);
      case "invalid_email" -> status(match, "bounced", at, event)
        .compose(v -> suppress(match, "hard_bounce"));
      case "unsubscribe" -> status(match, "unsubscribed", at, event)
        .compose(v -> suppress(match, "unsubscribe"));
      case "report_spam" -> status(match, "complained", at, event)
        .compose(v -> suppress(match, "spam_report"));
      case "open", "click" -> providerHit(match, event, "open".equals(type));
      default -> Future.succeededFuture();
    };
  }

  private Future<Void> status(Match match, String status, OffsetDateTime at, JsonObject event) {
    Tuple args = Tuple.of(match.id(), status, at, event.getString("reason"),
      event.getInteger("subStatus"));
    return pool.preparedQuery(APPLY_STATUS).execute(args).mapEmpty();
  }

  private Future<Void> suppress(Match match, String reason) {
    return pool.preparedQuery(SUPPRESS).execute(Tuple.of(match.id(), reason)).mapEmpty();
  }

  /** Stored as a hit of source "engagelab", keyed by the event so a replay adds nothing. */
  private Future<Void> providerHit(Match match, JsonObject event, boolean open) {
    String url = open ? null : event.getString("url");
    Hit hit = new Hit("engagelab:" + event.getValue("eventId"), match.id(), open, url,
      event.getLong("eventTime", System.currentTimeMillis()), event.getString("ip"),
      event.getString("userAgent"), "person", "engagelab");
    return hits.persist(List.of(hit)).mapEmpty();
  }

  public Future<JsonObject> list(Caller caller) {
    return pool.preparedQuery("""
        SELECT email, reason, created_at FROM tracking.suppressions WHERE owner_id = $1
        ORDER BY created_at DESC, email LIMIT 10000""")
      .execute(Tuple.of(caller.userId()))
      .map(rows -> {
        JsonArray list = new JsonArray();
        for (Row row : rows) {
          list.add(new JsonObject()
            .put("email", row.getString("email"))
            .put("reason", row.getString("reason"))
            .put("createdAt", row.getOffsetDateTime("created_at").toInstant().toString()));
        }
        return new JsonObject().put("suppressions", list);
      });
  }

  public Future<JsonObject> check(Caller caller, String email) {
    String address = email.toLowerCase(Locale.ROOT);
    return pool.preparedQuery(
        "SELECT reason FROM tracking.suppressions WHERE owner_id = $1 AND email = $2")
      .execute(Tuple.of(caller.userId(), address))
      .map((RowSet<Row> rows) -> {
        JsonObject answer = new JsonObject().put("email", address)
          .put("suppressed", rows.size() > 0);
        return rows.size() > 0 ? answer.put("reason", rows.iterator().next().getString(0))
          : answer;
      });
  }
}
