package org.edm.tracking;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.edm.common.BusErrors;
import org.edm.common.Caller;

/** The messages ledger, campaign ownership, do-not-track lists and statistics reads. */
public final class MessageStore {

  /** A message to register, already validated. */
  public record NewMessage(UUID id, String campaignId, String recipient, String providerId) {

    /**
     * Whether a later entry asks for nothing this one does not say: the same campaign, the
     * same address (case aside), and the same provider id unless it leaves that out.
     */
    public boolean sameAs(NewMessage later) {
      return id.equals(later.id) && campaignId.equals(later.campaignId)
        && recipient.equalsIgnoreCase(later.recipient)
        && (later.providerId == null || later.providerId.equals(providerId));
    }
  }

  private static final String CLAIM_CAMPAIGNS = """
      INSERT INTO tracking.campaigns (id, owner_id)
      SELECT DISTINCT unnest($1::text[]), $2::int8
      ON CONFLICT (id) DO NOTHING
      """;

  private static final String FOREIGN_CAMPAIGNS = """
      SELECT id FROM tracking.campaigns WHERE id = ANY($1::text[]) AND owner_id <> $2::int8 LIMIT 1
      """;

  private static final String INSERT_MESSAGES = """
      INSERT INTO tracking.messages (id, campaign_id, owner_id, recipient, provider_message_id)
      SELECT * FROM unnest($1::uuid[], $2::text[], $3::int8[], $4::text[], $5::text[])
      ON CONFLICT (id) DO NOTHING
      RETURNING campaign_id
      """;

  // The first entry naming an id registered before with other details: registering again
  // changes nothing, so a sender who meant something else must hear it.
  private static final String CONFLICTS = """
      SELECT r.ord - 1 AS entry,
             CASE WHEN m.owner_id <> $5::int8 AND NOT $6::bool THEN 'owner'
                  WHEN m.campaign_id <> r.campaign_id THEN 'campaignId'
                  WHEN lower(m.recipient) <> lower(r.recipient) THEN 'recipient'
                  ELSE 'providerMessageId' END AS field
      FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])
             WITH ORDINALITY AS r (id, campaign_id, recipient, provider, ord)
      JOIN tracking.messages m ON m.id = r.id
      WHERE (m.owner_id <> $5::int8 AND NOT $6::bool) OR m.campaign_id <> r.campaign_id
         OR lower(m.recipient) <> lower(r.recipient)
         OR (r.provider IS NOT NULL AND m.provider_message_id IS DISTINCT FROM r.provider)
      ORDER BY r.ord LIMIT 1
      """;

  private static final String COUNT_MESSAGES = """
      INSERT INTO tracking.campaign_stats AS s (campaign_id, messages)
      SELECT campaign_id, count(*) FROM unnest($1::text[]) AS t (campaign_id)
      GROUP BY 1 ORDER BY 1
      ON CONFLICT (campaign_id) DO UPDATE SET messages = s.messages + EXCLUDED.messages
      """;

  private final Pool pool;

  public MessageStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * Registers messages for the caller. A campaign is claimed by its first registrant; an id
   * registered before is left as it was. Answers how many were new.
   */
  public Future<JsonObject> register(Caller caller, List<NewMessage> messages) {
    String[] campaigns = messages.stream().map(NewMessage::campaignId).distinct()
      .toArray(String[]::new);
    return pool.withTransaction(conn -> conn.preparedQuery(CLAIM_CAMPAIGNS)
      .execute(Tuple.of(campaigns, caller.userId()))
      .compose(v -> conn.preparedQuery(FOREIGN_CAMPAIGNS)
        .execute(Tuple.of(campaigns, caller.userId())))
      .compose(foreign -> foreign.size() > 0 && !caller.isAdmin()
        ? BusErrors.<RowSet<Row>>forbidden("campaign " + foreign.iterator().next().getString(0)
          + " belongs to another user")
        : insertMessages(conn, caller, messages))
      // Every entry new: nothing registered before to compare with.
      .compose(inserted -> inserted.rowCount() == messages.size() ? Future.succeededFuture(inserted)
        : refuseConflicts(conn, caller, messages).map(inserted))
      .compose(inserted -> countMessages(conn, inserted)
        .map(v -> new JsonObject()
          .put("registered", inserted.rowCount())
          .put("unchanged", messages.size() - inserted.rowCount()))));
  }

  private Future<RowSet<Row>> insertMessages(SqlConnection conn, Caller caller,
      List<NewMessage> messages) {
    Tuple args = Tuple.of(
      messages.stream().map(NewMessage::id).toArray(UUID[]::new),
      messages.stream().map(NewMessage::campaignId).toArray(String[]::new),
      messages.stream().map(m -> caller.userId()).toArray(Long[]::new),
      messages.stream().map(NewMessage::recipient).toArray(String[]::new),
      messages.stream().map(NewMessage::providerId).toArray(String[]::new));
    return conn.preparedQuery(INSERT_MESSAGES).execute(args);
  }

  private Future<Void> refuseConflicts(SqlConnection conn, Caller caller,
      List<NewMessage> messages) {
    Tuple args = Tuple.tuple()
      .addArrayOfUUID(messages.stream().map(NewMessage::id).toArray(UUID[]::new))
      .addArrayOfString(messages.stream().map(NewMessage::campaignId).toArray(String[]::new))
      .addArrayOfString(messages.stream().map(NewMessage::recipient).toArray(String[]::new))
      .addArrayOfString(messages.stream().map(NewMessage::providerId).toArray(String[]::new))
      .addLong(caller.userId())
      .addBoolean(caller.isAdmin());
    return conn.preparedQuery(CONFLICTS).execute(args).compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture();
      }
      Row conflict = rows.iterator().next();
      String where = "messages[" + conflict.getLong("entry") + "]";
      String field = conflict.getString("field");
      return BusErrors.fail(409, "owner".equals(field)
        ? where + ".id: already registered by another user"
        : where + "." + field + ": the id is already registered with a different " + field);
    });
  }

  private Future<Void> countMessages(SqlConnection conn, RowSet<Row> inserted) {
    if (inserted.rowCount() == 0) {
      return Future.succeededFuture();
    }
    String[] campaigns = new String[inserted.rowCount()];
    int i = 0;
    for (Row row : inserted) {
      campaigns[i++] = row.getString(0);
    }
    return conn.preparedQuery(COUNT_MESSAGES).execute(Tuple.of((Object) campaigns)).mapEmpty();
  }

  /** The message when the caller owns it or is an admin; 404 otherwise, hiding others'. */
  public Future<Row> ownedMessage(Caller caller, UUID id) {
    return pool.preparedQuery("SELECT * FROM tracking.messages WHERE id = $1")
      .execute(Tuple.of(id))
      .compose(rows -> {
        Row row = rows.size() == 0 ? null : rows.iterator().next();
        if (row == null || (row.getLong("owner_id") != caller.userId() && !caller.isAdmin())) {
          return BusErrors.notFound("no message " + id);
        }
        return Future.succeededFuture(row);
      });
  }

  public static JsonObject toJson(Row row) {
    return new JsonObject()
      .put("id", row.getUUID("id").toString())
      .put("campaignId", row.getString("campaign_id"))
      .put("recipient", row.getString("recipient"))
      .put("providerMessageId", row.getString("provider_message_id"))
      .put("status", row.getString("status"))
      .put("events", new JsonObject()
        .put("sent", time(row.getOffsetDateTime("sent_at")))
        .put("opened", time(row.getOffsetDateTime("opened_at")))
        .put("delivered", time(row.getOffsetDateTime("delivered_at")))
        .put("clicked", time(row.getOffsetDateTime("clicked_at")))
        .put("lastOpened", time(row.getOffsetDateTime("last_opened_at")))
        .put("lastClicked", time(row.getOffsetDateTime("last_clicked_at")))
        .put("softBounced", time(row.getOffsetDateTime("soft_bounced_at")))
        .put("bounced", time(row.getOffsetDateTime("bounced_at")))
        .put("unsubscribed", time(row.getOffsetDateTime("unsubscribed_at")))
        .put("complained", time(row.getOffsetDateTime("complained_at"))))
      .put("bounce", bounce(row));
  }

  private static JsonObject bounce(Row row) {
    if (row.getOffsetDateTime("bounced_at") != null) {
      return new JsonObject().put("kind", "hard").put("reason", row.getString("bounce_reason"))
        .put("subStatus", row.getInteger("bounce_code"));
    }
    if (row.getOffsetDateTime("soft_bounced_at") != null) {
      return new JsonObject().put("kind", "soft")
        .put("reason", row.getString("soft_bounce_reason"))
        .put("subStatus", row.getInteger("soft_bounce_code"));
    }
    return null;
  }

  private static String time(OffsetDateTime time) {
    return time == null ? null : time.toInstant().toString();
  }

  /** Fails with 404 unless the campaign exists and the caller owns it or is an admin. */
  public Future<Void> checkCampaignOwner(Caller caller, String campaignId) {
    return pool.preparedQuery("SELECT owner_id FROM tracking.campaigns WHERE id = $1")
      .execute(Tuple.of(campaignId))
      .compose(rows -> rows.size() == 1
          && (caller.isAdmin() || rows.iterator().next().getLong(0) == caller.userId())
        ? Future.succeededFuture()
        : BusErrors.notFound("no campaign " + campaignId));
  }

  public Future<Void> setCampaignDoNotTrack(String campaignId, boolean doNotTrack) {
    return pool.preparedQuery("UPDATE tracking.campaigns SET do_not_track = $2 WHERE id = $1")
      .execute(Tuple.of(campaignId, doNotTrack))
      .mapEmpty();
  }

  public Future<Void> setRecipientDoNotTrack(Caller caller, String email, boolean doNotTrack) {
    String sql = doNotTrack
      ? "INSERT INTO tracking.do_not_track (owner_id, email) VALUES ($1, $2) "
        + "ON CONFLICT DO NOTHING"
      : "DELETE FROM tracking.do_not_track WHERE owner_id = $1 AND email = $2";
    return pool.preparedQuery(sql)
      .execute(Tuple.of(caller.userId(), email.toLowerCase()))
      .mapEmpty();
  }

  /** Statistics from the aggregate tables only, so the answer does not grow with hits. */
  public Future<JsonObject> stats(String campaignId) {
    Tuple id = Tuple.of(campaignId);
    Future<RowSet<Row>> totals = pool
      .preparedQuery("SELECT * FROM tracking.campaign_stats WHERE campaign_id = $1").execute(id);
    Future<RowSet<Row>> links = pool.preparedQuery("""
        SELECT url, clicks, people_clicks, unique_clicks FROM tracking.campaign_links
        WHERE campaign_id = $1 ORDER BY clicks DESC, url""").execute(id);
    Future<RowSet<Row>> hourly = pool.preparedQuery("""
        SELECT hour, opens, people_opens, clicks, people_clicks FROM tracking.campaign_hourly
        WHERE campaign_id = $1 ORDER BY hour""").execute(id);
    return Future.all(totals, links, hourly)
      .map(all -> new JsonObject()
        .put("campaignId", campaignId)
        .mergeIn(totalsJson(totals.result()))
        .put("links", linksJson(links.result()))
        .put("hourly", hourlyJson(hourly.result())));
  }

  private static JsonObject totalsJson(RowSet<Row> rows) {
    Row row = rows.size() == 0 ? null : rows.iterator().next();
    return new JsonObject()
      .put("messages", value(row, "messages"))
      .put("opens", eventTotals(row, "open"))
      .put("clicks", eventTotals(row, "click"));
  }

  private static JsonObject eventTotals(Row row, String kind) {
    long person = value(row, kind + "_person");
    long proxy = value(row, kind + "_proxy");
    long prefetch = value(row, kind + "_prefetch");
    long bot = value(row, kind + "_bot");
    return new JsonObject()
      .put("total", value(row, kind + "s"))
      .put("unique", value(row, "unique_" + kind + "s"))
      .put("provider", value(row, "provider_" + kind + "s"))
      .put("people", person + proxy)
      .put("machines", prefetch + bot)
      .put("byAgent", new JsonObject()
        .put("person", person)
        .put("proxy", proxy)
        .put("prefetch", prefetch)
        .put("bot", bot));
  }

  private static long value(Row row, String column) {
    return row == null ? 0 : row.getLong(column);
  }

  private static JsonArray linksJson(RowSet<Row> rows) {
    JsonArray links = new JsonArray();
    for (Row row : rows) {
      links.add(new JsonObject()
        .put("url", row.getString("url"))
        .put("clicks", row.getLong("clicks"))
        .put("peopleClicks", row.getLong("people_clicks"))
        .put("uniqueClicks", row.getLong("unique_clicks")));
    }
    return links;
  }

  private static JsonArray hourlyJson(RowSet<Row> rows) {
    JsonArray hours = new JsonArray();
    for (Row row : rows) {
      hours.add(new JsonObject()
        .put("hour", time(row.getOffsetDateTime("hour")))
        .put("opens", row.getLong("opens"))
        .put("peopleOpens", row.getLong("people_opens"))
        .put("clicks", row.getLong("clicks"))
        .put("peopleClicks", row.getLong("people_clicks")));
    }
    return hours;
  }
}
