package org.edm.common;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryOptions;

/** Who asked: set by the gateway in message headers from the verified login token. */
public record Caller(long userId, String role) {

  public static final String USER_HEADER = "edm-user";
  public static final String ROLE_HEADER = "edm-role";

  public static Caller from(MultiMap headers) {
    String user = headers.get(USER_HEADER);
    String role = headers.get(ROLE_HEADER);
    if (user == null || role == null) {
      throw BusErrors.of(401, "authentication required");
    }
    return new Caller(Long.parseLong(user), role);
  }

  public DeliveryOptions deliveryOptions() {
    return new DeliveryOptions().addHeader(USER_HEADER, Long.toString(userId))
      .addHeader(ROLE_HEADER, role);
  }

  public boolean isAdmin() {
    return "admin".equals(role);
  }

  /** read_only users may look but not change anything. */
  public boolean canWrite() {
    return !"read_only".equals(role);
  }
}
