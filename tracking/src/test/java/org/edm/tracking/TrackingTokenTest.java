package org.edm.tracking;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class TrackingTokenTest {

  private final TrackingToken tokens = new TrackingToken("a-secret-for-tests-only");

  @Test
  void verifiesTheClickTokenOfTheLongestLinkThatIsWrapped() {
    UUID id = UUID.randomUUID();
    String link = TrackedLink.normalize("https://x.example/?q=" + "a".repeat(7979));
    assertThat(link).hasSize(8000);

    String token = tokens.click(id, 42L, link);

    assertThat(token).hasSizeLessThanOrEqualTo(TrackingToken.MAX_LENGTH);
    TrackingToken.Claims claims = tokens.verify(token);
    assertThat(claims).isNotNull();
    assertThat(claims.url()).isEqualTo(link);
    assertThat(claims.messageId()).isEqualTo(id);
    assertThat(claims.issuedAtMillis()).isEqualTo(42L);
  }

  @Test
  void refusesATokenLongerThanAnyIssued() {
    String token = tokens.click(UUID.randomUUID(), 0, "https://x.example/?q=" + "a".repeat(9000));

    assertThat(tokens.verify(token)).isNull();
  }

  @Test
  void refusesATokenSignedWithAnotherSecret() {
    String token = new TrackingToken("another-secret").open(UUID.randomUUID(), 0);

    assertThat(tokens.verify(token)).isNull();
  }

  @Test
  void anyOtherSpellingOfATokenIsRefused() {
    // The last character of each part holds spare bits that a base64 decoder ignores.
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    String click = tokens.click(UUID.randomUUID(), 7, "https://x.example/a");
    String open = tokens.open(UUID.randomUUID(), 7);

    for (String token : new String[] {click, open}) {
      assertThat(tokens.verify(token)).isNotNull();
      for (int position : new int[] {token.length() - 1, token.indexOf('.') - 1}) {
        for (char c : alphabet.toCharArray()) {
          String altered = token.substring(0, position) + c + token.substring(position + 1);
          if (!altered.equals(token)) {
            assertThat(tokens.verify(altered)).as(altered).isNull();
          }
        }
      }
      assertThat(tokens.verify(token + "=")).isNull();
    }
  }
}
