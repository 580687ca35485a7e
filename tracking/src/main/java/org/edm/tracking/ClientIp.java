package org.edm.tracking;

import io.netty.util.NetUtil;
import java.util.Arrays;
import java.util.List;

/**
 * Works out the client address of a tracking hit, honouring {@code X-Forwarded-For} only when
 * the TCP peer is one of our own proxies (otherwise anyone could forge it).
 *
 * <p>Never performs DNS lookups and never throws on request input: every candidate is checked
 * as an IP literal with Netty's {@link NetUtil} before it is converted. IPv4-mapped IPv6
 * addresses ({@code ::ffff:a.b.c.d}) are reported as IPv4.
 */
public final class ClientIp {

  // Longest sane entry: bracketed IPv6 with zone id and port. Longer input is junk.
  private static final int MAX_LITERAL = 100;

  private final List<Cidr> trustedProxies;
  private final boolean truncate;

  /**
   * @param trustedProxies blocks whose peers may set X-Forwarded-For
   * @param truncate keep only the /24 (IPv4) or /48 (IPv6) network, for privacy
   */
  public ClientIp(List<Cidr> trustedProxies, boolean truncate) {
    if (trustedProxies == null) {
      throw new IllegalArgumentException("trustedProxies must not be null");
    }
    this.trustedProxies = List.copyOf(trustedProxies);
    this.truncate = truncate;
  }

  /**
   * The client address as normalised text (truncated when configured), or null when neither the
   * forwarded chain nor the peer holds a valid IP literal.
   */
  public String resolve(String peerAddress, String xForwardedFor) {
    return format(resolveAddress(peerAddress, xForwardedFor));
  }

  /**
   * The full, untruncated client address bytes (4 or 16), or null. Use this for CIDR checks
   * such as prefetch detection, where a truncated address could fall outside a narrow block;
   * then {@link #format} it for storage.
   */
  public byte[] resolveAddress(String peerAddress, String xForwardedFor) {
    byte[] peer = parse(peerAddress);
    if (peer == null) {
      return null;
    }
    if (xForwardedFor == null || xForwardedFor.isEmpty() || !isTrusted(peer)) {
      return peer;
    }
    byte[] forwarded = firstValid(xForwardedFor);
    return forwarded != null ? forwarded : peer;
  }

  /**
   * Normalised text for stored addresses ({@code 192.0.2.0}, {@code 2001:db8:1::}), applying
   * truncation when configured. Does not modify the argument. Null in, null out.
   */
  public String format(byte[] address) {
    if (address == null || (address.length != 4 && address.length != 16)) {
      return null;
    }
    if (truncate) {
      byte[] copy = address.clone();
      Cidr.mask(copy, copy.length == 4 ? 24 : 48);
      return NetUtil.bytesToIpAddress(copy);
    }
    return NetUtil.bytesToIpAddress(address);
  }

  /**
   * Parses one address as it may appear in a header: surrounding spaces, {@code [v6]},
   * {@code [v6]:port}, {@code v4:port}, or a bare literal. Returns 4 or 16 fresh bytes, or null
   * if the text is not an IP literal (host names are rejected, never resolved).
   */
  public static byte[] parse(String text) {
    if (text == null) {
      return null;
    }
    return parseRange(text, 0, text.length());
  }

  private boolean isTrusted(byte[] peer) {
    for (Cidr cidr : trustedProxies) {
      if (cidr.contains(peer)) {
        return true;
      }
    }
    return false;
  }

  /** Walks the comma-separated chain without splitting (no regex, no list). */
  private static byte[] firstValid(String chain) {
    int start = 0;
    int len = chain.length();
    while (start <= len) {
      int comma = chain.indexOf(',', start);
      int end = comma < 0 ? len : comma;
      byte[] address = parseRange(chain, start, end);
      if (address != null) {
        return address;
      }
      if (comma < 0) {
        return null;
      }
      start = comma + 1;
    }
    return null;
  }

  private static byte[] parseRange(String s, int start, int end) {
    while (start < end && isSpace(s.charAt(start))) {
      start++;
    }
    while (end > start && isSpace(s.charAt(end - 1))) {
      end--;
    }
    if (start == end || end - start > MAX_LITERAL) {
      return null;
    }
    String literal;
    if (s.charAt(start) == '[') {
      int close = s.indexOf(']', start);
      if (close < 0 || close >= end) {
        return null;
      }
      boolean bareBrackets = close + 1 == end;
      if (!bareBrackets && (s.charAt(close + 1) != ':' || !isPort(s, close + 2, end))) {
        return null;
      }
      literal = s.substring(start + 1, close);
      // Brackets are only legal around IPv6.
      if (!NetUtil.isValidIpV6Address(literal)) {
        return null;
      }
    } else {
      int colon = s.indexOf(':', start);
      if (colon >= 0 && colon < end && s.lastIndexOf(':', end - 1) == colon) {
        // A single colon cannot be IPv6 (needs at least two), so it is ipv4:port.
        if (!isPort(s, colon + 1, end)) {
          return null;
        }
        literal = s.substring(start, colon);
        if (!NetUtil.isValidIpV4Address(literal)) {
          return null;
        }
      } else {
        literal = s.substring(start, end);
      }
    }
    // Netty accepts an empty zone id ("fe80::1%"); that is malformed input.
    if (literal.isEmpty() || literal.charAt(literal.length() - 1) == '%') {
      return null;
    }
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(literal);
    if (bytes != null && Cidr.isIpv4Mapped(bytes)) {
      return Arrays.copyOfRange(bytes, 12, 16);
    }
    return bytes;
  }

  private static boolean isPort(String s, int from, int to) {
    int len = to - from;
    if (len < 1 || len > 5) {
      return false;
    }
    int value = 0;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
      value = value * 10 + (c - '0');
    }
    return value <= 65535;
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t';
  }
}
