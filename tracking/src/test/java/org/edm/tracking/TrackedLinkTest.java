package org.edm.tracking;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TrackedLinkTest {

  @Test
  void leavesAnOrdinaryLinkAsItIs() {
    assertThat(TrackedLink.normalize("https://shop.example/a?b=1&c=2#top"))
      .isEqualTo("https://shop.example/a?b=1&c=2#top");
    assertThat(TrackedLink.normalize("HTTP://Shop.example:8080/%E6%98%A5"))
      .isEqualTo("HTTP://Shop.example:8080/%E6%98%A5");
  }

  @Test
  void leavesALinkWithAnImpossiblePortUntracked() {
    assertThat(TrackedLink.normalize("HTTPS://EXAMPLE.com:99999/")).isNull();
    assertThat(TrackedLink.normalize("https://example.com:65536/")).isNull();
    assertThat(TrackedLink.normalize("https://example.com:65535/"))
      .isEqualTo("https://example.com:65535/");
  }

  @Test
  void percentEncodesWhatCannotTravelInALocationHeader() {
    assertThat(TrackedLink.normalize("https://shop.example/春?x=🌸&n=ü"))
      .isEqualTo("https://shop.example/%E6%98%A5?x=%F0%9F%8C%B8&n=%C3%BC");
    assertThat(TrackedLink.normalize("https://shop.example/a b\"c"))
      .isEqualTo("https://shop.example/a%20b%22c");
  }

  @Test
  void dropsTabsAndLineBreaksAsBrowsersDo() {
    assertThat(TrackedLink.normalize(" https://shop.exa\r\nmple/p\tath "))
      .isEqualTo("https://shop.example/path");
  }

  @Test
  void writesInternationalHostsInAscii() {
    assertThat(TrackedLink.normalize("https://bücher.example/x"))
      .isEqualTo("https://xn--bcher-kva.example/x");
  }

  @Test
  void refusesWhatCannotBeALink() {
    assertThat(TrackedLink.normalize("http://")).isNull();
    assertThat(TrackedLink.normalize("https://:80/x")).isNull();
    assertThat(TrackedLink.normalize("javascript:alert(1)")).isNull();
    assertThat(TrackedLink.normalize("https://a b.example/")).isNull();
    assertThat(TrackedLink.normalize("https://x.example/" + "a".repeat(8000))).isNull();
    assertThat(TrackedLink.normalize(null)).isNull();
  }
}
