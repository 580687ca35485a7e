package org.edm.common;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/** A fresh database per test class on the machine's PostgreSQL, so runs never collide. */
public final class TestDatabases {

  /** The server tests use; EDM_TEST_PG_URL points elsewhere. */
  public static final String SERVER = System.getenv().getOrDefault("EDM_TEST_PG_URL",
    "postgresql://postgres@127.0.0.1:5432/postgres");

  private TestDatabases() {
  }

  /** A database name unique to this run, created empty. */
  public static PgUrl create(String prefix) {
    String name = ("edm_test_" + prefix + "_" + UUID.randomUUID().toString().substring(0, 8))
      .toLowerCase(Locale.ROOT);
    execute("CREATE DATABASE " + name);
    return PgUrl.parse("test", SERVER).withDatabase(name);
  }

  public static void drop(PgUrl url) {
    execute("DROP DATABASE IF EXISTS " + url.database() + " WITH (FORCE)");
  }

  public static String uri(PgUrl url) {
    return "postgresql://" + url.user() + (url.password().isEmpty() ? "" : ":" + url.password())
      + "@" + url.host() + ":" + url.port() + "/" + url.database();
  }

  private static void execute(String sql) {
    PgUrl server = PgUrl.parse("test", SERVER);
    try (Connection conn = DriverManager.getConnection(server.jdbcUrl(server.database()),
        server.user(), server.password());
         Statement statement = conn.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }
}
