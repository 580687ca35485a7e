package org.edm.common;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Start-up work on PostgreSQL (blocking, run once before verticles deploy) and pools. */
public final class Database {

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  private Database() {
  }

  /** Creates the configured database when it is missing; fails with where it looked. */
  public static void ensureExists(PgUrl url) {
    try (Connection conn = connect(url.withDatabase("postgres"))) {
      try (PreparedStatement query =
             conn.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
        query.setString(1, url.database());
        try (ResultSet rows = query.executeQuery()) {
          if (rows.next()) {
            return;
          }
        }
      }
      try (Statement create = conn.createStatement()) {
        create.execute("CREATE DATABASE \"" + url.database().replace("\"", "\"\"") + "\"");
        LOG.info("created database {}", url.database());
      }
    } catch (SQLException e) {
      if ("42P04".equals(e.getSQLState())) {
        return; // another process created it meanwhile
      }
      throw new StartupException("PostgreSQL unreachable or refusing at " + url.where()
        + ": " + e.getMessage(), e);
    }
  }

  private static Connection connect(PgUrl url) throws SQLException {
    DriverManager.setLoginTimeout(5);
    return DriverManager.getConnection(url.jdbcUrl(url.database()), url.user(), url.password());
  }

  /** Applies the versioned SQL files under db/{schema} to that schema. */
  public static void migrate(PgUrl url, String schema) {
    try {
      Flyway.configure()
        .dataSource(url.jdbcUrl(url.database()), url.user(), url.password())
        .schemas(schema)
        .createSchemas(true)
        .locations("classpath:db/" + schema)
        .load()
        .migrate();
    } catch (RuntimeException e) {
      throw new StartupException("migrating schema " + schema + " at " + url.where()
        + " failed: " + e.getMessage(), e);
    }
  }

  /** A pool shared by every instance of a concern's verticle in this process. */
  public static Pool pool(Vertx vertx, PgUrl url, String name, int size) {
    return PgBuilder.pool()
      .with(new PoolOptions().setMaxSize(size).setShared(true).setName("edm-" + name))
      .connectingTo(url.connectOptions())
      .using(vertx)
      .build();
  }
}
