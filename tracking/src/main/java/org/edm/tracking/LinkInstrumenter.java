package org.edm.tracking;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.jsoup.nodes.Comment;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Range;
import org.jsoup.parser.Parser;

/**
 * Instruments an HTML email for click and open tracking.
 *
 * <p>jsoup is used only to locate attribute values and comments (with source positions); all
 * changes are spliced into the original string, so everything except the rewritten {@code href}
 * values and the inserted pixel stays byte-identical. Re-serializing would reformat markup that
 * email clients (Outlook especially) are sensitive to.
 */
public final class LinkInstrumenter {

  private static final String COMMENT_OPEN = "<!--";
  private static final String CLOSE_BODY = "</body";

  private LinkInstrumenter() {}

  /**
   * The instrumented HTML, the original links that were wrapped and the http(s) links that could
   * not be (too long, or no valid host) and were left as they were, each in document order.
   */
  public record Result(String html, List<String> links, List<String> untracked) {
    public Result {
      Objects.requireNonNull(html, "html");
      links = List.copyOf(links);
      untracked = List.copyOf(untracked);
    }
  }

  /**
   * Rewrites the {@code href} of {@code <a>} and {@code <area>} elements (and of VML {@code v:*}
   * elements inside Outlook conditional comments) and inserts the open pixel.
   *
   * @param html the email HTML
   * @param wrapLink maps an absolute http(s) link (entity-decoded, trimmed) to its tracking URL;
   *     must not return null
   * @param isWrapped true for a URL that is already a tracking URL; such links are left alone
   * @param pixelUrl the open pixel URL
   * @return the instrumented HTML and the wrapped links
   */
  public static Result instrument(String html, Function<String, String> wrapLink,
      Predicate<String> isWrapped, String pixelUrl) {
    Objects.requireNonNull(html, "html");
    Objects.requireNonNull(wrapLink, "wrapLink");
    Objects.requireNonNull(isWrapped, "isWrapped");
    Objects.requireNonNull(pixelUrl, "pixelUrl");

    List<Edit> edits = new ArrayList<>();
    // The parser clones formatting elements such as <a> when it repairs misnested markup; the
    // clone carries the same source range, so each value range must be handled only once.
    Set<Integer> seen = new HashSet<>();

    Document doc = parse(html);
    for (Element el : doc.getAllElements()) {
      if (isLinkElement(el, false)) {
        addHrefEdit(el, 0, isWrapped, edits, seen);
      }
    }
    for (Comment comment : conditionalComments(html, doc)) {
      int dataStart = comment.sourceRange().startPos() + COMMENT_OPEN.length();
      for (Element el : parse(comment.getData()).getAllElements()) {
        if (isLinkElement(el, true)) {
          addHrefEdit(el, dataStart, isWrapped, edits, seen);
        }
      }
    }

    int pixelAt = lastCloseBody(html, edits);
    edits.add(new Edit(pixelAt, pixelAt, null, true));

    // Conditional comments are found after the main document; restore document order so that
    // wrapLink is called, and links are listed, in the order they appear.
    edits.sort(Comparator.comparingInt(Edit::start));
    StringBuilder out = new StringBuilder(html.length() + 64 * edits.size() + 128);
    List<String> links = new ArrayList<>();
    List<String> untracked = new ArrayList<>();
    int pos = 0;
    for (Edit edit : edits) {
      if (!edit.wrap()) {
        untracked.add(edit.link());
        continue;
      }
      if (edit.start() < pos) {
        // Defensive: overlapping ranges would corrupt the output, so skip the later one.
        continue;
      }
      out.append(html, pos, edit.start());
      if (edit.link() == null) {
        out.append(pixelTag(pixelUrl));
      } else {
        String tracked = wrapLink.apply(edit.link());
        Objects.requireNonNull(tracked, "wrapLink returned null");
        out.append(quotedValue(html, edit.start(), tracked));
        links.add(edit.link());
      }
      pos = edit.end();
    }
    out.append(html, pos, html.length());
    return new Result(out.toString(), links, untracked);
  }

  private static Document parse(String html) {
    return Parser.htmlParser().setTrackPosition(true).parseInput(html, "");
  }

  private static boolean isLinkElement(Element el, boolean insideConditional) {
    String name = el.normalName();
    if (name.equals("a") || name.equals("area")) {
      return true;
    }
    // VML buttons only render in Outlook, so they only count inside conditional comments.
    return insideConditional && name.startsWith("v:");
  }

  /** Comments of the form {@code <!--[if ...]>...}, whose data is found verbatim in the source. */
  private static List<Comment> conditionalComments(String html, Document doc) {
    List<Comment> found = new ArrayList<>();
    doc.forEachNode(node -> {
      if (!(node instanceof Comment comment)) {
        return;
      }
      String data = comment.getData();
      Range range = comment.sourceRange();
      if (!data.startsWith("[if") || !range.isTracked()) {
        return;
      }
      int start = range.startPos();
      int dataStart = start + COMMENT_OPEN.length();
      // Bogus comments (<!...>) and data the parser altered have no reliable offset; skip them.
      if (html.startsWith(COMMENT_OPEN, start)
          && html.regionMatches(dataStart, data, 0, data.length())) {
        found.add(comment);
      }
    });
    return found;
  }

  private static void addHrefEdit(Element el, int offset, Predicate<String> isWrapped,
      List<Edit> edits, Set<Integer> seen) {
    if (!el.hasAttr("href")) {
      return;
    }
    Range value = el.attributes().sourceRange("href").valueRange();
    if (!value.isTracked()) {
      return;
    }
    int start = value.startPos() + offset;
    int end = value.endPos() + offset;
    if (!seen.add(start)) {
      return;
    }
    String url = el.attr("href").trim();
    if (isWrapped.test(url)) {
      return;
    }
    if (TrackedLink.normalize(url) != null) {
      edits.add(new Edit(start, end, url, true));
    } else if (hasHttpScheme(url)) {
      edits.add(new Edit(start, end, url, false));
    }
  }

  /** The replacement for a value starting at {@code start}, in the quote style found there. */
  private static String quotedValue(String html, int start, String url) {
    char before = start > 0 ? html.charAt(start - 1) : 0;
    if (before == '"' || before == '\'') {
      return escapeAttr(url, before);
    }
    return '"' + escapeAttr(url, '"') + '"';
  }

  private static boolean hasHttpScheme(String url) {
    String lower = url.toLowerCase(Locale.ROOT);
    return lower.startsWith("http://") || lower.startsWith("https://");
  }

  /**
   * Index of the last {@code </body} end tag (case-insensitive), or the end of the input if there
   * is none. Occurrences inside a rewritten href value are skipped, as they are not tags.
   */
  private static int lastCloseBody(String html, List<Edit> edits) {
    for (int i = html.length() - CLOSE_BODY.length(); i >= 0; i--) {
      if (html.regionMatches(true, i, CLOSE_BODY, 0, CLOSE_BODY.length())) {
        int after = i + CLOSE_BODY.length();
        // Require a tag boundary so that e.g. "</bodyx>" is not taken for the body end tag.
        if ((after == html.length() || isTagBoundary(html.charAt(after)))
            && !insideEdit(i, edits)) {
          return i;
        }
      }
    }
    return html.length();
  }

  private static boolean insideEdit(int index, List<Edit> edits) {
    for (Edit edit : edits) {
      if (edit.start() <= index && index < edit.end()) {
        return true;
      }
    }
    return false;
  }

  private static boolean isTagBoundary(char c) {
    return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
  }

  private static String pixelTag(String pixelUrl) {
    return "<img src=\"" + escapeAttr(pixelUrl, '"') + "\" width=\"1\" height=\"1\" alt=\"\""
        + " style=\"display:block;width:1px;height:1px;border:0;\" />";
  }

  /** Escapes for an attribute value delimited by {@code quote}; double quotes always escaped. */
  private static String escapeAttr(String value, char quote) {
    StringBuilder sb = new StringBuilder(value.length() + 16);
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '&' -> sb.append("&amp;");
        case '"' -> sb.append("&quot;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '\'' -> sb.append(quote == '\'' ? "&#39;" : "'");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }

  /**
   * Replace {@code [start, end)} of the original: the wrapped {@code link}, or the pixel; an
   * edit that does not {@code wrap} only reports a link left alone.
   */
  private record Edit(int start, int end, String link, boolean wrap) {}
}
