package org.edm.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.edm.tracking.TrackingToken;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real newsletter template, written by others, goes through the whole path: registered,
 * instrumented, opened and clicked with real mail clients' user agents, stored through Redis
 * and the batcher, and counted in the campaign's statistics.
 */
class TrackingEndToEndTest {

  private static final String GMAIL_PROXY = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) "
    + "Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";
  private static final String OUTLOOK = "Mozilla/4.0 (compatible; ms-office; MSOffice 16)";
  private static final String APPLE_PREFETCH = "Mozilla/5.0";
  private static final String CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
    + "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
  private static final String IPHONE_MAIL = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like "
    + "Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
  private static final Pattern TRACKING_URL =
    Pattern.compile("http://localhost:\\d+/track/(open|click)/[A-Za-z0-9_.-]+");
  private static final Pattern PIXEL_TAG = Pattern.compile("<img src=\"[^\"]*/track/open/[^>]*/>");

  private static TestSystem system;
  private static String token;

  @BeforeAll
  static void start() {
    system = TestSystem.start("e2e", Map.of("EDM_TRACKING_MIN_CLICK_MS", "1500"));
    token = system.adminToken();
  }

  @AfterAll
  static void stop() {
    system.close();
  }

  @Test
  void instrumentsARealTemplateAndCountsItsOpensAndClicksByWhoMadeThem() throws Exception {
    String template = resource("/email/cerberus-responsive.html");
    UUID messageId = UUID.randomUUID();
    register(messageId, "newsletter-1", "reader@example.net");

    String html = instrument(messageId, template);
    List<String> clicks = urls(html, "click");
    List<String> opens = urls(html, "open");
    assertThat(clicks).hasSize(3);
    assertThat(opens).hasSize(1);
    assertThat(undo(html)).isEqualTo(template);
    assertThat(html).contains("<link href='https://fonts.googleapis.com/css?family=Roboto");
    assertThat(html.indexOf("/track/open/")).isLessThan(html.lastIndexOf("</body>"))
      .isGreaterThan(html.lastIndexOf("</table>"));

    HttpResponse<Buffer> scanned = get(clicks.get(0), CHROME);
    assertPixel(get(opens.get(0), GMAIL_PROXY));
    assertPixel(get(opens.get(0), OUTLOOK));
    assertPixel(get(opens.get(0), APPLE_PREFETCH));
    Thread.sleep(1600);
    HttpResponse<Buffer> clicked = get(clicks.get(1), IPHONE_MAIL);
    assertThat(scanned.statusCode()).isEqualTo(302);
    assertThat(clicked.statusCode()).isEqualTo(302);
    assertThat(clicked.getHeader("Location")).isEqualTo("https://google.com/");
    assertThat(clicked.getHeader("Cache-Control")).contains("no-store");

    TestSystem.await("five hits are stored", 10_000, () -> system.queryLong(
      "SELECT count(*) FROM tracking.hits WHERE message_id = ?", messageId) == 5);
    assertThat(classes(messageId, "open")).isEqualTo("bot=0 person=1 prefetch=1 proxy=1");
    assertThat(classes(messageId, "click")).isEqualTo("bot=1 person=1 prefetch=0 proxy=0");

    JsonObject stats = stats("newsletter-1");
    assertThat(stats.getLong("messages")).isEqualTo(1);
    JsonObject openStats = stats.getJsonObject("opens");
    assertThat(openStats.getLong("total")).isEqualTo(3);
    assertThat(openStats.getLong("unique")).isEqualTo(1);
    assertThat(openStats.getLong("people")).isEqualTo(2);
    assertThat(openStats.getLong("machines")).isEqualTo(1);
    JsonObject clickStats = stats.getJsonObject("clicks");
    assertThat(clickStats.getLong("total")).isEqualTo(2);
    assertThat(clickStats.getLong("unique")).isEqualTo(1);
    assertThat(clickStats.getLong("people")).isEqualTo(1);
    assertThat(clickStats.getLong("machines")).isEqualTo(1);
    JsonObject link = stats.getJsonArray("links").getJsonObject(0);
    assertThat(link.getString("url")).isEqualTo("https://google.com/");
    assertThat(link.getLong("clicks")).isEqualTo(2);
    assertThat(link.getLong("uniqueClicks")).isEqualTo(1);
    JsonObject hour = stats.getJsonArray("hourly").getJsonObject(0);
    assertThat(hour.getLong("opens")).isEqualTo(3);
    assertThat(hour.getLong("peopleOpens")).isEqualTo(2);

    JsonObject message = api("GET", "/api/messages/" + messageId, null).getJsonObject("data");
    assertThat(message.getString("status")).isEqualTo("clicked");
    assertThat(message.getJsonObject("events").getString("opened")).isNotNull();
    assertThat(message.getJsonObject("events").getString("clicked")).isNotNull();
  }

  @Test
  void answersTheSamePixelForABadTokenAndStoresNothing() {
    UUID messageId = UUID.randomUUID();
    register(messageId, "bad-tokens", "someone@example.net");
    String open = urls(instrument(messageId, "<p>hi</p>"), "open").get(0);

    assertPixel(get("/track/open/not-a-token", CHROME));
    assertPixel(get(open.substring(0, open.length() - 2) + "xx", CHROME));
    assertPixel(get(open, CHROME));

    TestSystem.await("the genuine open is stored", 10_000, () -> system.queryLong(
      "SELECT count(*) FROM tracking.hits WHERE campaign_id = 'bad-tokens'") == 1);
    assertThat(system.queryLong("SELECT count(*) FROM tracking.hits WHERE message_id = ?",
      messageId)).isEqualTo(1);
  }

  @Test
  void recordsOpensWhetherThePathIsPlainEncodedOrAHead() {
    UUID messageId = UUID.randomUUID();
    register(messageId, "pixel-paths", "paths@example.net");
    String open = URI.create(urls(instrument(messageId, "<p>hi</p>"), "open").get(0)).getRawPath();
    String token = open.substring(open.lastIndexOf('/') + 1);
    // The same token with its first character percent-encoded: the router decodes it.
    String encoded = open.substring(0, open.lastIndexOf('/') + 1)
      + String.format("%%%02X", (int) token.charAt(0)) + token.substring(1);

    assertPixel(get(open, CHROME));
    assertPixel(get(encoded, CHROME));
    HttpResponse<Buffer> head = system.http.head(open).putHeader("User-Agent", CHROME).send()
      .await();
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.getHeader("Content-Type")).isEqualTo("image/gif");

    TestSystem.await("three opens stored", 10_000, () -> system.queryLong(
      "SELECT count(*) FROM tracking.hits WHERE message_id = ?", messageId) == 3);
    String metrics = system.http.get("/metrics").send().await().bodyAsString();
    assertThat(metrics).contains("route=\"/track/open/:token\"");
  }

  @Test
  void refusesForgedAlteredAndNonHttpClickTargets() {
    UUID messageId = UUID.randomUUID();
    register(messageId, "forgery", "someone@example.net");
    String click = urls(instrument(messageId, "<a href=\"https://shop.example/a\">a</a>"),
      "click").get(0);
    String path = URI.create(click).getPath();
    String payload = path.substring(path.lastIndexOf('/') + 1, path.indexOf('.'));
    String mac = path.substring(path.indexOf('.') + 1);

    String otherTarget = new TrackingToken("some-other-secret-value")
      .click(messageId, 0, "https://evil.example/");
    String javascript = new TrackingToken(system.env.get("EDM_TRACKING_SECRET"))
      .click(messageId, 0, "javascript:alert(1)");
    String flipped = (payload.charAt(3) == 'A' ? "B" : "A");
    String altered = payload.substring(0, 3) + flipped + payload.substring(4) + "." + mac;

    for (String forged : List.of(otherTarget, javascript, altered, "x.y", "")) {
      HttpResponse<Buffer> response = get("/track/click/" + forged, CHROME);
      assertThat(response.statusCode()).as(forged).isIn(400, 404);
      assertThat(response.getHeader("Location")).isNull();
      assertThat(response.bodyAsJsonObject().getBoolean("success")).isFalse();
    }
    assertThat(get("/track/click/" + otherTarget, CHROME).bodyAsJsonObject()
      .getJsonObject("error").getString("message")).contains("invalid");
    assertThat(get(click, CHROME).getHeader("Location")).isEqualTo("https://shop.example/a");
  }

  @Test
  void redirectsTheLongestWrappedLinkAndReportsLongerOnesAsUntracked() {
    UUID messageId = UUID.randomUUID();
    register(messageId, "long-links", "someone@example.net");
    String longest = "https://shop.example/?q=" + "a".repeat(7976);
    String tooLong = longest + "a";
    JsonObject answer = api("POST", "/api/messages/" + messageId + "/instrument",
      new JsonObject().put("html", "<a href=\"" + longest + "\">l</a><a href=\"" + tooLong
        + "\">t</a>")).getJsonObject("data");

    assertThat(answer.getJsonArray("links")).containsExactly(longest);
    assertThat(answer.getJsonArray("untracked")).containsExactly(tooLong);
    HttpResponse<Buffer> click = get(urls(answer.getString("html"), "click").get(0), CHROME);
    assertThat(click.statusCode()).as(click.bodyAsString()).isEqualTo(302);
    assertThat(click.getHeader("Location")).isEqualTo(longest);
  }

  @Test
  void storesNothingForADoNotTrackCampaignOrRecipient() {
    UUID quietCampaign = UUID.randomUUID();
    UUID quietRecipient = UUID.randomUUID();
    UUID tracked = UUID.randomUUID();
    register(quietCampaign, "private-campaign", "a@example.net");
    register(quietRecipient, "open-campaign", "Private@Example.net");
    register(tracked, "open-campaign", "b@example.net");
    api("PUT", "/api/campaigns/private-campaign/do-not-track", null);
    api("PUT", "/api/do-not-track/private@example.net", null);
    double skippedBefore = metric("edm_tracking_hits_skipped_total");

    for (UUID id : List.of(quietCampaign, quietRecipient, tracked)) {
      assertPixel(get(urls(instrument(id, "<p>x</p>"), "open").get(0), CHROME));
    }

    TestSystem.await("the tracked open is stored", 10_000, () -> system.queryLong(
      "SELECT count(*) FROM tracking.hits WHERE message_id = ?", tracked) == 1);
    assertThat(system.queryLong("SELECT count(*) FROM tracking.hits WHERE message_id IN (?, ?)",
      quietCampaign, quietRecipient)).isZero();
    assertThat(stats("private-campaign").getJsonObject("opens").getLong("total")).isZero();
    TestSystem.await("the two quiet hits are counted as skipped", 10_000,
      () -> metric("edm_tracking_hits_skipped_total") - skippedBefore == 2);
  }

  private static double metric(String name) {
    String text = system.http.get("/metrics").send().await().bodyAsString();
    return text.lines().filter(line -> line.startsWith(name + " "))
      .mapToDouble(line -> Double.parseDouble(line.substring(name.length() + 1)))
      .findFirst().orElse(0);
  }

  private static void assertPixel(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Content-Type")).isEqualTo("image/gif");
    assertThat(response.getHeader("Cache-Control")).contains("no-store").contains("no-cache");
    assertThat(response.body().getBytes()).startsWith("GIF89a".getBytes(StandardCharsets.US_ASCII));
  }

  private static void register(UUID id, String campaign, String recipient) {
    JsonArray batch = new JsonArray().add(new JsonObject().put("id", id.toString())
      .put("campaignId", campaign).put("recipient", recipient));
    HttpResponse<Buffer> response = system.http.post("/api/messages")
      .bearerTokenAuthentication(token).sendBuffer(batch.toBuffer()).await();
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
  }

  private static String instrument(UUID id, String html) {
    return api("POST", "/api/messages/" + id + "/instrument", new JsonObject().put("html", html))
      .getJsonObject("data").getString("html");
  }

  private static JsonObject stats(String campaign) {
    return api("GET", "/api/campaigns/" + campaign + "/stats", null).getJsonObject("data");
  }

  private static JsonObject api(String method, String path, JsonObject body) {
    var request = system.http.request(io.vertx.core.http.HttpMethod.valueOf(method), path)
      .bearerTokenAuthentication(token);
    HttpResponse<Buffer> response = body == null
      ? request.send().await()
      : request.sendJsonObject(body).await();
    assertThat(response.statusCode()).as(method + " " + path + ": " + response.bodyAsString())
      .isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static HttpResponse<Buffer> get(String url, String userAgent) {
    String path = url.startsWith("http") ? URI.create(url).getRawPath() : url;
    return system.http.get(path).putHeader("User-Agent", userAgent).send().await();
  }

  private static List<String> urls(String html, String kind) {
    Matcher matcher = TRACKING_URL.matcher(html);
    List<String> found = new java.util.ArrayList<>();
    while (matcher.find()) {
      if (matcher.group(1).equals(kind)) {
        found.add(matcher.group());
      }
    }
    return found;
  }

  /** Puts the original links back and takes the pixel out. */
  private static String undo(String html) {
    String withoutPixel = PIXEL_TAG.matcher(html).replaceAll("");
    return TRACKING_URL.matcher(withoutPixel).replaceAll(match -> {
      String path = URI.create(match.group()).getPath();
      String token = path.substring(path.lastIndexOf('/') + 1);
      return Matcher.quoteReplacement(
        new TrackingToken(system.env.get("EDM_TRACKING_SECRET")).verify(token).url());
    });
  }

  private static String classes(UUID messageId, String kind) {
    StringBuilder out = new StringBuilder();
    for (String agent : List.of("bot", "person", "prefetch", "proxy")) {
      long count = system.queryLong("SELECT count(*) FROM tracking.hits "
        + "WHERE message_id = ? AND kind = ? AND agent_class = ?", messageId, kind, agent);
      out.append(out.length() == 0 ? "" : " ").append(agent).append('=').append(count);
    }
    return out.toString();
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = TrackingEndToEndTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
