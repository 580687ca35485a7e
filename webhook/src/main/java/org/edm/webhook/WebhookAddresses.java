package org.edm.webhook;

/** The webhook concern's event-bus API. */
public final class WebhookAddresses {

  /** {}: replies {status: up|down} for /health. */
  public static final String HEALTH = "webhook.health";

  private WebhookAddresses() {
  }
}
