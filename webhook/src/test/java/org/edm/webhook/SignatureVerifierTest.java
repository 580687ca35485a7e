package org.edm.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The provider's published vectors, with secret example-app-key-123. */
class SignatureVerifierTest {

  private static final String SECRET = "example-app-key-123";
  private static final String MD5 = "278948ed3b5ac59285d6b6a6189d0a1e";
  private static final String HMAC =
    "b2839f4e114671c36d631893256010b0b9e37fcb2738bafa8e9dff03f6e765b0";
  private static final long NOW = 1714000000000L;

  @Test
  void matchesThePublishedVectorsOfBothRecipes() {
    SignatureVerifier either = new SignatureVerifier(List.of(SECRET), "either", 0);
    assertThat(either.verify("1714000000", "email", MD5, NOW).recipe()).isEqualTo("md5");
    assertThat(either.verify("1714000000", "email", HMAC, NOW).recipe()).isEqualTo("hmac");
    assertThat(either.verify("1714000000123", "email", "54e4b256823f5f7e701fb8ca0c706bdf", NOW)
      .recipe()).isEqualTo("md5");
    assertThat(either.verify("1714000000", "email", MD5.toUpperCase(), NOW).valid()).isTrue();
  }

  @Test
  void acceptsOnlyTheConfiguredRecipe() {
    SignatureVerifier md5Only = new SignatureVerifier(List.of(SECRET), "md5", 0);
    SignatureVerifier hmacOnly = new SignatureVerifier(List.of(SECRET), "hmac", 0);
    assertThat(md5Only.verify("1714000000", "email", HMAC, NOW).valid()).isFalse();
    assertThat(md5Only.verify("1714000000", "email", MD5, NOW).valid()).isTrue();
    assertThat(hmacOnly.verify("1714000000", "email", MD5, NOW).valid()).isFalse();
    assertThat(hmacOnly.verify("1714000000", "email", HMAC, NOW).valid()).isTrue();
  }

  @Test
  void refusesWrongSecretsAppKeysTimestampsAndMissingHeaders() {
    SignatureVerifier either = new SignatureVerifier(List.of("another-secret"), "either", 0);
    assertThat(either.verify("1714000000", "email", MD5, NOW).reason())
      .isEqualTo("signature does not match");
    SignatureVerifier right = new SignatureVerifier(List.of(SECRET), "either", 0);
    assertThat(right.verify("1714000000", "sms", MD5, NOW).valid()).isFalse();
    assertThat(right.verify("1714000001", "email", MD5, NOW).valid()).isFalse();
    assertThat(right.verify(null, "email", MD5, NOW).reason()).contains("missing");
    assertThat(right.verify("1714000000", "email", "", NOW).reason()).contains("missing");
  }

  @Test
  void acceptsAnyConfiguredSecretDuringRotation() {
    SignatureVerifier rotating = new SignatureVerifier(List.of("new-secret", SECRET), "either", 0);
    assertThat(rotating.verify("1714000000", "email", MD5, NOW).valid()).isTrue();
    assertThat(rotating.verify("1714000000", "email", HMAC, NOW).valid()).isTrue();
  }

  @Test
  void readsTheTimestampWindowInSecondsOrMillisecondsByMagnitude() {
    SignatureVerifier windowed = new SignatureVerifier(List.of(SECRET), "either", 300);
    assertThat(windowed.verify("1714000000", "email", MD5, NOW + 299_000).valid()).isTrue();
    assertThat(windowed.verify("1714000000", "email", MD5, NOW + 301_000).reason())
      .contains("window");
    assertThat(windowed.verify("1714000000123", "email", "54e4b256823f5f7e701fb8ca0c706bdf",
      NOW + 200_000).valid()).isTrue();
    assertThat(windowed.verify("1714000000123", "email", "54e4b256823f5f7e701fb8ca0c706bdf",
      NOW - 400_000).valid()).isFalse();
  }

  @Test
  void saysWhenTheTimestampIsNotANumberAndLabelsEachRefusal() {
    SignatureVerifier windowed = new SignatureVerifier(List.of(SECRET), "either", 300);
    SignatureVerifier.Result word = windowed.verify("abc", "email", MD5, NOW);
    assertThat(word.reason()).contains("not a number").doesNotContain("window");
    assertThat(word.label()).isEqualTo("timestamp_not_a_number");
    SignatureVerifier.Result stale = windowed.verify("1714000000", "email", MD5, NOW + 301_000);
    assertThat(stale.reason()).contains("outside the accepted window");
    assertThat(stale.label()).isEqualTo("timestamp_outside_window");
    assertThat(windowed.verify("1714000000", "email", HMAC.replace('b', 'c'), NOW).label())
      .isEqualTo("signature");
    assertThat(windowed.verify(null, "email", MD5, NOW).label()).isEqualTo("missing_headers");
    assertThat(new SignatureVerifier(List.of(SECRET), "either", 0)
      .verify("abc", "email", MD5, NOW).label()).isEqualTo("signature");
  }
}
