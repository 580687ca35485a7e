package org.edm.sessions;

/** The sessions concern's event-bus API. */
public final class SessionsAddresses {

  /**
   * An inbound reply the provider routed to us: {eventId, eventTime, from, fromName, to,
   * subject, text, html, headers, reference, emailId, rawMessage?, rawMessageUrl?}. The
   * webhook concern sends it until it is taken; taking it twice must change nothing.
   */
  public static final String INBOUND = "sessions.inbound";

  /** {}: replies {status: up|down} for /health. */
  public static final String HEALTH = "sessions.health";

  private SessionsAddresses() {
  }
}
