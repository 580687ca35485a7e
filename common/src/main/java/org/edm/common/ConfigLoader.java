package org.edm.common;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the configuration: the defaults in conf/edm.yaml, then the YAML file named by
 * EDM_CONF, then environment variables. Environment variables are flat, so each known one
 * is mapped to its nested key and converted to the type of the default it replaces.
 */
public final class ConfigLoader {

  public static final String DEFAULTS = "conf/edm.yaml";

  /** Environment variable to the dotted key it sets. */
  public static final Map<String, String> ENV_KEYS = envKeys();

  private ConfigLoader() {
  }

  private static Map<String, String> envKeys() {
    Map<String, String> keys = new LinkedHashMap<>();
    keys.put("EDM_ROLES", "roles");
    keys.put("EDM_STATE_DIR", "stateDir");
    keys.put("PUBLIC_DOMAIN", "publicDomain");
    keys.put("EDM_CLUSTER", "cluster.enabled");
    keys.put("EDM_CLUSTER_MEMBERS", "cluster.members");
    keys.put("EDM_CLUSTER_HOST", "cluster.host");
    keys.put("EDM_CLUSTER_PORT", "cluster.port");
    keys.put("EDM_CLUSTER_NAME", "cluster.name");
    keys.put("EDM_HTTP_PORT", "http.port");
    keys.put("EDM_HTTP_INSTANCES", "http.instances");
    keys.put("EDM_TRUSTED_PROXIES", "http.trustedProxies");
    keys.put("EDM_HTTP_BODY_LIMIT", "http.bodyLimit");
    keys.put("EDM_PG_URL", "pg.url");
    keys.put("EDM_PG_POOL_SIZE", "pg.poolSize");
    keys.put("EDM_REDIS_URL", "redis.url");
    keys.put("EDM_ADMIN_USER", "auth.adminUser");
    keys.put("EDM_ADMIN_PASSWORD", "auth.adminPassword");
    keys.put("EDM_ADMIN_EMAIL", "auth.adminEmail");
    keys.put("EDM_JWT_SECRET", "auth.jwtSecret");
    keys.put("TRACKING_BASE_URL", "tracking.baseUrl");
    keys.put("EDM_TRACKING_SECRET", "tracking.secret");
    keys.put("EDM_TRACKING_INSTANCES", "tracking.instances");
    keys.put("EDM_TRACKING_BATCH_SIZE", "tracking.batchSize");
    keys.put("EDM_TRACKING_ABSORB_HITS", "tracking.absorbHits");
    keys.put("EDM_TRACKING_BURST_SHARE", "tracking.burstSharePercent");
    keys.put("EDM_TRACKING_FLUSH_MS", "tracking.flushIntervalMs");
    keys.put("EDM_TRACKING_STREAM", "tracking.stream");
    keys.put("EDM_IP_TRUNCATE", "tracking.truncateIp");
    keys.put("EDM_TRACKING_MIN_CLICK_MS", "tracking.minHumanClickMs");
    keys.put("WEBHOOK_BASE_URL", "webhook.baseUrl");
    keys.put("WEBHOOK_SECRET", "webhook.secret");
    keys.put("WEBHOOK_PREVIOUS_SECRETS", "webhook.previousSecrets");
    keys.put("WEBHOOK_PATH_TOKEN", "webhook.pathToken");
    keys.put("WEBHOOK_BODY_LIMIT", "webhook.bodyLimit");
    keys.put("WEBHOOK_VERIFY_RECIPE", "webhook.verify.recipe");
    keys.put("WEBHOOK_VERIFY_MODE", "webhook.verify.mode");
    keys.put("WEBHOOK_TIMESTAMP_WINDOW", "webhook.verify.timestampWindowSeconds");
    keys.put("IMAGE_UPLOAD_PATH", "imaging.uploadPath");
    keys.put("IMAGE_MAX_SIZE", "imaging.maxSize");
    keys.put("IMAGE_ALLOWED_TYPES", "imaging.allowedTypes");
    return Map.copyOf(keys);
  }

  /** Loads the configuration; env is the environment to read (System.getenv() in production). */
  public static Future<JsonObject> load(Vertx vertx, Map<String, String> env) {
    ConfigRetrieverOptions options = new ConfigRetrieverOptions()
      .setIncludeDefaultStores(false)
      .addStore(yamlStore(DEFAULTS));
    String extra = env.get("EDM_CONF");
    if (extra != null && !extra.isBlank()) {
      options.addStore(yamlStore(extra));
    }

    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig()
      .recover(err -> Future.failedFuture(
        new ConfigException("cannot read configuration file: " + err.getMessage())))
      .map(config -> applyEnvironment(config, env))
      .eventually(() -> {
        retriever.close();
        return Future.succeededFuture();
      });
  }

  private static ConfigStoreOptions yamlStore(String path) {
    return new ConfigStoreOptions()
      .setType("file")
      .setFormat("yaml")
      .setConfig(new JsonObject().put("path", path));
  }

  static JsonObject applyEnvironment(JsonObject config, Map<String, String> env) {
    ENV_KEYS.forEach((name, key) -> {
      String value = env.get(name);
      if (value != null) {
        set(config, key, convert(config, key, name, value));
      }
    });
    return config;
  }

  private static Object convert(JsonObject config, String key, String name, String raw) {
    Object current = get(config, key);
    String value = raw.trim();
    if (current instanceof Number) {
      try {
        return Long.parseLong(value);
      } catch (NumberFormatException e) {
        throw new ConfigException(
          name + " (" + key + ") must be a whole number, got '" + raw + "'");
      }
    }
    if (current instanceof Boolean) {
      if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
        throw new ConfigException(name + " (" + key + ") must be true or false, got '" + raw + "'");
      }
      return Boolean.parseBoolean(value);
    }
    if (current instanceof JsonArray) {
      JsonArray list = new JsonArray();
      Arrays.stream(value.split(","))
        .map(String::trim)
        .filter(item -> !item.isEmpty())
        .forEach(list::add);
      return list;
    }
    return raw;
  }

  /** The value at a dotted key, or null. */
  public static Object get(JsonObject config, String key) {
    JsonObject node = config;
    String[] parts = key.split("\\.");
    for (int i = 0; i < parts.length - 1; i++) {
      Object child = node.getValue(parts[i]);
      if (!(child instanceof JsonObject)) {
        return null;
      }
      node = (JsonObject) child;
    }
    return node.getValue(parts[parts.length - 1]);
  }

  private static void set(JsonObject config, String key, Object value) {
    JsonObject node = config;
    String[] parts = key.split("\\.");
    for (int i = 0; i < parts.length - 1; i++) {
      JsonObject child = node.getJsonObject(parts[i]);
      if (child == null) {
        child = new JsonObject();
        node.put(parts[i], child);
      }
      node = child;
    }
    node.put(parts[parts.length - 1], value);
  }

  /** The environment variable that sets a key, for error messages. */
  public static String describe(String key) {
    return ENV_KEYS.entrySet().stream()
      .filter(entry -> entry.getValue().equals(key))
      .map(entry -> key + " (" + entry.getKey() + ")")
      .findFirst()
      .orElse(key);
  }
}
