package org.edm.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.multipart.MultipartForm;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Login, access rules, error bodies, message registration, health and metrics. */
class ApiTest {

  private static TestSystem system;
  private static String admin;
  private static String operator;
  private static String reader;

  @BeforeAll
  static void start() {
    system = TestSystem.start("api");
    admin = system.adminToken();
    system.createUser("olivia", "operator-password", "operator", true);
    system.createUser("rita", "reader-password", "read_only", true);
    system.createUser("gone", "gone-password", "operator", false);
    operator = system.login("olivia@example.org", "operator-password");
    reader = system.login("rita", "reader-password");
  }

  @AfterAll
  static void stop() {
    system.close();
  }

  @Test
  void logsInWithUsernameOrEmailAndAnswersTheUser() {
    HttpResponse<Buffer> response = post("/api/auth/login", null,
      new JsonObject().put("usernameOrEmail", "ADMIN@example.org")
        .put("password", TestSystem.ADMIN_PASSWORD).encode());
    JsonObject body = response.bodyAsJsonObject();
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(body.getBoolean("success")).isTrue();
    assertThat(body.getString("token")).matches("[\\w-]+\\.[\\w-]+\\.[\\w-]+");
    assertThat(body.getJsonObject("data").getString("username")).isEqualTo("admin");
    assertThat(body.getJsonObject("data").getString("role")).isEqualTo("admin");
    assertThat(body.getJsonObject("data").getLong("id")).isPositive();
  }

  @Test
  void refusesBadCredentialsInactiveUsersAndMalformedBodies() {
    assertError(post("/api/auth/login", null, login("admin", "wrong")), 401, "wrong username");
    assertError(post("/api/auth/login", null, login("nobody", "x")), 401, "wrong username");
    assertError(post("/api/auth/login", null, login("gone", "gone-password")), 403, "inactive");
    assertError(post("/api/auth/login", null, "{not json"), 400, "not valid JSON");
    assertError(post("/api/auth/login", null, "{\"usernameOrEmail\": 5}"), 400,
      "usernameOrEmail");
    assertError(post("/api/auth/login", null, ""), 400, "empty");
  }

  @Test
  void requiresAValidTokenOnEveryOtherApiRoute() {
    assertError(get("/api/campaigns/x/stats", null), 401, "authentication required");
    assertError(get("/api/campaigns/x/stats", "not.a.token"), 401, "authentication required");
    String forged = admin.substring(0, admin.lastIndexOf('.') + 1) + "AAAA";
    assertError(get("/api/campaigns/x/stats", forged), 401, "authentication required");
    // Signed with the right secret but naming no user id, as no login of ours would.
    JWTAuth jwt = JWTAuth.create(system.clientVertx, new JWTAuthOptions().addPubSecKey(
      new PubSecKeyOptions().setAlgorithm("HS256").setBuffer("test-jwt-secret-api")));
    for (JsonObject claims : new JsonObject[] {new JsonObject().put("sub", "admin"),
        new JsonObject().put("role", "admin")}) {
      assertError(get("/api/campaigns/x/stats", jwt.generateToken(claims)), 401,
        "authentication required");
    }
    assertError(get("/api/nothing-here", admin), 404, "no such resource");
  }

  @Test
  void appliesADemotionOrDeactivationToTokensIssuedBefore() {
    system.createUser("dora", "dora-password", "operator", true);
    String token = system.login("dora", "dora-password");
    String id = UUID.randomUUID().toString();
    JsonArray first = new JsonArray().add(message(id, "doras", "d@x.io"));
    assertThat(post("/api/messages", token, first.encode()).statusCode()).isEqualTo(200);

    system.execute("UPDATE gateway.users SET role = 'read_only' WHERE username = 'dora'");
    JsonArray second = new JsonArray()
      .add(message(UUID.randomUUID().toString(), "doras", "e@x.io"));
    assertError(post("/api/messages", token, second.encode()), 403, "read-only");
    assertThat(get("/api/messages/" + id, token).statusCode()).isEqualTo(200);

    system.execute("UPDATE gateway.users SET active = false WHERE username = 'dora'");
    assertError(get("/api/messages/" + id, token), 403, "inactive");
    assertError(post("/api/messages", token, second.encode()), 403, "inactive");
    assertError(get("/api/images", token), 403, "inactive");
    assertError(send(HttpMethod.POST, "/api/images", token, "x"), 403, "inactive");
    assertError(get("/api/webhook/events", token), 403, "inactive");
    assertThat(system.queryLong("SELECT count(*) FROM tracking.messages WHERE campaign_id = ?",
      "doras")).isEqualTo(1);
  }

  @Test
  void registersMessagesOnceAndNamesTheBadEntryAndField() {
    String id = UUID.randomUUID().toString();
    JsonArray batch = new JsonArray()
      .add(message(id, "spring-sale", "ann@example.com"))
      .add(message(UUID.randomUUID().toString(), "spring-sale", "bob@example.com"));

    JsonObject first = post("/api/messages", operator, batch.encode()).bodyAsJsonObject();
    JsonObject again = post("/api/messages", operator, batch.encode()).bodyAsJsonObject();
    assertThat(first.getJsonObject("data").getInteger("registered")).isEqualTo(2);
    assertThat(again.getJsonObject("data").getInteger("registered")).isZero();
    assertThat(again.getJsonObject("data").getInteger("unchanged")).isEqualTo(2);

    JsonObject stored = get("/api/messages/" + id, operator).bodyAsJsonObject()
      .getJsonObject("data");
    assertThat(stored.getString("status")).isEqualTo("sent");
    assertThat(stored.getString("recipient")).isEqualTo("ann@example.com");
    assertThat(stored.getJsonObject("events").getString("sent")).isNotNull();

    JsonArray bad = new JsonArray().add(message(UUID.randomUUID().toString(), "c", "a@b.co"))
      .add(message(UUID.randomUUID().toString(), "c", "not-an-address"));
    assertError(post("/api/messages", operator, bad.encode()), 400, "messages[1].recipient");
    JsonArray badId = new JsonArray().add(message("1234", "c", "a@b.co"));
    assertError(post("/api/messages", operator, badId.encode()), 400, "messages[0].id");
    assertError(post("/api/messages", operator, "{}"), 400, "array of messages");
    assertThat(system.queryLong("SELECT count(*) FROM tracking.messages WHERE campaign_id = 'c'"))
      .isZero();
  }

  @Test
  void refusesAnIdRegisteredBeforeWithOtherDetails() {
    String id = UUID.randomUUID().toString();
    JsonObject ann = message(id, "autumn", "ann@example.com");
    post("/api/messages", operator, new JsonArray().add(ann).encode());

    String fresh = UUID.randomUUID().toString();
    JsonArray moved = new JsonArray().add(message(fresh, "autumn", "cy@example.com"))
      .add(message(id, "winter", "ann@example.com"));
    assertError(post("/api/messages", operator, moved.encode()), 409,
      "messages[1].campaignId: the id is already registered with a different campaignId");
    JsonArray readdressed = new JsonArray().add(message(id, "autumn", "bea@example.com"));
    assertError(post("/api/messages", operator, readdressed.encode()), 409,
      "messages[0].recipient");
    JsonArray withProvider = new JsonArray()
      .add(ann.copy().put("providerMessageId", "p-1"));
    assertError(post("/api/messages", operator, withProvider.encode()), 409,
      "messages[0].providerMessageId");
    assertError(post("/api/messages", otherOperator(),
      new JsonArray().add(message(id, "someone-elses", "ann@example.com")).encode()), 409,
      "already registered by another user");

    JsonArray twice = new JsonArray().add(ann).add(message(id, "autumn", "dan@example.com"));
    assertError(post("/api/messages", operator, twice.encode()), 400,
      "messages[1].id: repeats messages[0] with different details");
    // Nothing of a refused batch is kept: the fresh id went with it.
    assertThat(system.queryLong("SELECT count(*) FROM tracking.messages WHERE id = ?::uuid",
      fresh)).isZero();
    JsonObject same = post("/api/messages", operator, new JsonArray().add(ann).add(ann).encode())
      .bodyAsJsonObject().getJsonObject("data");
    assertThat(same.getInteger("unchanged")).isEqualTo(2);

    // Case aside, an address is the same; a provider id left out asks for nothing.
    String bo = UUID.randomUUID().toString();
    JsonObject withId = message(bo, "autumn", "bo@example.com").put("providerMessageId", "p-9");
    JsonArray loose = new JsonArray().add(withId)
      .add(message(bo, "autumn", "Bo@EXAMPLE.com"));
    assertThat(post("/api/messages", operator, loose.encode()).statusCode()).isEqualTo(200);
    JsonObject again = post("/api/messages", operator, new JsonArray()
      .add(message(bo, "autumn", "BO@example.com")).encode()).bodyAsJsonObject();
    assertThat(again.getJsonObject("data").getInteger("unchanged")).isEqualTo(1);
    JsonArray otherId = new JsonArray().add(withId.copy().put("providerMessageId", "p-10"));
    assertError(post("/api/messages", operator, otherId.encode()), 409,
      "messages[0].providerMessageId");
  }

  @Test
  void keepsCampaignsAndMessagesToTheirOwner() {
    String id = UUID.randomUUID().toString();
    post("/api/messages", operator, new JsonArray().add(message(id, "olivias", "x@y.io"))
      .encode());

    JsonArray intrusion = new JsonArray()
      .add(message(UUID.randomUUID().toString(), "olivias", "z@y.io"));
    assertError(post("/api/messages", otherOperator(), intrusion.encode()), 403,
      "belongs to another user");
    assertError(get("/api/campaigns/olivias/stats", reader), 404, "no campaign");
    assertError(get("/api/messages/" + id, reader), 404, "no message");
    assertThat(get("/api/messages/" + id, admin).statusCode()).isEqualTo(200);
    assertThat(get("/api/campaigns/olivias/stats", admin).statusCode()).isEqualTo(200);
    assertError(post("/api/messages", reader, intrusion.encode()), 403, "read-only");
  }

  @Test
  void reportsHealthAndPrometheusMetrics() {
    HttpResponse<Buffer> health = get("/health", null);
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.bodyAsJsonObject().getString("status")).isEqualTo("up");
    assertThat(health.bodyAsJsonObject().getJsonObject("concerns").fieldNames())
      .contains("gateway", "tracking", "webhook", "sessions", "imaging");

    String metrics = get("/metrics", null).bodyAsString();
    assertThat(metrics).contains("edm_tracking_hits_accepted_total")
      .contains("edm_tracking_hits_dropped_total")
      .contains("edm_tracking_hits_persisted_total")
      .contains("edm_tracking_stream_backlog")
      .contains("vertx_http_server_requests_total")
      .contains("route=\"/health\"");
  }

  @Test
  void readsAFormEncodedBodyAsJsonWhateverItsSize() {
    String id = UUID.randomUUID().toString();
    post("/api/messages", operator, new JsonArray().add(message(id, "big", "big@x.io")).encode());
    String html = "<p>" + "Lorem ipsum dolor sit amet. ".repeat(800) + "</p>"
      + "<a href=\"https://shop.example/春?x=🌸\">buy</a>";
    HttpResponse<Buffer> response = system.http.post("/api/messages/" + id + "/instrument")
      .bearerTokenAuthentication(operator)
      .putHeader("Content-Type", "application/x-www-form-urlencoded")
      .sendBuffer(Buffer.buffer(new JsonObject().put("html", html).encode())).await();
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    String instrumented = response.bodyAsJsonObject().getJsonObject("data").getString("html");
    assertThat(instrumented.length()).isGreaterThan(20_000);

    java.util.regex.Matcher click = java.util.regex.Pattern.compile("/track/click/[\\w.-]+")
      .matcher(instrumented);
    assertThat(click.find()).isTrue();
    HttpResponse<Buffer> redirect = system.http.get(click.group()).send().await();
    assertThat(redirect.statusCode()).isEqualTo(302);
    assertThat(redirect.getHeader("Location"))
      .isEqualTo("https://shop.example/%E6%98%A5?x=%F0%9F%8C%B8");
  }

  @Test
  void refusesNulCharactersWrongMethodsAndOverlongRequestsWithJsonErrors() {
    assertError(post("/api/auth/login", null, "{\"usernameOrEmail\":\"ad\\u0000min\","
      + "\"password\":\"x\"}"), 400, "NUL");
    assertError(get("/api/suppressions/check?email=a%00@b.co", admin), 400, "NUL");
    assertError(send(HttpMethod.DELETE, "/api/campaigns/x/stats", admin, null), 405,
      "method not allowed");
    assertError(send(HttpMethod.POST, "/health", null, "{}"), 405, "method not allowed");
    assertThat(send(HttpMethod.HEAD, "/health", null, null).statusCode()).isEqualTo(200);
    assertError(get("/track/open/" + "x".repeat(20_000), null), 414, "too long");
    assertError(send(HttpMethod.GET, "/api/auth/login", null, null), 405, "method not allowed");
    assertError(get("/api/messages/%zz", admin), 400, "percent-encoding");
    assertError(get("/health%", null), 400, "percent-encoding");
    // A malformed escape in a pixel path is a bad token: still the pixel.
    HttpResponse<Buffer> pixel = get("/track/open/%zz%", null);
    assertThat(pixel.statusCode()).isEqualTo(200);
    assertThat(pixel.getHeader("Content-Type")).isEqualTo("image/gif");
    assertThat(get("/health", null).statusCode()).isEqualTo(200);
  }

  @Test
  void answersAWrongMethod405BeforeReadingTheBody() {
    assertError(send(HttpMethod.PUT, "/api/images", admin, null), 405, "method not allowed");
    assertError(post("/api/images/1", admin, null), 405, "method not allowed");
    assertError(multipart(HttpMethod.PUT, "/api/messages", admin), 405, "method not allowed");
    assertError(multipart(HttpMethod.PUT, "/api/auth/login", null), 405, "method not allowed");
    assertError(multipart(HttpMethod.POST, "/api/messages", admin), 415, "JSON body");
    HttpResponse<Buffer> gzipped = system.http.post("/api/messages")
      .bearerTokenAuthentication(admin).putHeader("Content-Encoding", "gzip")
      .sendBuffer(Buffer.buffer(new byte[] {31, -117, 8, 0, 0, 0, 0, 0, 0, 3})).await();
    assertError(gzipped, 415, "Content-Encoding gzip is not accepted");
    HttpResponse<Buffer> head = send(HttpMethod.HEAD, "/metrics", null, null);
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.getHeader("Content-Type")).startsWith("text/plain");
  }

  @Test
  void namesTheBadPercentEncodingOfAQueryString() {
    assertError(get("/api/webhook/events?recipient=%zz", admin), 400,
      "malformed percent-encoding in the query string");
    assertError(get("/api/suppressions/check?email=%zz", admin), 400,
      "malformed percent-encoding in the query string");
    assertError(get("/api/suppressions/check?email=a%2", admin), 400, "percent-encoding");
  }

  @Test
  void labelsEachEndpointOnceInTheMetrics() {
    String id = UUID.randomUUID().toString();
    post("/api/messages", operator, new JsonArray().add(message(id, "labels", "l@x.io"))
      .encode());
    get("/api/messages/" + id, operator);
    post("/webhook/engagelab", null, "{}");
    get("/api/images", operator);
    HttpResponse<Buffer> upload = system.http.post("/api/images")
      .bearerTokenAuthentication(operator)
      .sendMultipartForm(MultipartForm.create()
        .binaryFileUpload("image", "note.png", Buffer.buffer("not an image"), "image/png"))
      .await();
    assertThat(upload.statusCode()).isEqualTo(415);
    get("/api/nothing-here", admin);
    send(HttpMethod.PUT, "/api/images", admin, null);

    Set<String> routes = new TreeSet<>();
    Matcher label = Pattern.compile("vertx_http_server_requests_total\\{[^}]*route=\"([^\"]*)\"")
      .matcher(get("/metrics", null).bodyAsString());
    while (label.find()) {
      routes.add(label.group(1));
    }
    assertThat(routes).contains("/api/messages", "/api/messages/:id", "/webhook/engagelab",
      "/api/images", "unmatched");
    assertThat(routes).allSatisfy(route -> assertThat(route).isNotEmpty().doesNotContain(">"));
  }

  private static String oscar;

  /** A second operator, so that olivia's campaign is someone else's; created once. */
  private static synchronized String otherOperator() {
    if (oscar == null) {
      system.createUser("oscar", "oscar-password", "operator", true);
      oscar = system.login("oscar", "oscar-password");
    }
    return oscar;
  }

  private static JsonObject message(String id, String campaign, String recipient) {
    return new JsonObject().put("id", id).put("campaignId", campaign).put("recipient", recipient);
  }

  private static String login(String user, String password) {
    return new JsonObject().put("usernameOrEmail", user).put("password", password).encode();
  }

  private static void assertError(HttpResponse<Buffer> response, int status, String text) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    assertThat(response.getHeader("Content-Type")).startsWith("application/json");
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.getBoolean("success")).isFalse();
    assertThat(body.getJsonObject("error").getString("message")).contains(text);
  }

  /** A multipart form body, as curl -F a=b sends it. */
  private static HttpResponse<Buffer> multipart(HttpMethod method, String path, String token) {
    var request = system.http.request(method, path);
    if (token != null) {
      request.bearerTokenAuthentication(token);
    }
    return request.sendMultipartForm(MultipartForm.create().attribute("a", "b")).await();
  }

  private static HttpResponse<Buffer> get(String path, String token) {
    return send(HttpMethod.GET, path, token, null);
  }

  private static HttpResponse<Buffer> post(String path, String token, String body) {
    return send(HttpMethod.POST, path, token, body);
  }

  private static HttpResponse<Buffer> send(HttpMethod method, String path, String token,
      String body) {
    var request = system.http.request(method, path);
    if (token != null) {
      request.bearerTokenAuthentication(token);
    }
    return body == null ? request.send().await() : request.sendBuffer(Buffer.buffer(body)).await();
  }
}
