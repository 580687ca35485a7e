package org.edm.tracking;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
  /** Hits packed into one stream entry are split by the record separator: Redis, its client
   *  and the batcher then work per entry rather than per hit. */
  private static final char RECORD_SEPARATOR = '\u001e';
  private static final String RECORD_SPLIT = String.valueOf(RECORD_SEPARATOR);

  /**
   * Marks an agent that an earlier hit in the same entry already carried, followed by that
   * hit's index. Agents are most of a hit's bytes and hits arriving together mostly share a
   * few of them, so this roughly halves what Redis holds while it absorbs a burst.
   */
  private static final char SAME_AGENT = '\u001d';

  /** The one field of a stream entry holding hits from to (exclusive). */
  public static String encodeEntry(List<Hit> hits, int from, int to) {
    StringBuilder entry = new StringBuilder((to - from) * 160);
    Map<String, Integer> agents = new HashMap<>();
    for (int i = from; i < to; i++) {
      if (i > from) {
        entry.append(RECORD_SEPARATOR);
      }
      Hit hit = hits.get(i);
      String agent = hit.userAgent();
      Integer earlier = agent == null ? null : agents.putIfAbsent(agent, i - from);
      hit.appendTo(entry, earlier == null ? orEmpty(agent) : SAME_AGENT + earlier.toString());
    }
    return entry.toString();
  }

  /**
   * The hits an entry holds. Each gets an id that is the same on every redelivery: a lone
   * hit the entry's id (as entries of one hit always had), the others the id and their index.
   */
  public static List<Hit> decodeEntry(String entryId, String entry) {
    String[] records = entry.split(RECORD_SPLIT, -1);
    if (records.length == 1) {
      return List.of(decode(entryId, records[0], List.of()));
    }
    List<Hit> hits = new ArrayList<>(records.length);
    for (int i = 0; i < records.length; i++) {
      hits.add(decode(entryId + "/" + i, records[i], hits));
    }
    return hits;
  }

  /** Separators in text from outside (a user agent) would split a hit; they become spaces. */
  public static String withoutSeparators(String text) {
    if (text == null || (text.indexOf(SEPARATOR) < 0 && text.indexOf(RECORD_SEPARATOR) < 0
        && text.indexOf(SAME_AGENT) < 0)) {
      return text;
    }
    return text.replace(SEPARATOR, ' ').replace(RECORD_SEPARATOR, ' ').replace(SAME_AGENT, ' ');
  }

  /**
   * A header as the client meant it: HTTP hands header bytes over one char each (Latin-1), so
   * an agent sent in UTF-8 arrives as mojibake; it is decoded when its bytes are valid UTF-8.
   */
  public static String headerText(String header) {
    if (header == null || header.chars().allMatch(c -> c < 0x80)) {
      return header;
    }
    if (header.chars().anyMatch(c -> c > 0xff)) {
      return header;
    }
    byte[] bytes = header.getBytes(StandardCharsets.ISO_8859_1);
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return header;
    }
  }

  /** The stream entry's one field. */
  public String encode() {
    StringBuilder text = new StringBuilder(160);
    appendTo(text, orEmpty(userAgent));
    return text.toString();
  }

  private void appendTo(StringBuilder text, String agentField) {
    text.append(open ? 'o' : 'c').append(SEPARATOR).append(messageId).append(SEPARATOR)
      .append(occurredAt).append(SEPARATOR).append(agentClass).append(SEPARATOR)
      .append(orEmpty(url)).append(SEPARATOR).append(orEmpty(ip)).append(SEPARATOR)
      .append(agentField);
  }

  /** The hit an entry holds; IllegalArgumentException for one that is malformed. */
  public static Hit decode(String streamId, String text) {
    return decode(streamId, text, List.of());
  }

  /** Decodes one record, taking a repeated agent from the earlier hit it names. */
  private static Hit decode(String streamId, String text, List<Hit> earlier) {
    String[] parts = text.split(SPLIT, -1);
    if (parts.length != 7) {
      throw new IllegalArgumentException("expected 7 fields, got " + parts.length);
    }
    String agent = parts[6];
    if (!agent.isEmpty() && agent.charAt(0) == SAME_AGENT) {
      int index = Integer.parseInt(agent, 1, agent.length(), 10);
      if (index < 0 || index >= earlier.size()) {
        throw new IllegalArgumentException("agent of hit " + index + " not in this entry");
      }
      agent = earlier.get(index).userAgent();
    } else {
      agent = orNull(agent);
    }
    return new Hit(streamId, UUID.fromString(parts[1]), "o".equals(parts[0]), orNull(parts[4]),
      Long.parseLong(parts[2]), orNull(parts[5]), agent, parts[3], PIXEL);
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
