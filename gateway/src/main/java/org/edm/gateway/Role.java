package org.edm.gateway;

import io.vertx.core.Deployable;
import io.vertx.core.ThreadingModel;
import java.util.Arrays;
import java.util.function.Supplier;
import org.edm.common.ConfigException;
import org.edm.imaging.ImagingVerticle;
import org.edm.sessions.SessionsVerticle;
import org.edm.tracking.TrackingVerticle;
import org.edm.webhook.WebhookVerticle;

/** A concern a process can run: its verticle, where its instance count is set, its schema. */
public enum Role {
  GATEWAY("gateway", GatewayVerticle::new, "http.instances", ThreadingModel.EVENT_LOOP),
  TRACKING("tracking", TrackingVerticle::new, "tracking.instances", ThreadingModel.EVENT_LOOP),
  WEBHOOK("webhook", WebhookVerticle::new, "webhook.instances", ThreadingModel.EVENT_LOOP),
  SESSIONS("sessions", SessionsVerticle::new, "sessions.instances", ThreadingModel.EVENT_LOOP),
  IMAGING("imaging", ImagingVerticle::new, "imaging.instances", ThreadingModel.WORKER);

  final String id;
  final Supplier<Deployable> verticle;
  final String instancesKey;
  final ThreadingModel threading;

  Role(String id, Supplier<Deployable> verticle, String instancesKey, ThreadingModel threading) {
    this.id = id;
    this.verticle = verticle;
    this.instancesKey = instancesKey;
    this.threading = threading;
  }

  /** The schema it owns is named after it. */
  String schema() {
    return id;
  }

  static Role of(String name) {
    return Arrays.stream(values())
      .filter(role -> role.id.equalsIgnoreCase(name.trim()))
      .findFirst()
      .orElseThrow(() -> new ConfigException("roles (EDM_ROLES): unknown role '" + name
        + "', expected some of gateway, tracking, webhook, sessions, imaging"));
  }
}
