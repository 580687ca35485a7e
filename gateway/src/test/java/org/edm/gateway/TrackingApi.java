package org.edm.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the tracking tests do through the HTTP API of a started TestSystem. */
final class TrackingApi {

  static final String BROWSER_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
    + "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36";

  private static final Pattern OPEN_PATH = Pattern.compile("/track/open/[A-Za-z0-9_.-]+");

  private final TestSystem system;
  private final String token;

  TrackingApi(TestSystem system) {
    this.system = system;
    this.token = system.adminToken();
  }

  /** Writes a YAML file for EDM_CONF, layered over the defaults; returns its path. */
  static String confFile(String yaml) {
    try {
      Path file = Files.createTempDirectory("edm-conf").resolve("edm-test.yaml");
      Files.writeString(file, yaml);
      return file.toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Registers one message in a campaign and returns the path of its open pixel. */
  String registerAndInstrument(UUID id, String campaign) {
    JsonArray messages = new JsonArray().add(new JsonObject()
      .put("id", id.toString())
      .put("campaignId", campaign)
      .put("recipient", "reader-" + id + "@example.org"));
    HttpResponse<Buffer> registered = system.http.post("/api/messages")
      .bearerTokenAuthentication(token)
      .sendJson(messages)
      .await();
    assertThat(registered.statusCode()).as(registered.bodyAsString()).isEqualTo(200);

    HttpResponse<Buffer> instrumented = system.http.post("/api/messages/" + id + "/instrument")
      .bearerTokenAuthentication(token)
      .sendJsonObject(new JsonObject().put("html", "<html><body><p>Hello</p></body></html>"))
      .await();
    assertThat(instrumented.statusCode()).as(instrumented.bodyAsString()).isEqualTo(200);
    String html = instrumented.bodyAsJsonObject().getJsonObject("data").getString("html");
    Matcher pixel = OPEN_PATH.matcher(html);
    assertThat(pixel.find()).as("open pixel in %s", html).isTrue();
    return pixel.group();
  }

  /** Fetches the pixel count times, as a browser, all at once; returns the responses. */
  List<HttpResponse<Buffer>> openPixel(String path, int count) {
    List<Future<HttpResponse<Buffer>>> sent = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      sent.add(system.http.get(path).putHeader("User-Agent", BROWSER_UA).send());
    }
    Future.all(sent).await();
    return sent.stream().map(Future::result).toList();
  }

  /** Asserts every response is the 1x1 GIF. */
  static void assertAllPixels(List<HttpResponse<Buffer>> responses) {
    assertThat(responses).allSatisfy(response -> {
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.getHeader("Content-Type")).startsWith("image/gif");
      assertThat(response.body()).isEqualTo(GatewayVerticle.PIXEL);
    });
  }

  /** The sum of a metric's samples in the Prometheus text served at /metrics. */
  double metric(String name) {
    HttpResponse<Buffer> response = system.http.get("/metrics").send().await();
    assertThat(response.statusCode()).isEqualTo(200);
    double sum = 0;
    boolean found = false;
    for (String line : response.bodyAsString().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        found = true;
      }
    }
    assertThat(found).as("metric %s served at /metrics", name).isTrue();
    return sum;
  }

  /** GET /health: the status code and the JSON answer. */
  HttpResponse<Buffer> health() {
    return system.http.get("/health").send().await();
  }

  long hitsOf(UUID messageId) {
    return system.queryLong("SELECT count(*) FROM tracking.hits WHERE message_id = ?", messageId);
  }

  long distinctStreamIdsOf(UUID messageId) {
    return system.queryLong(
      "SELECT count(DISTINCT stream_id) FROM tracking.hits WHERE message_id = ?", messageId);
  }

  long opensOf(String campaign) {
    return system.queryLong(
      "SELECT coalesce(sum(opens), 0) FROM tracking.campaign_stats WHERE campaign_id = ?",
      campaign);
  }

  long uniqueOpensOf(String campaign) {
    return system.queryLong(
      "SELECT coalesce(sum(unique_opens), 0) FROM tracking.campaign_stats WHERE campaign_id = ?",
      campaign);
  }
}
