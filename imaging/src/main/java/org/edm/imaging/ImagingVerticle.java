package org.edm.imaging;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import org.edm.common.BusService;

/** The imaging concern. Until its issue fills it, it deploys and reports itself healthy. */
public class ImagingVerticle extends VerticleBase {

  @Override
  public Future<?> start() {
    return BusService.serve(vertx, ImagingAddresses.HEALTH,
      message -> Future.succeededFuture(new JsonObject().put("status", "up")));
  }
}
