package org.edm.gateway;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Function;
import org.edm.common.BusErrors;

/** Turns an authenticated request into an event-bus request and the reply into JSON. */
final class Forwarding {

  /** The routing-context key of a route's own message for a body over its limit. */
  static final String TOO_LARGE = "edm.tooLarge";

  private static final long API_TIMEOUT_MS = 30_000;

  private Forwarding() {
  }

  /** Sends what build makes of the request to address, as the logged-in caller. */
  static Handler<RoutingContext> forward(Vertx vertx, String address,
      Function<RoutingContext, JsonObject> build) {
    return ctx -> {
      JsonObject request;
      try {
        refuseNul(ctx);
        request = build.apply(ctx);
      } catch (ReplyException e) {
        ctx.fail(e);
        return;
      }
      vertx.eventBus().<JsonObject>request(address, request,
          ApiAccess.caller(ctx).deliveryOptions().setSendTimeout(API_TIMEOUT_MS))
        .onSuccess(reply -> json(ctx, 200,
          new JsonObject().put("success", true).put("data", reply.body())))
        .onFailure(ctx::fail);
    };
  }

  /** PostgreSQL text cannot hold NUL, so a NUL anywhere in the URL is a bad request. */
  private static void refuseNul(RoutingContext ctx) {
    boolean nul = ctx.pathParams().values().stream().anyMatch(value -> value.indexOf(0) >= 0)
      || ctx.queryParams().entries().stream()
        .anyMatch(entry -> entry.getValue().indexOf(0) >= 0);
    if (nul) {
      throw BusErrors.of(400, "text may not contain NUL characters");
    }
  }

  static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response()
      .setStatusCode(status)
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=utf-8")
      .end(body.encode());
  }
}
