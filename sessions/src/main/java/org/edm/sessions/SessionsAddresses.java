package org.edm.sessions;

/** The sessions concern's event-bus API. */
public final class SessionsAddresses {

  /** {}: replies {status: up|down} for /health. */
  public static final String HEALTH = "sessions.health";

  private SessionsAddresses() {
  }
}
