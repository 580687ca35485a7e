package org.edm.tracking;

import java.util.List;
import org.edm.common.PgUrl;
import org.edm.common.Settings;

/** The tracking concern's settings, validated at start. */
public record TrackingConfig(
    int instances,
    String baseUrl,
    String secret,
    String stream,
    String group,
    int batchSize,
    long flushIntervalMs,
    int appendBatch,
    long appendIntervalMs,
    int bufferLimit,
    long reclaimIdleMs,
    long absorbHits,
    int burstSharePercent,
    boolean truncateIp,
    long minHumanClickMs,
    List<String> prefetchCidrs,
    List<String> trustedProxies,
    PgUrl pg,
    int pgPoolSize,
    String redisUrl,
    int redisPoolSize) {

  public static TrackingConfig from(Settings settings) {
    String secret = settings.string("tracking.secret");
    if (secret.length() < 16) {
      throw new org.edm.common.ConfigException(
        "tracking.secret (EDM_TRACKING_SECRET) must be at least 16 characters");
    }
    cidrs(settings, "tracking.prefetchCidrs");
    cidrs(settings, "http.trustedProxies");
    return new TrackingConfig(
      settings.integer("tracking.instances", 1, 256),
      settings.httpUrl("tracking.baseUrl"),
      secret,
      settings.string("tracking.stream"),
      settings.string("tracking.group"),
      settings.integer("tracking.batchSize", 1, 100_000),
      settings.number("tracking.flushIntervalMs", 1, 60_000),
      settings.integer("tracking.appendBatch", 1, 10_000),
      settings.number("tracking.appendIntervalMs", 1, 10_000),
      settings.integer("tracking.bufferLimit", 0, 100_000_000),
      settings.number("tracking.reclaimIdleMs", 10, 86_400_000),
      settings.number("tracking.absorbHits", 0, 1_000_000_000),
      settings.integer("tracking.burstSharePercent", 1, 100),
      settings.flag("tracking.truncateIp"),
      settings.number("tracking.minHumanClickMs", 0, 3_600_000),
      settings.list("tracking.prefetchCidrs"),
      settings.list("http.trustedProxies"),
      PgUrl.parse("pg.url", settings.string("pg.url")),
      settings.integer("pg.poolSize", 1, 1000),
      settings.string("redis.url"),
      settings.integer("redis.poolSize", 1, 1000));
  }

  private static void cidrs(Settings settings, String key) {
    try {
      Cidr.parseAll(settings.list(key));
    } catch (IllegalArgumentException e) {
      throw new org.edm.common.ConfigException(
        org.edm.common.ConfigLoader.describe(key) + ": " + e.getMessage());
    }
  }

  public String openUrl(String token) {
    return baseUrl + "/track/open/" + token;
  }

  public String clickUrl(String token) {
    return baseUrl + "/track/click/" + token;
  }

  public boolean isClickUrl(String url) {
    return url.startsWith(baseUrl + "/track/click/");
  }
}
