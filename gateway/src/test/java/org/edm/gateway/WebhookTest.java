package org.edm.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * EngageLab callbacks in every documented shape, signed by both recipes, stored once,
 * and applied to the messages they concern whatever order they arrive in.
 */
class WebhookTest {

  /** Events with their JSON: their own, or their request's body when it held only them. */
  private static final String EVENTS_WITH_PAYLOAD = "SELECT count(*) FROM (SELECT e.*, "
    + "coalesce(e.payload, r.body::jsonb) AS payload_json FROM webhook.events e "
    + "JOIN webhook.requests r ON r.id = e.request_id) x ";
  private static final String APPLIED_EVENTS = "SELECT count(*) FROM webhook.events e "
    + "JOIN webhook.outcomes o ON o.event_id = e.id ";

  private static final String SECRET = "example-app-key-123";
  private static final String READER_MESSAGE = "6f1c2a52-1f3e-4c2b-9a57-0c7e5d2b8a10";
  private static final String NOBODY_MESSAGE = "2d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70";

  private static TestSystem system;
  private static String admin;

  @BeforeAll
  static void start() {
    system = TestSystem.start("webhook", Map.of(
      "WEBHOOK_SECRET", SECRET,
      "WEBHOOK_PATH_TOKEN", "s3cret-path",
      "WEBHOOK_BODY_LIMIT", "65536"));
    admin = system.adminToken();
    register(READER_MESSAGE, "spring", "reader@example.net", null);
    register(NOBODY_MESSAGE, "spring", "nobody@example.org", null);
    register(UUID.randomUUID().toString(), "spring", "full@example.org", null);
    register(UUID.randomUUID().toString(), "spring", "annoyed@example.net",
      "1714000000000_73021_4411_9052.sc-10_8_2_31-inbound3$annoyed@example.net");
  }

  @AfterAll
  static void stop() {
    system.close();
  }

  @Test
  void acceptsBothDocumentedSignatureRecipesAndRefusesForgeries() {
    String body = event("delivered", "sig-1@example.net", 1714000000000L);
    assertThat(post("/webhook/engagelab", body, "1714000000", "278948ed3b5ac59285d6b6a6189d0a1e")
      .bodyAsJsonObject().getJsonObject("data").getString("verified")).isEqualTo("md5");
    assertThat(post("/webhook", event("delivered", "sig-2@example.net", 1714000000001L),
        "1714000000",
        "b2839f4e114671c36d631893256010b0b9e37fcb2738bafa8e9dff03f6e765b0")
      .bodyAsJsonObject().getJsonObject("data").getString("verified")).isEqualTo("hmac");
    assertThat(post("/webhook", event("delivered", "sig-3@example.net", 1714000000002L),
        "1714000000123", "54e4b256823f5f7e701fb8ca0c706bdf")
      .statusCode()).isEqualTo(200);

    long before = count("SELECT count(*) FROM webhook.requests");
    HttpResponse<Buffer> forged = post("/webhook/engagelab",
      event("delivered", "sig-4@example.net", 1714000000003L), "1714000000",
      "00000000000000000000000000000000");
    assertThat(forged.statusCode()).isEqualTo(401);
    assertThat(forged.bodyAsJsonObject().getJsonObject("error").getString("message"))
      .contains("signature");
    HttpResponse<Buffer> unsigned = system.http.post("/webhook/engagelab")
      .sendBuffer(Buffer.buffer(body)).await();
    assertThat(unsigned.statusCode()).isEqualTo(401);
    assertThat(count("SELECT count(*) FROM webhook.requests")).isEqualTo(before);
    assertThat(count("SELECT count(*) FROM webhook.events WHERE recipient = 'sig-4@example.net'"))
      .isZero();
  }

  @Test
  void answersUrlChecksAndRefusesMalformedOrOversizedBodies() {
    HttpResponse<Buffer> check = system.http.get("/webhook/engagelab").send().await();
    assertThat(check.statusCode()).isEqualTo(200);
    assertThat(check.bodyAsJsonObject().getJsonObject("data").getBoolean("ok")).isTrue();
    assertThat(system.http.post("/webhook/engagelab").send().await().statusCode()).isEqualTo(200);
    assertThat(system.http.post("/webhook").sendBuffer(Buffer.buffer("{}")).await()
      .statusCode()).isEqualTo(200);

    HttpResponse<Buffer> notJson = signedPost("/webhook/engagelab", "status=delivered");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(notJson.bodyAsJsonObject().getJsonObject("error").getString("message"))
      .contains("not valid JSON");
    assertThat(signedPost("/webhook/engagelab", "[1, 2]").statusCode()).isEqualTo(400);
    // Unsigned, the sender learns nothing about how its body was read.
    assertThat(system.http.post("/webhook/engagelab").sendBuffer(Buffer.buffer("{bad"))
      .await().statusCode()).isEqualTo(401);
    HttpResponse<Buffer> huge = signedPost("/webhook/engagelab",
      new JsonObject().put("padding", "x".repeat(70_000)).encode());
    assertThat(huge.statusCode()).isEqualTo(413);
    assertThat(huge.bodyAsJsonObject().getBoolean("success")).isFalse();

    assertThat(signedPost("/webhook/engagelab/s3cret-path",
      event("delivered", "path@example.net", 1714000000100L)).statusCode()).isEqualTo(200);
    assertThat(signedPost("/webhook/engagelab/wrong-path",
      event("delivered", "path@example.net", 1714000000101L)).statusCode()).isEqualTo(404);

    String unknown = "{\"hello\":\"world\",\"n\":1}";
    assertThat(signedPost("/webhook", unknown).statusCode()).isEqualTo(200);
    assertThat(count(EVENTS_WITH_PAYLOAD + "WHERE event_type = 'unknown' "
      + "AND payload_json->>'hello' = 'world'")).isEqualTo(1);
  }

  @Test
  void appliesEveryDocumentedShapeToTheMessageItConcerns() throws Exception {
    for (String name : List.of("target", "delivered", "open", "click", "unsubscribe",
        "invalid_email", "soft_bounce", "report_spam", "route")) {
      HttpResponse<Buffer> response = signedPost("/webhook/engagelab", fixture(name));
      assertThat(response.statusCode()).as(name + ": " + response.bodyAsString()).isEqualTo(200);
    }
    awaitApplied("report_spam");

    JsonObject reader = message(READER_MESSAGE);
    assertThat(reader.getString("status")).isEqualTo("unsubscribed");
    assertThat(reader.getJsonObject("events").getString("delivered"))
      .isEqualTo("2024-04-24T23:06:43.210Z");
    assertThat(reader.getJsonObject("events").getString("unsubscribed")).isNotNull();
    JsonObject nobody = message(NOBODY_MESSAGE);
    assertThat(nobody.getString("status")).isEqualTo("bounced");
    assertThat(nobody.getJsonObject("bounce").getString("kind")).isEqualTo("hard");
    assertThat(nobody.getJsonObject("bounce").getString("reason")).contains("550 5.1.1");
    assertThat(nobody.getJsonObject("bounce").getInteger("subStatus")).isEqualTo(406);

    assertThat(suppressed("reader@example.net")).isEqualTo("unsubscribe");
    assertThat(suppressed("nobody@example.org")).isEqualTo("hard_bounce");
    assertThat(suppressed("annoyed@example.net")).isEqualTo("spam_report");
    assertThat(suppressed("full@example.org")).isNull();
    JsonArray list = api("GET", "/api/suppressions", null).getJsonObject("data")
      .getJsonArray("suppressions");
    assertThat(list.stream().map(entry -> ((JsonObject) entry).getString("email")).toList())
      .contains("reader@example.net", "nobody@example.org", "annoyed@example.net")
      .doesNotContain("full@example.org");

    JsonObject stats = api("GET", "/api/campaigns/spring/stats", null).getJsonObject("data");
    assertThat(stats.getJsonObject("opens").getLong("provider")).isEqualTo(1);
    assertThat(stats.getJsonObject("opens").getLong("unique")).isEqualTo(1);
    assertThat(stats.getJsonObject("clicks").getLong("provider")).isEqualTo(1);

    // the reply waits in the outbox until the sessions concern takes it, its tries visible
    assertThat(count("SELECT count(*) FROM webhook.outbox o JOIN webhook.events e "
      + "ON e.id = o.event_id WHERE e.event_type = 'route'")).isEqualTo(1);
    TestSystem.await("the reply's first try has failed", 10_000, () -> count(
      "SELECT count(*) FROM webhook.outbox o JOIN webhook.events e ON e.id = o.event_id "
        + "WHERE e.event_type = 'route' AND o.last_error IS NOT NULL") == 1);
    JsonObject waiting = api("GET", "/api/webhook/events?type=route", null)
      .getJsonObject("data").getJsonArray("events").getJsonObject(0);
    assertThat(waiting.getInteger("attempts")).isPositive();
    assertThat(waiting.getString("lastError")).contains("sessions.inbound");
    assertThat(waiting.getString("nextAttemptAt")).isNotNull();
    assertThat(waiting.getString("appliedAt")).isNull();
    assertThat(count(EVENTS_WITH_PAYLOAD + "WHERE event_type = 'route' "
      + "AND payload_json->'response'->'response_data'->>'text' LIKE 'Is the offer%'"))
      .isEqualTo(1);
  }

  @Test
  void readsTheOlderFlatShapesAndTheirTimes() {
    String id = UUID.randomUUID().toString();
    register(id, "flat", "flat@example.net", null);
    String statusShape = new JsonObject().put("message_status", "delivered")
      .put("to", "Flat Person <flat@example.net>").put("itime", 1714000100000L)
      .put("status_data", new JsonObject().put("email_id", "req-9$flat@example.net")).encode();
    String eventShape = new JsonObject().put("event", "open").put("to", "flat@example.net")
      .put("itime", 1714000200000L)
      .put("response_data", new JsonObject().put("email_id", "req-9$flat@example.net")).encode();
    String typeShape = new JsonObject().put("event_type", "clicked")
      .put("email_id", "req-9$flat@example.net").put("timestamp", 1714000300)
      .put("url", "https://flat.example/").encode();
    String isoShape = new JsonObject().put("event_type", "unsubscribe")
      .put("email_id", "req-9$flat@example.net").put("timestamp", "2024-04-25T00:00:00Z")
      .encode();
    for (String body : List.of(statusShape, eventShape, typeShape, isoShape)) {
      assertThat(signedPost("/webhook", body).statusCode()).isEqualTo(200);
    }

    TestSystem.await("all four flat callbacks are applied", 10_000, () -> count(
      APPLIED_EVENTS + "WHERE email_id = 'req-9$flat@example.net'") == 4);
    assertThat(count("SELECT count(*) FROM webhook.events WHERE email_id = "
      + "'req-9$flat@example.net' AND event_type = 'click' AND time_source = 'timestamp' "
      + "AND event_time = to_timestamp(1714000300)")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM webhook.events WHERE email_id = "
      + "'req-9$flat@example.net' AND event_type = 'unsubscribe' "
      + "AND event_time = '2024-04-25T00:00:00Z'")).isEqualTo(1);
    JsonObject flat = message(id);
    assertThat(flat.getString("status")).isEqualTo("unsubscribed");
    assertThat(flat.getJsonObject("events").getString("delivered"))
      .isEqualTo("2024-04-24T23:08:20Z");
  }

  @Test
  void storesADuplicateOnceEvenWhenItArrivesManyTimesAtOnce() {
    String id = UUID.randomUUID().toString();
    register(id, "dupes", "dupe@example.net", null);
    String click = new JsonObject().put("to", "dupe@example.net").put("itime", 1714000500000L)
      .put("custom_args", new JsonObject().put("message_id", id))
      .put("response", new JsonObject().put("event", "click").put("response_data",
        new JsonObject().put("email_id", "req-d$dupe@example.net")
          .put("url", "https://dupes.example/"))).encode();

    assertThat(signedPost("/webhook", click).bodyAsJsonObject().getJsonObject("data")
      .getInteger("stored")).isEqualTo(1);
    assertThat(signedPost("/webhook", click).bodyAsJsonObject().getJsonObject("data")
      .getInteger("duplicates")).isEqualTo(1);
    List<Future<HttpResponse<Buffer>>> burst = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      burst.add(signed(system.http.post("/webhook")).sendBuffer(Buffer.buffer(click)));
    }
    Future.all(burst).await();
    burst.forEach(response -> assertThat(response.result().statusCode()).isEqualTo(200));

    awaitApplied("click");
    assertThat(count("SELECT count(*) FROM webhook.events WHERE email_id = "
      + "'req-d$dupe@example.net'")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM webhook.requests WHERE body = ?", click))
      .isEqualTo(22);
    TestSystem.await("the click is applied", 10_000, () -> count(
      "SELECT provider_clicks FROM tracking.campaign_stats WHERE campaign_id = 'dupes'") == 1);
    assertThat(message(id).getString("status")).isEqualTo("clicked");
  }

  @Test
  void reachesTheSameStateWhateverOrderEventsArriveIn() {
    String forward = UUID.randomUUID().toString();
    String backward = UUID.randomUUID().toString();
    register(forward, "order", "forward@example.net", null);
    register(backward, "order", "backward@example.net", null);
    List<String> types = List.of("soft_bounce", "delivered", "open", "click");
    for (int i = 0; i < types.size(); i++) {
      signedPost("/webhook", ours(forward, types.get(i), 1714000600000L + i));
    }
    for (int i = types.size() - 1; i >= 0; i--) {
      signedPost("/webhook", ours(backward, types.get(i), 1714000600000L + i));
    }

    TestSystem.await("eight events are applied", 10_000, () -> count(
      APPLIED_EVENTS + "WHERE our_message_id IN (?::uuid, ?::uuid)", forward, backward) == 8);
    JsonObject first = message(forward);
    JsonObject second = message(backward);
    assertThat(first.getString("status")).isEqualTo("clicked");
    assertThat(second.getString("status")).isEqualTo("clicked");
    assertThat(second.getJsonObject("events").getString("delivered"))
      .isEqualTo(first.getJsonObject("events").getString("delivered"));
    assertThat(second.getJsonObject("events").getString("softBounced"))
      .isEqualTo(first.getJsonObject("events").getString("softBounced"));
    assertThat(second.getJsonObject("bounce").getString("kind")).isEqualTo("soft");
  }

  @Test
  void keepsUnicodeSubjectsAndUnmatchedEventsVisibleToAdmins() {
    String subject = "Frühlingsangebot 🌸 春のセール";
    String body = new JsonObject().put("to", "stranger@example.net").put("subject", subject)
      .put("itime", 1714000700000L).put("status", new JsonObject()
        .put("message_status", "delivered")
        .put("status_data", new JsonObject().put("email_id", "req-u$stranger@example.net")))
      .encode();
    assertThat(signedPost("/webhook", body).statusCode()).isEqualTo(200);
    awaitApplied("delivered");

    JsonArray unmatched = api("GET", "/api/webhook/events?matched=false&recipient="
      + "stranger@example.net", null).getJsonObject("data").getJsonArray("events");
    assertThat(unmatched).hasSize(1);
    JsonObject event = unmatched.getJsonObject(0);
    assertThat(event.getJsonObject("payload").getString("subject")).isEqualTo(subject);
    assertThat(event.getString("matchedMessageId")).isNull();
    assertThat(event.getString("appliedAt")).isNotNull();

    HttpResponse<Buffer> forbidden = system.http.get("/api/webhook/events")
      .bearerTokenAuthentication(operator()).send().await();
    assertThat(forbidden.statusCode()).isEqualTo(403);
  }

  @Test
  void replaysAStoredCallbackWithoutDoublingItsEffect() {
    String id = UUID.randomUUID().toString();
    register(id, "replay", "replay@example.net", null);
    signedPost("/webhook", ours(id, "open", 1714000800000L));
    awaitApplied("open");
    TestSystem.await("the open is counted", 10_000, () -> count(
      "SELECT provider_opens FROM tracking.campaign_stats WHERE campaign_id = 'replay'") == 1);
    long eventId = count("SELECT id FROM webhook.events WHERE our_message_id = ?::uuid", id);

    JsonObject queued = api("POST", "/api/webhook/events/" + eventId + "/replay", null);
    assertThat(queued.getJsonObject("data").getInteger("queued")).isEqualTo(1);
    TestSystem.await("the replay is applied", 10_000, () -> count(
      "SELECT count(*) FROM webhook.outbox WHERE event_id = ?", eventId) == 0);

    assertThat(count("SELECT provider_opens FROM tracking.campaign_stats "
      + "WHERE campaign_id = 'replay'")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM tracking.hits WHERE message_id = ?::uuid", id))
      .isEqualTo(1);
  }

  @Test
  void storesCallbacksWithNulOrHugeFieldsInsteadOfFailingForever() {
    String nul = "{\"to\":\"nul\\u0000@example.net\",\"itime\":1714000950000,"
      + "\"status\":{\"message_status\":\"delivered\",\"status_data\":"
      + "{\"email_id\":\"req-nul\"}}}";
    String huge = new JsonObject().put("to", "x".repeat(9000) + "@example.net")
      .put("itime", 1714000950001L).put("status", new JsonObject()
        .put("message_status", "d".repeat(9000))
        .put("status_data", new JsonObject().put("email_id", "e".repeat(9000)))).encode();
    String array = new JsonArray().add(new JsonObject(huge))
      .add(new JsonObject().put("event_type", "opened").put("email_id", "req-fine$fine@x.io")
        .put("timestamp", 1714000950)).encode();
    for (String body : List.of(nul, huge, array)) {
      HttpResponse<Buffer> response = signedPost("/webhook", body);
      assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    }
    assertThat(count("SELECT count(*) FROM webhook.events WHERE email_id = 'req-nul'"))
      .isEqualTo(1);
    assertThat(count("SELECT count(*) FROM webhook.events WHERE email_id = 'req-fine$fine@x.io'"))
      .isEqualTo(1);
  }

  @Test
  void listsCallbacksWhoseTextHeldALoneSurrogate() {
    String lone = "{\"to\":\"lone@example.com\",\"itime\":1714000900000,\"response\":"
      + "{\"event\":\"open\",\"response_data\":{\"email_id\":\"\\ud800\"}}}";
    String inArray = "[" + lone.replace("lone@", "lone-array@").replace("\\ud800", "x\\udc00")
      + "]";
    for (String body : List.of(lone, inArray)) {
      HttpResponse<Buffer> response = signedPost("/webhook/engagelab", body);
      assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    }

    HttpResponse<Buffer> all = system.http.get("/api/webhook/events")
      .bearerTokenAuthentication(admin).send().await();
    assertThat(all.statusCode()).as(all.bodyAsString()).isEqualTo(200);
    JsonObject single = onlyEvent("recipient=lone@example.com");
    assertThat(single.getString("emailId")).isEqualTo("\uFFFD");
    assertThat(single.getJsonObject("payload").getJsonObject("response")
      .getJsonObject("response_data").getString("email_id")).isEqualTo("\uFFFD");
    assertThat(onlyEvent("recipient=lone-array@example.com").getString("emailId"))
      .isEqualTo("x\uFFFD");
  }

  @Test
  void takesTheReceiveTimeForAbsurdProviderTimesAndKeepsThemVisible() {
    String id = UUID.randomUUID().toString();
    register(id, "absurd", "absurd@example.net", null);
    long before = System.currentTimeMillis() - 1000;
    Map<String, String> itimes = Map.of("delivered", "1e23", "open", "-99999999999999",
      "click", "0");
    itimes.forEach((type, itime) -> assertThat(signedPost("/webhook",
      ours(id, type, 42).replace("\"itime\":42", "\"itime\":" + itime)).statusCode())
      .isEqualTo(200));

    TestSystem.await("the three events are applied", 10_000, () -> count(
      APPLIED_EVENTS + "WHERE our_message_id = ?::uuid", id) == 3);
    long after = System.currentTimeMillis() + 1000;
    JsonObject times = message(id).getJsonObject("events");
    for (String field : List.of("delivered", "opened", "clicked")) {
      assertThat(java.time.Instant.parse(times.getString(field)).toEpochMilli()).as(field)
        .isBetween(before, after);
    }
    JsonArray events = api("GET", "/api/webhook/events?type=open&limit=500", null)
      .getJsonObject("data").getJsonArray("events");
    JsonObject open = events.stream().map(JsonObject.class::cast)
      .filter(event -> id.equals(event.getString("ourMessageId"))).findFirst().orElseThrow();
    assertThat(open.getString("timeSource")).isEqualTo("received");
    assertThat(open.getString("ignoredTime")).isEqualTo("itime=-99999999999999");
    assertThat(open.getJsonObject("payload").getLong("itime")).isEqualTo(-99999999999999L);
  }

  @Test
  void appliesAnEventStoredWithAnAbsurdTimeBeforeTimesWereChecked() throws SQLException {
    String id = UUID.randomUUID().toString();
    register(id, "stuck", "stuck@example.net", null);
    long before = System.currentTimeMillis() - 1000;
    UUID request = UUID.randomUUID();
    String normalized = new JsonObject().put("type", "delivered").put("ourMessageId", id)
      .put("recipient", "stuck@example.net").put("eventTime", Long.MAX_VALUE).encode();
    long eventId;
    try (Connection db = system.jdbc()) {
      update(db, "INSERT INTO webhook.requests (id, body, headers, verified) "
        + "VALUES (?::uuid, '{}', '{}', 'md5')", request.toString());
      update(db, "INSERT INTO webhook.events (request_id, dedupe_key, event_type, "
        + "our_message_id, recipient, event_time, time_source, normalized) VALUES (?::uuid, ?, "
        + "'delivered', ?::uuid, 'stuck@example.net', 'infinity', 'itime', ?::jsonb)",
        request.toString(), "stuck:" + id, id, normalized);
      eventId = count("SELECT id FROM webhook.events WHERE dedupe_key = ?", "stuck:" + id);
      update(db, "INSERT INTO webhook.outbox (event_id) VALUES (?)", eventId);
    }

    TestSystem.await("the stuck event is applied", 10_000, () -> count(
      "SELECT count(*) FROM webhook.outcomes WHERE event_id = ?", eventId) == 1);
    assertThat(java.time.Instant.parse(message(id).getJsonObject("events")
      .getString("delivered")).toEpochMilli()).isBetween(before, System.currentTimeMillis());
  }

  @Test
  void countsEachSignatureRefusalByItsReasonAndListsTheUnverifiedInReportMode() {
    try (TestSystem report = TestSystem.start("webhook_report", Map.of(
        "WEBHOOK_SECRET", SECRET,
        "WEBHOOK_VERIFY_MODE", "report",
        "WEBHOOK_TIMESTAMP_WINDOW", "300"))) {
      double notNumber = rejected(report, "timestamp_not_a_number");
      double stale = rejected(report, "timestamp_outside_window");
      double signature = rejected(report, "signature");
      String old = Long.toString(System.currentTimeMillis() / 1000 - 1000);
      String now = Long.toString(System.currentTimeMillis() / 1000);
      assertThat(postTo(report, event("delivered", "word@example.net", 1714001000000L),
        "abc", hmac("abc"))).isEqualTo("failed");
      assertThat(postTo(report, event("delivered", "stale@example.net", 1714001000001L),
        old, hmac(old))).isEqualTo("failed");
      assertThat(postTo(report, event("delivered", "good@example.net", 1714001000002L),
        now, hmac(now))).isEqualTo("hmac");

      assertThat(rejected(report, "timestamp_not_a_number")).isEqualTo(notNumber + 1);
      assertThat(rejected(report, "timestamp_outside_window")).isEqualTo(stale + 1);
      assertThat(rejected(report, "signature")).isEqualTo(signature);
      String reportAdmin = report.adminToken();
      assertThat(recipients(report, reportAdmin, "verified=false"))
        .containsOnly("word@example.net", "stale@example.net");
      assertThat(recipients(report, reportAdmin, "verified=true"))
        .containsOnly("good@example.net");
      JsonObject word = report.http.get("/api/webhook/events?recipient=word@example.net")
        .bearerTokenAuthentication(reportAdmin).send().await().bodyAsJsonObject()
        .getJsonObject("data").getJsonArray("events").getJsonObject(0);
      assertThat(word.getString("verified")).isEqualTo("failed");
    }
  }

  @Test
  void refusesMalformedAdminQueries() {
    HttpRequest<Buffer> replay = system.http.post("/api/webhook/events/replay")
      .bearerTokenAuthentication(admin);
    assertThat(replay.sendJsonObject(new JsonObject().put("fromId", "a").put("toId",
      new JsonArray())).await().statusCode()).isEqualTo(400);
    for (JsonObject range : List.of(new JsonObject().put("fromId", 1.5).put("toId", 3),
        new JsonObject().put("fromId", 1).put("toId", 3.5))) {
      HttpResponse<Buffer> fraction = system.http.post("/api/webhook/events/replay")
        .bearerTokenAuthentication(admin).sendJsonObject(range).await();
      assertThat(fraction.statusCode()).as(range.encode()).isEqualTo(400);
      assertThat(fraction.bodyAsJsonObject().getJsonObject("error").getString("message"))
        .contains(range.getValue("fromId") instanceof Double ? "fromId" : "toId")
        .contains("whole number");
    }
    assertThat(system.http.post("/api/webhook/events/999999999/replay")
      .bearerTokenAuthentication(admin).send().await().statusCode()).isEqualTo(404);
    for (String query : List.of("limit=0", "limit=99999999999", "matched=maybe", "limit=x",
        "verified=maybe")) {
      assertThat(system.http.get("/api/webhook/events?" + query).bearerTokenAuthentication(admin)
        .send().await().statusCode()).as(query).isEqualTo(400);
    }
  }

  private static JsonObject onlyEvent(String query) {
    JsonArray events = api("GET", "/api/webhook/events?" + query, null).getJsonObject("data")
      .getJsonArray("events");
    assertThat(events).as(query).hasSize(1);
    return events.getJsonObject(0);
  }

  /** Posts a callback to another system with the given headers; answers its verified. */
  private static String postTo(TestSystem target, String body, String timestamp,
      String signature) {
    HttpResponse<Buffer> response = target.http.post("/webhook/engagelab")
      .putHeader("X-WebHook-Timestamp", timestamp)
      .putHeader("X-WebHook-AppKey", "email")
      .putHeader("X-WebHook-Signature", signature)
      .sendBuffer(Buffer.buffer(body)).await();
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject().getJsonObject("data").getString("verified");
  }

  private static List<String> recipients(TestSystem target, String token, String query) {
    HttpResponse<Buffer> response = target.http.get("/api/webhook/events?" + query)
      .bearerTokenAuthentication(token).send().await();
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject().getJsonObject("data").getJsonArray("events").stream()
      .map(event -> ((JsonObject) event).getString("recipient")).toList();
  }

  /** edm_webhook_rejected_total for one reason as /metrics serves it; 0 before the first. */
  private static double rejected(TestSystem target, String reason) {
    String prefix = "edm_webhook_rejected_total{reason=\"" + reason + "\"} ";
    return target.http.get("/metrics").send().await().bodyAsString().lines()
      .filter(line -> line.startsWith(prefix))
      .mapToDouble(line -> Double.parseDouble(line.substring(prefix.length())))
      .findFirst().orElse(0);
  }

  private static void update(Connection db, String sql, Object... args) throws SQLException {
    try (PreparedStatement statement = db.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        statement.setObject(i + 1, args[i]);
      }
      statement.executeUpdate();
    }
  }

  private static String operator() {
    String name = "op-" + UUID.randomUUID().toString().substring(0, 6);
    system.createUser(name, "operator-password", "operator", true);
    return system.login(name, "operator-password");
  }

  private static String ours(String messageId, String type, long itime) {
    JsonObject envelope = new JsonObject().put("to", "someone@example.net").put("itime", itime)
      .put("custom_args", new JsonObject().put("message_id", messageId));
    JsonObject data = new JsonObject().put("email_id", "req-" + messageId + "$someone");
    if (List.of("open", "click").contains(type)) {
      envelope.put("response", new JsonObject().put("event", type)
        .put("response_data", data.put("url", "https://order.example/")));
    } else {
      envelope.put("status", new JsonObject().put("message_status", type)
        .put("status_data", data)
        .put("error_detail", new JsonObject().put("message", "452 mailbox full")
          .put("sub_stat", 503)));
    }
    return envelope.encode();
  }

  private static String event(String type, String to, long itime) {
    return new JsonObject().put("to", to).put("itime", itime)
      .put("status", new JsonObject().put("message_status", type)
        .put("status_data", new JsonObject().put("email_id", "req$" + to))).encode();
  }

  private static void awaitApplied(String type) {
    TestSystem.await("every " + type + " callback is applied", 10_000, () -> count(
      "SELECT count(*) FROM webhook.events e LEFT JOIN webhook.outcomes o ON o.event_id = e.id "
        + "WHERE event_type = ? AND o.applied_at IS NULL", type) == 0);
  }

  private static String suppressed(String email) {
    JsonObject answer = api("GET", "/api/suppressions/check?email=" + email, null)
      .getJsonObject("data");
    return answer.getBoolean("suppressed") ? answer.getString("reason") : null;
  }

  private static JsonObject message(String id) {
    return api("GET", "/api/messages/" + id, null).getJsonObject("data");
  }

  private static void register(String id, String campaign, String recipient, String providerId) {
    JsonArray batch = new JsonArray().add(new JsonObject().put("id", id)
      .put("campaignId", campaign).put("recipient", recipient)
      .put("providerMessageId", providerId));
    HttpResponse<Buffer> response = system.http.post("/api/messages")
      .bearerTokenAuthentication(admin).sendBuffer(batch.toBuffer()).await();
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
  }

  private static JsonObject api(String method, String path, JsonObject body) {
    HttpRequest<Buffer> request = system.http
      .request(io.vertx.core.http.HttpMethod.valueOf(method), path)
      .bearerTokenAuthentication(admin);
    HttpResponse<Buffer> response = body == null ? request.send().await()
      : request.sendJsonObject(body).await();
    assertThat(response.statusCode()).as(path + ": " + response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static HttpResponse<Buffer> signedPost(String path, String body) {
    return signed(system.http.post(path)).sendBuffer(Buffer.buffer(body)).await();
  }

  /** Signs as EngageLab does, with the current time. */
  private static HttpRequest<Buffer> signed(HttpRequest<Buffer> request) {
    String timestamp = Long.toString(System.currentTimeMillis() / 1000);
    return request.putHeader("Content-Type", "application/json")
      .putHeader("X-WebHook-Timestamp", timestamp)
      .putHeader("X-WebHook-AppKey", "email")
      .putHeader("X-WebHook-Signature", hmac(timestamp));
  }

  private static HttpResponse<Buffer> post(String path, String body, String timestamp,
      String signature) {
    return system.http.post(path)
      .putHeader("X-WebHook-Timestamp", timestamp)
      .putHeader("X-WebHook-AppKey", "email")
      .putHeader("X-WebHook-Signature", signature)
      .sendBuffer(Buffer.buffer(body)).await();
  }

  private static String hmac(String timestamp) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(timestamp.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static long count(String sql, Object... args) {
    return system.queryLong(sql, args);
  }

  private static String fixture(String name) throws IOException {
    try (InputStream in = WebhookTest.class.getResourceAsStream("/engagelab/" + name + ".json")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
