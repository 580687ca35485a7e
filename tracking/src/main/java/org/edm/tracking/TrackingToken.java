package org.edm.tracking;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Open and click tokens: the message id, when the email was instrumented and, for a click,
 * the target link, signed with HMAC-SHA256 so that a hit is checked without asking the
 * database and a click can only ever redirect to the link that was wrapped.
 */
public final class TrackingToken {

  private static final byte OPEN = 'o';
  private static final byte CLICK = 'c';
  private static final int MAC_BYTES = 16;
  private static final int HEADER_BYTES = 1 + 16 + 8;
  /** The token of the longest link that is wrapped: anything longer was never issued. */
  static final int MAX_LENGTH = base64Length(HEADER_BYTES + TrackedLink.MAX_LENGTH) + 1
    + base64Length(MAC_BYTES);
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  /** What a valid token says. */
  public record Claims(boolean open, UUID messageId, long issuedAtMillis, String url) {
  }

  private final ThreadLocal<Mac> macs;

  public TrackingToken(String secret) {
    SecretKeySpec key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    this.macs = ThreadLocal.withInitial(() -> {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(key);
        return mac;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 unavailable", e);
      }
    });
  }

  public String open(UUID messageId, long issuedAtMillis) {
    return sign(payload(OPEN, messageId, issuedAtMillis, new byte[0]));
  }

  public String click(UUID messageId, long issuedAtMillis, String url) {
    return sign(payload(CLICK, messageId, issuedAtMillis, url.getBytes(StandardCharsets.UTF_8)));
  }

  private static byte[] payload(byte kind, UUID id, long issuedAt, byte[] url) {
    return ByteBuffer.allocate(HEADER_BYTES + url.length)
      .put(kind)
      .putLong(id.getMostSignificantBits())
      .putLong(id.getLeastSignificantBits())
      .putLong(issuedAt)
      .put(url)
      .array();
  }

  private String sign(byte[] payload) {
    byte[] mac = mac(payload);
    return ENCODER.encodeToString(payload) + "." + ENCODER.encodeToString(mac);
  }

  private byte[] mac(byte[] payload) {
    byte[] full = macs.get().doFinal(payload);
    byte[] shortened = new byte[MAC_BYTES];
    System.arraycopy(full, 0, shortened, 0, MAC_BYTES);
    return shortened;
  }

  /** The claims of a genuine token, or null for anything forged, altered or malformed. */
  public Claims verify(String token) {
    if (token == null || token.length() > MAX_LENGTH) {
      return null;
    }
    int dot = token.indexOf('.');
    if (dot <= 0 || dot != token.lastIndexOf('.')) {
      return null;
    }
    byte[] payload;
    try {
      payload = DECODER.decode(token.substring(0, dot));
    } catch (IllegalArgumentException e) {
      return null;
    }
    // Compared as text, not as decoded bytes: base64's last character carries spare bits a
    // decoder ignores, so several spellings decode alike, and only the issued one is genuine.
    if (payload.length < HEADER_BYTES || !MessageDigest.isEqual(
        sign(payload).getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
      return null;
    }
    ByteBuffer buffer = ByteBuffer.wrap(payload);
    byte kind = buffer.get();
    UUID id = new UUID(buffer.getLong(), buffer.getLong());
    long issuedAt = buffer.getLong();
    if (kind == OPEN && payload.length == HEADER_BYTES) {
      return new Claims(true, id, issuedAt, null);
    }
    if (kind == CLICK && payload.length > HEADER_BYTES) {
      String url = new String(payload, HEADER_BYTES, payload.length - HEADER_BYTES,
        StandardCharsets.UTF_8);
      return new Claims(false, id, issuedAt, url);
    }
    return null;
  }

  /** Characters of unpadded base64 for {@code bytes} bytes. */
  private static int base64Length(int bytes) {
    return (bytes * 4 + 2) / 3;
  }
}
