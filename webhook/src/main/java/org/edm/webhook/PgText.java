package org.edm.webhook;

import io.vertx.core.json.JsonObject;

/**
 * Text that PostgreSQL's text, json and jsonb all hold. text refuses NUL; json and jsonb also
 * refuse the JSON escape of NUL and an escaped UTF-16 surrogate without its pair. Each
 * becomes U+FFFD, the replacement character, so that a stored callback never breaks a later read
 * (a cast of its body to jsonb) nor a later write that the provider would retry forever.
 */
final class PgText {

  private static final char REPLACEMENT = '\uFFFD';
  private static final String REPLACEMENT_ESCAPE = "\\ufffd";

  private PgText() {
  }

  /** Plain text: NUL and unpaired surrogates replaced. */
  static String plain(String text) {
    StringBuilder out = null;
    int n = text.length();
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      int kept = keptChars(text, i);
      if (kept > 0) {
        if (out != null) {
          out.append(text, i, i + kept);
        }
        i += kept - 1;
        continue;
      }
      if (out == null) {
        out = new StringBuilder(n).append(text, 0, i);
      }
      out.append(REPLACEMENT);
    }
    return out == null ? text : out.toString();
  }

  /**
   * JSON text: besides what {@link #plain} replaces, the escape of NUL (backslash, u0000)
   * and an escaped surrogate (uD800 to uDFFF) without its pair become the escape of U+FFFD.
   * An escaped backslash is skipped whole, so an escaped backslash followed by "u0000" is
   * left as it is.
   */
  static String json(String text) {
    StringBuilder out = null;
    int n = text.length();
    int i = 0;
    while (i < n) {
      int kept;
      String replacement = null;
      if (text.charAt(i) == '\\' && i + 1 < n) {
        kept = text.charAt(i + 1) == 'u' ? escapeKept(text, i) : 2;
        if (kept == 0) {
          replacement = REPLACEMENT_ESCAPE;
          kept = 6;
        }
      } else {
        kept = keptChars(text, i);
        if (kept == 0) {
          replacement = String.valueOf(REPLACEMENT);
          kept = 1;
        }
      }
      if (replacement != null && out == null) {
        out = new StringBuilder(n).append(text, 0, i);
      }
      if (out != null) {
        if (replacement != null) {
          out.append(replacement);
        } else {
          out.append(text, i, i + kept);
        }
      }
      i += kept;
    }
    return out == null ? text : out.toString();
  }

  /** A copy with each string value made {@link #plain}; headers are flat strings. */
  static JsonObject plainStrings(JsonObject object) {
    JsonObject copy = new JsonObject();
    object.forEach(entry -> copy.put(plain(entry.getKey()),
      entry.getValue() instanceof String text ? plain(text) : entry.getValue()));
    return copy;
  }

  /** How many chars at i are fine as they are (1, or 2 for a pair); 0 when to replace. */
  private static int keptChars(String text, int i) {
    char c = text.charAt(i);
    if (c == '\u0000' || Character.isLowSurrogate(c)) {
      return 0;
    }
    if (Character.isHighSurrogate(c)) {
      return i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1)) ? 2 : 0;
    }
    return 1;
  }

  /** For the backslash-u escape at i: how many chars are fine as they are, 0 when to replace. */
  private static int escapeKept(String text, int i) {
    int unit = hex4(text, i + 2);
    if (unit < 0) {
      return 2;
    }
    if (unit == 0 || Character.isLowSurrogate((char) unit)) {
      return 0;
    }
    if (Character.isHighSurrogate((char) unit)) {
      boolean paired = i + 7 < text.length() && text.charAt(i + 6) == '\\'
        && text.charAt(i + 7) == 'u' && hex4(text, i + 8) >= 0
        && Character.isLowSurrogate((char) hex4(text, i + 8));
      return paired ? 12 : 0;
    }
    return 6;
  }

  /** The four hex digits at i as a number, or -1 when there are not four. */
  private static int hex4(String text, int i) {
    if (i + 4 > text.length()) {
      return -1;
    }
    int value = 0;
    for (int k = i; k < i + 4; k++) {
      int digit = Character.digit(text.charAt(k), 16);
      if (digit < 0) {
        return -1;
      }
      value = value * 16 + digit;
    }
    return value;
  }
}
