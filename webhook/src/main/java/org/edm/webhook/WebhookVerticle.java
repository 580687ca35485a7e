package org.edm.webhook;

import io.micrometer.core.instrument.Metrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.edm.common.BusErrors;
import org.edm.common.BusService;
import org.edm.common.Caller;
import org.edm.common.Database;
import org.edm.common.Settings;
import org.edm.common.ThrottledWarning;
import org.edm.sessions.SessionsAddresses;
import org.edm.tracking.TrackingAddresses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * EngageLab callbacks: verified, stored before they are answered, deduplicated, and applied
 * through an outbox that retries until each effect is done.
 */
public class WebhookVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookVerticle.class);
  // A sender can trigger these on every callback; metrics count each, the log one a minute.
  private static final ThrottledWarning REFUSED = new ThrottledWarning(LOG, 60_000);
  private static final ThrottledWarning GUESSED_TIME = new ThrottledWarning(LOG, 60_000);

  /** Event types whose effect lands in the tracking concern's ledger. */
  private static final Set<String> TRACKING_TYPES = Set.of("target", "sent", "delivered",
    "invalid_email", "soft_bounce", "open", "click", "unsubscribe", "report_spam");
  private static final AtomicLong OUTBOX =
    Metrics.gauge("edm.webhook.outbox.backlog", new AtomicLong());
  /** Callbacks stored this recently mean a burst is under way. */
  private static final long INTAKE_BUSY_NANOS = 1_000_000_000L;
  /** How much longer than a batch took the drain rests while callbacks keep arriving. */
  private static final int REST_FACTOR = 2;

  private WebhookConfig settings;
  private Pool pool;
  private WebhookStore store;
  private CallbackWriter writer;
  private SignatureVerifier verifier;
  private boolean draining;
  private boolean resting;
  private long lastStoredNanos;
  private long pollTimer;

  @Override
  public Future<?> start() {
    settings = WebhookConfig.from(new Settings(config()));
    pool = Database.pool(vertx, settings.pg(), "webhook", settings.pgPoolSize());
    store = new WebhookStore(pool);
    writer = new CallbackWriter(store);
    verifier = new SignatureVerifier(settings.secrets(), settings.recipe(),
      settings.timestampWindowSeconds());
    if ("off".equals(settings.mode())) {
      LOG.warn("WEBHOOK_SECRET is not set: callbacks are accepted without a signature check");
    }
    pollTimer = vertx.setPeriodic(settings.outboxPollMs(), id -> {
      drainOutbox();
      store.backlog().onSuccess(OUTBOX::set);
    });

    return Future.all(List.of(
      BusService.serve(vertx, WebhookAddresses.RECEIVE, this::receive),
      BusService.serve(vertx, WebhookAddresses.EVENTS, this::events),
      BusService.serve(vertx, WebhookAddresses.REPLAY, this::replay),
      BusService.serve(vertx, WebhookAddresses.HEALTH, this::health)));
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(pollTimer);
    return pool.close();
  }

  private Future<JsonObject> receive(Message<JsonObject> message) {
    JsonObject request = message.body();
    JsonObject headers = PgText.plainStrings(request.getJsonObject("headers", new JsonObject()));
    // Before parsing, so that the stored body and every value read from it agree.
    String body = PgText.json(request.getString("body", ""));
    checkPathToken(request.getString("pathToken"));

    // An empty POST, {} or []: EngageLab checking that the URL answers, unsigned.
    List<Callback> callbacks;
    try {
      callbacks = body.isBlank() ? List.of() : parse(body);
    } catch (ReplyException malformed) {
      // An unsigned sender hears 401, not what the parser made of its body.
      verify(headers);
      throw malformed;
    }
    if (callbacks.isEmpty()) {
      return Future.succeededFuture(new JsonObject().put("stored", 0).put("duplicates", 0));
    }
    String verified = verify(headers);
    Metrics.counter("edm.webhook.events.received").increment(callbacks.size());
    callbacks.forEach(WebhookVerticle::warnOfGuessedTime);
    return writer.write(new WebhookStore.Incoming(body, headers, verified, callbacks))
      .onSuccess(result -> {
        int duplicates = result.getInteger("duplicates");
        if (duplicates > 0) {
          Metrics.counter("edm.webhook.events.duplicate").increment(duplicates);
        }
        if (result.getInteger("stored") > 0) {
          lastStoredNanos = System.nanoTime();
          vertx.runOnContext(v -> drainOutbox());
        }
      })
      .map(result -> result.copy().put("verified", verified));
  }

  /** The path token, when configured, must be in the URL; compared in constant time. */
  private void checkPathToken(String given) {
    if (given == null) {
      return;
    }
    String expected = settings.pathToken();
    if (expected.isEmpty() || !MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
        expected.getBytes(StandardCharsets.UTF_8))) {
      Metrics.counter("edm.webhook.rejected", "reason", "path_token").increment();
      throw BusErrors.of(404, "no such webhook path");
    }
  }

  /** The recipe that matched, "unverified" without a secret, or "failed" in report mode. */
  private String verify(JsonObject headers) {
    if ("off".equals(settings.mode())) {
      Metrics.counter("edm.webhook.verified", "recipe", "none").increment();
      return "unverified";
    }
    SignatureVerifier.Result result = verifier.verify(headers.getString("x-webhook-timestamp"),
      headers.getString("x-webhook-appkey"), headers.getString("x-webhook-signature"),
      System.currentTimeMillis());
    if (result.valid()) {
      Metrics.counter("edm.webhook.verified", "recipe", result.recipe()).increment();
      return result.recipe();
    }
    Metrics.counter("edm.webhook.rejected", "reason", result.label()).increment();
    if ("report".equals(settings.mode())) {
      REFUSED.warn("callback signature check failed ({}); accepted in report mode",
        result.reason());
      return "failed";
    }
    REFUSED.warn("callback refused: {}", result.reason());
    throw BusErrors.of(401, "webhook signature check failed: " + result.reason());
  }

  private static List<Callback> parse(String body) {
    Object json;
    try {
      json = Buffer.buffer(body).toJsonValue();
    } catch (DecodeException e) {
      throw BusErrors.of(400, "callback body is not valid JSON");
    }
    long now = System.currentTimeMillis();
    List<Callback> callbacks = new ArrayList<>();
    if (json instanceof JsonObject object) {
      if (!object.isEmpty()) {
        callbacks.addAll(CallbackParser.parse(object, body, now));
      }
    } else if (json instanceof JsonArray array) {
      for (int i = 0; i < array.size(); i++) {
        if (!(array.getValue(i) instanceof JsonObject element)) {
          throw BusErrors.of(400, "callback array entry " + i + " is not a JSON object");
        }
        callbacks.addAll(CallbackParser.parse(element, element.encode(), now));
      }
    } else {
      throw BusErrors.of(400, "callback body must be a JSON object or an array of them");
    }
    return callbacks;
  }

  private static void warnOfGuessedTime(Callback callback) {
    if (callback.ignoredTime() != null) {
      GUESSED_TIME.warn("{} callback's time {} is unreadable or not plausible (before 2000 or "
        + "over a day after arrival); using the time it arrived", callback.type(),
        callback.ignoredTime());
    } else if ("received".equals(callback.timeSource())) {
      GUESSED_TIME.warn("{} callback carries no itime or timestamp; using the time it arrived",
        callback.type());
    }
  }

  /**
   * Applies due outbox entries in event order; one drain at a time per instance. While
   * callbacks keep arriving, storing them comes first: after each full batch the drain rests
   * twice as long as the batch took, so effects get about a third of the time they would
   * alone and catch up once the burst is over. Nothing waits forever: the outbox is durable,
   * keeps moving, and past absorbEffects waiting entries the drain runs flat out again.
   */
  private void drainOutbox() {
    if (draining || resting) {
      return;
    }
    draining = true;
    long started = System.nanoTime();
    store.claim(settings.outboxBatch())
      .compose(this::applyAll)
      .onComplete(done -> {
        draining = false;
        if (done.failed()) {
          LOG.warn("outbox drain failed: {}", done.cause().toString());
        } else if (done.result() == settings.outboxBatch()) {
          long now = System.nanoTime();
          boolean intakeBusy = now - lastStoredNanos < INTAKE_BUSY_NANOS
            && OUTBOX.get() < settings.absorbEffects();
          long tookMs = (now - started) / 1_000_000;
          if (intakeBusy && tookMs > 0) {
            resting = true;
            vertx.setTimer(REST_FACTOR * tookMs, id -> {
              resting = false;
              drainOutbox();
            });
          } else {
            vertx.runOnContext(v -> drainOutbox());
          }
        }
      });
  }

  /**
   * Applies a batch side by side (every effect is idempotent and independent of order), then
   * marks the successes done in one statement; failures wait for their retry.
   */
  private Future<Integer> applyAll(List<WebhookStore.Pending> pending) {
    List<Future<String>> effects = pending.stream().map(this::applyOne).toList();
    return Future.join(effects).transform(done -> {
      List<Long> ids = new ArrayList<>();
      List<String> matched = new ArrayList<>();
      for (int i = 0; i < pending.size(); i++) {
        if (effects.get(i).succeeded()) {
          ids.add(pending.get(i).eventId());
          matched.add(effects.get(i).result());
        }
      }
      Metrics.counter("edm.webhook.events.applied").increment(ids.size());
      return store.applied(ids, matched).map(pending.size());
    });
  }

  /**
   * A failure is logged in one line, at warn on attempts 1, 2, 4, 8 and so on: an entry that
   * keeps failing stays visible (attempts, lastError in the events list) without filling the
   * log at every retry.
   */
  private Future<String> applyOne(WebhookStore.Pending entry) {
    return effect(entry).onFailure(err -> {
      Metrics.counter("edm.webhook.apply.failures").increment();
      String cause = String.valueOf(err.getMessage());
      if (Integer.bitCount(entry.attempts()) == 1) {
        LOG.warn("{} event {} not applied (attempt {}): {}; next try in {} s", entry.type(),
          entry.eventId(), entry.attempts(), cause,
          WebhookStore.retryDelaySeconds(entry.attempts()));
      } else {
        LOG.debug("{} event {} not applied (attempt {}): {}", entry.type(), entry.eventId(),
          entry.attempts(), cause);
      }
      store.failed(entry.eventId(), entry.attempts(), cause);
    });
  }

  /** Sends the effect to the concern that owns it; the future holds the matched message. */
  private Future<String> effect(WebhookStore.Pending entry) {
    JsonObject event = entry.normalized().copy().put("eventId", entry.eventId())
      .put("eventTime", saneTime(entry));
    DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(10_000);
    if ("route".equals(entry.type())) {
      JsonObject inbound = event.getJsonObject("inbound", new JsonObject()).copy()
        .put("eventId", entry.eventId())
        .put("eventTime", event.getLong("eventTime"));
      return vertx.eventBus().<JsonObject>request(SessionsAddresses.INBOUND, inbound, delivery)
        .map(reply -> (String) null);
    }
    if (!TRACKING_TYPES.contains(entry.type())) {
      return Future.succeededFuture(null);
    }
    event.remove("inbound");
    return vertx.eventBus().<JsonObject>request(TrackingAddresses.PROVIDER_EVENT, event, delivery)
      .map(reply -> reply.body().getString("messageId"));
  }

  /**
   * Events stored before provider times were checked may hold an absurd one, which the
   * ledger cannot store (an interval out of range, for ever): those take the receive time.
   */
  private static long saneTime(WebhookStore.Pending entry) {
    Object time = entry.normalized().getValue("eventTime");
    return time instanceof Number number && CallbackParser.plausible(number.longValue(),
      entry.receivedAt()) ? number.longValue() : entry.receivedAt();
  }

  private Future<JsonObject> events(Message<JsonObject> message) {
    requireAdmin(message);
    JsonObject query = message.body();
    long limit = query.getLong("limit", 100L);
    if (limit < 1 || limit > 500) {
      return BusErrors.badRequest("limit must be between 1 and 500");
    }
    return store.list(new WebhookStore.Query(query.getString("type"),
      query.getBoolean("matched"), query.getString("recipient"), query.getBoolean("verified"),
      query.getLong("beforeId"), (int) limit));
  }

  private Future<JsonObject> replay(Message<JsonObject> message) {
    requireAdmin(message);
    long first = wholeNumber(message.body().getValue("fromId"), "fromId");
    long last = message.body().getValue("toId") == null ? first
      : wholeNumber(message.body().getValue("toId"), "toId");
    if (last < first) {
      return BusErrors.badRequest("toId must not be below fromId, got " + last + " < " + first);
    }
    return store.replay(first, last)
      .compose(count -> count == 0
        ? BusErrors.<Integer>notFound("no stored callback with an id in that range")
        : Future.succeededFuture(count))
      .onSuccess(count -> vertx.runOnContext(v -> drainOutbox()))
      .map(count -> new JsonObject().put("queued", count));
  }

  /** A JSON number without a fraction (1.0 is one; 1.5 is not), within a long. */
  private static long wholeNumber(Object value, String name) {
    boolean whole = value instanceof Integer || value instanceof Long
      || value instanceof Number number && Math.rint(number.doubleValue()) == number.doubleValue()
        && Math.abs(number.doubleValue()) < 9e18;
    if (!whole) {
      throw BusErrors.of(400, name + " must be a whole number, got "
        + (value == null ? "nothing" : "'" + value + "'"));
    }
    return ((Number) value).longValue();
  }

  private static void requireAdmin(Message<JsonObject> message) {
    if (!Caller.from(message.headers()).isAdmin()) {
      throw BusErrors.of(403, "only admins may read or replay callbacks");
    }
  }

  private Future<JsonObject> health(Message<JsonObject> message) {
    return store.backlog()
      .map(backlog -> new JsonObject().put("status", "up").put("postgres", "up")
        .put("outbox", backlog))
      .otherwise(err -> new JsonObject().put("status", "down").put("postgres", "down"));
  }
}
