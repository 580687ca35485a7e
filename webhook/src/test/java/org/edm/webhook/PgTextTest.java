package org.edm.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class PgTextTest {

  @Test
  void replacesEscapedSurrogatesWithoutTheirPairAndEscapedNul() {
    assertThat(PgText.json("{\"a\":\"\\ud800\"}")).isEqualTo("{\"a\":\"\\ufffd\"}");
    assertThat(PgText.json("{\"a\":\"x\\uDC00y\"}")).isEqualTo("{\"a\":\"x\\ufffdy\"}");
    assertThat(PgText.json("{\"a\":\"\\ud800\\u0041\"}")).isEqualTo("{\"a\":\"\\ufffd\\u0041\"}");
    assertThat(PgText.json("{\"a\":\"\\ud83c\"}, {\"b\":\"\\udf38\"}"))
      .isEqualTo("{\"a\":\"\\ufffd\"}, {\"b\":\"\\ufffd\"}");
    assertThat(PgText.json("{\"a\":\"\\u0000\"}")).isEqualTo("{\"a\":\"\\ufffd\"}");
  }

  @Test
  void keepsPairsOrdinaryEscapesAndEscapedBackslashesAsTheyAre() {
    String fine = "{\"a\":\"\\ud83c\\udf38 \\u00fc \\n \\\\ud800 \\\\u0000 🌸\"}";
    assertThat(PgText.json(fine)).isSameAs(fine);
    assertThat(new JsonObject(PgText.json(fine)).getString("a"))
      .isEqualTo("🌸 ü \n \\ud800 \\u0000 🌸");
  }

  @Test
  void replacesRawNulAndUnpairedSurrogateCharacters() {
    assertThat(PgText.json("{\"a\":\"x\u0000\"}")).isEqualTo("{\"a\":\"x\uFFFD\"}");
    assertThat(PgText.plain("a\uD800b\uDC00c\uD83C\uDF38")).isEqualTo("a\uFFFDb\uFFFDc🌸");
    assertThat(PgText.plainStrings(new JsonObject().put("x-webhook-appkey", "e\u0000"))
      .getString("x-webhook-appkey")).isEqualTo("e\uFFFD");
  }

  @Test
  void leavesTheTextDecodableToTheSameValuesApartFromTheReplacements() {
    String body = "[{\"to\":\"lone@example.com\",\"email_id\":\"\\ud800x\"}]";
    JsonObject entry = new JsonObject(PgText.json(body).substring(1, body.length() - 1));
    assertThat(entry.getString("email_id")).isEqualTo("\uFFFDx");
    assertThat(entry.getString("to")).isEqualTo("lone@example.com");
  }
}
