package org.edm.webhook;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Group commit for callbacks: while a few stores are in flight, newly arrived callbacks wait
 * and go together in the next one. At a low rate each goes alone at once; under load one
 * commit carries many, which is what keeps up with the provider's bursts.
 */
final class CallbackWriter {

  private static final int MAX_IN_FLIGHT = 4;
  private static final int MAX_BATCH = 128;

  private record Waiting(WebhookStore.Incoming incoming, Promise<JsonObject> answer) {
  }

  private final WebhookStore store;
  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  private int inFlight;

  CallbackWriter(WebhookStore store) {
    this.store = store;
  }

  /** Called on the verticle's event loop only. */
  Future<JsonObject> write(WebhookStore.Incoming incoming) {
    Promise<JsonObject> answer = Promise.promise();
    waiting.add(new Waiting(incoming, answer));
    flush();
    return answer.future();
  }

  private void flush() {
    while (inFlight < MAX_IN_FLIGHT && !waiting.isEmpty()) {
      List<Waiting> batch = new ArrayList<>();
      while (batch.size() < MAX_BATCH && !waiting.isEmpty()) {
        batch.add(waiting.poll());
      }
      inFlight++;
      store.store(batch.stream().map(Waiting::incoming).toList()).onComplete(done -> {
        inFlight--;
        for (int i = 0; i < batch.size(); i++) {
          if (done.succeeded()) {
            batch.get(i).answer().complete(done.result().get(i));
          } else {
            batch.get(i).answer().fail(done.cause());
          }
        }
        flush();
      });
    }
  }
}
