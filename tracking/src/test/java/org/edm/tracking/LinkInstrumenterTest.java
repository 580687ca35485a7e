package org.edm.tracking;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class LinkInstrumenterTest {

  private static final String PIXEL_URL = "https://t.example/track/open/P1";
  private static final String PIXEL = "<img src=\"" + PIXEL_URL + "\" width=\"1\" height=\"1\""
      + " alt=\"\" style=\"display:block;width:1px;height:1px;border:0;\" />";
  private static final String TRACK_PREFIX = "https://t.example/track/click/";

  /** Wraps every link as TRACK_PREFIX + TOKEN<n>, numbering calls from 1, and records them. */
  private static final class Wrapper implements Function<String, String> {
    final List<String> seen = new ArrayList<>();

    @Override
    public String apply(String url) {
      seen.add(url);
      return TRACK_PREFIX + "TOKEN" + seen.size();
    }
  }

  private static final Predicate<String> IS_WRAPPED = url -> url.startsWith(TRACK_PREFIX);

  private static LinkInstrumenter.Result run(String html, Function<String, String> wrap) {
    return LinkInstrumenter.instrument(html, wrap, IS_WRAPPED, PIXEL_URL);
  }

  private static String loadTemplate() throws IOException {
    try (InputStream in =
        LinkInstrumenterTest.class.getResourceAsStream("/email/cerberus-responsive.html")) {
      assertThat(in).as("template on classpath").isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;")
        .replace(">", "&gt;");
  }

  // --- Real template -------------------------------------------------------------------------

  @Test
  void cerberusTemplateWrapsEveryHttpAnchorAndIsOtherwiseUnchanged() throws IOException {
    String original = loadTemplate();
    // Independent count: every <a ...href="http(s)://..."> in the raw file.
    Matcher m = Pattern.compile("<a\\b[^>]*?\\shref\\s*=\\s*[\"']?\\s*https?://",
        Pattern.CASE_INSENSITIVE).matcher(original);
    int expected = 0;
    while (m.find()) {
      expected++;
    }
    assertThat(expected).as("template has http(s) anchors").isPositive();

    Wrapper wrapper = new Wrapper();
    LinkInstrumenter.Result result = run(original, wrapper);

    assertThat(result.links()).hasSize(expected).containsExactlyElementsOf(wrapper.seen);
    assertThat(result.links()).allMatch(l -> l.startsWith("https://"));

    // Undo: every tracking URL back to its original (escaped) link, and drop the pixel.
    String undone = result.html();
    for (int i = 0; i < result.links().size(); i++) {
      String tracked = "\"" + TRACK_PREFIX + "TOKEN" + (i + 1) + "\"";
      assertThat(undone).containsOnlyOnce(tracked);
      undone = undone.replace(tracked, "\"" + escape(result.links().get(i)) + "\"");
    }
    assertThat(undone).containsOnlyOnce(PIXEL);
    undone = undone.replace(PIXEL, "");
    assertThat(undone).isEqualTo(original);
  }

  @Test
  void cerberusTemplateKeepsCommentedOutStylesheetLinkAndPutsPixelBeforeBodyEnd()
      throws IOException {
    String original = loadTemplate();
    String commented = "<!-- insert web font reference, eg: <link href='https://fonts.googleapis"
        + ".com/css?family=Roboto:400,700' rel='stylesheet' type='text/css'> -->";
    assertThat(original).contains(commented);

    String html = run(original, new Wrapper()).html();

    assertThat(html).contains(commented);
    assertThat(html.indexOf(PIXEL)).isEqualTo(html.lastIndexOf("</body>") - PIXEL.length());
    assertThat(html.substring(html.indexOf(PIXEL) + PIXEL.length()))
        .isEqualTo(original.substring(original.lastIndexOf("</body>")));
  }

  // --- Inline cases --------------------------------------------------------------------------

  @Test
  void vmlButtonInsideMsoConditionalCommentIsWrapped() {
    String html = "<body><!--[if mso]>\n<v:roundrect xmlns:v=\"urn:schemas-microsoft-com:vml\""
        + " href=\"https://x.test/a\" style=\"height:40px\"><w:anchorlock/></v:roundrect>\n"
        + "<![endif]--></body>";

    LinkInstrumenter.Result result = run(html, new Wrapper());

    assertThat(result.links()).containsExactly("https://x.test/a");
    assertThat(result.html()).isEqualTo(html.replace("https://x.test/a", TRACK_PREFIX + "TOKEN1")
        .replace("</body>", PIXEL + "</body>"));
  }

  @Test
  void gteMsoConditionalContentIsWrappedAndWrapLinkCalledInDocumentOrder() {
    String html = "<a href=\"https://x.test/1\">1</a>"
        + "<!--[if gte mso 9]><v:rect href=\"https://x.test/2\"></v:rect>"
        + "<a href=\"https://x.test/3\">3</a><![endif]-->"
        + "<a href=\"https://x.test/4\">4</a>";

    Wrapper wrapper = new Wrapper();
    LinkInstrumenter.Result result = run(html, wrapper);

    assertThat(result.links())
        .containsExactly("https://x.test/1", "https://x.test/2", "https://x.test/3",
            "https://x.test/4");
    assertThat(wrapper.seen).containsExactlyElementsOf(result.links());
    assertThat(result.html()).contains("<v:rect href=\"" + TRACK_PREFIX + "TOKEN2\">")
        .contains("<a href=\"" + TRACK_PREFIX + "TOKEN3\">3</a><![endif]-->");
    assertThat(result.html()).doesNotContain("https://x.test/");
  }

  @Test
  void plainCommentsAndVmlOutsideConditionalsAreUntouched() {
    String html = "<!-- <a href=\"https://x.test/a\">old</a> -->"
        + "<!-- <link href='https://fonts.test/css' rel='stylesheet'> -->"
        + "<v:roundrect href=\"https://x.test/b\"></v:roundrect>";

    LinkInstrumenter.Result result = run(html, new Wrapper());

    assertThat(result.links()).isEmpty();
    assertThat(result.html()).isEqualTo(html + PIXEL);
  }

  @Test
  void nonHttpSchemesAnchorsEmptyAndPlaceholdersAreUntouched() {
    String html = "<body><a href=\"mailto:a@x.test\">m</a><a href=\"tel:+123\">t</a>"
        + "<a href=\"#top\">#</a><a href=\"javascript:void(0)\">j</a>"
        + "<a href=\"ftp://x.test/f\">f</a><a href=\"\">e</a><a href>n</a><a>none</a>"
        + "<a href=\"{{unsubscribe_url}}\">u</a><a href=\"*|ARCHIVE|*\">a</a>"
        + "<a href=\"/relative\">r</a><a href=\"httpx://x.test\">x</a></body>";
    Wrapper wrapper = new Wrapper();

    LinkInstrumenter.Result result = run(html, wrapper);

    assertThat(wrapper.seen).isEmpty();
    assertThat(result.links()).isEmpty();
    assertThat(result.html()).isEqualTo(html.replace("</body>", PIXEL + "</body>"));
  }

  @Test
  void httpLinksThatCannotBeTrackedAreLeftAloneAndReported() {
    String tooLong = "https://x.test/?q=" + "a".repeat(8000);
    String noHost = "https:///path";
    String html = "<body><a href=\"" + tooLong + "\">l</a><a href=\"https://x.test/ok\">o</a>"
        + "<a href=\"" + noHost + "\">h</a></body>";

    LinkInstrumenter.Result result = run(html, new Wrapper());

    assertThat(result.links()).containsExactly("https://x.test/ok");
    assertThat(result.untracked()).containsExactly(tooLong, noHost);
    assertThat(result.html()).isEqualTo(html.replace("https://x.test/ok", TRACK_PREFIX + "TOKEN1")
        .replace("</body>", PIXEL + "</body>"));
  }

  @Test
  void alreadyWrappedLinkIsUntouched() {
    String html = "<a href=\"" + TRACK_PREFIX + "OLD\">x</a><a href=\"https://x.test/a\">y</a>";

    LinkInstrumenter.Result result = run(html, new Wrapper());

    assertThat(result.links()).containsExactly("https://x.test/a");
    assertThat(result.html()).isEqualTo("<a href=\"" + TRACK_PREFIX + "OLD\">x</a><a href=\""
        + TRACK_PREFIX + "TOKEN1\">y</a>" + PIXEL);
  }

  @Test
  void entitiesAreDecodedForWrapLinkAndReplacementIsEscaped() {
    String html = "<a href=\"https://x.test/p?a=1&amp;b=2\">x</a>";
    List<String> seen = new ArrayList<>();
    Function<String, String> wrap = url -> {
      seen.add(url);
      return "https://t.example/c?u=1&s=\"q\"<>";
    };

    LinkInstrumenter.Result result = run(html, wrap);

    assertThat(seen).containsExactly("https://x.test/p?a=1&b=2");
    assertThat(result.links()).containsExactly("https://x.test/p?a=1&b=2");
    assertThat(result.html()).isEqualTo(
        "<a href=\"https://t.example/c?u=1&amp;s=&quot;q&quot;&lt;&gt;\">x</a>" + PIXEL);
  }

  @Test
  void singleQuotedValueKeepsQuoteAndEscapesApostrophe() {
    String html = "<a class='b' href='https://x.test/a'>x</a>";

    LinkInstrumenter.Result result =
        run(html, url -> "https://t.example/c?n='1'&m=\"2\"");

    assertThat(result.html()).isEqualTo("<a class='b' href='https://t.example/c?n=&#39;1&#39;"
        + "&amp;m=&quot;2&quot;'>x</a>" + PIXEL);
  }

  @Test
  void unquotedValueIsWrittenInDoubleQuotes() {
    String html = "<a href=https://x.test/a?b=1 class=c>x</a>";

    LinkInstrumenter.Result result = run(html, new Wrapper());

    assertThat(result.links()).containsExactly("https://x.test/a?b=1");
    assertThat(result.html())
        .isEqualTo("<a href=\"" + TRACK_PREFIX + "TOKEN1\" class=c>x</a>" + PIXEL);
  }

  @Test
  void uppercaseAttributeAndSchemeAreRecognisedAndAttributeNameKept() {
    String html = "<BODY><A HREF=\"HTTPS://X.test/A\">x</A><AREA Href='Http://x.test/b'>"
        + "</BODY>";
    Wrapper wrapper = new Wrapper();

    LinkInstrumenter.Result result = run(html, wrapper);

    assertThat(wrapper.seen).containsExactly("HTTPS://X.test/A", "Http://x.test/b");
    assertThat(result.html()).isEqualTo("<BODY><A HREF=\"" + TRACK_PREFIX + "TOKEN1\">x</A>"
        + "<AREA Href='" + TRACK_PREFIX + "TOKEN2'>" + PIXEL + "</BODY>");
  }

  @Test
  void whitespaceAroundValueIsTrimmedBeforeWrapping() {
    String html = "<a href=\"  https://x.test/a \n\">x</a><a href=\" mailto:a@x.test \">m</a>";
    Wrapper wrapper = new Wrapper();

    LinkInstrumenter.Result result = run(html, wrapper);

    assertThat(wrapper.seen).containsExactly("https://x.test/a");
    assertThat(result.html()).isEqualTo("<a href=\"" + TRACK_PREFIX + "TOKEN1\">x</a>"
        + "<a href=\" mailto:a@x.test \">m</a>" + PIXEL);
  }

  @Test
  void stylesheetLinksSourcesAndCssUrlsAreNeverTouched() {
    String html = "<html><head><link rel=\"stylesheet\" href=\"https://x.test/s.css\">"
        + "<style>.h{background:url('https://x.test/bg.png')}</style></head>"
        + "<body><img src=\"https://x.test/i.png\"><td background=\"https://x.test/b.png\">"
        + "</td></body></html>";
    Wrapper wrapper = new Wrapper();

    LinkInstrumenter.Result result = run(html, wrapper);

    assertThat(wrapper.seen).isEmpty();
    assertThat(result.html()).isEqualTo(html.replace("</body>", PIXEL + "</body>"));
  }

  @Test
  void missingBodyEndAppendsPixelAtEnd() {
    String html = "<p>Hi <a href=\"https://x.test/a\">x</a></p>\n";

    String out = run(html, new Wrapper()).html();

    assertThat(out).isEqualTo(
        "<p>Hi <a href=\"" + TRACK_PREFIX + "TOKEN1\">x</a></p>\n" + PIXEL);
  }

  @Test
  void pixelGoesBeforeLastBodyEndCaseInsensitively() {
    String html = "<body>a</body>\n<p>stray</p></BODY >\n</html>";

    String out = run(html, new Wrapper()).html();

    assertThat(out).isEqualTo("<body>a</body>\n<p>stray</p>" + PIXEL + "</BODY >\n</html>");
  }

  @Test
  void pixelUrlIsAttributeEscaped() {
    String out = LinkInstrumenter.instrument("<body></body>", new Wrapper(), IS_WRAPPED,
        "https://t.example/o?a=1&b=\"2\"").html();

    assertThat(out).startsWith("<body><img src=\"https://t.example/o?a=1&amp;b=&quot;2&quot;\"")
        .endsWith("/></body>");
  }

  @Test
  void unicodeTextBeforeLinksKeepsOffsetsRight() {
    String html = "<p>Grüße — 日本語 😀😀 ünïcödé</p><a href=\"https://x.test/ä?q=ß\">ç</a>"
        + "<!--[if mso]>😀<v:roundrect href='https://x.test/b'></v:roundrect><![endif]-->"
        + "<p>🎉</p><a href=https://x.test/c>d</a></body>";

    LinkInstrumenter.Result result = run(html, new Wrapper());

    assertThat(result.links())
        .containsExactly("https://x.test/ä?q=ß", "https://x.test/b", "https://x.test/c");
    assertThat(result.html()).isEqualTo("<p>Grüße — 日本語 😀😀 ünïcödé</p><a href=\""
        + TRACK_PREFIX + "TOKEN1\">ç</a><!--[if mso]>😀<v:roundrect href='" + TRACK_PREFIX
        + "TOKEN2'></v:roundrect><![endif]--><p>🎉</p><a href=\"" + TRACK_PREFIX
        + "TOKEN3\">d</a>" + PIXEL + "</body>");
  }

  @Test
  void anchorClonedByParserForMisnestedMarkupIsWrappedOnce() {
    // jsoup re-creates the open <a> inside the second <p>, with the same source range.
    String html = "<p><a href=\"https://x.test/a\">one<p>two</a>";
    Wrapper wrapper = new Wrapper();

    LinkInstrumenter.Result result = run(html, wrapper);

    assertThat(wrapper.seen).containsExactly("https://x.test/a");
    assertThat(result.html())
        .isEqualTo("<p><a href=\"" + TRACK_PREFIX + "TOKEN1\">one<p>two</a>" + PIXEL);
  }

  @Test
  void repeatedLinksAreEachWrappedAndListed() {
    String html = "<a href=\"https://x.test/a\">1</a><a href=\"https://x.test/a\">2</a>";

    LinkInstrumenter.Result result = run(html, new Wrapper());

    assertThat(result.links()).containsExactly("https://x.test/a", "https://x.test/a");
    assertThat(result.html()).contains("TOKEN1").contains("TOKEN2");
  }
}
