package org.edm.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.pgclient.PgBuilder;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.edm.tracking.Hit;
import org.edm.tracking.HitBatcher;
import org.edm.tracking.HitStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A batcher that dies after its PostgreSQL commit and before its XACK: the entries it stored
 * stay pending in the consumer group, the system's own batcher claims them once idle and
 * stores them again, and nothing is counted twice.
 *
 * <p>To hand the crashing batcher a known set of entries, the system's batcher is held inside
 * the transaction of a first hit (on another message, whose row the test locks), so it reads
 * nothing more until the lock goes; the crashing batcher then reads every later entry itself.
 */
class BatcherCrashTest {

  private static final long RECLAIM_IDLE_MS = 1000;
  private static final int HITS = 200;
  private static final String CRASHED_CONSUMER = "batcher-that-crashed";

  private static Vertx vertx;
  private static TestSystem system;
  private static TrackingApi api;
  private static Redis redis;
  private static Pool pool;
  private static String stream;
  private static String group;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    String conf = TrackingApi.confFile("tracking:\n  reclaimIdleMs: " + RECLAIM_IDLE_MS + "\n");
    system = TestSystem.start("crash", Map.of("EDM_CONF", conf));
    api = new TrackingApi(system);
    stream = system.running.config().getJsonObject("tracking").getString("stream");
    group = system.running.config().getJsonObject("tracking").getString("group");
    redis = Redis.createClient(vertx,
      system.running.config().getJsonObject("redis").getString("url"));
    pool = PgBuilder.pool().connectingTo(system.pg.connectOptions()).using(vertx).build();
  }

  /** The system goes first, so that no batcher of it recreates the stream deleted last. */
  @AfterAll
  static void stop() {
    try {
      if (system != null) {
        system.close();
      }
    } finally {
      if (redis != null) {
        redis.send(Request.cmd(Command.DEL).arg(stream)).await();
      }
      vertx.close().await();
    }
  }

  @Test
  void hitsStoredButNotAcknowledgedAreRedeliveredAndStoredExactlyOnce() throws SQLException {
    UUID held = UUID.randomUUID();
    UUID message = UUID.randomUUID();
    String heldPixel = api.registerAndInstrument(held, "held");
    String pixel = api.registerAndInstrument(message, "crash");
    double persistedBefore = api.metric("edm_tracking_hits_persisted_total");

    List<Hit> crashed;
    try (Connection lock = system.jdbc()) {
      lock.setAutoCommit(false);
      try (PreparedStatement row = lock.prepareStatement(
          "SELECT 1 FROM tracking.messages WHERE id = ? FOR UPDATE")) {
        row.setObject(1, held);
        row.executeQuery().close();
      }
      TrackingApi.assertAllPixels(api.openPixel(heldPixel, 1));
      TestSystem.await("the system's batcher waits on the locked message", 10_000,
        () -> pending() == 1 && lockWaiters() >= 1);

      List<HttpResponse<Buffer>> responses = api.openPixel(pixel, HITS);
      TrackingApi.assertAllPixels(responses);
      TestSystem.await("every hit is in the stream", 10_000, () -> hitsInStream() == HITS + 1);

      HitBatcher.Batch read = readAsCrashingBatcher();
      crashed = read.hits();
      assertThat(crashed).hasSize(HITS)
        .allSatisfy(hit -> assertThat(hit.messageId()).isEqualTo(message));
      int stored = new HitStore(pool).persist(crashed).await();
      assertThat(stored).as("hits the crashing batcher committed").isEqualTo(HITS);
      assertThat(pending()).as("entries pending before any acknowledgement")
        .isEqualTo(read.entryIds().size() + 1);
      lock.rollback();
    }

    TestSystem.await("the crashed batcher's entries are claimed, stored and acknowledged",
      20_000, () -> pending() == 0 && length() == 0);

    assertThat(api.hitsOf(message)).isEqualTo(HITS);
    assertThat(api.distinctStreamIdsOf(message)).isEqualTo(HITS);
    assertThat(system.queryLong("SELECT count(*) FROM tracking.hits WHERE stream_id = ANY(?)",
      (Object) crashed.stream().map(Hit::streamId).toArray(String[]::new)))
      .as("the rows are the crashed batcher's entries").isEqualTo(HITS);
    assertThat(api.opensOf("crash")).isEqualTo(HITS);
    assertThat(api.uniqueOpensOf("crash")).isEqualTo(1);
    assertThat(api.hitsOf(held)).isEqualTo(1);
    assertThat(api.opensOf("held")).isEqualTo(1);
    assertThat(api.metric("edm_tracking_hits_persisted_total") - persistedBefore)
      .as("hits the system's batcher stored as new: only the held one").isEqualTo(1.0);
  }

  private HitBatcher.Batch readAsCrashingBatcher() {
    Response reply = redis.send(Request.cmd(Command.XREADGROUP).arg("GROUP").arg(group)
      .arg(CRASHED_CONSUMER).arg("COUNT").arg(10 * HITS).arg("STREAMS").arg(stream).arg(">"))
      .await();
    assertThat(reply).as("entries for the crashing batcher").isNotNull();
    Response entries = reply.isMap() ? reply.get(stream) : reply.get(0).get(1);
    return HitBatcher.decodeEntries(entries);
  }

  /** Entries delivered to a consumer of the group and not acknowledged. */
  private static long pending() {
    return redis.send(Request.cmd(Command.XPENDING).arg(stream).arg(group)).await()
      .get(0).toLong();
  }

  private static long length() {
    return redis.send(Request.cmd(Command.XLEN).arg(stream)).await().toLong();
  }

  /** Hits in the stream's entries, which hold one or several each. */
  private static long hitsInStream() {
    Response entries = redis.send(Request.cmd(Command.XRANGE).arg(stream).arg("-").arg("+"))
      .await();
    return HitBatcher.decodeEntries(entries).hits().size();
  }

  /** Sessions of the test database waiting for a lock. */
  private static long lockWaiters() {
    return system.queryLong("SELECT count(*) FROM pg_stat_activity "
      + "WHERE datname = current_database() AND wait_event_type = 'Lock'");
  }
}
