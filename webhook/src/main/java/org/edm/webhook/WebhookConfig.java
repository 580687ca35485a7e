package org.edm.webhook;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.edm.common.ConfigException;
import org.edm.common.ConfigLoader;
import org.edm.common.PgUrl;
import org.edm.common.Settings;

/** The webhook concern's settings. */
public record WebhookConfig(
    List<String> secrets,
    String recipe,
    String mode,
    long timestampWindowSeconds,
    String pathToken,
    PgUrl pg,
    int pgPoolSize,
    int outboxBatch,
    long outboxPollMs,
    long absorbEffects) {

  public static final List<String> RECIPES = List.of("md5", "hmac", "either");
  public static final List<String> MODES = List.of("enforce", "report", "off");

  public static WebhookConfig from(Settings settings) {
    List<String> secrets = new ArrayList<>();
    String primary = settings.optionalString("webhook.secret");
    if (!primary.isEmpty()) {
      secrets.add(primary);
    }
    secrets.addAll(settings.list("webhook.previousSecrets"));
    for (String path : settings.list("webhook.paths")) {
      if (!path.matches("/[A-Za-z0-9/_.-]*")) {
        throw new ConfigException("webhook.paths: '" + path + "' is not a plain absolute path");
      }
    }
    String recipe = choice(settings, "webhook.verify.recipe", RECIPES);
    String mode = choice(settings, "webhook.verify.mode", MODES);
    if (secrets.isEmpty() && !"off".equals(mode)) {
      mode = "off";
    }
    return new WebhookConfig(
      List.copyOf(secrets),
      recipe,
      mode,
      settings.number("webhook.verify.timestampWindowSeconds", 0, 31_536_000),
      settings.optionalString("webhook.pathToken"),
      PgUrl.parse("pg.url", settings.string("pg.url")),
      settings.integer("pg.poolSize", 1, 1000),
      settings.integer("webhook.outboxBatch", 1, 10_000),
      settings.number("webhook.outboxPollMs", 10, 600_000),
      settings.number("webhook.absorbEffects", 0, 1_000_000_000));
  }

  private static String choice(Settings settings, String key, List<String> allowed) {
    String value = settings.string(key).toLowerCase(Locale.ROOT);
    if (!allowed.contains(value)) {
      throw new ConfigException(ConfigLoader.describe(key) + " must be one of " + allowed
        + ", got '" + value + "'");
    }
    return value;
  }
}
