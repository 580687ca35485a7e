package org.edm.gateway;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.edm.common.BusErrors;
import org.edm.common.Caller;
import org.edm.common.Settings;
import org.edm.imaging.ImageFormat;
import org.edm.imaging.ImagingAddresses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The image paths: uploads (multipart, to the imaging concern as Buffers), the image API,
 * and GET /uploads/..., the content-addressed files served straight from the store.
 */
final class ImageRoutes {

  /** Per part: boundary, Content-Disposition with the file name, Content-Type. */
  private static final int FRAMING_PER_FILE = 4096;
  private static final int FRAMING = 16_384;
  private static final Pattern STORED =
    Pattern.compile("/uploads/([0-9a-f]{2})/(\\1[0-9a-f]{62})\\.(jpg|png|gif)");
  private static final Set<String> FIELDS = Set.of("image", "images");

  private static final AtomicLong IN_FLIGHT_BYTES = new AtomicLong();
  private static final long ABANDONED_AFTER_MS = 10 * 60_000;
  private static final Logger LOG = LoggerFactory.getLogger(ImageRoutes.class);
  /** Set once the body handler passed the request on, or once it was answered as cut off:
   *  whichever comes second does nothing. */
  private static final String BODY_READ = "edm.upload.bodyRead";

  private final Vertx vertx;
  private final ApiAccess api;
  private final long maxSize;
  private final int maxFiles;
  private final Path store;
  private final Path incoming;
  private final long inFlightBudget;
  private final String tooLarge;

  ImageRoutes(Vertx vertx, Settings settings, ApiAccess api) {
    this.vertx = vertx;
    this.api = api;
    this.maxSize = settings.number("imaging.maxSize", 1, Integer.MAX_VALUE - 65_536);
    this.maxFiles = settings.integer("imaging.maxFiles", 1, 100);
    this.store = Path.of(settings.string("imaging.uploadPath")).toAbsolutePath().normalize();
    this.incoming = incomingDirectory(settings);
    this.inFlightBudget = settings.number("imaging.inFlightBytes", 1, Long.MAX_VALUE);
    this.tooLarge = "the upload is too large: at most " + maxSize + " bytes an image and "
      + maxFiles + " images a request";
  }

  /** The routes of this class take no JSON body handler, which must not read uploads. */
  void mount(Router router) {
    BodyHandler multipart = BodyHandler.create(incoming.toString())
      .setBodyLimit(bodyLimit())
      .setDeleteUploadedFilesOnEnd(true)
      .setMergeFormAttributes(false);
    for (String path : List.of("/api/images", "/image-api/upload")) {
      // The token and the user are checked before a byte of the upload is read; both pause
      // the request meanwhile. vertx-web refuses a body handler after an authentication
      // handler on one route, so it is called from a handler of our own.
      api.guard(router.post(path))
        .handler(this::prepareUpload)
        .handler(multipart::handle)
        .handler(this::upload);
    }
    api.guard(router.get("/api/images")).handler(forward(ImagingAddresses.LIST,
      ctx -> new JsonObject().put("page", ctx.queryParams().get("page"))
        .put("size", ctx.queryParams().get("size"))));
    api.guard(router.get("/api/images/:id"))
      .handler(forward(ImagingAddresses.GET, ImageRoutes::idOnly));
    api.guard(router.delete("/api/images/:id"))
      .handler(forward(ImagingAddresses.DELETE, ImageRoutes::idOnly));
    router.route(HttpMethod.GET, "/uploads/*").handler(this::serve);
    router.route(HttpMethod.HEAD, "/uploads/*").handler(this::serve);
    vertx.setPeriodic(ABANDONED_AFTER_MS / 2, id -> sweepAbandonedUploads());
  }

  /** The body handler deletes the uploads of requests that complete; a request cut off
   *  midway leaves its part behind, so what is older than any upload can be goes. */
  private void sweepAbandonedUploads() {
    long cutoff = System.currentTimeMillis() - ABANDONED_AFTER_MS;
    vertx.executeBlocking(() -> {
      try (var files = java.nio.file.Files.list(incoming)) {
        files.filter(file -> file.toFile().lastModified() < cutoff)
          .forEach(file -> file.toFile().delete());
      }
      return null;
    }, false).onFailure(err -> LOG.debug("no abandoned uploads swept: {}", err.toString()));
  }

  /** Vert.x counts the multipart framing against the limit too, so it gets room of its own;
   *  the exact limit per file is checked on each file. */
  private long bodyLimit() {
    return maxFiles * (maxSize + FRAMING_PER_FILE) + FRAMING;
  }

  /** Where multipart bodies land until the imaging concern has them; emptied at start. */
  static Path incomingDirectory(Settings settings) {
    return Path.of(settings.string("stateDir"), "incoming").toAbsolutePath();
  }

  private void upload(RoutingContext ctx) {
    if (ctx.get(BODY_READ) != null) {
      return; // already answered as cut off
    }
    ctx.put(BODY_READ, true);
    List<FileUpload> files = ctx.fileUploads();
    boolean many = files.stream().anyMatch(file -> file.name().equals("images"));
    if (files.isEmpty() || files.stream().anyMatch(file -> !FIELDS.contains(file.name()))) {
      ctx.fail(BusErrors.of(400, "expected multipart/form-data with the file in field image, "
        + "or up to " + maxFiles + " files in field images"));
      return;
    }
    if (files.size() > (many ? maxFiles : 1)) {
      ctx.fail(BusErrors.of(400, many ? "at most " + maxFiles + " files an upload"
        : "field image takes one file; send several in field images"));
      return;
    }
    long bytes = files.stream().mapToLong(FileUpload::size).sum();
    if (!admit(bytes)) {
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "5");
      ctx.fail(BusErrors.of(503, "busy with other uploads; try again in a few seconds"));
      return;
    }
    ctx.addEndHandler(ended -> IN_FLIGHT_BYTES.addAndGet(-bytes));
    Caller caller = ApiAccess.caller(ctx);
    List<Future<JsonObject>> results = files.stream().map(file -> send(caller, file)).toList();
    if (!many) {
      results.get(0)
        .onSuccess(image -> json(ctx, 201, new JsonObject().put("success", true)
          .put("data", image)))
        .onFailure(ctx::fail);
      return;
    }
    Future.join(results).onComplete(done -> json(ctx, 200, new JsonObject()
      .put("success", true)
      .put("data", new JsonObject().put("images", eachResult(files, results)))));
  }

  /**
   * Uploads are held in memory while they are decoded, so the bytes in flight in this process
   * are bounded; one upload is always let through, whatever its size.
   */
  private boolean admit(long bytes) {
    while (true) {
      long current = IN_FLIGHT_BYTES.get();
      if (current > 0 && current + bytes > inFlightBudget) {
        return false;
      }
      if (IN_FLIGHT_BYTES.compareAndSet(current, current + bytes)) {
        return true;
      }
    }
  }

  private Future<JsonObject> send(Caller caller, FileUpload file) {
    if (file.size() > maxSize) {
      return BusErrors.fail(413, "the file is " + file.size() + " bytes; the limit is "
        + maxSize + " bytes an image");
    }
    DeliveryOptions delivery = caller.deliveryOptions()
      .addHeader(ImagingAddresses.NAME_HEADER, file.fileName() == null ? "" : file.fileName())
      .setSendTimeout(120_000);
    return vertx.fileSystem().readFile(file.uploadedFileName())
      .compose(bytes -> vertx.eventBus()
        .<JsonObject>request(ImagingAddresses.UPLOAD, bytes, delivery))
      .map(Message::body);
  }

  private static JsonArray eachResult(List<FileUpload> files, List<Future<JsonObject>> results) {
    JsonArray answers = new JsonArray();
    for (int i = 0; i < files.size(); i++) {
      Future<JsonObject> result = results.get(i);
      JsonObject answer = new JsonObject().put("file", files.get(i).fileName());
      if (result.succeeded()) {
        answers.add(answer.put("success", true).put("data", result.result()));
        continue;
      }
      boolean expected = result.cause() instanceof ReplyException reply
        && reply.failureCode() >= 400 && reply.failureCode() < 500;
      if (!expected) {
        LOG.error("uploading {} failed", files.get(i).fileName(), result.cause());
      }
      answers.add(answer.put("success", false)
        .put("status", expected ? ((ReplyException) result.cause()).failureCode() : 500)
        .put("error", new JsonObject().put("message",
          expected ? result.cause().getMessage() : "internal error")));
    }
    return answers;
  }

  /**
   * Ahead of the body handler: it refuses a body over its limit with a bare 413, so the
   * failure handler is given what the limit is (a failure handler on this route would match
   * again on failure and add the path to the metrics label twice); and a cut body is watched.
   */
  private void prepareUpload(RoutingContext ctx) {
    ctx.put(Forwarding.TOO_LARGE, tooLarge);
    watchForCutMultipart(ctx);
    ctx.next();
  }

  /**
   * vertx-web's body handler waits for every file part to end, so a body that ends inside a
   * part (no closing boundary) would hang until the idle timeout closed the connection
   * unanswered. Once the request has ended and the body handler has still not passed it on
   * two seconds later (its last file writes are done by then), the client hears what was
   * wrong.
   */
  private void watchForCutMultipart(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    int[] ticksSinceEnd = {0};
    long timer = vertx.setPeriodic(500, id -> {
      if (ctx.response().ended() || ctx.get(BODY_READ) != null) {
        vertx.cancelTimer(id);
      } else if (request.isEnded() && ++ticksSinceEnd[0] >= 4) {
        vertx.cancelTimer(id);
        ctx.put(BODY_READ, true);
        ctx.fail(BusErrors.of(400, "the multipart body ended without its closing boundary"));
      }
    });
    ctx.addEndHandler(done -> vertx.cancelTimer(timer));
  }

  private Handler<RoutingContext> forward(String address,
      Function<RoutingContext, JsonObject> build) {
    return Forwarding.forward(vertx, address, build);
  }

  private static JsonObject idOnly(RoutingContext ctx) {
    return new JsonObject().put("id", ctx.pathParam("id"));
  }

  /**
   * A stored file. Names are content hashes, so a name always means the same bytes: cached
   * for a year, the hash is the ETag. Only names the store makes are served, so no path can
   * leave the store; nosniff and a sandboxing policy keep a browser from running anything.
   */
  private void serve(RoutingContext ctx) {
    Matcher name = STORED.matcher(ctx.request().path());
    if (!name.matches()) {
      ctx.fail(404);
      return;
    }
    String file = store.resolve(name.group(1)).resolve(name.group(2) + "." + name.group(3))
      .toString();
    vertx.fileSystem().exists(file).onComplete(found -> {
      if (!found.succeeded() || !found.result()) {
        ctx.fail(404);
        return;
      }
      String etag = "\"" + name.group(2) + "\"";
      HttpServerResponse response = ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, mimeType(name.group(3)))
        .putHeader(HttpHeaders.CACHE_CONTROL, "public, max-age=31536000, immutable")
        .putHeader(HttpHeaders.ETAG, etag)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Content-Security-Policy", "default-src 'none'; sandbox")
        .putHeader("Cross-Origin-Resource-Policy", "cross-origin");
      String match = ctx.request().getHeader(HttpHeaders.IF_NONE_MATCH);
      if (match != null && (match.contains(etag) || match.trim().equals("*"))) {
        response.setStatusCode(304).end();
        return;
      }
      response.sendFile(file).onFailure(err -> ctx.response().reset());
    });
  }

  /** The store writes only the formats imaging outputs, named by their extension. */
  private static String mimeType(String extension) {
    return Arrays.stream(ImageFormat.values())
      .filter(format -> format.extension.equals(extension))
      .map(format -> format.mimeType)
      .findFirst()
      .orElse("application/octet-stream");
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    Forwarding.json(ctx, status, body);
  }
}
