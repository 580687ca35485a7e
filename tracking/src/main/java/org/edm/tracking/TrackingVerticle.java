package org.edm.tracking;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.edm.common.BusErrors;
import org.edm.common.BusService;
import org.edm.common.Caller;
import org.edm.common.Database;
import org.edm.common.RedisClients;
import org.edm.common.Settings;

/**
 * Opens and clicks: checks tokens, classifies hits and appends them to Redis; moves them into
 * PostgreSQL through the batcher; registers messages, instruments emails and answers stats.
 */
public class TrackingVerticle extends VerticleBase {

  static final int MAX_MESSAGES_PER_REQUEST = 10_000;
  private static final int MAX_USER_AGENT = 512;
  private static final Pattern CAMPAIGN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
  private static final Pattern EMAIL = Pattern.compile("[^@\\s<>]+@[^@\\s<>]+\\.[^@\\s<>]+");

  private TrackingConfig settings;
  private TrackingToken tokens;
  private ClientIp clientIp;
  private HitClassifier classifier;
  private Pool pool;
  private Redis redis;
  private HitAppender appender;
  private HitBatcher batcher;
  private MessageStore messages;
  private ProviderEventStore providerEvents;

  @Override
  public Future<?> start() {
    settings = TrackingConfig.from(new Settings(config()));
    tokens = new TrackingToken(settings.secret());
    clientIp = new ClientIp(Cidr.parseAll(settings.trustedProxies()), settings.truncateIp());
    classifier = new HitClassifier(new HitClassifier.Settings(
      Cidr.parseAll(settings.prefetchCidrs()), settings.minHumanClickMs()));
    pool = Database.pool(vertx, settings.pg(), "tracking", settings.pgPoolSize());
    redis = RedisClients.create(vertx, settings.redisUrl(), settings.redisPoolSize());
    appender = new HitAppender(vertx, redis, settings.stream(), settings.appendBatch(),
      settings.appendIntervalMs(), Math.max(1, settings.bufferLimit() / settings.instances()));
    messages = new MessageStore(pool);
    HitStore hitStore = new HitStore(pool);
    batcher = new HitBatcher(vertx, redis, hitStore, settings, consumerName(),
      appender::accepted);
    providerEvents = new ProviderEventStore(pool, hitStore);

    return Future.all(List.of(
      BusService.serve(vertx, TrackingAddresses.HIT, this::hit),
      BusService.serve(vertx, TrackingAddresses.HITS, this::hits),
      BusService.serve(vertx, TrackingAddresses.REGISTER, this::register),
      BusService.serve(vertx, TrackingAddresses.MESSAGE, this::message),
      BusService.serve(vertx, TrackingAddresses.INSTRUMENT, this::instrument),
      BusService.serve(vertx, TrackingAddresses.STATS, this::stats),
      BusService.serve(vertx, TrackingAddresses.CAMPAIGN_DNT, this::campaignDoNotTrack),
      BusService.serve(vertx, TrackingAddresses.RECIPIENT_DNT, this::recipientDoNotTrack),
      BusService.<JsonObject, JsonObject>serve(vertx, TrackingAddresses.PROVIDER_EVENT,
        message -> providerEvents.apply(message.body())),
      BusService.<JsonObject, JsonObject>serve(vertx, TrackingAddresses.SUPPRESSIONS,
        message -> providerEvents.list(Caller.from(message.headers()))),
      BusService.serve(vertx, TrackingAddresses.SUPPRESSION_CHECK, this::checkSuppression),
      BusService.serve(vertx, TrackingAddresses.HEALTH, this::health),
      batcher.start()));
  }

  @Override
  public Future<?> stop() {
    return batcher.stop().eventually(() -> redis.close().eventually(pool::close));
  }

  private String consumerName() {
    return ManagementFactory.getRuntimeMXBean().getName() + "-"
      + UUID.randomUUID().toString().substring(0, 8);
  }

  /** The hot path: no database, one append to a local buffer. */
  private Future<JsonObject> hit(Message<JsonObject> message) {
    try {
      return Future.succeededFuture(record(HitRequest.fromJson(message.body())));
    } catch (ReplyException e) {
      return Future.failedFuture(e);
    }
  }

  private Future<JsonObject> hits(Message<JsonObject> message) {
    JsonArray batch = message.body().getJsonArray("hits", new JsonArray());
    int recorded = 0;
    for (int i = 0; i < batch.size(); i++) {
      if (batch.getValue(i) instanceof JsonArray open && open.size() == 6
          && record(HitRequest.fromOpenArray(open)).getBoolean("recorded")) {
        recorded++;
      }
    }
    return Future.succeededFuture(new JsonObject().put("recorded", recorded));
  }

  /** Checks, classifies and buffers one hit; a bad click fails with 400. */
  private JsonObject record(HitRequest request) {
    boolean open = request.open();
    TrackingToken.Claims claims = tokens.verify(request.token());
    if (claims == null || claims.open() != open) {
      if (open) {
        return new JsonObject().put("recorded", false);
      }
      throw BusErrors.of(400, "invalid or altered tracking link");
    }
    String location = open ? null : TrackedLink.normalize(claims.url());
    if (!open && location == null) {
      throw BusErrors.of(400, "tracking link target is not an http(s) URL");
    }

    long at = request.at();
    byte[] ip = clientIp.resolveAddress(request.peer(), request.forwardedFor());
    String userAgent = Hit.withoutSeparators(truncate(Hit.headerText(request.userAgent())));
    HitClassifier.Kind kind = classifier.classify(open, request.method(), userAgent, ip,
      at - claims.issuedAtMillis());
    Hit hit = new Hit(null, claims.messageId(), open, location, at, clientIp.format(ip),
      userAgent, kind.label(), Hit.PIXEL);
    boolean recorded = appender.append(hit);

    JsonObject reply = new JsonObject().put("recorded", recorded);
    return open ? reply : reply.put("location", location);
  }

  private static String truncate(String userAgent) {
    if (userAgent == null || userAgent.length() <= MAX_USER_AGENT) {
      return userAgent;
    }
    return userAgent.substring(0, MAX_USER_AGENT);
  }

  private Future<JsonObject> register(Message<JsonObject> message) {
    Caller caller = Caller.from(message.headers());
    if (!caller.canWrite()) {
      return BusErrors.forbidden("read-only users cannot register messages");
    }
    JsonArray entries = message.body().getJsonArray("messages");
    if (entries == null || entries.isEmpty()) {
      return BusErrors.badRequest("expected a non-empty array of messages");
    }
    if (entries.size() > MAX_MESSAGES_PER_REQUEST) {
      return BusErrors.badRequest("at most " + MAX_MESSAGES_PER_REQUEST + " messages a request");
    }
    List<MessageStore.NewMessage> parsed = new ArrayList<>(entries.size());
    Map<UUID, Integer> firstEntry = new HashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      MessageStore.NewMessage entry = parseMessage(i, entries.getValue(i));
      Integer first = firstEntry.putIfAbsent(entry.id(), i);
      if (first != null && !parsed.get(first).sameAs(entry)) {
        throw BusErrors.of(400, "messages[" + i + "].id: repeats messages[" + first
          + "] with different details");
      }
      parsed.add(entry);
    }
    return messages.register(caller, parsed);
  }

  private static MessageStore.NewMessage parseMessage(int index, Object value) {
    String where = "messages[" + index + "]";
    if (!(value instanceof JsonObject entry)) {
      throw BusErrors.of(400, where + ": expected an object");
    }
    UUID id = uuid(entry.getValue("id"));
    if (id == null) {
      throw BusErrors.of(400, where + ".id: expected a UUID");
    }
    Object campaign = entry.getValue("campaignId");
    if (!(campaign instanceof String text && CAMPAIGN_ID.matcher(text).matches())) {
      throw BusErrors.of(400, where + ".campaignId: expected 1-128 letters, digits or ._:-");
    }
    Object recipient = entry.getValue("recipient");
    if (!(recipient instanceof String address && address.length() <= 254
        && EMAIL.matcher(address).matches())) {
      throw BusErrors.of(400, where + ".recipient: expected an email address");
    }
    Object providerId = entry.getValue("providerMessageId");
    if (providerId != null
        && !(providerId instanceof String provider && provider.length() <= 255)) {
      throw BusErrors.of(400, where + ".providerMessageId: expected text up to 255 characters");
    }
    return new MessageStore.NewMessage(id, (String) campaign, (String) recipient,
      (String) providerId);
  }

  static UUID uuid(Object value) {
    if (!(value instanceof String text) || text.length() != 36) {
      return null;
    }
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private Future<JsonObject> message(Message<JsonObject> message) {
    Caller caller = Caller.from(message.headers());
    UUID id = uuid(message.body().getValue("id"));
    if (id == null) {
      return BusErrors.badRequest("message id must be a UUID");
    }
    return messages.ownedMessage(caller, id).map(MessageStore::toJson);
  }

  private Future<JsonObject> instrument(Message<JsonObject> message) {
    Caller caller = Caller.from(message.headers());
    UUID id = uuid(message.body().getValue("id"));
    if (id == null) {
      return BusErrors.badRequest("message id must be a UUID");
    }
    Object html = message.body().getValue("html");
    if (!(html instanceof String)) {
      return BusErrors.badRequest("html: expected the email's HTML as a string");
    }
    long issuedAt = System.currentTimeMillis();
    return messages.ownedMessage(caller, id)
      .map(row -> LinkInstrumenter.instrument((String) html,
        link -> settings.clickUrl(tokens.click(id, issuedAt, TrackedLink.normalize(link))),
        settings::isClickUrl,
        settings.openUrl(tokens.open(id, issuedAt))))
      .map(result -> new JsonObject()
        .put("html", result.html())
        .put("links", new JsonArray(result.links()))
        .put("untracked", new JsonArray(result.untracked())));
  }

  private Future<JsonObject> stats(Message<JsonObject> message) {
    Caller caller = Caller.from(message.headers());
    String campaignId = message.body().getString("id", "");
    return messages.checkCampaignOwner(caller, campaignId)
      .compose(v -> messages.stats(campaignId));
  }

  private Future<JsonObject> campaignDoNotTrack(Message<JsonObject> message) {
    Caller caller = Caller.from(message.headers());
    String campaignId = message.body().getString("campaignId", "");
    boolean doNotTrack = message.body().getBoolean("doNotTrack", true);
    if (!caller.canWrite()) {
      return BusErrors.forbidden("read-only users cannot change tracking");
    }
    return messages.checkCampaignOwner(caller, campaignId)
      .compose(v -> messages.setCampaignDoNotTrack(campaignId, doNotTrack))
      .map(v -> new JsonObject().put("campaignId", campaignId).put("doNotTrack", doNotTrack));
  }

  private Future<JsonObject> recipientDoNotTrack(Message<JsonObject> message) {
    Caller caller = Caller.from(message.headers());
    Object email = message.body().getValue("email");
    boolean doNotTrack = message.body().getBoolean("doNotTrack", true);
    if (!caller.canWrite()) {
      return BusErrors.forbidden("read-only users cannot change tracking");
    }
    if (!(email instanceof String address && EMAIL.matcher(address).matches())) {
      return BusErrors.badRequest("email: expected an email address");
    }
    return messages.setRecipientDoNotTrack(caller, address, doNotTrack)
      .map(v -> new JsonObject().put("email", address.toLowerCase(Locale.ROOT))
        .put("doNotTrack", doNotTrack));
  }

  private Future<JsonObject> checkSuppression(Message<JsonObject> message) {
    Caller caller = Caller.from(message.headers());
    Object email = message.body().getValue("email");
    if (!(email instanceof String address && EMAIL.matcher(address).matches())) {
      return BusErrors.badRequest("email: expected an email address");
    }
    return providerEvents.check(caller, address);
  }

  private Future<JsonObject> health(Message<JsonObject> message) {
    Future<String> pg = pool.query("SELECT 1").execute().map("up").otherwise("down");
    Future<String> cache = redis.send(Request.cmd(Command.PING)).map("up").otherwise("down");
    return Future.all(pg, cache).map(all -> new JsonObject()
      .put("status", "up".equals(pg.result()) && "up".equals(cache.result()) ? "up" : "down")
      .put("postgres", pg.result())
      .put("redis", cache.result())
      .put("buffered", appender.buffered())
      .put("backlog", HitBatcher.backlog()));
  }
}
