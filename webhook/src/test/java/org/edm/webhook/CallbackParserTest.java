package org.edm.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class CallbackParserTest {

  private static final long RECEIVED = 1_800_000_000_000L;

  private static List<Callback> parse(String json) {
    return CallbackParser.parse(new JsonObject(json), json, RECEIVED);
  }

  @Test
  void splitsATargetEventIntoOneEventPerRecipient() {
    List<Callback> events = parse("{\"message_id\":\"m1\",\"to\":\"\",\"itime\":5,"
      + "\"status\":{\"message_status\":\"target\",\"status_data\":{"
      + "\"email_ids\":[\"m10$a@x.io\",\"m11$b@x.io\"],\"tos\":[\"a@x.io\",\"B@x.io\"]}}}");
    assertThat(events).extracting(Callback::recipient).containsExactly("a@x.io", "b@x.io");
    assertThat(events).extracting(Callback::emailId).containsExactly("m10$a@x.io", "m11$b@x.io");
    assertThat(events.get(0).dedupeKey()).isNotEqualTo(events.get(1).dedupeKey());
  }

  @Test
  void takesTheAddressOutOfANamedRecipientAndTheIdFromCustomArgs() {
    String id = UUID.randomUUID().toString();
    Callback event = parse("{\"to\":\"Reader <Reader@Example.net>\",\"itime\":7,"
      + "\"custom_args\":{\"subtask_id\":\"" + id + "\"},"
      + "\"status\":{\"message_status\":\"delivered\",\"status_data\":{\"email_id\":\"e\"}}}")
      .get(0);
    assertThat(event.recipient()).isEqualTo("reader@example.net");
    assertThat(event.ourMessageId()).isEqualTo(UUID.fromString(id));
    assertThat(parse("{\"custom_args\":{\"message_id\":\"12345\"},\"event\":\"open\"}").get(0)
      .ourMessageId()).isNull();
  }

  @Test
  void readsEventTimesFromItimeThenTimestampThenArrival() {
    assertThat(parse("{\"event_type\":\"opened\",\"itime\":1714000009000}").get(0).eventTime())
      .isEqualTo(1714000009000L);
    Callback seconds = parse("{\"event_type\":\"opened\",\"timestamp\":1714000009}").get(0);
    assertThat(seconds.eventTime()).isEqualTo(1714000009000L);
    assertThat(seconds.timeSource()).isEqualTo("timestamp");
    assertThat(parse("{\"event_type\":\"opened\",\"timestamp\":1714000009123}").get(0)
      .eventTime()).isEqualTo(1714000009123L);
    assertThat(parse("{\"event_type\":\"opened\",\"timestamp\":\"2024-04-24T23:06:49+00:00\"}")
      .get(0).eventTime()).isEqualTo(1714000009000L);
    Callback none = parse("{\"event_type\":\"opened\"}").get(0);
    assertThat(none.eventTime()).isEqualTo(RECEIVED);
    assertThat(none.timeSource()).isEqualTo("received");
  }

  @Test
  void takesTheReceiveTimeForProviderTimesBefore2000OrOverADayAheadAndKeepsThem() {
    for (String itime : List.of("1e23", "-99999999999999", "0", "946684799999",
        "\"abc\"", String.valueOf(RECEIVED + 86_400_001L))) {
      Callback event = parse("{\"event_type\":\"opened\",\"email_id\":\"e\",\"itime\":"
        + itime + "}").get(0);
      assertThat(event.eventTime()).as(itime).isEqualTo(RECEIVED);
      assertThat(event.timeSource()).as(itime).isEqualTo("received");
      assertThat(event.ignoredTime()).as(itime).startsWith("itime=");
    }
    String huge = parse("{\"event_type\":\"opened\",\"itime\":1e23}").get(0).ignoredTime();
    assertThat(Double.parseDouble(huge.substring("itime=".length()))).isEqualTo(1e23);
    Callback edge = parse("{\"event_type\":\"opened\",\"itime\":946684800000}").get(0);
    assertThat(edge.timeSource()).isEqualTo("itime");
    assertThat(edge.ignoredTime()).isNull();
    assertThat(parse("{\"event_type\":\"opened\",\"itime\":" + (RECEIVED + 86_400_000L)
      + "}").get(0).timeSource()).isEqualTo("itime");

    Callback fallback = parse("{\"event_type\":\"opened\",\"itime\":0,"
      + "\"timestamp\":1714000009}").get(0);
    assertThat(fallback.eventTime()).isEqualTo(1714000009000L);
    assertThat(fallback.timeSource()).isEqualTo("timestamp");
    assertThat(fallback.ignoredTime()).isEqualTo("itime=0");
    assertThat(parse("{\"event_type\":\"opened\",\"timestamp\":-9223372036854775808}")
      .get(0).ignoredTime()).isEqualTo("timestamp=-9223372036854775808");
  }

  @Test
  void keepsTheRecipientsOfATargetEventApartWhenItHasNoUsableTime() {
    List<Callback> events = parse("{\"itime\":0,\"status\":{\"message_status\":\"target\","
      + "\"status_data\":{\"email_ids\":[\"m1$a@x.io\",\"m2$b@x.io\"],"
      + "\"tos\":[\"a@x.io\",\"b@x.io\"]}}}");
    assertThat(events).extracting(Callback::timeSource).containsOnly("received");
    assertThat(events.get(0).dedupeKey()).isNotEqualTo(events.get(1).dedupeKey());
  }

  @Test
  void mapsTheFlatEventTypesToTheEnvelopeNames() {
    assertThat(parse("{\"event_type\":\"clicked\"}").get(0).type()).isEqualTo("click");
    assertThat(parse("{\"event_type\":\"bounced\"}").get(0).type()).isEqualTo("invalid_email");
    assertThat(parse("{\"event_type\":\"spam_report\"}").get(0).type()).isEqualTo("report_spam");
    assertThat(parse("{\"event_type\":\"inbound\"}").get(0).type()).isEqualTo("route");
    assertThat(parse("{\"message_status\":\"soft_bounce\"}").get(0).type())
      .isEqualTo("soft_bounce");
    assertThat(parse("{\"anything\":1}").get(0).type()).isEqualTo("unknown");
  }

  @Test
  void keysClicksByUrlAndEverythingWithoutAnEmailIdByItsBody() {
    String click = "{\"itime\":9,\"response\":{\"event\":\"click\",\"response_data\":"
      + "{\"email_id\":\"e1\",\"url\":\"%s\"}}}";
    assertThat(parse(click.formatted("https://a.example/")).get(0).dedupeKey())
      .isNotEqualTo(parse(click.formatted("https://b.example/")).get(0).dedupeKey());
    assertThat(parse("{\"x\":1}").get(0).dedupeKey())
      .isEqualTo(parse("{\"x\":1}").get(0).dedupeKey())
      .isNotEqualTo(parse("{\"x\":2}").get(0).dedupeKey())
      .startsWith("sha256:");
  }

  @Test
  void readsInboundReplyHeadersGivenAsTextOrObject() {
    String asText = "{\"itime\":1,\"response\":{\"event\":\"route\",\"response_data\":{"
      + "\"from\":\"Reader <r@x.io>\",\"x_mx_rcptto\":\"sales@y.io\",\"text\":\"hi\","
      + "\"headers\":\"{\\\"Message-ID\\\":\\\"<a@x>\\\"}\"}}}";
    Callback reply = parse(asText).get(0);
    assertThat(reply.recipient()).isEqualTo("r@x.io");
    assertThat(reply.inbound().getString("to")).isEqualTo("sales@y.io");
    assertThat(reply.inbound().getJsonObject("headers").getString("Message-ID"))
      .isEqualTo("<a@x>");
    String asObject = asText.replace("\"{\\\"Message-ID\\\":\\\"<a@x>\\\"}\"",
      "{\"Message-ID\":\"<b@x>\"}");
    assertThat(parse(asObject).get(0).inbound().getJsonObject("headers")
      .getString("Message-ID")).isEqualTo("<b@x>");
  }
}
