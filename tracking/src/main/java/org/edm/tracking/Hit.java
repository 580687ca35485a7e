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

  /** Fields in a stream entry are split by the unit separator, which no header, address or
   *  normalised link can contain; one field instead of seven halves Redis's work per hit. */
  private static final char SEPARATOR = '\u001f';
  private static final String SPLIT = String.valueOf(SEPARATOR);

  /** The stream entry's one field. */
  public String encode() {
    return (open ? "o" : "c") + SEPARATOR + messageId + SEPARATOR + occurredAt + SEPARATOR
      + agentClass + SEPARATOR + orEmpty(url) + SEPARATOR + orEmpty(ip) + SEPARATOR
      + orEmpty(userAgent);
  }

  /** The hit an entry holds; IllegalArgumentException for one that is malformed. */
  public static Hit decode(String streamId, String text) {
    String[] parts = text.split(SPLIT, -1);
    if (parts.length != 7) {
      throw new IllegalArgumentException("expected 7 fields, got " + parts.length);
    }
    return new Hit(streamId, UUID.fromString(parts[1]), "o".equals(parts[0]), orNull(parts[4]),
      Long.parseLong(parts[2]), orNull(parts[5]), orNull(parts[6]), parts[3], PIXEL);
  }

  private static String orEmpty(String text) {
    return text == null ? "" : text;
  }

  private static String orNull(String text) {
    return text.isEmpty() ? null : text;
  }

  public Hit withStreamId(String id) {
    return new Hit(id, messageId, open, url, occurredAt, ip, userAgent, agentClass, source);
  }
}
