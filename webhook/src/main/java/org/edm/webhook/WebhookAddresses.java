package org.edm.webhook;

/**
 * The webhook concern's event-bus API. Failures carry the HTTP status as their code.
 */
public final class WebhookAddresses {

  /**
   * A callback as it arrived: {body (text), headers {lower-case name: value}, pathToken?}.
   * Replies {stored, duplicates} once the events are durably stored; fails 401 when the
   * signature check refuses it, 400 when the body is not JSON.
   */
  public static final String RECEIVE = "webhook.receive";

  /** {type?, matched?, recipient?, afterId?, limit?}: stored callbacks, newest first (admin). */
  public static final String EVENTS = "webhook.events.list";

  /** {fromId, toId}: applies those stored callbacks' effects again (admin); effects are
   *  idempotent, so a replay never doubles them. Replies {queued}. */
  public static final String REPLAY = "webhook.events.replay";

  /** {}: replies {status: up|down} for /health. */
  public static final String HEALTH = "webhook.health";

  private WebhookAddresses() {
  }
}
