package org.edm.tracking;

import java.util.UUID;

/** One accepted open or click, as it travels through the stream into PostgreSQL. */
public record Hit(String streamId, UUID messageId, boolean open, String url, long occurredAt,
    String ip, String userAgent, String agentClass, String source) {

  /** Hits from our own pixel and redirects; the provider's are stored with its name. */
  public static final String PIXEL = "pixel";

  public boolean people() {
    return "person".equals(agentClass) || "proxy".equals(agentClass);
  }

  public Hit withStreamId(String id) {
    return new Hit(id, messageId, open, url, occurredAt, ip, userAgent, agentClass, source);
  }
}
