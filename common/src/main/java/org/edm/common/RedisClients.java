package org.edm.common;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;

/** Redis clients sized for the pixel rate: the client's defaults (a handful of connections
 *  and a small wait queue) reject commands under load. */
public final class RedisClients {

  private RedisClients() {
  }

  public static RedisOptions options(String url, int poolSize) {
    return new RedisOptions()
      .setConnectionString(url)
      .setMaxPoolSize(poolSize)
      .setMaxPoolWaiting(4096)
      .setMaxWaitingHandlers(65536);
  }

  public static Redis create(Vertx vertx, String url, int poolSize) {
    return Redis.createClient(vertx, options(url, poolSize));
  }

  /** The address without any password, for logs. */
  public static String where(String url) {
    return url.replaceAll("//([^:@/]*):[^@/]*@", "//$1:***@");
  }
}
