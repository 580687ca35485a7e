package org.edm.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.edm.common.PgUrl;
import org.edm.common.TestDatabases;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;

/**
 * The whole system started in-process as an operator would, against its own database and
 * its own Redis stream, with an HTTP client pointed at it.
 */
public final class TestSystem implements AutoCloseable {

  public static final String ADMIN_PASSWORD = "admin-secret-for-tests";

  public final PgUrl pg;
  public final int port;
  public final String stream;
  public final Map<String, String> env = new HashMap<>();
  public Launcher.Running running;
  public Vertx clientVertx;
  public WebClient http;

  private TestSystem(String name, Map<String, String> overrides) {
    pg = TestDatabases.create(name);
    port = freePort();
    stream = "edm:test:" + name + ":" + UUID.randomUUID();
    env.put("EDM_PG_URL", TestDatabases.uri(pg));
    env.put("EDM_HTTP_PORT", Integer.toString(port));
    env.put("EDM_HTTP_INSTANCES", "1");
    env.put("EDM_TRACKING_INSTANCES", "1");
    env.put("EDM_TRACKING_STREAM", stream);
    env.put("EDM_TRACKING_FLUSH_MS", "50");
    env.put("TRACKING_BASE_URL", "http://localhost:" + port);
    env.put("EDM_ADMIN_USER", "admin");
    env.put("EDM_ADMIN_PASSWORD", ADMIN_PASSWORD);
    env.put("EDM_ADMIN_EMAIL", "admin@example.org");
    env.put("EDM_TRACKING_SECRET", "test-tracking-secret-" + name);
    env.put("EDM_JWT_SECRET", "test-jwt-secret-" + name);
    env.put("EDM_STATE_DIR", tempDir(name).toString());
    env.putAll(overrides);
  }

  /** Starts every concern in one JVM, as the run command does. */
  public static TestSystem start(String name) {
    return start(name, Map.of());
  }

  public static TestSystem start(String name, Map<String, String> overrides) {
    TestSystem system = new TestSystem(name, overrides);
    try {
      system.running = Launcher.start(system.env);
    } catch (RuntimeException e) {
      TestDatabases.drop(system.pg);
      throw e;
    }
    system.clientVertx = Vertx.vertx();
    system.http = WebClient.create(system.clientVertx, new WebClientOptions()
      .setDefaultHost("localhost")
      .setDefaultPort(system.port)
      .setFollowRedirects(false));
    return system;
  }

  @Override
  public void close() {
    if (http != null) {
      http.close();
      clientVertx.close().await();
    }
    if (running != null) {
      running.close().await();
    }
    deleteStream();
    TestDatabases.drop(pg);
  }

  /** The shared Redis keeps nothing of a finished test. */
  private void deleteStream() {
    String url = env.getOrDefault("EDM_REDIS_URL", "redis://127.0.0.1:6379/0");
    Vertx vertx = Vertx.vertx();
    try {
      Redis.createClient(vertx, url).send(Request.cmd(Command.DEL).arg(stream))
        .timeout(2, java.util.concurrent.TimeUnit.SECONDS)
        .await();
    } catch (Exception e) {
      // a test that stopped its own Redis has nothing left to delete
    } finally {
      vertx.close().await();
    }
  }

  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Path tempDir(String name) {
    try {
      return Files.createTempDirectory("edm-" + name);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Logs in and returns the bearer token. */
  public String login(String user, String password) {
    HttpResponse<Buffer> response = http.post("/api/auth/login")
      .sendJsonObject(new JsonObject().put("usernameOrEmail", user).put("password", password))
      .await();
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject().getString("token");
  }

  public String adminToken() {
    return login("admin", ADMIN_PASSWORD);
  }

  /** Adds a user straight into the users table, as an admin tool would. */
  public long createUser(String username, String password, String role, boolean active) {
    String sql = "INSERT INTO gateway.users (username, email, password_hash, role, active) "
      + "VALUES (?, ?, ?, ?, ?) RETURNING id";
    try (Connection conn = jdbc(); PreparedStatement insert = conn.prepareStatement(sql)) {
      insert.setString(1, username);
      insert.setString(2, username + "@example.org");
      insert.setString(3, new BCryptPasswordEncoder().encode(password));
      insert.setString(4, role);
      insert.setBoolean(5, active);
      try (ResultSet rows = insert.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public Connection jdbc() throws SQLException {
    return DriverManager.getConnection(pg.jdbcUrl(pg.database()), pg.user(), pg.password());
  }

  /** Runs one SQL statement, as an operator in psql would; returns the rows it changed. */
  public int execute(String sql, Object... args) {
    try (Connection conn = jdbc(); PreparedStatement statement = conn.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        statement.setObject(i + 1, args[i]);
      }
      return statement.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A single number from SQL, such as a count. */
  public long queryLong(String sql, Object... args) {
    return queryLong(pg, sql, args);
  }

  public static long queryLong(PgUrl pg, String sql, Object... args) {
    try (Connection conn = DriverManager.getConnection(pg.jdbcUrl(pg.database()), pg.user(),
        pg.password());
         PreparedStatement query = conn.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        query.setObject(i + 1, args[i]);
      }
      try (ResultSet rows = query.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Waits up to the timeout for a condition that the batcher makes true asynchronously. */
  public static void await(String what, long timeoutMs, BooleanSupplier condition) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
