package org.edm.imaging;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.edm.common.BusErrors;
import org.edm.common.BusService;
import org.edm.common.Caller;
import org.edm.common.Database;
import org.edm.common.Settings;
import org.edm.common.StartupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Image uploads: validation, re-encoding, thumbnails and the image store. Deployed as a
 * worker verticle, so decoding and encoding run on worker threads, never on an event loop,
 * and each instance works on one upload at a time.
 */
public class ImagingVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ImagingVerticle.class);
  private static final int MAX_NAME = 255;
  private static final int MAX_PAGE_SIZE = 100;

  private ImagingConfig settings;
  private ImageProcessor processor;
  private ImageStore store;
  private Pool pool;

  @Override
  public Future<?> start() {
    settings = ImagingConfig.from(new Settings(config()));
    ImageCodecs.check();
    try {
      Files.createDirectories(settings.uploadPath());
    } catch (IOException e) {
      throw new StartupException("cannot create the image store at " + settings.uploadPath()
        + " (imaging.uploadPath, IMAGE_UPLOAD_PATH): " + e.getMessage(), e);
    }
    processor = new ImageProcessor(settings.limits());
    pool = Database.pool(vertx, settings.pg(), "imaging", settings.pgPoolSize());
    store = new ImageStore(pool, settings);
    LOG.debug("image store at {}", settings.uploadPath());

    return Future.all(List.of(
      BusService.serve(vertx, ImagingAddresses.UPLOAD, this::upload),
      BusService.serve(vertx, ImagingAddresses.LIST, this::list),
      BusService.serve(vertx, ImagingAddresses.GET, this::get),
      BusService.serve(vertx, ImagingAddresses.DELETE, this::delete),
      BusService.serve(vertx, ImagingAddresses.HEALTH, this::health)));
  }

  @Override
  public Future<?> stop() {
    return pool.close();
  }

  private Future<JsonObject> upload(Message<Buffer> message) {
    Caller caller = Caller.from(message.headers());
    if (!caller.canWrite()) {
      return BusErrors.forbidden("read-only users cannot upload images");
    }
    if (message.body() == null) {
      return BusErrors.fail(422, "the file is empty");
    }
    byte[] data = message.body().getBytes();
    String name = cleanName(message.headers().get(ImagingAddresses.NAME_HEADER));
    long started = System.nanoTime();
    ImageProcessor.Result result = processor.process(data);
    LOG.debug("processed {} bytes of {} {}x{} in {} ms (subsampling {})", data.length,
      result.source(), result.sourceWidth(), result.sourceHeight(),
      (System.nanoTime() - started) / 1_000_000, result.subsampling());
    return store.save(caller, name, data, result);
  }

  /** The name as shown back: no directories, no control characters, at most 255 chars. */
  static String cleanName(String name) {
    if (name == null) {
      return "";
    }
    String base = name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
    String clean = base.replaceAll("\\p{Cntrl}", "").trim();
    return clean.length() > MAX_NAME ? clean.substring(0, MAX_NAME) : clean;
  }

  private Future<JsonObject> list(Message<JsonObject> message) {
    Caller caller = Caller.from(message.headers());
    JsonObject body = message.body() == null ? new JsonObject() : message.body();
    int page = positive(body.getValue("page"), 1, Integer.MAX_VALUE / MAX_PAGE_SIZE, "page");
    int size = positive(body.getValue("size"), 20, MAX_PAGE_SIZE, "size");
    return store.list(caller, page, size);
  }

  private static int positive(Object value, int fallback, int max, String name) {
    if (value == null || value.toString().isBlank()) {
      return fallback;
    }
    try {
      int number = Integer.parseInt(value.toString().trim());
      if (number >= 1 && number <= max) {
        return number;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw BusErrors.of(400, name + " must be a whole number from 1 to " + max + ", got '"
      + value + "'");
  }

  private Future<JsonObject> get(Message<JsonObject> message) {
    Caller caller = Caller.from(message.headers());
    return store.get(caller, id(message.body()));
  }

  private Future<JsonObject> delete(Message<JsonObject> message) {
    Caller caller = Caller.from(message.headers());
    if (!caller.canWrite()) {
      return BusErrors.forbidden("read-only users cannot delete images");
    }
    return store.delete(caller, id(message.body()));
  }

  private static long id(JsonObject body) {
    Object id = body == null ? null : body.getValue("id");
    try {
      long value = Long.parseLong(String.valueOf(id));
      if (value > 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw BusErrors.of(404, "no image " + id);
  }

  private Future<JsonObject> health(Message<JsonObject> message) {
    boolean writable = Files.isDirectory(settings.uploadPath())
      && Files.isWritable(settings.uploadPath());
    return pool.query("SELECT 1").execute().map("up").otherwise("down")
      .map(pg -> new JsonObject()
        .put("status", "up".equals(pg) && writable ? "up" : "down")
        .put("postgres", pg)
        .put("store", writable ? "up" : "down"));
  }
}
