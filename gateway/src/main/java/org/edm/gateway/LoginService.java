package org.edm.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.edm.common.BusErrors;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;

/** Checks credentials against the users table and issues login tokens. */
final class LoginService {

  private final Vertx vertx;
  private final Pool pool;
  private final JWTAuth jwt;
  private final int tokenMinutes;
  private final BCryptPasswordEncoder encoder = new BCryptPasswordEncoder();
  // Compared against when the user does not exist, so both cases take as long.
  private final String decoyHash = encoder.encode(Secrets.random(16));

  LoginService(Vertx vertx, Pool pool, JWTAuth jwt, int tokenMinutes) {
    this.vertx = vertx;
    this.pool = pool;
    this.jwt = jwt;
    this.tokenMinutes = tokenMinutes;
  }

  /** {success, token, data: {id, username, email, role}} or a failure with its status. */
  Future<JsonObject> login(String usernameOrEmail, String password) {
    return findUser(usernameOrEmail)
      .compose(user -> checkPassword(user, password))
      .compose(user -> {
        if (!user.getBoolean("active")) {
          return BusErrors.forbidden("this account is inactive");
        }
        return Future.succeededFuture(answer(user));
      });
  }

  private Future<Row> findUser(String usernameOrEmail) {
    return pool.preparedQuery("""
        SELECT id, username, email, role, active, password_hash FROM gateway.users
        WHERE lower(username) = lower($1) OR lower(email) = lower($1)
        ORDER BY id LIMIT 1""")
      .execute(Tuple.of(usernameOrEmail))
      .map(rows -> rows.size() == 0 ? null : rows.iterator().next());
  }

  /** bcrypt is deliberately slow, so it runs on a worker thread. */
  private Future<Row> checkPassword(Row user, String password) {
    String hash = user == null ? decoyHash : user.getString("password_hash");
    return vertx.executeBlocking(() -> encoder.matches(password, hash), false)
      .compose(matches -> matches && user != null
        ? Future.succeededFuture(user)
        : BusErrors.fail(401, "wrong username or password"));
  }

  private JsonObject answer(Row user) {
    JsonObject claims = new JsonObject()
      .put("sub", user.getLong("id").toString())
      .put("role", user.getString("role"))
      .put("username", user.getString("username"));
    String token = jwt.generateToken(claims,
      new JWTOptions().setAlgorithm("HS256").setExpiresInMinutes(tokenMinutes));
    return new JsonObject()
      .put("success", true)
      .put("token", token)
      .put("data", new JsonObject()
        .put("id", user.getLong("id"))
        .put("username", user.getString("username"))
        .put("email", user.getString("email"))
        .put("role", user.getString("role")));
  }
}
