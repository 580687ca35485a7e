package org.edm.tracking;

import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The form of a link that is wrapped and redirected to: absolute http(s), with the tabs and
 * line breaks browsers drop removed, the host in ASCII (IDN) and everything else that cannot
 * travel in a Location header percent-encoded, as a browser would send it.
 */
public final class TrackedLink {

  /** Longer links would make tracking URLs past what the HTTP server accepts. */
  static final int MAX_LENGTH = 8000;
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private TrackedLink() {
  }

  /** The link as it is redirected to, or null for one that cannot be tracked. */
  public static String normalize(String raw) {
    if (raw == null) {
      return null;
    }
    String link = raw.replaceAll("[\\t\\r\\n]", "").trim();
    String lower = link.toLowerCase(Locale.ROOT);
    int schemeEnd = lower.startsWith("https://") ? 8 : lower.startsWith("http://") ? 7 : -1;
    if (schemeEnd < 0) {
      return null;
    }
    int authorityEnd = schemeEnd;
    while (authorityEnd < link.length() && "/?#".indexOf(link.charAt(authorityEnd)) < 0) {
      authorityEnd++;
    }
    String authority = asciiAuthority(link.substring(schemeEnd, authorityEnd));
    if (authority == null) {
      return null;
    }
    String normalized = link.substring(0, schemeEnd) + authority
      + encode(link.substring(authorityEnd));
    return normalized.length() <= MAX_LENGTH ? normalized : null;
  }

  private static String asciiAuthority(String authority) {
    int at = authority.lastIndexOf('@');
    String userInfo = at < 0 ? "" : encode(authority.substring(0, at + 1));
    String hostPort = authority.substring(at + 1);
    if (hostPort.isEmpty() || hostPort.startsWith(":")) {
      return null;
    }
    if (hostPort.startsWith("[")) {
      return hostPort.chars().allMatch(c -> c > 0x20 && c < 0x7f) ? userInfo + hostPort : null;
    }
    int colon = hostPort.indexOf(':');
    String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
    String port = colon < 0 ? "" : hostPort.substring(colon);
    if (!port.matches("(:\\d{1,5})?")
        || (!port.isEmpty() && Integer.parseInt(port.substring(1)) > 65_535)) {
      return null;
    }
    try {
      String ascii = IDN.toASCII(host, IDN.ALLOW_UNASSIGNED);
      return ascii.isEmpty() || !ascii.matches("[A-Za-z0-9.-]+") ? null : userInfo + ascii + port;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Percent-encodes spaces, controls, non-ASCII and the characters unsafe in headers. */
  private static String encode(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean safe = c > 0x20 && c < 0x7f && c != '"' && c != '<' && c != '>' && c != '\\';
      if (safe) {
        if (out != null) {
          out.append(c);
        }
        continue;
      }
      if (out == null) {
        out = new StringBuilder(text.length() + 16).append(text, 0, i);
      }
      int end = Character.isHighSurrogate(c) && i + 1 < text.length() ? i + 2 : i + 1;
      for (byte b : text.substring(i, end).getBytes(StandardCharsets.UTF_8)) {
        out.append('%').append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
      }
      i = end - 1;
    }
    return out == null ? text : out.toString();
  }
}
