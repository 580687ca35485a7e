package org.edm.tracking;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * An open or click as the gateway saw it, before anything is checked: the raw token, when it
 * came, the peer and its X-Forwarded-For, the user agent and the HTTP method. Single hits
 * travel as JsonObjects; opens in bulk as positional arrays, which cost less to copy.
 */
public record HitRequest(boolean open, String token, long at, String peer, String forwardedFor,
    String userAgent, String method) {

  public JsonObject toJson() {
    return new JsonObject()
      .put("kind", open ? "open" : "click")
      .put("token", token)
      .put("at", at)
      .put("peer", peer)
      .put("forwardedFor", forwardedFor)
      .put("userAgent", userAgent)
      .put("method", method);
  }

  static HitRequest fromJson(JsonObject json) {
    return new HitRequest("open".equals(json.getString("kind")), json.getString("token"),
      json.getLong("at", System.currentTimeMillis()), json.getString("peer"),
      json.getString("forwardedFor"), json.getString("userAgent"), json.getString("method", "GET"));
  }

  /** An open as one entry of {@link TrackingAddresses#HITS}. */
  public JsonArray toOpenArray() {
    return new JsonArray().add(token).add(at).add(peer).add(forwardedFor).add(userAgent)
      .add(method);
  }

  static HitRequest fromOpenArray(JsonArray array) {
    return new HitRequest(true, array.getString(0), array.getLong(1), array.getString(2),
      array.getString(3), array.getString(4), array.getString(5));
  }
}
