package org.edm.gateway;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.edm.common.ConfigException;
import org.edm.common.ConfigLoader;
import org.edm.common.Database;
import org.edm.common.PgUrl;
import org.edm.common.RedisClients;
import org.edm.common.Settings;
import org.edm.common.StartupException;
import org.edm.tracking.TrackingConfig;
import org.edm.webhook.WebhookConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a process: reads and checks the configuration, prepares PostgreSQL (database,
 * migrations, first admin), checks Redis, then deploys the verticles of its roles, each with
 * its instance count, in one JVM or on a clustered event bus.
 */
public final class Launcher {

  private static final Logger LOG = LoggerFactory.getLogger(Launcher.class);

  /** A started process. */
  public record Running(Vertx vertx, JsonObject config, Set<Role> roles) {

    public Future<Void> close() {
      return vertx.close();
    }
  }

  private Launcher() {
  }

  /** Blocking: call it from main or a test thread, never from an event loop. */
  public static Running start(Map<String, String> env) {
    JsonObject config = loadConfig(env);
    Settings settings = new Settings(config);
    Set<Role> roles = roles(settings);
    boolean clustered = settings.flag("cluster.enabled");
    fillSecrets(settings, clustered);
    validate(settings, roles);

    PgUrl pg = PgUrl.parse("pg.url", settings.string("pg.url"));
    Database.ensureExists(pg);
    for (Role role : roles) {
      Database.migrate(pg, role.schema());
    }
    if (roles.contains(Role.GATEWAY)) {
      emptyIncomingUploads(settings);
      Database.migrate(pg, "tracking"); // the gateway serves messages it must find by id
      AdminBootstrap.ensureAdmin(pg, settings.optionalString("auth.adminUser"),
        settings.optionalString("auth.adminPassword"), settings.optionalString("auth.adminEmail"),
        Path.of(settings.string("stateDir")));
    }

    Vertx vertx = createVertx(settings, clustered);
    try {
      checkRedis(vertx, settings.string("redis.url"));
      for (Role role : roles) {
        deploy(vertx, role, settings);
      }
    } catch (RuntimeException e) {
      vertx.close();
      throw e;
    }
    logSummary(vertx, settings, roles, pg, clustered);
    return new Running(vertx, config, roles);
  }

  /** Multipart bodies a previous run left behind (a crash mid-upload) are of no use now. */
  private static void emptyIncomingUploads(Settings settings) {
    Path incoming = ImageRoutes.incomingDirectory(settings);
    try (var files = java.nio.file.Files.list(incoming)) {
      files.forEach(file -> file.toFile().delete());
    } catch (java.io.IOException e) {
      LOG.debug("no incoming uploads to clear in {}", incoming);
    }
  }

  private static JsonObject loadConfig(Map<String, String> env) {
    Vertx reader = Vertx.vertx();
    try {
      return ConfigLoader.load(reader, env).await();
    } finally {
      reader.close();
    }
  }

  private static Set<Role> roles(Settings settings) {
    Set<Role> roles = new LinkedHashSet<>();
    for (String name : settings.list("roles")) {
      roles.add(Role.of(name));
    }
    if (roles.isEmpty()) {
      throw new ConfigException("roles (EDM_ROLES) is empty: name at least one concern");
    }
    return roles;
  }

  /** Secrets left empty are generated once, unless processes must share them. */
  private static void fillSecrets(Settings settings, boolean clustered) {
    for (String key : List.of("tracking.secret", "auth.jwtSecret")) {
      if (!settings.optionalString(key).isEmpty()) {
        continue;
      }
      if (clustered) {
        throw new ConfigException(ConfigLoader.describe(key)
          + " must be set when clustered, the same on every process");
      }
      String value = Secrets.stored(Path.of(settings.string("stateDir")), key);
      String[] path = key.split("\\.");
      settings.json().getJsonObject(path[0]).put(path[1], value);
    }
  }

  /** Reads every setting the roles use, so a bad one stops start-up before anything runs. */
  private static void validate(Settings settings, Set<Role> roles) {
    settings.string("stateDir");
    settings.integer("http.port", 0, 65535);
    settings.integer("http.bodyLimit", 1024, Integer.MAX_VALUE);
    settings.string("redis.url");
    settings.integer("redis.poolSize", 1, 1000);
    for (Role role : roles) {
      settings.integer(role.instancesKey, 1, 256);
    }
    TrackingConfig.from(settings);
    WebhookConfig.from(settings);
    if (!settings.string("redis.url").matches("rediss?://[^\\s]+")) {
      throw new ConfigException(ConfigLoader.describe("redis.url")
        + " must look like redis://host:port/db, got '"
        + RedisClients.where(settings.string("redis.url")) + "'");
    }
    if (settings.flag("cluster.enabled") && settings.list("cluster.members").isEmpty()) {
      throw new ConfigException(ConfigLoader.describe("cluster.members")
        + " must list at least one host:port when clustered");
    }
  }

  private static Vertx createVertx(Settings settings, boolean clustered) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Metrics.addRegistry(registry);
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
      .setEnabled(true)
      .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
      .addLabels(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE)
      // Per-message and per-socket meters cost more than they tell at the pixel's rate.
      .addDisabledMetricsCategory(MetricsDomain.EVENT_BUS)
      .addDisabledMetricsCategory(MetricsDomain.NET_CLIENT)
      .addDisabledMetricsCategory(MetricsDomain.NET_SERVER)
      .addDisabledMetricsCategory(MetricsDomain.DATAGRAM_SOCKET);
    VertxOptions options = new VertxOptions().setMetricsOptions(metrics)
      .setPreferNativeTransport(true);
    VertxBuilder builder = Vertx.builder()
      .with(options)
      .withMetrics(new MicrometerMetricsFactory(registry));
    if (!clustered) {
      return builder.build();
    }

    String host = settings.string("cluster.host");
    options.setEventBusOptions(new EventBusOptions().setHost(host).setPort(0));
    return builder
      .withClusterManager(new HazelcastClusterManager(hazelcastConfig(settings, host)))
      .buildClustered()
      .recover(err -> Future.failedFuture(new StartupException(
        "joining the cluster " + settings.string("cluster.name") + " failed: "
          + err.getMessage(), err)))
      .await();
  }

  private static Config hazelcastConfig(Settings settings, String host) {
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(settings.string("cluster.name"));
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.getNetworkConfig().setPort(settings.integer("cluster.port", 1, 65535))
      .setPortAutoIncrement(true);
    config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface(host);
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(settings.list("cluster.members"));
    return config;
  }

  private static void checkRedis(Vertx vertx, String url) {
    Redis redis = Redis.createClient(vertx, RedisClients.options(url, 1));
    try {
      redis.send(Request.cmd(Command.PING))
        .timeout(5, TimeUnit.SECONDS)
        .await();
    } catch (Throwable e) {
      // the client reports a refused login as an ErrorType, a Throwable but no Exception
      throw new StartupException("Redis unreachable or refusing at " + RedisClients.where(url)
        + ": " + e.getMessage(), e);
    } finally {
      redis.close();
    }
  }

  private static void deploy(Vertx vertx, Role role, Settings settings) {
    DeploymentOptions options = new DeploymentOptions()
      .setConfig(settings.json())
      .setInstances(settings.integer(role.instancesKey, 1, 256))
      .setThreadingModel(role.threading);
    try {
      vertx.deployVerticle(role.verticle, options).await();
    } catch (StartupException | ConfigException e) {
      throw e;
    } catch (Exception e) {
      throw new StartupException("starting " + role.id + " failed: " + e.getMessage(), e);
    }
  }

  /** A local base URL on another port: most likely EDM_HTTP_PORT changed and it did not. */
  static boolean pointsAtAnotherLocalPort(String baseUrl, int port) {
    try {
      java.net.URI uri = java.net.URI.create(baseUrl);
      String host = uri.getHost();
      int linked = uri.getPort() >= 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
      return host != null && (host.equals("localhost") || host.equals("127.0.0.1")
        || host.equals("[::1]")) && linked != port;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static void logSummary(Vertx vertx, Settings settings, Set<Role> roles, PgUrl pg,
      boolean clustered) {
    List<String> deployed = new ArrayList<>();
    for (Role role : roles) {
      deployed.add(role.id + " x" + settings.integer(role.instancesKey, 1, 256));
    }
    LOG.info("started roles [{}]", String.join(", ", deployed));
    if (roles.contains(Role.GATEWAY)) {
      int port = settings.integer("http.port", 0, 65535);
      String baseUrl = settings.string("tracking.baseUrl");
      LOG.info("HTTP on port {}, tracking links under {}", port, baseUrl);
      if (pointsAtAnotherLocalPort(baseUrl, port)) {
        LOG.warn("tracking links point at {}, not at this process's port {}: set "
          + "TRACKING_BASE_URL to the address mail clients reach", baseUrl, port);
      }
    }
    LOG.info("PostgreSQL {}, Redis {}", pg.where(),
      RedisClients.where(settings.string("redis.url")));
    if (vertx.isNativeTransportEnabled()) {
      LOG.info("network transport: native epoll");
    } else {
      LOG.info("network transport: NIO ({})", vertx.unavailableNativeTransportCause().toString());
    }
    if (clustered) {
      LOG.info("clustered as '{}' on {}:{}, members {}", settings.string("cluster.name"),
        settings.string("cluster.host"), settings.integer("cluster.port", 1, 65535),
        settings.list("cluster.members"));
    }
  }
}
