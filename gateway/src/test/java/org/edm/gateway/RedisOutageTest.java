package org.edm.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Redis becomes unreachable while hits arrive: the pixel is still served, hits wait in the
 * bounded buffer, what does not fit is dropped and counted, /health says so, and once Redis
 * is back (empty, as after a restart without persistence) the buffered hits reach PostgreSQL.
 * The Redis is one this test starts on its own port, never the machine's shared one.
 */
class RedisOutageTest {

  private static final int BUFFER_LIMIT = 50;
  private static final int BEFORE_OUTAGE = 20;
  private static final int DURING_OUTAGE = 200;
  private static final String DROPPED = "edm_tracking_hits_dropped_total";

  private static int redisPort;
  private static Path redisDir;
  private static volatile Process redis;
  private static TestSystem system;
  private static TrackingApi api;

  @BeforeAll
  static void start() throws IOException {
    redisPort = TestSystem.freePort();
    redisDir = Files.createTempDirectory("edm-redis");
    // Should the JVM be stopped before @AfterAll, the child must not outlive it.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      Process running = redis;
      if (running != null) {
        running.destroyForcibly();
      }
    }));
    startRedis();
    String conf = TrackingApi.confFile("tracking:\n  instances: 1\n  bufferLimit: "
      + BUFFER_LIMIT + "\n");
    system = TestSystem.start("outage", Map.of(
      "EDM_CONF", conf,
      "EDM_REDIS_URL", "redis://127.0.0.1:" + redisPort + "/0"));
    api = new TrackingApi(system);
  }

  @AfterAll
  static void stop() {
    try {
      if (system != null) {
        system.close();
      }
    } finally {
      stopRedis();
    }
  }

  @Test
  void pixelsAreServedAndLossCountedWhileRedisIsDownAndBufferedHitsArriveAfter() {
    UUID message = UUID.randomUUID();
    String pixel = api.registerAndInstrument(message, "outage");
    TrackingApi.assertAllPixels(api.openPixel(pixel, BEFORE_OUTAGE));
    TestSystem.await("hits before the outage are stored", 10_000,
      () -> api.hitsOf(message) == BEFORE_OUTAGE);
    assertThat(api.health().statusCode()).isEqualTo(200);
    double droppedBefore = api.metric(DROPPED);

    stopRedis();
    TestSystem.await("/health reports Redis down", 10_000, () -> api.health().statusCode() == 503);

    TrackingApi.assertAllPixels(api.openPixel(pixel, DURING_OUTAGE));
    int lost = DURING_OUTAGE - BUFFER_LIMIT;
    TestSystem.await("hits past the buffer are counted as dropped", 10_000,
      () -> api.metric(DROPPED) - droppedBefore >= lost);
    assertThat(api.metric(DROPPED) - droppedBefore).isEqualTo(lost);

    HttpResponse<Buffer> health = api.health();
    assertThat(health.statusCode()).isEqualTo(503);
    JsonObject answer = health.bodyAsJsonObject();
    assertThat(answer.getString("status")).isEqualTo("down");
    assertThat(answer.getJsonArray("down").getList()).containsExactly("tracking");
    JsonObject tracking = answer.getJsonObject("concerns").getJsonObject("tracking");
    assertThat(tracking.getString("status")).isEqualTo("down");
    assertThat(tracking.getString("redis")).isEqualTo("down");
    assertThat(tracking.getString("postgres")).isEqualTo("up");
    assertThat(tracking.getInteger("buffered")).isEqualTo(BUFFER_LIMIT);
    assertThat(api.hitsOf(message)).isEqualTo(BEFORE_OUTAGE);

    startRedis();
    TestSystem.await("buffered hits are stored once Redis is back", 20_000,
      () -> api.hitsOf(message) == BEFORE_OUTAGE + BUFFER_LIMIT);
    TestSystem.await("/health reports everything up", 10_000,
      () -> api.health().statusCode() == 200);
    assertThat(api.health().bodyAsJsonObject().getJsonObject("concerns")
      .getJsonObject("tracking").getInteger("buffered")).isZero();
    assertThat(api.hitsOf(message)).isEqualTo(BEFORE_OUTAGE + BUFFER_LIMIT);
    assertThat(api.distinctStreamIdsOf(message)).isEqualTo(BEFORE_OUTAGE + BUFFER_LIMIT);
    assertThat(api.opensOf("outage")).isEqualTo(BEFORE_OUTAGE + BUFFER_LIMIT);
    assertThat(api.metric(DROPPED) - droppedBefore).isEqualTo(lost);
  }

  /** A Redis without persistence on the test's own port, answering PING before this returns. */
  private static void startRedis() {
    try {
      redis = new ProcessBuilder("redis-server", "--port", Integer.toString(redisPort),
        "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
        "--dir", redisDir.toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(redisDir.resolve("redis.log").toFile()))
        .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start redis-server", e);
    }
    TestSystem.await("the test's Redis answers PING", 10_000, RedisOutageTest::redisAnswers);
  }

  private static void stopRedis() {
    if (redis == null) {
      return;
    }
    redis.destroyForcibly();
    try {
      if (!redis.waitFor(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("redis-server on port " + redisPort + " did not exit");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    redis = null;
  }

  private static boolean redisAnswers() {
    if (!redis.isAlive()) {
      throw new IllegalStateException("redis-server exited with " + redis.exitValue()
        + ", see " + redisDir.resolve("redis.log"));
    }
    try (Socket socket = new Socket("127.0.0.1", redisPort)) {
      socket.setSoTimeout(1000);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] reply = in.readNBytes(7);
      return "+PONG\r\n".equals(new String(reply, StandardCharsets.US_ASCII));
    } catch (IOException e) {
      return false;
    }
  }
}
