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
  private long reclaimTimer;
  private long backlogTimer;

  public HitBatcher(Vertx vertx, Redis redis, HitStore store, TrackingConfig config,
      String consumer) {
    this.vertx = vertx;
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
      .compose(this::storeAndAck)
      .onSuccess(count -> {
        // A short batch means the stream is nearly drained: wait out the flush interval so
        // the next batch gathers more, since each transaction costs about as much as
        // hundreds of rows. A full batch means a backlog, so the next read starts at once.
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        long pauseMs = config.flushIntervalMs() - elapsedMs;
        if (count >= config.batchSize() || pauseMs <= 0) {
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

  /** New entries; after a failed store, this batcher's own pending ones first. */
  private Future<List<Hit>> readBatch() {
    Request read = Request.cmd(Command.XREADGROUP).arg("GROUP").arg(config.group()).arg(consumer)
      .arg("COUNT").arg(config.batchSize())
      .arg("BLOCK").arg(config.flushIntervalMs())
      .arg("STREAMS").arg(config.stream()).arg(retryOwnPending ? "0" : ">");
    return reader.send(read)
      .map(HitBatcher::decodeRead)
      .onSuccess(hits -> {
        if (retryOwnPending && hits.isEmpty()) {
          retryOwnPending = false;
        }
      });
  }

  /** Claims entries idle past the limit (their batcher presumably died) and stores them. */
  private void reclaim() {
    Request claim = Request.cmd(Command.XAUTOCLAIM).arg(config.stream()).arg(config.group())
      .arg(consumer).arg(config.reclaimIdleMs()).arg("0-0").arg("COUNT").arg(config.batchSize());
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

  /** Stores a batch, then acknowledges it; the future holds the batch size. */
  public Future<Integer> storeAndAck(List<Hit> hits) {
    if (hits.isEmpty()) {
      return Future.succeededFuture(0);
    }
    return store.persist(hits)
      .compose(stored -> {
        PERSISTED.increment(stored);
        return acknowledge(hits);
      })
      .map(hits.size());
  }

  private Future<Void> acknowledge(List<Hit> hits) {
    Request ack = Request.cmd(Command.XACK).arg(config.stream()).arg(config.group());
    Request delete = Request.cmd(Command.XDEL).arg(config.stream());
    for (Hit hit : hits) {
      ack.arg(hit.streamId());
      delete.arg(hit.streamId());
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
  static List<Hit> decodeRead(Response reply) {
    if (reply == null) {
      return List.of();
    }
    List<Hit> hits = new ArrayList<>();
    if (reply.isMap()) {
      for (String key : reply.getKeys()) {
        hits.addAll(decodeEntries(reply.get(key)));
      }
    } else {
      for (Response stream : reply) {
        hits.addAll(decodeEntries(stream.get(1)));
      }
    }
    return hits;
  }

  /** Entries as [id, [field, value, ...]]; a malformed one is logged and skipped. */
  public static List<Hit> decodeEntries(Response entries) {
    List<Hit> hits = new ArrayList<>();
    if (entries == null) {
      return hits;
    }
    for (Response entry : entries) {
      if (entry == null || entry.size() < 2 || entry.get(1) == null) {
        continue;
      }
      Map<String, String> fields = fields(entry.get(1));
      try {
        hits.add(Hit.decode(entry.get(0).toString(), String.valueOf(fields.get("h"))));
      } catch (RuntimeException e) {
        LOG.warn("skipping malformed stream entry {}: {}", entry.get(0), e.toString());
      }
    }
    return hits;
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
