package org.edm.webhook;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads every callback shape EngageLab uses: the envelope with a status or a response
 * object, and the older flat shapes (top-level message_status, top-level event, event_type).
 */
public final class CallbackParser {

  /** RFC 5321's limit; anything longer is not an address. */
  private static final int MAX_ADDRESS = 254;
  private static final int MAX_TYPE = 64;
  private static final int MAX_IGNORED = 64;
  /** No provider event is older than this: 2000-01-01T00:00:00Z. */
  static final long EARLIEST_EVENT = 946_684_800_000L;
  /** How far past the receive time a provider time may be: one day. */
  static final long MAX_AHEAD_MILLIS = 86_400_000L;
  private static final double MAX_ABS_RAW = 9e15;
  private static final Pattern ANGLE_ADDRESS = Pattern.compile("<([^<>\\s]+@[^<>\\s]+)>");
  private static final Map<String, String> FLAT_EVENT_TYPES = Map.of(
    "opened", "open",
    "clicked", "click",
    "bounced", "invalid_email",
    "spam_report", "report_spam",
    "reply", "route",
    "inbound", "route");

  private record EventTime(long millis, String source, String ignored) {
  }

  private CallbackParser() {
  }

  /** The events in one JSON object; a target event yields one per recipient. */
  public static List<Callback> parse(JsonObject envelope, String rawText, long receivedAt) {
    JsonObject status = object(envelope, "status");
    JsonObject response = object(envelope, "response");
    String type;
    JsonObject data;
    JsonObject error;
    if (status != null) {
      type = text(status, "message_status");
      data = object(status, "status_data");
      error = firstObject(object(status, "error_detail"), object(envelope, "error_detail"));
    } else if (text(envelope, "message_status") != null) {
      type = text(envelope, "message_status");
      data = object(envelope, "status_data");
      error = object(envelope, "error_detail");
    } else if (response != null) {
      type = text(response, "event");
      data = object(response, "response_data");
      error = null;
    } else if (text(envelope, "event") != null) {
      type = text(envelope, "event");
      data = object(envelope, "response_data");
      error = object(envelope, "error_detail");
    } else if (text(envelope, "event_type") != null) {
      String flat = text(envelope, "event_type").toLowerCase(Locale.ROOT);
      type = FLAT_EVENT_TYPES.getOrDefault(flat, flat);
      data = envelope;
      error = object(envelope, "error_detail");
    } else {
      type = "unknown";
      data = null;
      error = null;
    }
    type = type == null ? "unknown" : type.trim().toLowerCase(Locale.ROOT);
    if (type.length() > MAX_TYPE) {
      type = type.substring(0, MAX_TYPE);
    }
    data = data == null ? new JsonObject() : data;

    JsonArray emailIds = data.getValue("email_ids") instanceof JsonArray list ? list : null;
    if ("target".equals(type) && emailIds != null && !emailIds.isEmpty()) {
      JsonArray tos = data.getValue("tos") instanceof JsonArray list ? list : new JsonArray();
      List<Callback> each = new ArrayList<>();
      for (int i = 0; i < emailIds.size(); i++) {
        String emailId = String.valueOf(emailIds.getValue(i));
        String to = i < tos.size() ? String.valueOf(tos.getValue(i)) : null;
        each.add(build(envelope, rawText, receivedAt, type, data, error, emailId, to));
      }
      return each;
    }
    String emailId = firstText(text(data, "email_id"), text(envelope, "email_id"));
    return List.of(build(envelope, rawText, receivedAt, type, data, error, emailId, null));
  }

  private static Callback build(JsonObject envelope, String rawText, long receivedAt,
      String type, JsonObject data, JsonObject error, String emailId, String to) {
    JsonObject customArgs = object(envelope, "custom_args");
    UUID ours = customArgs == null ? null
      : firstUuid(customArgs.getValue("message_id"), customArgs.getValue("subtask_id"));
    boolean inbound = "route".equals(type);
    String recipient = inbound
      ? address(firstText(text(data, "from"), text(envelope, "from")))
      : address(firstText(to, text(envelope, "to"), text(data, "to"), afterDollar(emailId)));

    EventTime time = eventTime(envelope, data, receivedAt);
    long eventTime = time.millis();
    String timeSource = time.source();

    String url = text(data, "url");
    String reason = firstText(error == null ? null : text(error, "message"),
      text(data, "message"));
    Integer subStatus = error == null ? null : integer(error.getValue("sub_stat"));
    String agent = agent(text(data, "explorer_name"), text(data, "os_name"));
    // Hashed, so that a key made of long provider fields still fits the unique index. Without
    // a usable time the body is the key, with the recipient's id when a target event splits.
    String dedupeKey = emailId != null && !"received".equals(timeSource)
      ? "event:" + sha256(emailId + "|" + type + "|" + eventTime
        + ("click".equals(type) ? "|" + url : ""))
      : "sha256:" + sha256(to == null ? rawText : rawText + "|" + emailId);
    return new Callback(type, emailId, text(envelope, "message_id"), ours, recipient, eventTime,
      timeSource, time.ignored(), url, text(data, "ip"), agent, reason, subStatus, dedupeKey,
      envelope, inbound ? inbound(envelope, data, emailId) : null);
  }

  /** The reply as the sessions concern takes it. */
  private static JsonObject inbound(JsonObject envelope, JsonObject data, String emailId) {
    Object headers = data.getValue("headers");
    JsonObject headerObject = headers instanceof JsonObject object ? object : null;
    if (headers instanceof String text) {
      try {
        headerObject = new JsonObject(text);
      } catch (RuntimeException e) {
        headerObject = new JsonObject().put("raw", text);
      }
    }
    return new JsonObject()
      .put("from", address(firstText(text(data, "from"), text(envelope, "from"))))
      .put("fromName", text(data, "from_name"))
      .put("to", address(firstText(text(data, "x_mx_rcptto"), text(envelope, "to"))))
      .put("subject", firstText(text(data, "subject"), text(envelope, "subject")))
      .put("text", text(data, "text"))
      .put("html", text(data, "html"))
      .put("headers", headerObject)
      .put("reference", text(data, "reference"))
      .put("emailId", emailId)
      .put("rawMessage", text(data, "raw_message"))
      .put("rawMessageUrl", firstText(text(data, "raw_message_url"), text(data, "raw_url")));
  }

  /**
   * The provider's itime, else its timestamp, else the receive time. A provider time that is
   * unreadable or not plausible counts as missing; the first such value is kept as ignored.
   */
  private static EventTime eventTime(JsonObject envelope, JsonObject data, long receivedAt) {
    Object itime = envelope.getValue("itime");
    Object timestamp = firstValue(envelope.getValue("timestamp"), data.getValue("timestamp"));
    Long fromItime = plausibleOrNull(millis(itime, true), receivedAt);
    if (fromItime != null) {
      return new EventTime(fromItime, "itime", null);
    }
    Long fromTimestamp = plausibleOrNull(millis(timestamp, false), receivedAt);
    if (fromTimestamp != null) {
      return new EventTime(fromTimestamp, "timestamp", ignored("itime", itime));
    }
    String ignored = itime != null ? ignored("itime", itime) : ignored("timestamp", timestamp);
    return new EventTime(receivedAt, "received", ignored);
  }

  /**
   * Whether a provider time can be an event's: not before 2000-01-01 (epoch 0 or a negative
   * time is a missing or broken clock) and at most a day after the callback arrived (more
   * than any clock skew; a time in the far future is a unit error, and PostgreSQL turns the
   * farthest into infinity).
   */
  public static boolean plausible(long millis, long receivedAt) {
    return millis >= EARLIEST_EVENT && millis - receivedAt <= MAX_AHEAD_MILLIS;
  }

  private static Long plausibleOrNull(Long millis, long receivedAt) {
    return millis != null && plausible(millis, receivedAt) ? millis : null;
  }

  /** "itime=<raw value>", shortened, for the record and the log; null without a value. */
  private static String ignored(String field, Object value) {
    if (value == null) {
      return null;
    }
    String raw = field + "=" + value;
    return raw.length() > MAX_IGNORED ? raw.substring(0, MAX_IGNORED) + "..." : raw;
  }

  /**
   * Epoch milliseconds; for timestamps, seconds below 10^12, and ISO-8601 text. Null when
   * unreadable, or too far from now to be any time (beyond about 285,000 years).
   */
  static Long millis(Object value, boolean alwaysMillis) {
    if (value instanceof Number number) {
      // Also keeps raw * 1000 inside a long.
      if (!(Math.abs(number.doubleValue()) < MAX_ABS_RAW)) {
        return null;
      }
      long raw = number.longValue();
      return alwaysMillis || raw >= 1_000_000_000_000L ? raw : raw * 1000;
    }
    if (value instanceof String text && !text.isBlank()) {
      String trimmed = text.trim();
      if (trimmed.matches("\\d{1,18}")) {
        return millis(Long.parseLong(trimmed), alwaysMillis);
      }
      try {
        return OffsetDateTime.parse(trimmed).toInstant().toEpochMilli();
      } catch (DateTimeParseException e) {
        try {
          return Instant.parse(trimmed).toEpochMilli();
        } catch (DateTimeParseException again) {
          return null;
        }
      }
    }
    return null;
  }

  /** "Name <addr>" or "addr" to the address, lower-cased; null when there is none. */
  static String address(String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    Matcher angle = ANGLE_ADDRESS.matcher(value);
    String address = angle.find() ? angle.group(1) : value.trim();
    return address.contains("@") && address.length() <= MAX_ADDRESS
      ? address.toLowerCase(Locale.ROOT) : null;
  }

  private static String afterDollar(String emailId) {
    if (emailId == null) {
      return null;
    }
    int dollar = emailId.lastIndexOf('$');
    return dollar < 0 ? null : emailId.substring(dollar + 1);
  }

  private static String agent(String browser, String os) {
    if (browser == null && os == null) {
      return null;
    }
    return (browser == null ? "" : browser) + (os == null ? "" : " (" + os + ")");
  }

  /** A UUID, or null for anything else: a non-UUID id is ignored, never an error. */
  private static UUID firstUuid(Object... values) {
    for (Object value : values) {
      if (value instanceof String text && text.length() == 36) {
        try {
          return UUID.fromString(text);
        } catch (IllegalArgumentException e) {
          // not ours; try the next
        }
      }
    }
    return null;
  }

  private static Integer integer(Object value) {
    if (value instanceof Number number) {
      return number.intValue();
    }
    if (value instanceof String text && text.trim().matches("-?\\d{1,9}")) {
      return Integer.parseInt(text.trim());
    }
    return null;
  }

  private static JsonObject object(JsonObject json, String key) {
    return json.getValue(key) instanceof JsonObject object ? object : null;
  }

  private static String text(JsonObject json, String key) {
    Object value = json.getValue(key);
    if (value instanceof String text) {
      return text.isBlank() ? null : text;
    }
    return value instanceof Number ? value.toString() : null;
  }

  private static JsonObject firstObject(JsonObject first, JsonObject second) {
    return first != null ? first : second;
  }

  private static Object firstValue(Object first, Object second) {
    return first != null ? first : second;
  }

  private static String firstText(String... values) {
    for (String value : values) {
      if (value != null && !value.isBlank()) {
        return value;
      }
    }
    return null;
  }

  static String sha256(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
