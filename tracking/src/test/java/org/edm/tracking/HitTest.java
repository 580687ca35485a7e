package org.edm.tracking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
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
  void hitsPackedInOneEntryComeBackInOrderWithIdsStableOnRedelivery() {
    List<Hit> hits = List.of(
      new Hit(null, UUID.randomUUID(), true, null, 1, "192.0.2.1", "Agent A", "person", Hit.PIXEL),
      new Hit(null, UUID.randomUUID(), false, "https://x.example/", 2, null, null, "bot",
        Hit.PIXEL),
      new Hit(null, UUID.randomUUID(), true, null, 3, "::1", "Agent C", "proxy", Hit.PIXEL));
    String entry = Hit.encodeEntry(hits, 0, 3);

    List<Hit> decoded = Hit.decodeEntry("7-1", entry);
    assertThat(decoded).containsExactly(hits.get(0).withStreamId("7-1/0"),
      hits.get(1).withStreamId("7-1/1"), hits.get(2).withStreamId("7-1/2"));
    assertThat(Hit.decodeEntry("7-1", entry)).isEqualTo(decoded);

    // A lone hit keeps the entry's id, as entries written one hit each always had.
    assertThat(Hit.decodeEntry("8-0", Hit.encodeEntry(hits, 1, 2)))
      .containsExactly(hits.get(1).withStreamId("8-0"));
  }

  @Test
  void anAgentRepeatedInAnEntryIsStoredOnceAndComesBackForEveryHit() {
    String iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15";
    String gmail = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com)";
    List<Hit> hits = List.of(
      new Hit(null, UUID.randomUUID(), true, null, 1, "192.0.2.1", iphone, "person", Hit.PIXEL),
      new Hit(null, UUID.randomUUID(), true, null, 2, "192.0.2.2", gmail, "proxy", Hit.PIXEL),
      new Hit(null, UUID.randomUUID(), true, null, 3, "192.0.2.3", null, "bot", Hit.PIXEL),
      new Hit(null, UUID.randomUUID(), true, null, 4, "192.0.2.4", gmail, "proxy", Hit.PIXEL),
      new Hit(null, UUID.randomUUID(), true, null, 5, "192.0.2.5", iphone, "person", Hit.PIXEL));

    String entry = Hit.encodeEntry(hits, 0, hits.size());
    assertThat(entry.split(Pattern.quote(iphone), -1)).hasSize(2);
    assertThat(entry.split(Pattern.quote(gmail), -1)).hasSize(2);
    List<Hit> decoded = Hit.decodeEntry("5-0", entry);
    for (int i = 0; i < hits.size(); i++) {
      assertThat(decoded.get(i)).isEqualTo(hits.get(i).withStreamId("5-0/" + i));
    }

    // A slice starting mid-list refers to its own hits, not to the list's.
    List<Hit> tail = Hit.decodeEntry("6-0", Hit.encodeEntry(hits, 3, 5));
    assertThat(tail.get(0).userAgent()).isEqualTo(gmail);
    assertThat(tail.get(1).userAgent()).isEqualTo(iphone);
  }

  @Test
  void aReferenceToAnAgentNotInTheEntryIsMalformed() {
    String record = "o\u001f" + UUID.randomUUID() + "\u001f1\u001fperson\u001f\u001f\u001f\u001d";
    assertThatThrownBy(() -> Hit.decodeEntry("4-0", record + "0"))
      .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Hit.decodeEntry("4-0", record + "x"))
      .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void separatorsInAUserAgentCannotSplitAHit() {
    String agent = Hit.withoutSeparators("Evil\u001eo\u001fAg\u001dent");
    assertThat(agent).isEqualTo("Evil o Ag ent");
    Hit hit = new Hit(null, UUID.randomUUID(), true, null, 1, null, agent, "person", Hit.PIXEL);
    assertThat(Hit.decodeEntry("9-0", Hit.encodeEntry(List.of(hit), 0, 1)))
      .containsExactly(hit.withStreamId("9-0"));
  }

  @Test
  void readsAUserAgentSentInUtf8AsTheClientWroteIt() {
    String sent = "Mözillä/5.0 (Ünïcode) 😀";
    String received = new String(sent.getBytes(StandardCharsets.UTF_8),
      StandardCharsets.ISO_8859_1);

    assertThat(Hit.headerText(received)).isEqualTo(sent);
    assertThat(Hit.headerText("Mozilla/5.0")).isEqualTo("Mozilla/5.0");
    assertThat(Hit.headerText("caf\u00e9 latin-1")).isEqualTo("caf\u00e9 latin-1");
  }

  @Test
  void refusesAMalformedEntry() {
    assertThatThrownBy(() -> Hit.decode("3-0", "o\u001fnot-a-uuid"))
      .isInstanceOf(IllegalArgumentException.class);
  }
}
