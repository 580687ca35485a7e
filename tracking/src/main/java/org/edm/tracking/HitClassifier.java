package org.edm.tracking;

import java.util.List;
import java.util.Locale;

/**
 * Decides who is behind an open-pixel or click hit, so reports can separate people from mail
 * scanners, privacy prefetchers and scripts. Thread-safe and allocation-light (one lower-cased
 * copy of the user agent per call): it sits on the tracking hot path.
 */
public final class HitClassifier {

  /** What fetched the pixel or followed the link. */
  public enum Kind {
    /** A recipient's own mail client or browser. */
    PERSON,
    /** A mailbox provider's image proxy fetching on a person's behalf (Gmail, Yahoo). */
    PROXY,
    /** Content fetched ahead of time regardless of reading (Apple Mail Privacy Protection). */
    PREFETCH,
    /** Security scanners, crawlers, link unfurlers and scripts. */
    BOT;

    private final String label = name().toLowerCase(Locale.ROOT);

    /** Lower-case name used in storage: person, proxy, prefetch, bot. */
    public String label() {
      return label;
    }
  }

  /**
   * @param prefetchCidrs networks whose opens are prefetches (Apple MPP egress ranges)
   * @param minHumanClickMillis clicks sooner than this after sending are scanners
   */
  public record Settings(List<Cidr> prefetchCidrs, long minHumanClickMillis) {
    public Settings {
      if (prefetchCidrs == null) {
        throw new IllegalArgumentException("prefetchCidrs must not be null");
      }
      if (minHumanClickMillis < 0) {
        throw new IllegalArgumentException(
            "minHumanClickMillis must be >= 0: " + minHumanClickMillis);
      }
      prefetchCidrs = List.copyOf(prefetchCidrs);
    }
  }

  // Apple MPP fetches opens with this bare user agent.
  private static final String APPLE_PREFETCH_UA = "Mozilla/5.0";

  // Lower-case substrings. Mail security gateways first; they fetch pixels and follow links
  // as messages arrive. "bot" (handled separately) covers Googlebot, Slackbot, Twitterbot,
  // LinkedInBot, TelegramBot and the like.
  private static final String[] MACHINE_MARKERS = {
    "barracuda", "proofpoint", "mimecast", "symantec", "messagelabs", "trend micro",
    "trendmicro", "forcepoint", "sophos", "fireeye", "cisco", "ironport", "zscaler",
    "crawler", "spider", "headlesschrome", "phantomjs", "curl/", "wget", "python-requests",
    "python-urllib", "go-http-client", "java/", "okhttp", "libwww", "httpclient", "axios",
    "node-fetch", "facebookexternalhit", "whatsapp",
  };

  // Only signatures we can vouch for. Outlook.com and others proxy with generic browser
  // user agents, so they cannot be told apart here and count as PERSON.
  private static final String[] PROXY_MARKERS = {
    "googleimageproxy", "ggpht.com", "yahoomailproxy",
  };

  private final Settings settings;

  public HitClassifier(Settings settings) {
    if (settings == null) {
      throw new IllegalArgumentException("settings must not be null");
    }
    this.settings = settings;
  }

  /**
   * Classifies one hit.
   *
   * @param open true for the open pixel, false for a click
   * @param method HTTP method
   * @param userAgent User-Agent header, may be null
   * @param clientIp full (untruncated) client address bytes, may be null
   * @param millisSinceIssued time since the message was sent; negative when unknown
   */
  public Kind classify(
      boolean open, String method, String userAgent, byte[] clientIp, long millisSinceIssued) {
    // Mail clients always GET; HEAD is link checkers probing the target.
    if ("HEAD".equalsIgnoreCase(method)) {
      return Kind.BOT;
    }
    if (userAgent == null || userAgent.isBlank()) {
      return Kind.BOT;
    }
    String ua = userAgent.toLowerCase(Locale.ROOT);
    if (containsAny(ua, MACHINE_MARKERS) || hasBotWord(ua)) {
      return Kind.BOT;
    }
    if (containsAny(ua, PROXY_MARKERS)) {
      return Kind.PROXY;
    }
    // MPP only preloads remote content; it never follows links, so this applies to opens.
    if (open && (APPLE_PREFETCH_UA.equals(userAgent) || inPrefetchRange(clientIp))) {
      return Kind.PREFETCH;
    }
    if (!open && millisSinceIssued >= 0 && millisSinceIssued < settings.minHumanClickMillis()) {
      return Kind.BOT;
    }
    return Kind.PERSON;
  }

  /** PERSON and PROXY are people reading; PREFETCH and BOT are machines. */
  public static boolean isPeople(Kind kind) {
    return kind == Kind.PERSON || kind == Kind.PROXY;
  }

  public Settings settings() {
    return settings;
  }

  private boolean inPrefetchRange(byte[] clientIp) {
    if (clientIp == null) {
      return false;
    }
    for (Cidr cidr : settings.prefetchCidrs()) {
      if (cidr.contains(clientIp)) {
        return true;
      }
    }
    return false;
  }

  private static boolean containsAny(String haystack, String[] needles) {
    for (String needle : needles) {
      if (haystack.contains(needle)) {
        return true;
      }
    }
    return false;
  }

  // "bot" anywhere, except inside "cubot" (an Android phone brand seen in real UAs).
  private static boolean hasBotWord(String ua) {
    int i = ua.indexOf("bot");
    while (i >= 0) {
      if (i < 2 || !ua.startsWith("cu", i - 2)) {
        return true;
      }
      i = ua.indexOf("bot", i + 3);
    }
    return false;
  }
}
