package org.edm.tracking;

/**
 * The tracking concern's event-bus API. Requests and replies are JsonObjects; failures carry
 * the HTTP status as their code. The caller's identity travels in the headers named by
 * {@link org.edm.common.Caller}.
 */
public final class TrackingAddresses {

  /** An open or click: {kind: open|click, token, at (epoch ms), peer, forwardedFor,
   *  userAgent, method}. Replies {recorded: bool} for opens and {location} for clicks. */
  public static final String HIT = "tracking.hit";

  /** Opens in bulk, as the gateway relays them per event loop: {hits: [open, ...]}, each
   *  open a {@link HitRequest#toOpenArray()}. Replies {recorded: n}. */
  public static final String HITS = "tracking.hits";

  /** {messages: [{id, campaignId, recipient, providerMessageId?}]}: registers sent messages. */
  public static final String REGISTER = "tracking.messages.register";

  /** {id}: a registered message with its status and event times. */
  public static final String MESSAGE = "tracking.messages.get";

  /** {id, html}: the html with the open pixel and every link wrapped. */
  public static final String INSTRUMENT = "tracking.messages.instrument";

  /** {id}: a campaign's statistics, from aggregates. */
  public static final String STATS = "tracking.campaigns.stats";

  /** {campaignId, doNotTrack}: stop or resume storing a campaign's hits. */
  public static final String CAMPAIGN_DNT = "tracking.campaigns.dnt";

  /** {email, doNotTrack}: stop or resume storing hits of one recipient of the caller. */
  public static final String RECIPIENT_DNT = "tracking.recipients.dnt";

  /**
   * An email event the provider reported, normalised by the webhook concern: {eventId, type
   * (delivered, soft_bounce, invalid_email, open, click, unsubscribe, report_spam, target,
   * sent), ourMessageId?, emailId?, providerMessageId?, recipient?, eventTime (epoch ms),
   * url?, ip?, userAgent?, reason?, subStatus?}. Applying it again changes nothing. Replies
   * {matched, messageId?}.
   */
  public static final String PROVIDER_EVENT = "tracking.provider.event";

  /** {}: the caller's suppression list, {suppressions: [{email, reason, createdAt}]}. */
  public static final String SUPPRESSIONS = "tracking.suppressions.list";

  /** {email}: whether the caller may mail the address, {email, suppressed, reason?}. */
  public static final String SUPPRESSION_CHECK = "tracking.suppressions.check";

  /** {}: replies {status: up|down, checks: {...}} for /health. */
  public static final String HEALTH = "tracking.health";

  private TrackingAddresses() {
  }
}
