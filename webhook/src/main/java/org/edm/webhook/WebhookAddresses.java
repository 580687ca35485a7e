package org.edm.webhook;

/**
 * The webhook concern's event-bus API. Failures carry the HTTP status as their code.
 */
public final class WebhookAddresses {

  /**
   * A callback as it arrived: {body (text), headers {lower-case name: value}, pathToken?}.
   * Replies {stored, duplicates, verified} once the events are durably stored; fails 401 when the
   * signature check refuses it, 400 when the body is not JSON.
   */
  public static final String RECEIVE = "webhook.receive";

  /**
   * {type?, matched?, recipient?, verified?, beforeId?, limit?}: stored callbacks, newest
   * first (admin). verified false lists those whose signature failed or was not checked.
   * Each event has verified (md5, hmac, failed, unverified), and while its effect waits in
   * the outbox, attempts, nextAttemptAt and lastError.
   */
  public static final String EVENTS = "webhook.events.list";

  /** {fromId, toId}: applies those stored callbacks' effects again (admin); effects are
   *  idempotent, so a replay never doubles them. Replies {queued}. */
  public static final String REPLAY = "webhook.events.replay";

  /** {}: replies {status: up|down} for /health. */
  public static final String HEALTH = "webhook.health";

  private WebhookAddresses() {
  }
}
