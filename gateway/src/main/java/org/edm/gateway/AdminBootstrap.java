package org.edm.gateway;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.edm.common.PgUrl;
import org.edm.common.StartupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;

/** Creates the first admin on first start, once, before the gateway serves anything. */
final class AdminBootstrap {

  private static final Logger LOG = LoggerFactory.getLogger(AdminBootstrap.class);

  private AdminBootstrap() {
  }

  static void ensureAdmin(PgUrl pg, String username, String password, String email,
      Path stateDir) {
    try (Connection conn = DriverManager.getConnection(pg.jdbcUrl(pg.database()), pg.user(),
        pg.password())) {
      if (hasAdmin(conn)) {
        return;
      }
      String name = username.isBlank() ? "admin" : username;
      Path passwordFile = stateDir.resolve("admin-password");
      String secret = password.isBlank() ? generatedPassword(passwordFile) : password;
      insertAdmin(conn, name, email.isBlank() ? null : email,
        new BCryptPasswordEncoder().encode(secret));
      if (password.isBlank()) {
        LOG.info("created admin '{}'; its password is in {} (owner-only)", name,
          passwordFile.toAbsolutePath());
      } else {
        LOG.info("created admin '{}' with the password from EDM_ADMIN_PASSWORD", name);
      }
    } catch (SQLException | IOException e) {
      throw new StartupException("creating the first admin failed: " + e.getMessage(), e);
    }
  }

  /**
   * A password file already there (another database started with the same state directory)
   * keeps its password, which the new admin then shares, so the file stays true for both.
   */
  private static String generatedPassword(Path passwordFile) throws IOException {
    if (Files.exists(passwordFile)) {
      String kept = Files.readString(passwordFile).trim();
      if (!kept.isEmpty()) {
        LOG.info("{} already exists: the new admin gets the password it holds",
          passwordFile.toAbsolutePath());
        return kept;
      }
    }
    String secret = Secrets.random(18);
    Secrets.writePrivate(passwordFile, secret + "\n");
    return secret;
  }

  private static boolean hasAdmin(Connection conn) throws SQLException {
    try (PreparedStatement query =
           conn.prepareStatement("SELECT 1 FROM gateway.users WHERE role = 'admin' LIMIT 1");
         ResultSet rows = query.executeQuery()) {
      return rows.next();
    }
  }

  private static void insertAdmin(Connection conn, String username, String email, String hash)
      throws SQLException {
    try (PreparedStatement insert = conn.prepareStatement(
        "INSERT INTO gateway.users (username, email, password_hash, role) "
          + "VALUES (?, ?, ?, 'admin')")) {
      insert.setString(1, username);
      insert.setString(2, email);
      insert.setString(3, hash);
      insert.executeUpdate();
    }
  }
}
