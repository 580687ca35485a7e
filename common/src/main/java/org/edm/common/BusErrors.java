package org.edm.common;

import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/** Failures that cross the event bus: the code is the HTTP status the gateway answers, the
 *  message is safe to show to the caller. */
public final class BusErrors {

  private BusErrors() {
  }

  public static ReplyException of(int status, String message) {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, status, message);
  }

  public static <T> Future<T> fail(int status, String message) {
    return Future.failedFuture(of(status, message));
  }

  public static <T> Future<T> badRequest(String message) {
    return fail(400, message);
  }

  public static <T> Future<T> notFound(String message) {
    return fail(404, message);
  }

  public static <T> Future<T> forbidden(String message) {
    return fail(403, message);
  }
}
