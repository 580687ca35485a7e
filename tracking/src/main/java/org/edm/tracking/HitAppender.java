package org.edm.tracking;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends hits to the Redis stream from one event loop, packed several to an entry, in
 * pipelined batches: a few batches in flight at a time, the next one filling meanwhile, so
 * the batch grows with the load. While Redis is unreachable hits wait in a bounded buffer; a
 * hit that does not fit is dropped and counted, never silently lost.
 */
public final class HitAppender {

  private static final Logger LOG = LoggerFactory.getLogger(HitAppender.class);
  private static final long RETRY_DELAY_MS = 500;
  private static final int MAX_IN_FLIGHT = 4;
  private static final int MAX_FLUSH = 4096;
  /** Hits packed per stream entry; the batcher reads entries, so this sets its unit too. */
  public static final int HITS_PER_ENTRY = 64;

  private static final Counter ACCEPTED = Metrics.counter("edm.tracking.hits.accepted");
  private static final Counter DROPPED = Metrics.counter("edm.tracking.hits.dropped");
  private static final Counter APPENDED = Metrics.counter("edm.tracking.hits.appended");

  private final Vertx vertx;
  private final Redis redis;
  private final String stream;
  private final int maxBatch;
  private final long intervalMs;
  private final int bufferLimit;
  private final ArrayDeque<Hit> pending = new ArrayDeque<>();
  private long accepted;
  private int inFlight;
  private boolean flushScheduled;
  private boolean redisDown;

  public HitAppender(Vertx vertx, Redis redis, String stream, int maxBatch, long intervalMs,
      int bufferLimit) {
    this.vertx = vertx;
    this.redis = redis;
    this.stream = stream;
    this.maxBatch = maxBatch;
    this.intervalMs = intervalMs;
    this.bufferLimit = bufferLimit;
  }

  /** Takes a hit; false when the buffer is full and the hit was dropped. */
  public boolean append(Hit hit) {
    if (pending.size() >= bufferLimit) {
      DROPPED.increment();
      return false;
    }
    ACCEPTED.increment();
    accepted++;
    pending.add(hit);
    if (inFlight < MAX_IN_FLIGHT && pending.size() >= maxBatch) {
      flush();
    } else if (!flushScheduled && inFlight == 0) {
      flushScheduled = true;
      vertx.setTimer(intervalMs, id -> {
        flushScheduled = false;
        flush();
      });
    }
    return true;
  }

  /** Hits this appender has taken so far; the batcher reads the arrival rate from it. */
  public long accepted() {
    return accepted;
  }

  public int buffered() {
    return pending.size();
  }

  private void flush() {
    if (inFlight >= MAX_IN_FLIGHT || pending.isEmpty() || (redisDown && inFlight > 0)) {
      return;
    }
    List<Hit> batch = new ArrayList<>(Math.min(pending.size(), MAX_FLUSH));
    while (!pending.isEmpty() && batch.size() < MAX_FLUSH) {
      batch.add(pending.poll());
    }
    List<Request> commands = new ArrayList<>(batch.size() / HITS_PER_ENTRY + 1);
    for (int from = 0; from < batch.size(); from += HITS_PER_ENTRY) {
      int to = Math.min(batch.size(), from + HITS_PER_ENTRY);
      commands.add(Request.cmd(Command.XADD).arg(stream).arg("*").arg("h")
        .arg(Hit.encodeEntry(batch, from, to)));
    }
    inFlight++;
    redis.batch(commands)
      .onSuccess(replies -> {
        inFlight--;
        APPENDED.increment(batch.size());
        if (redisDown) {
          redisDown = false;
          LOG.info("Redis reachable again, hit appends resumed");
        }
        flush();
      })
      .onFailure(err -> {
        inFlight--;
        requeue(batch);
        if (!redisDown) {
          redisDown = true;
          LOG.warn("appending hits to Redis failed, buffering up to {}: {}", bufferLimit,
            err.getMessage());
        }
        vertx.setTimer(RETRY_DELAY_MS, id -> flush());
      });
  }

  /** Puts a failed batch back in front, in order; what exceeds the buffer is dropped. */
  private void requeue(List<Hit> batch) {
    for (int i = batch.size() - 1; i >= 0; i--) {
      pending.addFirst(batch.get(i));
    }
    while (pending.size() > bufferLimit) {
      pending.pollLast();
      DROPPED.increment();
    }
  }
}
