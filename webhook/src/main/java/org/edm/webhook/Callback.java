package org.edm.webhook;

import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * One provider event, normalised from whichever callback shape carried it.
 *
 * @param type target, sent, delivered, invalid_email, soft_bounce, open, click, unsubscribe,
 *     report_spam, route, or unknown
 * @param timeSource where eventTime came from: itime, timestamp, or received (a guess)
 * @param ignoredTime the provider's time when it was unreadable or not plausible and the
 *     receive time was used instead, as {@code itime=<value>}; null otherwise
 */
public record Callback(
    String type,
    String emailId,
    String providerMessageId,
    UUID ourMessageId,
    String recipient,
    long eventTime,
    String timeSource,
    String ignoredTime,
    String url,
    String ip,
    String userAgent,
    String reason,
    Integer subStatus,
    String dedupeKey,
    JsonObject payload,
    JsonObject inbound) {

  /** What tracking needs to apply it. */
  public JsonObject toTrackingEvent(long eventId) {
    return new JsonObject()
      .put("eventId", eventId)
      .put("type", type)
      .put("ourMessageId", ourMessageId == null ? null : ourMessageId.toString())
      .put("emailId", emailId)
      .put("providerMessageId", providerMessageId)
      .put("recipient", recipient)
      .put("eventTime", eventTime)
      .put("url", url)
      .put("ip", ip)
      .put("userAgent", userAgent)
      .put("reason", reason)
      .put("subStatus", subStatus);
  }
}
