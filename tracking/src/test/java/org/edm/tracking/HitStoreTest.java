package org.edm.tracking;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.edm.common.Database;
import org.edm.common.PgUrl;
import org.edm.common.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Message times and status from stored hits, on the machine's PostgreSQL. */
class HitStoreTest {

  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final String AGENT = "Mozilla/5.0 Thunderbird/115.6.0";

  private static PgUrl db;
  private static Vertx vertx;
  private static Pool pool;
  private static HitStore store;
  private static int streamSeq;

  @BeforeAll
  static void start() {
    db = TestDatabases.create("hitstore");
    Database.migrate(db, "tracking");
    vertx = Vertx.vertx();
    pool = Database.pool(vertx, db, "test", 2);
    store = new HitStore(pool);
    pool.query("INSERT INTO tracking.campaigns (id, owner_id) VALUES ('c1', 1)").execute()
      .await();
  }

  @AfterAll
  static void stop() {
    pool.close().await();
    vertx.close().await();
    TestDatabases.drop(db);
  }

  @Test
  void firstTimesMoveOnlyBackAndLastTimesToTheMinute() {
    UUID message = message();

    persist(open(message, T0));
    assertThat(times(message)).containsExactly(T0, T0, null);

    // 30 s later: the first open stays, the last one is kept to the minute, so unchanged.
    persist(open(message, T0.plusSeconds(30)));
    assertThat(times(message)).containsExactly(T0, T0, null);

    persist(open(message, T0.plusSeconds(90)), open(message, T0.plusSeconds(60)));
    assertThat(times(message)).containsExactly(T0, T0.plusSeconds(90), null);

    // A late-arriving earlier open becomes the first one.
    persist(open(message, T0.minusSeconds(5)));
    assertThat(times(message)).containsExactly(T0.minusSeconds(5), T0.plusSeconds(90), null);
  }

  @Test
  void aClickRaisesTheStatusAndALaterOpenDoesNotLowerIt() {
    UUID message = message();

    persist(open(message, T0));
    assertThat(status(message)).isEqualTo("opened");

    persist(click(message, T0.plusSeconds(10)));
    assertThat(status(message)).isEqualTo("clicked");
    assertThat(times(message)).containsExactly(T0, T0, T0.plusSeconds(10));

    persist(open(message, T0.plusSeconds(300)));
    assertThat(status(message)).isEqualTo("clicked");
    assertThat(times(message).get(1)).isEqualTo(T0.plusSeconds(300));
  }

  @Test
  void machineHitsAreStoredButLeaveTheMessageAlone() {
    UUID message = message();
    Hit bot = new Hit(nextStreamId(), message, true, null, T0.toEpochMilli(), null, "curl/8",
      "bot", Hit.PIXEL);

    assertThat(store.persist(List.of(bot)).await()).isEqualTo(1);

    assertThat(status(message)).isEqualTo("sent");
    assertThat(times(message)).containsExactly(null, null, null);
  }

  @Test
  void concurrentBatchesOpeningTheSameMessagesCountEachFirstOpenOnce() {
    pool.query("INSERT INTO tracking.campaigns (id, owner_id) VALUES ('race', 1)").execute()
      .await();
    List<UUID> messages = new java.util.ArrayList<>();
    for (int i = 0; i < 50; i++) {
      messages.add(message("race"));
    }
    List<Hit> first = messages.stream().map(id -> open(id, T0)).toList();
    List<Hit> second = messages.stream().map(id -> open(id, T0.plusSeconds(1))).toList();

    // Two batchers' transactions at once, each holding an open of every message.
    io.vertx.core.Future.all(store.persist(first), store.persist(second)).await();

    Row stats = pool.query("SELECT opens, unique_opens FROM tracking.campaign_stats "
      + "WHERE campaign_id = 'race'").execute().await().iterator().next();
    assertThat(stats.getLong("opens")).isEqualTo(100);
    assertThat(stats.getLong("unique_opens")).isEqualTo(50);
    assertThat(messages).allSatisfy(id -> assertThat(times(id).get(0)).isEqualTo(T0));
  }

  private static UUID message() {
    return message("c1");
  }

  private static UUID message(String campaign) {
    UUID id = UUID.randomUUID();
    pool.preparedQuery("INSERT INTO tracking.messages (id, campaign_id, owner_id, recipient) "
        + "VALUES ($1, $2, 1, $3)")
      .execute(Tuple.of(id, campaign, id + "@example.com"))
      .await();
    return id;
  }

  private static Hit open(UUID message, Instant at) {
    return new Hit(nextStreamId(), message, true, null, at.toEpochMilli(), "192.0.2.1", AGENT,
      "person", Hit.PIXEL);
  }

  private static Hit click(UUID message, Instant at) {
    return new Hit(nextStreamId(), message, false, "https://example.com/a", at.toEpochMilli(),
      "192.0.2.1", AGENT, "person", Hit.PIXEL);
  }

  private static synchronized String nextStreamId() {
    return "1-" + ++streamSeq;
  }

  private static void persist(Hit... hits) {
    assertThat(store.persist(List.of(hits)).await()).isEqualTo(hits.length);
  }

  /** opened_at, last_opened_at, clicked_at. */
  private static List<Instant> times(UUID message) {
    Row row = row(message);
    return java.util.Arrays.asList(instant(row.getOffsetDateTime("opened_at")),
      instant(row.getOffsetDateTime("last_opened_at")),
      instant(row.getOffsetDateTime("clicked_at")));
  }

  private static String status(UUID message) {
    return row(message).getString("status");
  }

  private static Row row(UUID message) {
    return pool.preparedQuery("SELECT * FROM tracking.messages WHERE id = $1")
      .execute(Tuple.of(message))
      .await()
      .iterator()
      .next();
  }

  private static Instant instant(OffsetDateTime time) {
    return time == null ? null : time.toInstant();
  }
}
