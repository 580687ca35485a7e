package org.edm.gateway;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.JWTAuthHandler;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.edm.common.BusErrors;
import org.edm.common.Caller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an authenticated /api/ route runs before its own handler: the login token, then the
 * user's row as it is now, so a deactivated or demoted user loses access at once rather than
 * when the token expires. Each route gets its own chain, so that a request matches one route:
 * its path is the metrics label, and a wrong method is a 405 before any body is read. JSON
 * routes read their body before the token, the order vertx-web requires on one route.
 */
final class ApiAccess {

  /** The routing-context key of the {@link Caller} the user check found. */
  static final String CALLER = "edm.caller";

  private static final Logger LOG = LoggerFactory.getLogger(ApiAccess.class);

  private final Pool pool;
  private final JWTAuthHandler token;
  private final BodyHandler body;

  ApiAccess(Pool pool, JWTAuth jwt, int bodyLimit) {
    this.pool = pool;
    this.token = JWTAuthHandler.create(jwt);
    this.body = BodyHandler.create(false).setBodyLimit(bodyLimit);
  }

  /** A route for a JSON request of a logged-in user. */
  Route json(Router router, HttpMethod method, String path) {
    return guard(open(router, method, path));
  }

  /** A JSON route that needs no login. */
  Route open(Router router, HttpMethod method, String path) {
    return router.route(method, path)
      .handler(GatewayVerticle.JSON_BODY)
      .handler(body);
  }

  /** Adds the token and user checks to a route, ahead of its own handlers. */
  Route guard(Route route) {
    return route.handler(token).handler(this::checkUser);
  }

  /**
   * One lookup by primary key per API request: API traffic is low and an answer must follow
   * the row. The body waits until the check is done, as the token check lets it.
   */
  private void checkUser(RoutingContext ctx) {
    long id;
    try {
      id = Long.parseLong(ctx.user().principal().getString("sub"));
    } catch (NumberFormatException e) {
      // Signed with our secret but not by our login: not a user we know.
      ctx.fail(401);
      return;
    }
    HttpServerRequest request = ctx.request();
    if (!request.isEnded()) {
      request.pause();
    }
    currentCaller(id).onComplete(checked -> {
      if (!request.isEnded()) {
        request.resume();
      }
      if (checked.failed()) {
        ctx.fail(checked.cause());
        return;
      }
      ctx.put(CALLER, checked.result());
      ctx.next();
    });
  }

  private Future<Caller> currentCaller(long id) {
    return pool.preparedQuery("SELECT role, active FROM gateway.users WHERE id = $1")
      .execute(Tuple.of(id))
      .recover(err -> {
        LOG.warn("checking user {} failed: {}", id, err.toString());
        return BusErrors.fail(503, "cannot check the account now; try again shortly");
      })
      .compose(rows -> {
        Row user = rows.size() == 0 ? null : rows.iterator().next();
        if (user == null) {
          return BusErrors.forbidden("this account no longer exists");
        }
        if (!user.getBoolean("active")) {
          return BusErrors.forbidden("this account is inactive");
        }
        return Future.succeededFuture(new Caller(id, user.getString("role")));
      });
  }

  /** The caller the user check found; only routes made by guard have one. */
  static Caller caller(RoutingContext ctx) {
    Caller caller = ctx.get(CALLER);
    if (caller == null) {
      throw new IllegalStateException("no user check on " + ctx.request().path());
    }
    return caller;
  }
}
