package org.edm.gateway;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.PlatformHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.sqlclient.Pool;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;
import org.edm.common.BusErrors;
import org.edm.common.Database;
import org.edm.common.PgUrl;
import org.edm.common.Settings;
import org.edm.tracking.HitRequest;
import org.edm.tracking.TrackingAddresses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP edge: login, the REST API and the public tracking paths. It owns no business
 * logic; each request becomes an event-bus request to the concern that owns the path.
 */
public class GatewayVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);

  /** The smallest transparent 1x1 GIF. */
  static final Buffer PIXEL = Buffer.buffer(Base64.getDecoder().decode(
    "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"));

  // Header values made once as ASCII, as Netty writes them without encoding them again.
  private static final CharSequence NO_STORE =
    HttpHeaders.createOptimized("no-store, no-cache, must-revalidate, max-age=0");
  private static final CharSequence PRAGMA = HttpHeaders.createOptimized("Pragma");
  private static final CharSequence NO_CACHE = HttpHeaders.createOptimized("no-cache");
  private static final CharSequence ZERO = HttpHeaders.createOptimized("0");
  private static final CharSequence IMAGE_GIF = HttpHeaders.createOptimized("image/gif");

  private static final String OPEN_PREFIX = "/track/open/";
  private static final String OPEN_ROUTE = OPEN_PREFIX + ":token";
  /** The metrics route label of requests no route took. */
  private static final String UNMATCHED = "unmatched";

  private static final List<String> CONCERNS =
    List.of("tracking", "webhook", "sessions", "imaging");

  private final DeliveryOptions hitDelivery = new DeliveryOptions().setSendTimeout(2000);
  private Pool pool;
  private LoginService logins;
  private HitRelay relay;

  @Override
  public Future<?> start() {
    Settings settings = new Settings(config());
    PgUrl pg = PgUrl.parse("pg.url", settings.string("pg.url"));
    pool = Database.pool(vertx, pg, "gateway", settings.integer("pg.poolSize", 1, 1000));
    JWTAuth jwt = JWTAuth.create(vertx, new JWTAuthOptions()
      .addPubSecKey(new PubSecKeyOptions()
        .setAlgorithm("HS256")
        .setBuffer(settings.string("auth.jwtSecret"))));
    logins = new LoginService(vertx, pool, jwt, settings.integer("auth.tokenMinutes", 1,
      525_600));

    relay = new HitRelay(vertx);
    Router router = router(jwt, settings);
    // Tracking URLs carry their target, so request lines may be longer than usual.
    // An idle timeout ends requests whose body never completes, such as a cut multipart upload.
    // No WebSocket is served: without the compression extensions, no handler for them sits in
    // every connection's pipeline, looking at every pixel response.
    HttpServerOptions options = new HttpServerOptions().setMaxInitialLineLength(16_384)
      .setIdleTimeout(60)
      .setPerMessageWebSocketCompressionSupported(false)
      .setPerFrameWebSocketCompressionSupported(false);
    return vertx.createHttpServer(options)
      .requestHandler(request -> {
        if (servePixel(request)) {
          return;
        }
        if (!hasValidEscapes(request.path())) {
          // The router would fail decoding it with a stack trace and a plain-text 400.
          request.routed(UNMATCHED);
          refuse(request, 400, "malformed percent-encoding in the path");
          return;
        }
        router.handle(request);
      })
      .invalidRequestHandler(GatewayVerticle::invalidRequest)
      .listen(settings.integer("http.port", 0, 65535));
  }

  @Override
  public Future<?> stop() {
    relay.flush();
    return pool.close();
  }

  /**
   * Each endpoint is one route that runs its own checks (token, user, body) before its
   * handler: a request then matches one route, whose path is its metrics label, and a method
   * the path does not take is a 405 before anything is read.
   */
  private Router router(JWTAuth jwt, Settings settings) {
    Router router = Router.router(vertx);
    ApiAccess api = new ApiAccess(pool, jwt,
      settings.integer("http.bodyLimit", 1024, Integer.MAX_VALUE));
    router.get("/health").handler(this::health);
    router.head("/health").handler(this::health);
    router.get("/metrics").handler(PrometheusScrapingHandler.create());
    router.head("/metrics").handler(PrometheusScrapingHandler.create());
    // Pixel paths servePixel leaves alone (encoded or unusual ones) still get here.
    router.route(HttpMethod.GET, OPEN_ROUTE).handler(this::open);
    router.route(HttpMethod.HEAD, OPEN_ROUTE).handler(this::open);
    router.route(HttpMethod.GET, "/track/click/:token").handler(this::click);
    router.route(HttpMethod.HEAD, "/track/click/:token").handler(this::click);
    WebhookRoutes webhook = new WebhookRoutes(vertx, settings);
    webhook.mountCallbacks(router);

    new ImageRoutes(vertx, settings, api).mount(router);
    api.open(router, HttpMethod.POST, "/api/auth/login").handler(this::login);
    api.json(router, HttpMethod.POST, "/api/messages")
      .handler(forward(TrackingAddresses.REGISTER, this::messages));
    api.json(router, HttpMethod.GET, "/api/messages/:id")
      .handler(forward(TrackingAddresses.MESSAGE, this::idOnly));
    api.json(router, HttpMethod.POST, "/api/messages/:id/instrument")
      .handler(forward(TrackingAddresses.INSTRUMENT, ctx -> body(ctx).put("id", id(ctx))));
    api.json(router, HttpMethod.GET, "/api/campaigns/:id/stats")
      .handler(forward(TrackingAddresses.STATS, this::idOnly));
    api.json(router, HttpMethod.PUT, "/api/campaigns/:id/do-not-track")
      .handler(forward(TrackingAddresses.CAMPAIGN_DNT, ctx -> campaignDnt(ctx, true)));
    api.json(router, HttpMethod.DELETE, "/api/campaigns/:id/do-not-track")
      .handler(forward(TrackingAddresses.CAMPAIGN_DNT, ctx -> campaignDnt(ctx, false)));
    api.json(router, HttpMethod.PUT, "/api/do-not-track/:email")
      .handler(forward(TrackingAddresses.RECIPIENT_DNT, ctx -> recipientDnt(ctx, true)));
    api.json(router, HttpMethod.DELETE, "/api/do-not-track/:email")
      .handler(forward(TrackingAddresses.RECIPIENT_DNT, ctx -> recipientDnt(ctx, false)));

    api.json(router, HttpMethod.GET, "/api/suppressions")
      .handler(forward(TrackingAddresses.SUPPRESSIONS, ctx -> new JsonObject()));
    api.json(router, HttpMethod.GET, "/api/suppressions/check")
      .handler(forward(TrackingAddresses.SUPPRESSION_CHECK,
        ctx -> new JsonObject().put("email", ctx.request().getParam("email"))));
    webhook.mountAdmin(router, api);

    // A route without a path adds nothing to the metrics label.
    router.route().failureHandler(this::failure);
    router.errorHandler(404, this::unmatched);
    router.errorHandler(405, this::unmatched);
    return router;
  }

  /**
   * The API speaks JSON whatever the Content-Type says, so a body sent as a form (curl -d)
   * is read whole as JSON instead of being cut at the form parser's limit. Multipart is
   * refused: only the upload routes, which do not come here, take it. A platform handler, as
   * vertx-web orders handlers on a route, since it must run before the body handler.
   */
  static final PlatformHandler JSON_BODY = GatewayVerticle::jsonBody;

  private static void jsonBody(RoutingContext ctx) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/")) {
      ctx.fail(415);
      return;
    }
    String encoding = ctx.request().getHeader(HttpHeaders.CONTENT_ENCODING);
    if (encoding != null && !encoding.isBlank() && !"identity".equalsIgnoreCase(encoding.trim())) {
      ctx.fail(BusErrors.of(415, "Content-Encoding " + encoding.trim()
        + " is not accepted; send the body uncompressed"));
      return;
    }
    ctx.request().headers().set(HttpHeaders.CONTENT_TYPE, "application/json");
    ctx.next();
  }

  /** Requests the HTTP codec refused (line or headers too long, malformed) still get JSON. */
  private static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    int status = cause instanceof TooLongHttpLineException ? 414
      : cause instanceof TooLongHttpHeaderException ? 431 : 400;
    String message = status == 414 ? "request line too long"
      : status == 431 ? "request headers too large" : "malformed HTTP request";
    request.response().putHeader(HttpHeaders.CONNECTION, "close");
    request.routed(UNMATCHED);
    refuse(request, status, message).onComplete(done -> request.connection().close());
  }

  /** A JSON error answered without the router. */
  private static Future<Void> refuse(HttpServerRequest request, int status, String message) {
    return request.response()
      .setStatusCode(status)
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=utf-8")
      .end(new JsonObject().put("success", false)
        .put("error", new JsonObject().put("message", message)).encode());
  }

  private static HitRequest hitRequest(HttpServerRequest request, String token, boolean open) {
    return new HitRequest(open, token, System.currentTimeMillis(),
      request.remoteAddress().hostAddress(), request.getHeader("X-Forwarded-For"),
      request.getHeader(HttpHeaders.USER_AGENT), request.method().name());
  }

  /**
   * The open pixel is most of the traffic and needs nothing the router offers, so a GET or
   * HEAD of it is answered before routing; false leaves the request to the router.
   */
  private boolean servePixel(HttpServerRequest request) {
    HttpMethod method = request.method();
    String path = request.path();
    if ((method != HttpMethod.GET && method != HttpMethod.HEAD) || path == null
        || !path.startsWith(OPEN_PREFIX)) {
      return false;
    }
    String token = path.substring(OPEN_PREFIX.length());
    if (token.isEmpty() || token.indexOf('/') >= 0) {
      return false;
    }
    if (token.indexOf('%') >= 0) {
      // Still the pixel for a malformed escape, which can only be a bad token.
      token = hasValidEscapes(token) ? QueryStringDecoder.decodeComponent(token) : "";
    }
    request.routed(OPEN_ROUTE);
    open(request, token);
    return true;
  }

  /** Whether every % in a path starts a two-digit hex escape. */
  static boolean hasValidEscapes(String path) {
    if (path == null) {
      return true;
    }
    for (int i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i + 1)) {
      if (i + 2 >= path.length() || Character.digit(path.charAt(i + 1), 16) < 0
          || Character.digit(path.charAt(i + 2), 16) < 0) {
        return false;
      }
    }
    return true;
  }

  private void open(RoutingContext ctx) {
    open(ctx.request(), ctx.pathParam("token"));
  }

  /** The pixel is answered at once, whatever happens to the hit: a mail client must never
   *  show a broken image, and the answer is the same either way. */
  private void open(HttpServerRequest request, String token) {
    relay.add(hitRequest(request, token, true).toOpenArray());
    noStore(request.response())
      .putHeader(HttpHeaders.CONTENT_TYPE, IMAGE_GIF)
      .end(PIXEL);
  }

  private void click(RoutingContext ctx) {
    HitRequest hit = hitRequest(ctx.request(), ctx.pathParam("token"), false);
    vertx.eventBus().<JsonObject>request(TrackingAddresses.HIT, hit.toJson(), hitDelivery)
      .onSuccess(reply -> noStore(ctx.response())
        .setStatusCode(302)
        .putHeader(HttpHeaders.LOCATION, reply.body().getString("location"))
        .end())
      .onFailure(err -> {
        if (!(err instanceof ReplyException reply && reply.failureCode() == 400)) {
          HitRelay.countUnrouted();
        }
        ctx.fail(err);
      });
  }

  private static HttpServerResponse noStore(HttpServerResponse response) {
    return response
      .putHeader(HttpHeaders.CACHE_CONTROL, NO_STORE)
      .putHeader(PRAGMA, NO_CACHE)
      .putHeader(HttpHeaders.EXPIRES, ZERO);
  }

  private void login(RoutingContext ctx) {
    JsonObject body = body(ctx);
    Object user = body.getValue("usernameOrEmail");
    Object password = body.getValue("password");
    if (!(user instanceof String name) || name.isBlank() || !(password instanceof String)) {
      ctx.fail(BusErrors.of(400, "expected {usernameOrEmail, password} as text"));
      return;
    }
    logins.login(name.trim(), (String) password)
      .onSuccess(answer -> json(ctx, 200, answer))
      .onFailure(ctx::fail);
  }

  private io.vertx.core.Handler<RoutingContext> forward(String address,
      Function<RoutingContext, JsonObject> build) {
    return Forwarding.forward(vertx, address, build);
  }

  private JsonObject messages(RoutingContext ctx) {
    Object parsed = parse(ctx);
    if (parsed instanceof JsonArray list) {
      return new JsonObject().put("messages", list);
    }
    if (parsed instanceof JsonObject object && object.getValue("messages") instanceof JsonArray) {
      return object;
    }
    throw BusErrors.of(400, "expected a JSON array of messages or {messages: [...]}");
  }

  private JsonObject idOnly(RoutingContext ctx) {
    return new JsonObject().put("id", id(ctx));
  }

  private static String id(RoutingContext ctx) {
    return ctx.pathParam("id");
  }

  private JsonObject campaignDnt(RoutingContext ctx, boolean doNotTrack) {
    return new JsonObject().put("campaignId", id(ctx)).put("doNotTrack", doNotTrack);
  }

  private JsonObject recipientDnt(RoutingContext ctx, boolean doNotTrack) {
    return new JsonObject().put("email", ctx.pathParam("email")).put("doNotTrack", doNotTrack);
  }

  private static Object parse(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      throw BusErrors.of(400, "request body is empty, expected JSON");
    }
    String text = body.toString(java.nio.charset.StandardCharsets.UTF_8);
    if (text.indexOf('\u0000') >= 0 || text.contains("\\u0000")) {
      throw BusErrors.of(400, "text may not contain NUL characters");
    }
    try {
      return body.toJsonValue();
    } catch (DecodeException e) {
      throw BusErrors.of(400, "request body is not valid JSON");
    }
  }

  static JsonObject body(RoutingContext ctx) {
    if (parse(ctx) instanceof JsonObject object) {
      return object;
    }
    throw BusErrors.of(400, "expected a JSON object");
  }

  /** 200 when every concern answers up, else 503 naming what is down. */
  private void health(RoutingContext ctx) {
    DeliveryOptions quick = new DeliveryOptions().setSendTimeout(2000);
    Future<JsonObject> gateway = pool.query("SELECT 1").execute()
      .map(rows -> new JsonObject().put("status", "up").put("postgres", "up"))
      .otherwise(err -> new JsonObject().put("status", "down").put("postgres", "down"));
    List<Future<JsonObject>> checks = CONCERNS.stream()
      .map(concern -> vertx.eventBus().<JsonObject>request(concern + ".health",
          new JsonObject(), quick)
        .map(reply -> reply.body())
        .otherwise(err -> new JsonObject().put("status", "down")
          .put("reason", err.getMessage())))
      .toList();
    Future.join(gateway, Future.join(checks)).onComplete(done -> {
      JsonObject concerns = new JsonObject().put("gateway", gateway.result());
      JsonArray down = new JsonArray();
      for (int i = 0; i < CONCERNS.size(); i++) {
        concerns.put(CONCERNS.get(i), checks.get(i).result());
      }
      concerns.forEach(entry -> {
        if (!"up".equals(((JsonObject) entry.getValue()).getString("status"))) {
          down.add(entry.getKey());
        }
      });
      JsonObject answer = new JsonObject()
        .put("status", down.isEmpty() ? "up" : "down")
        .put("down", down)
        .put("concerns", concerns);
      json(ctx, down.isEmpty() ? 200 : 503, answer);
    });
  }

  /** No route took the path (404) or its method (405): one label for all such requests. */
  private void unmatched(RoutingContext ctx) {
    ctx.request().routed(UNMATCHED);
    failure(ctx);
  }

  private void failure(RoutingContext ctx) {
    Throwable err = ctx.failure();
    int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
    String message = switch (status) {
      // Query parameters are decoded on first use, which fails with a bare 400.
      case 400 -> hasValidEscapes(ctx.request().query()) ? "malformed request"
        : "malformed percent-encoding in the query string";
      case 401 -> "authentication required: send a valid token as Authorization: Bearer";
      case 415 -> "expected a JSON body";
      case 404 -> "no such resource: " + ctx.request().path();
      case 405 -> "method not allowed";
      case 413 -> ctx.get(Forwarding.TOO_LARGE, "request body too large");
      default -> "internal error";
    };
    if (err instanceof ReplyException reply) {
      switch (reply.failureType()) {
        case NO_HANDLERS -> {
          status = 503;
          message = "the service for this path is not running";
        }
        case TIMEOUT -> {
          status = 504;
          message = "the service for this path did not answer in time";
        }
        default -> {
          status = reply.failureCode() >= 400 && reply.failureCode() < 600
            ? reply.failureCode() : 500;
          message = reply.getMessage();
        }
      }
    }
    if (status >= 500) {
      LOG.error("{} {} failed with {}", ctx.request().method(), ctx.request().path(), status,
        err);
    } else {
      LOG.debug("{} {}: {} {}", ctx.request().method(), ctx.request().path(), status, message);
    }
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    json(ctx, status, new JsonObject().put("success", false)
      .put("error", new JsonObject().put("message", message)));
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    Forwarding.json(ctx, status, body);
  }
}
