package org.edm.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks EngageLab's callback signature by either documented recipe: the lowercase hex MD5 of
 * timestamp + appkey + secret, or the hex HMAC-SHA256 of the timestamp keyed by the secret.
 * Every configured secret is tried, so a secret can be rotated without losing callbacks.
 */
public final class SignatureVerifier {

  /**
   * The outcome: which recipe matched, or why none did, in words and as a short label for
   * metrics (missing_headers, timestamp_not_a_number, timestamp_outside_window, signature).
   */
  public record Result(boolean valid, String recipe, String reason, String label) {

    static Result ok(String recipe) {
      return new Result(true, recipe, null, null);
    }

    static Result refused(String label, String reason) {
      return new Result(false, null, reason, label);
    }
  }

  private static final HexFormat HEX = HexFormat.of();

  private final List<String> secrets;
  private final String recipe;
  private final long windowSeconds;

  public SignatureVerifier(List<String> secrets, String recipe, long windowSeconds) {
    this.secrets = secrets;
    this.recipe = recipe;
    this.windowSeconds = windowSeconds;
  }

  public Result verify(String timestamp, String appKey, String signature, long nowMillis) {
    if (timestamp == null || timestamp.isBlank() || signature == null || signature.isBlank()) {
      return Result.refused("missing_headers",
        "missing X-WebHook-Timestamp or X-WebHook-Signature");
    }
    if (windowSeconds > 0) {
      Long millis = timestampMillis(timestamp.trim());
      if (millis == null) {
        return Result.refused("timestamp_not_a_number",
          "X-WebHook-Timestamp is not a number of seconds or milliseconds");
      }
      if (Math.abs(nowMillis - millis) > windowSeconds * 1000) {
        return Result.refused("timestamp_outside_window",
          "timestamp outside the accepted window of " + windowSeconds + " seconds");
      }
    }
    byte[] given = signature.trim().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
    for (String secret : secrets) {
      if (!"hmac".equals(recipe)
          && matches(given, md5(timestamp.trim() + (appKey == null ? "" : appKey) + secret))) {
        return Result.ok("md5");
      }
      if (!"md5".equals(recipe) && matches(given, hmac(secret, timestamp.trim()))) {
        return Result.ok("hmac");
      }
    }
    return Result.refused("signature", "signature does not match");
  }

  /** Seconds or milliseconds, told apart by magnitude; null when not a whole number. */
  private static Long timestampMillis(String timestamp) {
    if (!timestamp.matches("\\d{1,18}")) {
      return null;
    }
    long value = Long.parseLong(timestamp);
    return value < 100_000_000_000L ? value * 1000 : value;
  }

  private static boolean matches(byte[] given, String expected) {
    return MessageDigest.isEqual(given, expected.getBytes(StandardCharsets.US_ASCII));
  }

  static String md5(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("MD5");
      return HEX.formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static String hmac(String secret, String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HEX.formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
