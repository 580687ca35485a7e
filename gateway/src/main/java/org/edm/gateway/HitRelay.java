package org.edm.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.edm.tracking.TrackingAddresses;

/**
 * Relays opens to the tracking concern in small batches, one relay per event loop: at the
 * pixel's rate one bus message per open costs more than the open itself. A hit waits at most
 * a millisecond; the pixel has been answered already.
 */
final class HitRelay {

  private static final int MAX_BATCH = 128;
  private static final Counter UNROUTED = Metrics.counter("edm.gateway.hits.unrouted");

  private final Vertx vertx;
  private final DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(5000);
  private JsonArray pending = new JsonArray();
  private boolean scheduled;

  HitRelay(Vertx vertx) {
    this.vertx = vertx;
  }

  void add(JsonArray hit) {
    pending.add(hit);
    if (pending.size() >= MAX_BATCH) {
      flush();
    } else if (!scheduled) {
      scheduled = true;
      vertx.setTimer(1, id -> {
        scheduled = false;
        flush();
      });
    }
  }

  /** Hits that could not be handed over are counted, never silently lost. */
  void flush() {
    if (pending.isEmpty()) {
      return;
    }
    JsonArray batch = pending;
    pending = new JsonArray();
    vertx.eventBus().request(TrackingAddresses.HITS, new JsonObject().put("hits", batch), delivery)
      .onFailure(err -> UNROUTED.increment(batch.size()));
  }

  static void countUnrouted() {
    UNROUTED.increment();
  }
}
