package org.edm.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.edm.common.PgUrl;
import org.edm.common.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two processes' worth of the system in one JVM, clustered over Hazelcast on loopback: node A
 * runs only the gateway, node B every other concern. Hits enter through A's HTTP port and must
 * be stored by B's tracking verticle, in the database both share.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTest {

  private static final String DESKTOP_BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
    + "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
  private static final String REDIS_URL = "redis://127.0.0.1:6379/0";
  /** Clicks sooner than tracking.minHumanClickMs (2000 by default) count as scanners. */

  private static PgUrl pg;
  private static String stream;
  private static int httpPortA;
  private static Launcher.Running nodeA;
  private static Launcher.Running nodeB;
  private static Vertx clientVertx;
  private static WebClient http;

  @BeforeAll
  static void startTwoNodes() {
    pg = TestDatabases.create("cluster");
    String run = UUID.randomUUID().toString();
    stream = "edm:test:cluster:" + run;
    httpPortA = TestSystem.freePort();
    int clusterPortA = TestSystem.freePort();
    int clusterPortB = TestSystem.freePort();

    Map<String, String> shared = new HashMap<>();
    shared.put("EDM_PG_URL", TestDatabases.uri(pg));
    shared.put("EDM_REDIS_URL", REDIS_URL);
    shared.put("EDM_TRACKING_STREAM", stream);
    shared.put("EDM_TRACKING_FLUSH_MS", "50");
    shared.put("EDM_TRACKING_MIN_CLICK_MS", "0");
    shared.put("EDM_TRACKING_INSTANCES", "1");
    shared.put("EDM_HTTP_INSTANCES", "1");
    shared.put("TRACKING_BASE_URL", "http://localhost:" + httpPortA);
    shared.put("EDM_TRACKING_SECRET", "test-tracking-secret-" + run);
    shared.put("EDM_JWT_SECRET", "test-jwt-secret-" + run);
    shared.put("EDM_ADMIN_USER", "admin");
    shared.put("EDM_ADMIN_PASSWORD", TestSystem.ADMIN_PASSWORD);
    shared.put("EDM_ADMIN_EMAIL", "admin@example.org");
    shared.put("EDM_CLUSTER", "true");
    shared.put("EDM_CLUSTER_HOST", "127.0.0.1");
    shared.put("EDM_CLUSTER_NAME", "edm-test-" + run);
    shared.put("EDM_CLUSTER_MEMBERS", "127.0.0.1:" + clusterPortA + ",127.0.0.1:" + clusterPortB);

    Map<String, String> envA = new HashMap<>(shared);
    envA.put("EDM_ROLES", "gateway");
    envA.put("EDM_HTTP_PORT", Integer.toString(httpPortA));
    envA.put("EDM_CLUSTER_PORT", Integer.toString(clusterPortA));
    envA.put("EDM_STATE_DIR", tempDir("cluster-a").toString());

    Map<String, String> envB = new HashMap<>(shared);
    envB.put("EDM_ROLES", "tracking,webhook,sessions,imaging");
    envB.put("EDM_HTTP_PORT", Integer.toString(TestSystem.freePort()));
    envB.put("EDM_CLUSTER_PORT", Integer.toString(clusterPortB));
    Path stateB = tempDir("cluster-b");
    envB.put("EDM_STATE_DIR", stateB.toString());
    envB.put("IMAGE_UPLOAD_PATH", stateB.resolve("uploads").toString());

    try {
      nodeA = Launcher.start(envA);
      nodeB = Launcher.start(envB);
    } catch (RuntimeException e) {
      closeAll();
      throw e;
    }
    clientVertx = Vertx.vertx();
    http = WebClient.create(clientVertx, new WebClientOptions()
      .setDefaultHost("localhost")
      .setDefaultPort(httpPortA)
      .setUserAgent(DESKTOP_BROWSER)
      .setFollowRedirects(false));
    // B's event-bus consumers reach A through the cluster's subscription map asynchronously.
    TestSystem.await("node A sees every concern of node B as up", 20_000,
      () -> health().statusCode() == 200);
  }

  @AfterAll
  static void closeAll() {
    try {
      if (nodeB != null) {
        nodeB.close().await();
      }
      if (nodeA != null) {
        nodeA.close().await();
      }
      if (clientVertx != null) {
        http.close();
        deleteStream();
        clientVertx.close().await();
      }
    } finally {
      if (pg != null) {
        TestDatabases.drop(pg);
      }
    }
  }

  @Test
  @Order(1)
  void hitsEnteringTheGatewayNodeAreStoredOnceByTheTrackingNode() {
    assertThat(nodeA.roles()).containsExactly(Role.GATEWAY);
    assertThat(nodeB.roles()).contains(Role.TRACKING).doesNotContain(Role.GATEWAY);

    String token = login();
    String campaign = "cluster-" + UUID.randomUUID().toString().substring(0, 8);
    UUID messageId = UUID.randomUUID();
    HttpResponse<Buffer> registered = http.post("/api/messages").bearerTokenAuthentication(token)
      .sendJson(new JsonArray().add(new JsonObject()
        .put("id", messageId.toString())
        .put("campaignId", campaign)
        .put("recipient", "reader@example.org")))
      .await();
    assertThat(registered.statusCode()).as(registered.bodyAsString()).isEqualTo(200);
    assertThat(registered.bodyAsJsonObject().getJsonObject("data").getInteger("registered"))
      .isEqualTo(1);

    HttpResponse<Buffer> instrumented = http.post("/api/messages/" + messageId + "/instrument")
      .bearerTokenAuthentication(token)
      .sendJsonObject(new JsonObject().put("html",
        "<html><body><p>Hello</p><a href=\"https://example.org/offer\">Offer</a></body></html>"))
      .await();
    assertThat(instrumented.statusCode()).as(instrumented.bodyAsString()).isEqualTo(200);
    String html = instrumented.bodyAsJsonObject().getJsonObject("data").getString("html");
    String openUrl = trackingUrl(html, "open");
    String clickUrl = trackingUrl(html, "click");

    HttpResponse<Buffer> pixel = http.getAbs(openUrl).send().await();
    assertThat(pixel.statusCode()).isEqualTo(200);
    assertThat(pixel.getHeader("Content-Type")).isEqualTo("image/gif");

    HttpResponse<Buffer> click = http.getAbs(clickUrl).send().await();
    assertThat(click.statusCode()).as(click.bodyAsString()).isEqualTo(302);
    assertThat(click.getHeader("Location")).isEqualTo("https://example.org/offer");

    String hitsOf = "SELECT count(*) FROM tracking.hits WHERE message_id = ? AND kind = ?";
    TestSystem.await("both hits are in PostgreSQL", 15_000,
      () -> queryLong(hitsOf, messageId, "open") > 0 && queryLong(hitsOf, messageId, "click") > 0);
    assertThat(queryLong(hitsOf, messageId, "open")).isEqualTo(1);
    assertThat(queryLong(hitsOf, messageId, "click")).isEqualTo(1);
    assertThat(queryLong("SELECT count(*) FROM tracking.hits WHERE message_id = ?"
      + " AND agent_class = 'person'", messageId)).isEqualTo(2);

    HttpResponse<Buffer> stats = http.get("/api/campaigns/" + campaign + "/stats")
      .bearerTokenAuthentication(token).send().await();
    assertThat(stats.statusCode()).as(stats.bodyAsString()).isEqualTo(200);
    JsonObject data = stats.bodyAsJsonObject().getJsonObject("data");
    assertThat(data.getJsonObject("opens").getLong("total")).isEqualTo(1);
    assertThat(data.getJsonObject("clicks").getLong("total")).isEqualTo(1);
  }

  @Test
  @Order(2)
  void gatewayReportsTrackingDownOnceTheTrackingNodeLeaves() {
    nodeB.close().await();
    nodeB = null;

    TestSystem.await("node A's health answers 503", 20_000, () -> health().statusCode() == 503);
    JsonObject answer = health().bodyAsJsonObject();
    assertThat(answer.getString("status")).isEqualTo("down");
    assertThat(answer.getJsonArray("down")).contains("tracking");
    assertThat(answer.getJsonObject("concerns").getJsonObject("gateway").getString("status"))
      .isEqualTo("up");

    // With B gone nothing on A consumes hits: clicks fail (503 no handler, or 504 while a
    // stale registration of B lingers), and the pixel is still served.
    HttpResponse<Buffer> click = http.get("/track/click/any-token").send().await();
    assertThat(click.statusCode()).as(click.bodyAsString()).isIn(503, 504);
    assertThat(http.get("/track/open/any-token").send().await().statusCode()).isEqualTo(200);
  }

  private static HttpResponse<Buffer> health() {
    return http.get("/health").send().await();
  }

  private static String login() {
    HttpResponse<Buffer> response = http.post("/api/auth/login")
      .sendJsonObject(new JsonObject().put("usernameOrEmail", "admin")
        .put("password", TestSystem.ADMIN_PASSWORD))
      .await();
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject().getString("token");
  }

  /** The first open or click URL in instrumented html; it points at node A's port. */
  private static String trackingUrl(String html, String kind) {
    Matcher url = Pattern.compile(
      Pattern.quote("http://localhost:" + httpPortA + "/track/" + kind + "/") + "[^\"'\\s<>]+")
      .matcher(html);
    assertThat(url.find()).as("a %s URL in %s", kind, html).isTrue();
    return url.group();
  }

  private static long queryLong(String sql, Object... args) {
    return TestSystem.queryLong(pg, sql, args);
  }

  private static void deleteStream() {
    Redis redis = Redis.createClient(clientVertx, REDIS_URL);
    try {
      redis.send(Request.cmd(Command.DEL).arg(stream)).await();
    } finally {
      redis.close();
    }
  }

  private static Path tempDir(String name) {
    try {
      return Files.createTempDirectory("edm-" + name);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
