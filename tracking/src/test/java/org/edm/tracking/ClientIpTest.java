package org.edm.tracking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class ClientIpTest {

  static final List<Cidr> PROXIES = Cidr.parseAll(List.of("10.0.0.0/8", "fd00::/8"));

  final ClientIp full = new ClientIp(PROXIES, false);
  final ClientIp truncating = new ClientIp(PROXIES, true);

  static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  @Nested
  class ForwardedFor {
    @Test
    void trustedProxyPeerYieldsFirstForwardedAddress() {
      assertThat(full.resolve("10.1.2.3", "203.0.113.7, 10.0.0.9")).isEqualTo("203.0.113.7");
    }

    @Test
    void untrustedPeerIgnoresForwardedHeaderSoItCannotBeSpoofed() {
      assertThat(full.resolve("198.51.100.20", "203.0.113.7")).isEqualTo("198.51.100.20");
    }

    @Test
    void trustedIpv6ProxyIsHonoured() {
      assertThat(full.resolve("fd00::5", "203.0.113.7")).isEqualTo("203.0.113.7");
    }

    @Test
    void unknownAndGarbageEntriesAreSkipped() {
      assertThat(full.resolve("10.1.2.3", "unknown, _hidden, 999.1.1.1, , 198.51.100.4"))
          .isEqualTo("198.51.100.4");
    }

    @Test
    void hostNamesAreRejectedNotResolved() {
      assertThat(full.resolve("10.1.2.3", "localhost, example.com")).isEqualTo("10.1.2.3");
    }

    @Test
    void spacesAndTabsAroundEntriesAreTrimmed() {
      assertThat(full.resolve("10.1.2.3", "  \t203.0.113.7\t ,10.0.0.1"))
          .isEqualTo("203.0.113.7");
    }

    @Test
    void bracketedIpv6WithAndWithoutPortIsAccepted() {
      assertThat(full.resolve("10.1.2.3", "[2001:db8::1]:443")).isEqualTo("2001:db8::1");
      assertThat(full.resolve("10.1.2.3", "[2001:db8::2]")).isEqualTo("2001:db8::2");
    }

    @Test
    void ipv4WithPortIsAccepted() {
      assertThat(full.resolve("10.1.2.3", "198.51.100.4:8080")).isEqualTo("198.51.100.4");
    }

    @Test
    void bareIpv6IsNormalisedToCanonicalText() {
      assertThat(full.resolve("10.1.2.3", "2001:DB8:0:0:0:0:0:1")).isEqualTo("2001:db8::1");
    }

    @Test
    void ipv4MappedIpv6IsReportedAsIpv4() {
      assertThat(full.resolve("10.1.2.3", "::ffff:198.51.100.4")).isEqualTo("198.51.100.4");
      assertThat(full.resolve("::ffff:198.51.100.9", null)).isEqualTo("198.51.100.9");
    }

    @Test
    void mappedPeerInsideTrustedIpv4RangeIsTrusted() {
      assertThat(full.resolve("::ffff:10.1.2.3", "203.0.113.7")).isEqualTo("203.0.113.7");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"unknown", " , ,", "nonsense"})
    void trustedPeerFallsBackToItselfWithoutAValidForwardedEntry(String xff) {
      assertThat(full.resolve("10.1.2.3", xff)).isEqualTo("10.1.2.3");
    }

    @ParameterizedTest
    @ValueSource(strings = {
      "[", "]", "[]", "[::1", "[::1]x", "[::1]:", "[::1]:99999", "[1.2.3.4]",
      "1.2.3.4:", "1.2.3.4:port", "1.2.3.4:70000", ":", "::::", ",,,,", "1.2.3",
      "256.1.1.1", "1.2.3.4.5", "\u0000", "%", "fe80::1%", "   ",
    })
    void malformedForwardedEntriesNeverThrowAndFallBackToPeer(String xff) {
      assertThatCode(() -> full.resolve("10.1.2.3", xff)).doesNotThrowAnyException();
      assertThat(full.resolve("10.1.2.3", xff)).isEqualTo("10.1.2.3");
    }

    @Test
    void veryLongJunkEntryIsRejected() {
      String junk = "1".repeat(5_000);
      assertThat(full.resolve("10.1.2.3", junk + ", 198.51.100.4")).isEqualTo("198.51.100.4");
    }

    @Test
    void noTrustedProxiesMeansTheHeaderIsNeverUsed() {
      ClientIp direct = new ClientIp(List.of(), false);
      assertThat(direct.resolve("10.1.2.3", "203.0.113.7")).isEqualTo("10.1.2.3");
    }

    @Test
    void trustedProxyListIsCopied() {
      List<Cidr> proxies = new ArrayList<>(PROXIES);
      ClientIp ip = new ClientIp(proxies, false);
      proxies.clear();
      assertThat(ip.resolve("10.1.2.3", "203.0.113.7")).isEqualTo("203.0.113.7");
    }
  }

  @Nested
  class Peer {
    @Test
    void peerWithoutForwardedHeaderIsReturnedNormalised() {
      assertThat(full.resolve("0:0:0:0:0:0:0:1", null)).isEqualTo("::1");
    }

    @Test
    void zoneIdOnPeerIsDropped() {
      assertThat(full.resolve("fe80::1%eth0", null)).isEqualTo("fe80::1");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"unknown", "example.com", "[::1"})
    void invalidPeerGivesNullEvenWithAForwardedHeader(String peer) {
      assertThat(full.resolve(peer, "203.0.113.7")).isNull();
      assertThat(full.resolveAddress(peer, "203.0.113.7")).isNull();
    }
  }

  @Nested
  class Truncation {
    @Test
    void ipv4KeepsOnlyTheSlash24() {
      assertThat(truncating.resolve("10.1.2.3", "203.0.113.77")).isEqualTo("203.0.113.0");
      assertThat(truncating.resolve("198.51.100.255", null)).isEqualTo("198.51.100.0");
    }

    @Test
    void ipv6KeepsOnlyTheSlash48() {
      assertThat(truncating.resolve("10.1.2.3", "2001:db8:abcd:1234:5678::9"))
          .isEqualTo("2001:db8:abcd::");
    }

    @Test
    void mappedAddressesAreTruncatedAsIpv4() {
      assertThat(truncating.resolve("::ffff:198.51.100.9", null)).isEqualTo("198.51.100.0");
    }

    @Test
    void resolveAddressStaysFullSoCidrChecksRemainExact() {
      byte[] raw = truncating.resolveAddress("10.1.2.3", "17.58.101.7");
      assertThat(raw).containsExactly(bytes(17, 58, 101, 7));
      assertThat(truncating.format(raw)).isEqualTo("17.58.101.0");
      assertThat(raw).as("format must not mutate its input")
          .containsExactly(bytes(17, 58, 101, 7));
    }

    @Test
    void formatOfNullOrOddLengthIsNull() {
      assertThat(truncating.format(null)).isNull();
      assertThat(truncating.format(new byte[3])).isNull();
    }
  }

  @Nested
  class Parse {
    @Test
    void parsesIpv4ToFourBytes() {
      assertThat(ClientIp.parse("192.0.2.1")).containsExactly(bytes(192, 0, 2, 1));
    }

    @Test
    void parsesIpv6ToSixteenBytes() {
      assertThat(ClientIp.parse("[2001:db8::1]:80"))
          .hasSize(16)
          .startsWith(bytes(0x20, 0x01, 0x0d, 0xb8))
          .endsWith(bytes(0, 1));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"unknown", "example.com", "1.2.3", "1.2.3.4/24", "[1.2.3.4]"})
    void returnsNullForAnythingThatIsNotAnIpLiteral(String text) {
      assertThat(ClientIp.parse(text)).isNull();
    }
  }

  @Nested
  class CidrBlocks {
    @Test
    void ipv4BlockContainsItsAddressesOnly() {
      Cidr apple = Cidr.parse("17.0.0.0/8");
      assertThat(apple.contains(ClientIp.parse("17.255.1.2"))).isTrue();
      assertThat(apple.contains(ClientIp.parse("18.0.0.1"))).isFalse();
      assertThat(apple.contains(ClientIp.parse("2001:db8::1"))).isFalse();
    }

    @Test
    void ipv6BlockContainsItsAddressesOnly() {
      Cidr akamai = Cidr.parse("2a02:26f7::/32");
      assertThat(akamai.contains(ClientIp.parse("2a02:26f7:ffff::1"))).isTrue();
      assertThat(akamai.contains(ClientIp.parse("2a02:26f8::1"))).isFalse();
      assertThat(akamai.contains(ClientIp.parse("17.0.0.1"))).isFalse();
    }

    @Test
    void prefixesNotOnAByteBoundaryAreHonoured() {
      Cidr block = Cidr.parse("192.0.2.64/27");
      assertThat(block.contains(ClientIp.parse("192.0.2.64"))).isTrue();
      assertThat(block.contains(ClientIp.parse("192.0.2.95"))).isTrue();
      assertThat(block.contains(ClientIp.parse("192.0.2.96"))).isFalse();
      assertThat(block.contains(ClientIp.parse("192.0.2.63"))).isFalse();
    }

    @Test
    void bareAddressIsASingleHost() {
      assertThat(Cidr.parse("192.0.2.7").prefixLength()).isEqualTo(32);
      assertThat(Cidr.parse("2001:db8::7").prefixLength()).isEqualTo(128);
      assertThat(Cidr.parse("192.0.2.7").contains(ClientIp.parse("192.0.2.8"))).isFalse();
    }

    @Test
    void zeroPrefixMatchesEverythingOfThatFamily() {
      assertThat(Cidr.parse("0.0.0.0/0").contains(ClientIp.parse("203.0.113.1"))).isTrue();
      assertThat(Cidr.parse("::/0").contains(ClientIp.parse("2001:db8::1"))).isTrue();
      assertThat(Cidr.parse("::/0").contains(ClientIp.parse("203.0.113.1"))).isFalse();
    }

    @Test
    void hostBitsAreClearedAndTextIsCanonical() {
      assertThat(Cidr.parse("10.1.2.3/8")).isEqualTo(Cidr.parse("10.0.0.0/8"));
      assertThat(Cidr.parse(" 2A02:26F7:0:0::/32 ")).hasToString("2a02:26f7::/32");
    }

    @Test
    void ipv4BlockMatchesMappedIpv6Bytes() {
      byte[] mapped = bytes(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 17, 1, 2, 3);
      assertThat(Cidr.parse("17.0.0.0/8").contains(mapped)).isTrue();
      assertThat(Cidr.parse("::ffff:17.0.0.0/104").isIpv4()).isTrue();
    }

    @Test
    void nullOrOddLengthAddressesNeverMatch() {
      assertThat(Cidr.parse("0.0.0.0/0").contains(null)).isFalse();
      assertThat(Cidr.parse("0.0.0.0/0").contains(new byte[5])).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
      "", "/8", "17.0.0.0/", "17.0.0.0/33", "::/129", "17.0.0.0/-1", "17.0.0.0/+8",
      "17.0.0.0/ 8", "17.0.0.0/8/8", "example.com/8", "[::1]/128", "fe80::1%eth0/64",
      "17.0.0/8", "17.0.0.0/0008",
    })
    void invalidBlocksAreRejectedNamingTheValue(String text) {
      assertThatThrownBy(() -> Cidr.parse(text))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + text + "'");
    }

    @Test
    void nullIsRejected() {
      assertThatThrownBy(() -> Cidr.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void parseAllReportsTheFirstBadEntry() {
      assertThat(Cidr.parseAll(List.of("17.0.0.0/8", "2a02:26f7::/32"))).hasSize(2);
      assertThatThrownBy(() -> Cidr.parseAll(List.of("17.0.0.0/8", "bogus")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("bogus");
    }
  }
}
