package org.edm.imaging;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.edm.common.BusErrors;
import org.edm.common.Caller;

/**
 * Image rows in the imaging schema and their files under the upload path. A file is named
 * by the SHA-256 of its bytes, so the same output is stored once however often it is
 * uploaded, and a name never changes meaning (which lets it be cached forever). Writes of
 * files and rows, and deletes, hold one advisory lock so that a delete never removes a file
 * that an upload in another process has just decided to reuse. Blocking file work: call it
 * on a worker context.
 */
final class ImageStore {

  /** pg_advisory_xact_lock key of the image store ("edm-img"). */
  private static final long STORE_LOCK = 0x65646d2d696d67L;
  private static final String COLUMNS = "id, owner_id, original_name, source_type, "
    + "source_bytes, source_width, source_height, type, bytes, width, height, frames, "
    + "variants, created_at";

  private final Pool pool;
  private final ImagingConfig config;

  ImageStore(Pool pool, ImagingConfig config) {
    this.pool = pool;
    this.config = config;
  }

  Future<JsonObject> save(Caller caller, String name, byte[] source,
      ImageProcessor.Result result) {
    JsonArray variants = new JsonArray();
    List<String> files = new ArrayList<>();
    for (ImageProcessor.Variant variant : result.variants()) {
      String path = relativePath(variant);
      files.add(path);
      variants.add(new JsonObject().put("size", variant.size()).put("path", path)
        .put("type", variant.format().mimeType).put("width", variant.width())
        .put("height", variant.height()).put("bytes", variant.bytes().length));
    }
    ImageProcessor.Variant image = result.image();
    Tuple row = Tuple.of(caller.userId(), name, result.source().mimeType, source.length,
      sha256(source), result.sourceWidth(), result.sourceHeight(), image.format().mimeType)
      .addValue(image.bytes().length).addValue(image.width()).addValue(image.height())
      .addValue(result.frames()).addValue(files.get(0)).addValue(variants)
      .addArrayOfString(files.stream().distinct().toArray(String[]::new));
    return pool.withTransaction(conn -> lock(conn)
      .map(v -> writeFiles(result.variants(), files))
      .compose(v -> conn.preparedQuery("INSERT INTO imaging.images (owner_id, original_name, "
          + "source_type, source_bytes, source_sha256, source_width, source_height, type, "
          + "bytes, width, height, frames, path, variants, files) VALUES ($1, $2, $3, $4, $5, "
          + "$6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING " + COLUMNS)
        .execute(row)))
      .map(rows -> toJson(rows.iterator().next()));
  }

  Future<JsonObject> list(Caller caller, int page, int size) {
    Future<Long> total = pool.preparedQuery(
        "SELECT count(*) FROM imaging.images WHERE owner_id = $1")
      .execute(Tuple.of(caller.userId()))
      .map(rows -> rows.iterator().next().getLong(0));
    Future<JsonArray> images = pool.preparedQuery("SELECT " + COLUMNS
        + " FROM imaging.images WHERE owner_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3")
      .execute(Tuple.of(caller.userId(), size, (long) (page - 1) * size))
      .map(rows -> {
        JsonArray list = new JsonArray();
        rows.forEach(row -> list.add(toJson(row)));
        return list;
      });
    return Future.all(total, images).map(all -> new JsonObject()
      .put("images", images.result())
      .put("page", page)
      .put("size", size)
      .put("total", total.result()));
  }

  Future<JsonObject> get(Caller caller, long id) {
    return owned(caller, id).map(this::toJson);
  }

  /** The row when the caller may see it; 404 otherwise, so that ids reveal nothing. */
  private Future<Row> owned(Caller caller, long id) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM imaging.images WHERE id = $1")
      .execute(Tuple.of(id))
      .compose(rows -> {
        Row row = rows.size() == 0 ? null : rows.iterator().next();
        if (row == null || !(caller.isAdmin() || row.getLong("owner_id") == caller.userId())) {
          return BusErrors.notFound("no image " + id);
        }
        return Future.succeededFuture(row);
      });
  }

  Future<JsonObject> delete(Caller caller, long id) {
    return owned(caller, id)
      .compose(row -> pool.withTransaction(conn -> lock(conn)
        .compose(v -> conn.preparedQuery("DELETE FROM imaging.images WHERE id = $1 "
            + "RETURNING files").execute(Tuple.of(id)))
        .compose(rows -> conn.preparedQuery("SELECT f FROM unnest($1::text[]) AS f WHERE NOT "
            + "EXISTS (SELECT 1 FROM imaging.images WHERE files @> ARRAY[f])")
          .execute(Tuple.of(rows.iterator().next().getArrayOfStrings("files"))))
        .map(orphans -> {
          int removed = 0;
          for (Row orphan : orphans) {
            removed += deleteFile(orphan.getString(0)) ? 1 : 0;
          }
          return new JsonObject().put("id", id).put("deleted", true)
            .put("filesRemoved", removed);
        })));
  }

  private static Future<Void> lock(SqlConnection conn) {
    return conn.preparedQuery("SELECT pg_advisory_xact_lock($1)")
      .execute(Tuple.of(STORE_LOCK))
      .mapEmpty();
  }

  /** Content address: two hex digits of fan-out, then the whole hash and the extension. */
  private static String relativePath(ImageProcessor.Variant variant) {
    String hash = sha256(variant.bytes());
    return hash.substring(0, 2) + "/" + hash + "." + variant.format().extension;
  }

  private Void writeFiles(List<ImageProcessor.Variant> variants, List<String> paths) {
    for (int i = 0; i < variants.size(); i++) {
      byte[] bytes = variants.get(i).bytes();
      Path target = config.uploadPath().resolve(paths.get(i));
      try {
        if (Files.exists(target) && Files.size(target) == bytes.length) {
          continue; // the same bytes are stored already
        }
        Files.createDirectories(target.getParent());
        Path temp = target.resolveSibling("." + UUID.randomUUID() + ".tmp");
        Files.write(temp, bytes);
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + target, e);
      }
    }
    return null;
  }

  private boolean deleteFile(String relative) {
    try {
      return Files.deleteIfExists(config.uploadPath().resolve(relative));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + relative, e);
    }
  }

  private JsonObject toJson(Row row) {
    JsonArray variants = (JsonArray) row.getValue("variants");
    JsonObject image = variants.getJsonObject(0);
    JsonArray thumbnails = new JsonArray();
    for (int i = 1; i < variants.size(); i++) {
      JsonObject variant = variants.getJsonObject(i);
      thumbnails.add(new JsonObject()
        .put("size", variant.getInteger("size"))
        .put("url", config.publicUrl(variant.getString("path")))
        .put("type", variant.getString("type"))
        .put("width", variant.getInteger("width"))
        .put("height", variant.getInteger("height"))
        .put("bytes", variant.getLong("bytes")));
    }
    return new JsonObject()
      .put("id", row.getLong("id"))
      .put("name", row.getString("original_name"))
      .put("url", config.publicUrl(image.getString("path")))
      .put("type", row.getString("type"))
      .put("width", row.getInteger("width"))
      .put("height", row.getInteger("height"))
      .put("bytes", row.getLong("bytes"))
      .put("frames", row.getInteger("frames"))
      .put("animated", row.getInteger("frames") > 1)
      .put("thumbnails", thumbnails)
      .put("source", new JsonObject()
        .put("type", row.getString("source_type"))
        .put("width", row.getInteger("source_width"))
        .put("height", row.getInteger("source_height"))
        .put("bytes", row.getLong("source_bytes")))
      .put("created", row.getOffsetDateTime("created_at").toInstant().toString());
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}
