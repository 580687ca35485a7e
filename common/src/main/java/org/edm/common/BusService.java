package org.edm.common;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Binds an address to a handler returning a future, and turns its outcome into the reply:
 *  expected failures keep their status, anything else is logged and answered 500. */
public final class BusService {

  private static final Logger LOG = LoggerFactory.getLogger(BusService.class);

  private BusService() {
  }

  public static <T, R> Future<Void> serve(Vertx vertx, String address,
      Function<Message<T>, Future<R>> handler) {
    MessageConsumer<T> consumer = vertx.eventBus().consumer(address, message -> {
      Future<R> result;
      try {
        result = handler.apply(message);
      } catch (RuntimeException | Error e) {
        result = Future.failedFuture(e);
      }
      result
        .onSuccess(message::reply)
        .onFailure(err -> replyFailure(address, message, err));
    });
    return consumer.completion();
  }

  private static void replyFailure(String address, Message<?> message, Throwable err) {
    if (err instanceof ReplyException reply && reply.failureCode() >= 400) {
      message.fail(reply.failureCode(), reply.getMessage());
      return;
    }
    LOG.error("{} failed", address, err);
    message.fail(500, "internal error");
  }
}
