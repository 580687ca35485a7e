package org.edm.webhook;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import org.edm.common.BusService;

/** The webhook concern. Until its issue fills it, it deploys and reports itself healthy. */
public class WebhookVerticle extends VerticleBase {

  @Override
  public Future<?> start() {
    return BusService.serve(vertx, WebhookAddresses.HEALTH,
      message -> Future.succeededFuture(new JsonObject().put("status", "up")));
  }
}
