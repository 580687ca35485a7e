package org.edm.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.edm.common.BusErrors;
import org.edm.common.Settings;
import org.edm.webhook.WebhookAddresses;

/** EngageLab's callback paths and the admin API over stored callbacks. */
final class WebhookRoutes {

  private final Vertx vertx;
  private final Settings settings;

  WebhookRoutes(Vertx vertx, Settings settings) {
    this.vertx = vertx;
    this.settings = settings;
  }

  /** Ahead of the API's auth: the provider signs its callbacks instead. */
  void mountCallbacks(Router router) {
    BodyHandler body = BodyHandler.create(false)
      .setBodyLimit(settings.integer("webhook.bodyLimit", 1024, Integer.MAX_VALUE));
    List<String> paths = new ArrayList<>(settings.list("webhook.paths"));
    paths.add("/webhook/engagelab/:pathToken");
    for (String path : paths) {
      // EngageLab's URL check; answered like every other success, with a small data.
      router.get(path).handler(ctx -> Forwarding.json(ctx, 200, new JsonObject()
        .put("success", true).put("data", new JsonObject().put("ok", true))));
      router.post(path).handler(GatewayVerticle.JSON_BODY).handler(body).handler(this::callback);
    }
  }

  private void callback(RoutingContext ctx) {
    JsonObject headers = new JsonObject();
    ctx.request().headers().forEach(header -> {
      String name = header.getKey().toLowerCase(Locale.ROOT);
      if (name.startsWith("x-webhook-") || name.equals("content-type")
          || name.equals("user-agent") || name.equals("x-forwarded-for")) {
        headers.put(name, header.getValue());
      }
    });
    headers.put("x-peer-address", ctx.request().remoteAddress().hostAddress());
    Buffer raw = ctx.body().buffer();
    JsonObject request = new JsonObject()
      .put("body", raw == null ? "" : raw.toString(StandardCharsets.UTF_8))
      .put("headers", headers)
      .put("pathToken", ctx.pathParam("pathToken"));
    // EngageLab retries anything not answered within 3 seconds.
    vertx.eventBus().<JsonObject>request(WebhookAddresses.RECEIVE, request,
        new DeliveryOptions().setSendTimeout(2500))
      .onSuccess(reply -> Forwarding.json(ctx, 200,
        new JsonObject().put("success", true).put("data", reply.body())))
      .onFailure(ctx::fail);
  }

  private JsonObject eventQuery(RoutingContext ctx) {
    JsonObject query = new JsonObject();
    String matched = ctx.request().getParam("matched");
    String verified = ctx.request().getParam("verified");
    query.put("type", ctx.request().getParam("type"))
      .put("recipient", ctx.request().getParam("recipient"))
      .put("matched", matched == null ? null : flag(matched, "matched"))
      .put("verified", verified == null ? null : flag(verified, "verified"));
    String beforeId = ctx.request().getParam("beforeId");
    String limit = ctx.request().getParam("limit");
    if (beforeId != null) {
      query.put("beforeId", number(beforeId, "beforeId"));
    }
    if (limit != null) {
      query.put("limit", number(limit, "limit"));
    }
    return query;
  }

  private static boolean flag(String text, String name) {
    if (!text.equals("true") && !text.equals("false")) {
      throw BusErrors.of(400, name + " must be true or false, got '" + text + "'");
    }
    return Boolean.parseBoolean(text);
  }

  private static long number(String text, String name) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw BusErrors.of(400, name + " must be a whole number, got '" + text + "'");
    }
  }

  /** Behind the API's auth; the webhook concern lets admins only. */
  void mountAdmin(Router router, ApiAccess api) {
    api.json(router, HttpMethod.GET, "/api/webhook/events")
      .handler(Forwarding.forward(vertx, WebhookAddresses.EVENTS, this::eventQuery));
    api.json(router, HttpMethod.POST, "/api/webhook/events/:id/replay")
      .handler(Forwarding.forward(vertx, WebhookAddresses.REPLAY,
        ctx -> new JsonObject().put("fromId", number(ctx.pathParam("id"), "id"))));
    api.json(router, HttpMethod.POST, "/api/webhook/events/replay")
      .handler(Forwarding.forward(vertx, WebhookAddresses.REPLAY, GatewayVerticle::body));
  }
}
