package org.edm.tracking;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves hits from the Redis stream into PostgreSQL: reads through a consumer group, stores a
 * batch in one transaction, and acknowledges only after the commit. Entries a dead batcher
 * left pending are claimed once idle long enough; storing is idempotent on the entry id, so
 * a redelivered entry is never counted twice.
 */
public final class HitBatcher {

  private static final Logger LOG = LoggerFactory.getLogger(HitBatcher.class);
  private static final long ERROR_BACKOFF_MS = 1000;

  private static final Counter PERSISTED = Metrics.counter("edm.tracking.hits.persisted");
  // Read but not stored: do-not-track, a message unknown here, or a redelivery already stored.
  private static final Counter SKIPPED = Metrics.counter("edm.tracking.hits.skipped");
  private static final AtomicLong BACKLOG =
    Metrics.gauge("edm.tracking.stream.backlog", new AtomicLong());

  private final Vertx vertx;
  private final Redis redis;
  private final HitStore store;
  private final TrackingConfig config;
  private final String consumer;
  private RedisConnection reader;
  private boolean stopped;
  private boolean retryOwnPending;
  private double hitsPerEntry = 1;
  private final LongSupplier arrived;
  private boolean burst;
  private long arrivedBefore;
  private long arrivedBeforeNanos = System.nanoTime();
  private long reclaimTimer;
  private long backlogTimer;

  public HitBatcher(Vertx vertx, Redis redis, HitStore store, TrackingConfig config,
      String consumer, LongSupplier arrived) {
    this.vertx = vertx;
    this.arrived = arrived;
    this.redis = redis;
    this.store = store;
    this.config = config;
    this.consumer = consumer;
  }

  /** Ensures the group exists, opens the blocking connection and starts the loops. */
  public Future<Void> start() {
    return ensureGroup(redis, config)
      .compose(v -> redis.connect())
      .onSuccess(conn -> {
        reader = conn;
        reader.exceptionHandler(err -> LOG.warn("batcher connection failed: {}", err.toString()));
        reclaimTimer = vertx.setPeriodic(Math.max(100, config.reclaimIdleMs() / 2),
          id -> reclaim());
        backlogTimer = vertx.setPeriodic(5000, id -> measureBacklog());
        vertx.runOnContext(v -> readLoop());
      })
      .mapEmpty();
  }

  public Future<Void> stop() {
    stopped = true;
    vertx.cancelTimer(reclaimTimer);
    vertx.cancelTimer(backlogTimer);
    return reader == null ? Future.succeededFuture() : reader.close();
  }

  static Future<Void> ensureGroup(Redis redis, TrackingConfig config) {
    Request create = Request.cmd(Command.XGROUP).arg("CREATE").arg(config.stream())
      .arg(config.group()).arg("0").arg("MKSTREAM");
    return redis.send(create)
      .<Void>mapEmpty()
      .recover(err -> err.getMessage() != null && err.getMessage().startsWith("BUSYGROUP")
        ? Future.succeededFuture()
        : Future.failedFuture(err));
  }

  private void readLoop() {
    if (stopped) {
      return;
    }
    long started = System.nanoTime();
    readBatch()
      .compose(batch -> storeAndAck(batch).map(batch.entryIds().size()))
      .onSuccess(entries -> {
        // A short batch means the stream is nearly drained: wait out the flush interval so
        // the next batch gathers more, since each transaction costs about as much as
        // hundreds of rows. A full batch means a backlog, so the next read starts at once.
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        long pauseMs = entries >= entriesPerRead()
          ? (absorbingBurst() ? burstRestMs(elapsedMs) : 0)
          : config.flushIntervalMs() - elapsedMs;
        if (pauseMs <= 0) {
          vertx.runOnContext(v -> readLoop());
        } else {
          vertx.setTimer(pauseMs, id -> readLoop());
        }
      })
      .onFailure(err -> {
        if (!stopped) {
          LOG.warn("hit batch not stored, retrying: {}", err.toString());
          retryOwnPending = true;
          reconnectIfClosed()
            .compose(v -> isNoGroup(err) ? recreateGroup() : Future.succeededFuture())
            .onComplete(v -> vertx.setTimer(ERROR_BACKOFF_MS, id -> readLoop()));
        }
      });
  }

  /** The group vanishes with the stream when Redis restarts empty; reads fail until it is back. */
  private static boolean isNoGroup(Throwable err) {
    return err.getMessage() != null && err.getMessage().startsWith("NOGROUP");
  }

  private Future<Void> recreateGroup() {
    LOG.warn("consumer group {} missing on {} (Redis restarted empty?), creating it again",
      config.group(), config.stream());
    return ensureGroup(redis, config)
      .onFailure(err -> LOG.warn("creating consumer group failed: {}", err.toString()));
  }

  private Future<Void> reconnectIfClosed() {
    Promise<Void> done = Promise.promise();
    reader.send(Request.cmd(Command.PING))
      .onSuccess(pong -> done.complete())
      .onFailure(err -> redis.connect()
        .onSuccess(conn -> {
          reader = conn;
          done.complete();
        })
        .onFailure(again -> done.complete()));
    return done.future();
  }

  /**
   * True while hits arrive faster than a batch a second and the stream holds fewer than
   * absorbHits: answering them comes first then, so after a full batch the batcher rests
   * (burstSharePercent), and Redis (the shock absorber) holds the rest until the burst is
   * over. Past absorbHits, or once arrivals slow down, it reads flat out again.
   */
  private boolean absorbingBurst() {
    long now = System.nanoTime();
    long total = arrived.getAsLong();
    double seconds = (now - arrivedBeforeNanos) / 1e9;
    if (seconds < 0.5) {
      return burst;
    }
    double perSecond = (total - arrivedBefore) / seconds;
    arrivedBefore = total;
    arrivedBeforeNanos = now;
    burst = perSecond >= config.batchSize() && BACKLOG.get() * hitsPerEntry < config.absorbHits();
    return burst;
  }

  /** The rest after a batch that took {@code elapsedMs}, so that work is burstSharePercent. */
  private long burstRestMs(long elapsedMs) {
    int share = config.burstSharePercent();
    return elapsedMs * (100 - share) / share;
  }

  /** Entries hold 1 to HITS_PER_ENTRY hits: reading batchSize / (recent hits per entry) of
   *  them makes batches of about batchSize hits. */
  private int entriesPerRead() {
    return (int) Math.max(1, Math.min(config.batchSize(), config.batchSize() / hitsPerEntry));
  }

  private void learnHitsPerEntry(Batch batch) {
    if (!batch.entryIds().isEmpty()) {
      double recent = (double) batch.hits().size() / batch.entryIds().size();
      hitsPerEntry = 0.8 * hitsPerEntry + 0.2 * recent;
    }
  }

  /** New entries; after a failed store, this batcher's own pending ones first. */
  private Future<Batch> readBatch() {
    Request read = Request.cmd(Command.XREADGROUP).arg("GROUP").arg(config.group()).arg(consumer)
      .arg("COUNT").arg(entriesPerRead())
      .arg("BLOCK").arg(config.flushIntervalMs())
      .arg("STREAMS").arg(config.stream()).arg(retryOwnPending ? "0" : ">");
    return reader.send(read)
      .map(HitBatcher::decodeRead)
      .onSuccess(batch -> {
        learnHitsPerEntry(batch);
        if (retryOwnPending && batch.entryIds().isEmpty()) {
          retryOwnPending = false;
        }
      });
  }

  /** Claims entries idle past the limit (their batcher presumably died) and stores them. */
  private void reclaim() {
    Request claim = Request.cmd(Command.XAUTOCLAIM).arg(config.stream()).arg(config.group())
      .arg(consumer).arg(config.reclaimIdleMs()).arg("0-0").arg("COUNT").arg(entriesPerRead());
    redis.send(claim)
      .map(reply -> decodeEntries(reply.get(1)))
      .compose(this::storeAndAck)
      .onSuccess(count -> {
        if (count > 0) {
          LOG.info("reclaimed {} pending hits from a stalled batcher", count);
        }
      })
      .onFailure(err -> LOG.debug("reclaim failed: {}", err.toString()));
  }

  /** Stores a batch, then acknowledges its entries; the future holds how many hits it had. */
  public Future<Integer> storeAndAck(Batch batch) {
    if (batch.entryIds().isEmpty()) {
      return Future.succeededFuture(0);
    }
    return store.persist(batch.hits())
      .compose(stored -> {
        PERSISTED.increment(stored);
        SKIPPED.increment(batch.hits().size() - stored);
        return acknowledge(batch.entryIds());
      })
      .map(batch.hits().size());
  }

  private Future<Void> acknowledge(List<String> entryIds) {
    Request ack = Request.cmd(Command.XACK).arg(config.stream()).arg(config.group());
    Request delete = Request.cmd(Command.XDEL).arg(config.stream());
    for (String id : entryIds) {
      ack.arg(id);
      delete.arg(id);
    }
    // Stored entries are deleted so the stream holds only the backlog.
    return redis.batch(List.of(ack, delete)).mapEmpty();
  }

  private void measureBacklog() {
    redis.send(Request.cmd(Command.XLEN).arg(config.stream()))
      .onSuccess(len -> BACKLOG.set(len.toLong()))
      .onFailure(err -> LOG.debug("backlog unknown: {}", err.toString()));
  }

  public static long backlog() {
    return BACKLOG.get();
  }

  /** XREADGROUP answers a map (RESP3) or a list of [stream, entries] pairs (RESP2). */
  static Batch decodeRead(Response reply) {
    Batch batch = new Batch(new ArrayList<>(), new ArrayList<>());
    if (reply == null) {
      return batch;
    }
    if (reply.isMap()) {
      for (String key : reply.getKeys()) {
        decodeEntries(reply.get(key), batch);
      }
    } else {
      for (Response stream : reply) {
        decodeEntries(stream.get(1), batch);
      }
    }
    return batch;
  }

  /** Entries as [id, [field, value, ...]]. */
  public static Batch decodeEntries(Response entries) {
    Batch batch = new Batch(new ArrayList<>(), new ArrayList<>());
    decodeEntries(entries, batch);
    return batch;
  }

  /** A malformed entry is logged and left pending, where XPENDING shows it. */
  private static void decodeEntries(Response entries, Batch batch) {
    if (entries == null) {
      return;
    }
    for (Response entry : entries) {
      if (entry == null || entry.size() < 2 || entry.get(1) == null) {
        continue;
      }
      String id = entry.get(0).toString();
      Map<String, String> fields = fields(entry.get(1));
      try {
        batch.hits().addAll(Hit.decodeEntry(id, String.valueOf(fields.get("h"))));
        batch.entryIds().add(id);
      } catch (RuntimeException e) {
        LOG.warn("skipping malformed stream entry {}: {}", id, e.toString());
      }
    }
  }

  /** Entries read from the stream: their ids, to acknowledge, and the hits they hold. */
  public record Batch(List<String> entryIds, List<Hit> hits) {
  }

  private static Map<String, String> fields(Response raw) {
    Map<String, String> fields = new HashMap<>();
    if (raw.isMap()) {
      for (String key : raw.getKeys()) {
        fields.put(key, raw.get(key).toString());
      }
      return fields;
    }
    for (int i = 0; i + 1 < raw.size(); i += 2) {
      fields.put(raw.get(i).toString(), raw.get(i + 1).toString());
    }
    return fields;
  }
}
