package org.edm.common;

import io.vertx.pgclient.PgConnectOptions;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** A PostgreSQL location, postgresql://user:pass@host:port/db, for both the reactive client
 *  and JDBC (used only by Flyway and database creation at start). */
public record PgUrl(String host, int port, String database, String user, String password) {

  public static PgUrl parse(String key, String text) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw malformed(key, text);
    }
    String scheme = uri.getScheme();
    if (!"postgresql".equals(scheme) && !"postgres".equals(scheme)) {
      throw malformed(key, text);
    }
    String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
    if (uri.getHost() == null || path.isEmpty() || path.contains("/")) {
      throw malformed(key, text);
    }
    String user = "postgres";
    String password = "";
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
      password = colon < 0 ? "" : decode(userInfo.substring(colon + 1));
    }
    int port = uri.getPort() < 0 ? 5432 : uri.getPort();
    return new PgUrl(uri.getHost(), port, path, user, password);
  }

  private static ConfigException malformed(String key, String text) {
    String shown = text.replaceAll("//([^:@/]*):[^@/]*@", "//$1:***@");
    return new ConfigException(ConfigLoader.describe(key)
      + " must look like postgresql://user:pass@host:port/db, got '" + shown + "'");
  }

  private static String decode(String text) {
    return URLDecoder.decode(text, StandardCharsets.UTF_8);
  }

  public PgConnectOptions connectOptions() {
    return new PgConnectOptions()
      .setHost(host)
      .setPort(port)
      .setDatabase(database)
      .setUser(user)
      .setPassword(password)
      .setCachePreparedStatements(true)
      .setPipeliningLimit(16);
  }

  public String jdbcUrl(String db) {
    return "jdbc:postgresql://" + host + ":" + port + "/" + db;
  }

  public PgUrl withDatabase(String db) {
    return new PgUrl(host, port, db, user, password);
  }

  /** Where it points, without the password, for logs and error messages. */
  public String where() {
    return user + "@" + host + ":" + port + "/" + database;
  }
}
