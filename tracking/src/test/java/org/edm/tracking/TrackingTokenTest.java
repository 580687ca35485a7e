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
}
