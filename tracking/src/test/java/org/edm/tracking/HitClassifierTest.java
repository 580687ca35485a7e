package org.edm.tracking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.edm.tracking.HitClassifier.Kind;
import org.edm.tracking.HitClassifier.Settings;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class HitClassifierTest {

  // Real user agents as seen on tracking endpoints.
  static final String GMAIL_PROXY =
      "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";
  static final String YAHOO_PROXY = "Mozilla/5.0 (compatible; YahooMailProxy; "
      + "https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html)";
  static final String APPLE_MAIL_IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)"
      + " AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
  static final String APPLE_MAIL_MACOS =
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)";
  static final String OUTLOOK_16 = "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; WOW64;"
      + " Trident/7.0; .NET4.0C; .NET4.0E; .NET CLR 2.0.50727; .NET CLR 3.0.30729;"
      + " .NET CLR 3.5.30729; Microsoft Outlook 16.0.5422; ms-office; MSOffice 16)";
  static final String THUNDERBIRD =
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Thunderbird/115.6.1";
  static final String CHROME_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
      + " AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
  static final String CUBOT_ANDROID = "Mozilla/5.0 (Linux; Android 10; CUBOT X30)"
      + " AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36";

  static final long SLOW = 10 * 60_000L;
  static final byte[] HOME_IP = ClientIp.parse("203.0.113.45");
  static final byte[] APPLE_IP = ClientIp.parse("17.58.101.7");
  static final byte[] APPLE_IP6 = ClientIp.parse("2a02:26f7:b3c0:4000::1");

  final HitClassifier classifier = new HitClassifier(
      new Settings(Cidr.parseAll(List.of("17.0.0.0/8", "2a02:26f7::/32")), 2_000));

  Kind open(String ua, byte[] ip) {
    return classifier.classify(true, "GET", ua, ip, SLOW);
  }

  Kind click(String ua, long millisSinceIssued) {
    return classifier.classify(false, "GET", ua, HOME_IP, millisSinceIssued);
  }

  @Nested
  class People {
    @Test
    void appleMailOnIphoneFromHomeNetworkIsAPerson() {
      assertThat(open(APPLE_MAIL_IPHONE, HOME_IP)).isEqualTo(Kind.PERSON);
    }

    @Test
    void appleMailOnMacosFromHomeNetworkIsAPerson() {
      assertThat(open(APPLE_MAIL_MACOS, HOME_IP)).isEqualTo(Kind.PERSON);
    }

    @Test
    void outlookDesktopOpenIsAPerson() {
      assertThat(open(OUTLOOK_16, HOME_IP)).isEqualTo(Kind.PERSON);
    }

    @Test
    void thunderbirdOpenIsAPerson() {
      assertThat(open(THUNDERBIRD, HOME_IP)).isEqualTo(Kind.PERSON);
    }

    @Test
    void chromeOnWindowsClickingAfterAWhileIsAPerson() {
      assertThat(click(CHROME_WINDOWS, SLOW)).isEqualTo(Kind.PERSON);
    }

    @Test
    void androidPhoneWhoseBrandContainsBotIsNotMistakenForABot() {
      assertThat(click(CUBOT_ANDROID, SLOW)).isEqualTo(Kind.PERSON);
    }

    @Test
    void missingClientIpDoesNotPreventClassification() {
      assertThat(open(THUNDERBIRD, null)).isEqualTo(Kind.PERSON);
    }
  }

  @Nested
  class Proxies {
    @Test
    void gmailImageProxyIsAProxy() {
      assertThat(open(GMAIL_PROXY, HOME_IP)).isEqualTo(Kind.PROXY);
    }

    @Test
    void yahooMailProxyIsAProxy() {
      assertThat(open(YAHOO_PROXY, HOME_IP)).isEqualTo(Kind.PROXY);
    }

    @Test
    void proxyWinsOverPrefetchRangeBecauseItIsCheckedFirst() {
      assertThat(open(GMAIL_PROXY, APPLE_IP)).isEqualTo(Kind.PROXY);
    }
  }

  @Nested
  class ApplePrefetch {
    @Test
    void openFromApplePrefetchIpv4RangeIsPrefetch() {
      assertThat(open(APPLE_MAIL_MACOS, APPLE_IP)).isEqualTo(Kind.PREFETCH);
    }

    @Test
    void openFromApplePrefetchIpv6RangeIsPrefetch() {
      assertThat(open(APPLE_MAIL_IPHONE, APPLE_IP6)).isEqualTo(Kind.PREFETCH);
    }

    @Test
    void openWithBareMozillaSignatureIsPrefetchFromAnyIp() {
      assertThat(open("Mozilla/5.0", HOME_IP)).isEqualTo(Kind.PREFETCH);
    }

    @Test
    void signatureMustMatchExactlyNotAsPrefix() {
      assertThat(open("Mozilla/5.0 (Macintosh)", HOME_IP)).isEqualTo(Kind.PERSON);
    }

    @Test
    void clicksAreNeverPrefetchBecauseMppDoesNotFollowLinks() {
      assertThat(classifier.classify(false, "GET", APPLE_MAIL_IPHONE, APPLE_IP, SLOW))
          .isEqualTo(Kind.PERSON);
      assertThat(classifier.classify(false, "GET", "Mozilla/5.0", HOME_IP, SLOW))
          .isEqualTo(Kind.PERSON);
    }
  }

  @Nested
  class Bots {
    @ParameterizedTest
    @ValueSource(strings = {
      "Mozilla/5.0 (compatible; Barracuda Sentinel)",
      "Mozilla/5.0 (compatible; Proofpoint URL Defense)",
      "Mimecast-Security-Scanner/1.0",
      "Mozilla/5.0 (compatible; Symantec MessageLabs Link Scanner)",
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Trend Micro Email Security",
      "Cisco IronPort URL Defense",
      "curl/8.5.0",
      "Wget/1.21.4",
      "python-requests/2.31.0",
      "Python-urllib/3.11",
      "Go-http-client/1.1",
      "Java/17.0.2",
      "okhttp/4.12.0",
      "Apache-HttpClient/4.5.14 (Java/17.0.9)",
      "libwww-perl/6.72",
      "axios/1.6.7",
      "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
      "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
      "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
      "Twitterbot/1.0",
      "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
      "TelegramBot (like TwitterBot)",
      "WhatsApp/2.23.20.0",
      "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
          + " HeadlessChrome/120.0.6099.109 Safari/537.36",
      "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko)"
          + " PhantomJS/2.1.1 Safari/538.1",
    })
    void scannersCrawlersAndToolsAreBotsOnOpenAndClick(String ua) {
      assertThat(open(ua, HOME_IP)).isEqualTo(Kind.BOT);
      assertThat(click(ua, SLOW)).isEqualTo(Kind.BOT);
    }

    @Test
    void matchingIsCaseInsensitive() {
      assertThat(open("PROOFPOINT-scanner", HOME_IP)).isEqualTo(Kind.BOT);
      assertThat(open("CURL/7.88.1", HOME_IP)).isEqualTo(Kind.BOT);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"   ", "\t"})
    void missingOrBlankUserAgentIsABot(String ua) {
      assertThat(open(ua, HOME_IP)).isEqualTo(Kind.BOT);
      assertThat(click(ua, SLOW)).isEqualTo(Kind.BOT);
    }

    @Test
    void headRequestIsABotEvenWithABrowserUserAgent() {
      assertThat(classifier.classify(false, "HEAD", CHROME_WINDOWS, HOME_IP, SLOW))
          .isEqualTo(Kind.BOT);
      assertThat(classifier.classify(true, "HEAD", APPLE_MAIL_IPHONE, HOME_IP, SLOW))
          .isEqualTo(Kind.BOT);
    }

    @Test
    void headRequestBeatsProxySignature() {
      assertThat(classifier.classify(true, "HEAD", GMAIL_PROXY, HOME_IP, SLOW))
          .isEqualTo(Kind.BOT);
    }

    @Test
    void scannerUserAgentBeatsApplePrefetchRange() {
      assertThat(open("curl/8.5.0", APPLE_IP)).isEqualTo(Kind.BOT);
    }
  }

  @Nested
  class ClickTiming {
    @Test
    void clickWithinTheHumanThresholdIsABot() {
      assertThat(click(CHROME_WINDOWS, 0)).isEqualTo(Kind.BOT);
      assertThat(click(CHROME_WINDOWS, 1_999)).isEqualTo(Kind.BOT);
    }

    @Test
    void clickAtOrAfterTheThresholdIsAPerson() {
      assertThat(click(CHROME_WINDOWS, 2_000)).isEqualTo(Kind.PERSON);
      assertThat(click(CHROME_WINDOWS, 45_000)).isEqualTo(Kind.PERSON);
    }

    @Test
    void unknownIssueTimeIsNotTreatedAsFast() {
      assertThat(click(CHROME_WINDOWS, -1)).isEqualTo(Kind.PERSON);
    }

    @Test
    void fastOpensAreNotPenalisedOnlyClicks() {
      assertThat(classifier.classify(true, "GET", THUNDERBIRD, HOME_IP, 50))
          .isEqualTo(Kind.PERSON);
    }

    @Test
    void zeroThresholdDisablesTheTimingRule() {
      HitClassifier lenient = new HitClassifier(new Settings(List.of(), 0));
      assertThat(lenient.classify(false, "GET", CHROME_WINDOWS, HOME_IP, 0))
          .isEqualTo(Kind.PERSON);
    }
  }

  @Nested
  class KindsAndSettings {
    @Test
    void labelsAreLowerCaseStorageNames() {
      assertThat(Kind.PERSON.label()).isEqualTo("person");
      assertThat(Kind.PROXY.label()).isEqualTo("proxy");
      assertThat(Kind.PREFETCH.label()).isEqualTo("prefetch");
      assertThat(Kind.BOT.label()).isEqualTo("bot");
    }

    @Test
    void personsAndProxiesCountAsPeopleWhilePrefetchAndBotsDoNot() {
      assertThat(HitClassifier.isPeople(Kind.PERSON)).isTrue();
      assertThat(HitClassifier.isPeople(Kind.PROXY)).isTrue();
      assertThat(HitClassifier.isPeople(Kind.PREFETCH)).isFalse();
      assertThat(HitClassifier.isPeople(Kind.BOT)).isFalse();
    }

    @Test
    void settingsRejectNegativeThresholdAndNullRanges() {
      assertThatThrownBy(() -> new Settings(List.of(), -1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("-1");
      assertThatThrownBy(() -> new Settings(null, 1))
          .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void settingsCopyTheRangeListSoLaterChangesDoNotLeakIn() {
      List<Cidr> ranges = new ArrayList<>(Cidr.parseAll(List.of("17.0.0.0/8")));
      Settings settings = new Settings(ranges, 0);
      ranges.clear();
      assertThat(settings.prefetchCidrs()).hasSize(1);
    }
  }
}
