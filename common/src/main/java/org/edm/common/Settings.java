package org.edm.common;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** Typed, validated reads of the configuration; every failure names the key. */
public final class Settings {

  private final JsonObject config;

  public Settings(JsonObject config) {
    this.config = config;
  }

  public JsonObject json() {
    return config;
  }

  public String string(String key) {
    Object value = ConfigLoader.get(config, key);
    if (value == null || value.toString().isBlank()) {
      throw new ConfigException(ConfigLoader.describe(key) + " is missing");
    }
    if (!(value instanceof String)) {
      throw new ConfigException(ConfigLoader.describe(key) + " must be text, got " + value);
    }
    return ((String) value).trim();
  }

  /** Text that may be empty, as for secrets generated when unset. */
  public String optionalString(String key) {
    Object value = ConfigLoader.get(config, key);
    return value == null ? "" : value.toString().trim();
  }

  public long number(String key, long min, long max) {
    Object value = ConfigLoader.get(config, key);
    if (value == null) {
      throw new ConfigException(ConfigLoader.describe(key) + " is missing");
    }
    long number;
    if (value instanceof Number) {
      number = ((Number) value).longValue();
    } else {
      try {
        number = Long.parseLong(value.toString().trim());
      } catch (NumberFormatException e) {
        throw new ConfigException(
          ConfigLoader.describe(key) + " must be a whole number, got '" + value + "'");
      }
    }
    if (number < min || number > max) {
      throw new ConfigException(ConfigLoader.describe(key) + " must be between " + min
        + " and " + max + ", got " + number);
    }
    return number;
  }

  public int integer(String key, int min, int max) {
    return (int) number(key, min, max);
  }

  public boolean flag(String key) {
    Object value = ConfigLoader.get(config, key);
    if (value instanceof Boolean) {
      return (Boolean) value;
    }
    if (value != null && (value.toString().equalsIgnoreCase("true")
        || value.toString().equalsIgnoreCase("false"))) {
      return Boolean.parseBoolean(value.toString());
    }
    throw new ConfigException(
      ConfigLoader.describe(key) + " must be true or false, got '" + value + "'");
  }

  public List<String> list(String key) {
    Object value = ConfigLoader.get(config, key);
    List<String> items = new ArrayList<>();
    if (value instanceof JsonArray) {
      for (Object item : (JsonArray) value) {
        items.add(String.valueOf(item).trim());
      }
    } else if (value instanceof String) {
      for (String item : ((String) value).split(",")) {
        if (!item.isBlank()) {
          items.add(item.trim());
        }
      }
    } else if (value != null) {
      throw new ConfigException(ConfigLoader.describe(key) + " must be a list, got " + value);
    }
    return items;
  }

  /** An absolute http(s) URL without a trailing slash. */
  public String httpUrl(String key) {
    String value = string(key);
    if (!value.matches("(?i)https?://[^\\s/?#]+(/[^\\s?#]*)?")) {
      throw new ConfigException(ConfigLoader.describe(key)
        + " must be an http(s) URL such as https://track.example.com, got '" + value + "'");
    }
    return value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
  }
}
