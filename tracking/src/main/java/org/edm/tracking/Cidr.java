package org.edm.tracking;

import io.netty.util.NetUtil;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * An immutable IPv4 or IPv6 network block such as {@code 17.0.0.0/8} or {@code 2a02:26f7::/32}.
 *
 * <p>Parsing only accepts IP literals (validated with Netty's {@link NetUtil}), so it can never
 * trigger a DNS lookup. Host bits after the prefix are cleared, so {@code 10.1.2.3/8} is the
 * same block as {@code 10.0.0.0/8}.
 */
public final class Cidr {

  private final byte[] network;
  private final int prefixLength;

  private Cidr(byte[] network, int prefixLength) {
    this.network = network;
    this.prefixLength = prefixLength;
  }

  /**
   * Parses {@code address/prefix}; a bare address means a single host (/32 or /128).
   *
   * @throws IllegalArgumentException naming the bad value when it is not a valid CIDR
   */
  public static Cidr parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("Invalid CIDR: null");
    }
    String s = text.strip();
    int slash = s.indexOf('/');
    String literal = slash < 0 ? s : s.substring(0, slash);
    // Brackets and zone ids are valid in some address contexts but meaningless in a block.
    if (literal.indexOf('[') >= 0 || literal.indexOf('%') >= 0) {
      throw invalid(text, "not a plain IP address");
    }
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(literal);
    if (bytes == null) {
      throw invalid(text, "not an IP address");
    }
    int maxBits = bytes.length * 8;
    int prefix = slash < 0 ? maxBits : parsePrefix(s, slash + 1, maxBits);
    if (prefix < 0) {
      throw invalid(text, "prefix length must be 0-" + maxBits);
    }
    // Store ::ffff:a.b.c.d/96+ as IPv4 so it matches the 4-byte form ClientIp produces.
    if (bytes.length == 16 && prefix >= 96 && isIpv4Mapped(bytes)) {
      bytes = Arrays.copyOfRange(bytes, 12, 16);
      prefix -= 96;
    }
    mask(bytes, prefix);
    return new Cidr(bytes, prefix);
  }

  /** Parses every entry; fails on the first invalid one. Returns an unmodifiable list. */
  public static List<Cidr> parseAll(List<String> texts) {
    if (texts == null) {
      throw new IllegalArgumentException("Invalid CIDR list: null");
    }
    List<Cidr> out = new ArrayList<>(texts.size());
    for (String text : texts) {
      out.add(parse(text));
    }
    return Collections.unmodifiableList(out);
  }

  /**
   * Whether the raw address (4 or 16 bytes, network order) lies in this block. An IPv4-mapped
   * IPv6 address matches IPv4 blocks. Null or other lengths never match.
   */
  public boolean contains(byte[] address) {
    if (address == null) {
      return false;
    }
    int offset = 0;
    if (address.length != network.length) {
      if (network.length == 4 && address.length == 16 && isIpv4Mapped(address)) {
        offset = 12;
      } else {
        return false;
      }
    }
    int fullBytes = prefixLength >>> 3;
    for (int i = 0; i < fullBytes; i++) {
      if (address[offset + i] != network[i]) {
        return false;
      }
    }
    int remBits = prefixLength & 7;
    if (remBits == 0) {
      return true;
    }
    int m = (0xff << (8 - remBits)) & 0xff;
    return (address[offset + fullBytes] & m) == (network[fullBytes] & 0xff);
  }

  public int prefixLength() {
    return prefixLength;
  }

  public boolean isIpv4() {
    return network.length == 4;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr other
        && prefixLength == other.prefixLength
        && Arrays.equals(network, other.network);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(network) + prefixLength;
  }

  /** Canonical form, e.g. {@code 2a02:26f7::/32}. */
  @Override
  public String toString() {
    return NetUtil.bytesToIpAddress(network) + "/" + prefixLength;
  }

  static boolean isIpv4Mapped(byte[] a) {
    if (a.length != 16 || a[10] != (byte) 0xff || a[11] != (byte) 0xff) {
      return false;
    }
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /** Zeroes every bit after the first {@code bits} bits, in place. */
  static void mask(byte[] a, int bits) {
    for (int i = 0; i < a.length; i++) {
      int keep = bits - i * 8;
      if (keep <= 0) {
        a[i] = 0;
      } else if (keep < 8) {
        a[i] &= (byte) (0xff << (8 - keep));
      }
    }
  }

  /** Decimal 0..max without sign or spaces; -1 when invalid. */
  private static int parsePrefix(String s, int from, int max) {
    int len = s.length() - from;
    if (len < 1 || len > 3) {
      return -1;
    }
    int value = 0;
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value <= max ? value : -1;
  }

  private static IllegalArgumentException invalid(String text, String why) {
    return new IllegalArgumentException("Invalid CIDR '" + text + "': " + why);
  }
}
