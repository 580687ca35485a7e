package org.edm.tracking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class HitTest {

  @Test
  void comesBackFromItsStreamEntryAsItWent() {
    UUID id = UUID.randomUUID();
    Hit click = new Hit(null, id, false, "https://shop.example/a?b=1|2", 1714000000123L,
      "2001:db8::1", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)", "person",
      Hit.PIXEL);
    assertThat(Hit.decode("1-0", click.encode())).isEqualTo(click.withStreamId("1-0"));

    Hit bareOpen = new Hit(null, id, true, null, 5, null, null, "bot", Hit.PIXEL);
    assertThat(Hit.decode("2-0", bareOpen.encode())).isEqualTo(bareOpen.withStreamId("2-0"));
  }

  @Test
  void refusesAMalformedEntry() {
    assertThatThrownBy(() -> Hit.decode("3-0", "o\u001fnot-a-uuid"))
      .isInstanceOf(IllegalArgumentException.class);
  }
}
