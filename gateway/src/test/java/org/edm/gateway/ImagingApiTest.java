package org.edm.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.edm.imaging.TestImages.BLUE;
import static org.edm.imaging.TestImages.RED;
import static org.edm.imaging.TestImages.near;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.multipart.MultipartForm;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.edm.imaging.TestImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Uploads over HTTP, end to end: every kind of file, the limits, the API and the serving. */
class ImagingApiTest {

  private static final int MAX_SIZE = 300_000;

  private static TestSystem system;
  private static Path store;
  private static String admin;
  private static String operator;
  private static String other;
  private static String reader;

  @BeforeAll
  static void start() throws IOException {
    store = Files.createTempDirectory("edm-images");
    system = TestSystem.start("imaging", Map.of(
      "IMAGE_UPLOAD_PATH", store.toString(),
      "IMAGE_MAX_SIZE", Integer.toString(MAX_SIZE),
      "PUBLIC_DOMAIN", "img.example.org"));
    admin = system.adminToken();
    system.createUser("ivy", "ivy-password", "operator", true);
    system.createUser("otto", "otto-password", "operator", true);
    system.createUser("rita", "rita-password", "read_only", true);
    operator = system.login("ivy", "ivy-password");
    other = system.login("otto", "otto-password");
    reader = system.login("rita", "rita-password");
  }

  @AfterAll
  static void stop() {
    system.close();
  }

  @Test
  void convertsACmykJpegAndServesItAsSrgb() {
    JsonObject image = uploaded(upload(operator, "image", "print.jpg",
      TestImages.cmykJpeg(64, 32)));

    assertThat(image.getString("type")).isEqualTo("image/jpeg");
    assertThat(image.getJsonObject("source").getString("type")).isEqualTo("image/jpeg");
    BufferedImage pixels = fetchImage(image.getString("url"), "image/jpeg");
    assertThat(near(pixels.getRGB(8, 16), RED, 40)).isTrue();
    assertThat(near(pixels.getRGB(56, 16), BLUE, 40)).isTrue();
  }

  @Test
  void turnsAPhonephotoUpright() {
    byte[] photo = TestImages.withOrientation(TestImages.jpeg(TestImages.halves(80, 40)), 6);
    JsonObject image = uploaded(upload(operator, "image", "phone.jpg", photo));

    assertThat(image.getInteger("width")).isEqualTo(40);
    assertThat(image.getInteger("height")).isEqualTo(80);
    BufferedImage pixels = fetchImage(image.getString("url"), "image/jpeg");
    assertThat(near(pixels.getRGB(20, 10), RED, 40)).isTrue();
    assertThat(near(pixels.getRGB(20, 70), BLUE, 40)).isTrue();
    JsonObject thumb = image.getJsonArray("thumbnails").getJsonObject(0);
    assertThat(fetchImage(thumb.getString("url"), "image/jpeg").getHeight()).isEqualTo(80);
  }

  @Test
  void answersTheImageWithItsThumbnailsAndServesThemCacheableAndInert() {
    JsonObject image = uploaded(upload(operator, "image", "logo.png", TestImages.palettePng(32)));

    assertThat(image.getLong("id")).isPositive();
    assertThat(image.getString("name")).isEqualTo("logo.png");
    assertThat(image.getString("url")).matches("https://img\\.example\\.org/uploads/"
      + "[0-9a-f]{2}/[0-9a-f]{64}\\.png");
    assertThat(image.getString("type")).isEqualTo("image/png");
    assertThat(image.getInteger("width")).isEqualTo(32);
    assertThat(image.getLong("bytes")).isPositive();
    JsonArray thumbnails = image.getJsonArray("thumbnails");
    assertThat(thumbnails).hasSize(3);
    assertThat(thumbnails.getJsonObject(0).getInteger("size")).isEqualTo(150);
    assertThat(thumbnails.getJsonObject(2).getInteger("size")).isEqualTo(600);
    assertThat(thumbnails.getJsonObject(0).getString("url")).endsWith(".png");

    HttpResponse<Buffer> served = get(path(image.getString("url")), null);
    assertThat(served.statusCode()).isEqualTo(200);
    assertThat(served.getHeader("Content-Type")).isEqualTo("image/png");
    assertThat(served.getHeader("Cache-Control")).contains("max-age=31536000")
      .contains("immutable");
    assertThat(served.getHeader("X-Content-Type-Options")).isEqualTo("nosniff");
    assertThat(served.getHeader("Content-Security-Policy")).contains("default-src 'none'");
    String etag = served.getHeader("ETag");
    assertThat(etag).isNotBlank();
    assertThat(served.body().length()).isEqualTo(image.getLong("bytes").intValue());
    BufferedImage pixels = TestImages.read(served.body().getBytes());
    assertThat(pixels.getRGB(0, 0) >>> 24).isZero();
    assertThat(pixels.getRGB(16, 16)).isEqualTo(0xFFFF0000);

    HttpResponse<Buffer> again = system.http.get(path(image.getString("url")))
      .putHeader("If-None-Match", etag).send().await();
    assertThat(again.statusCode()).isEqualTo(304);
    assertThat(get("/uploads/../../etc/passwd", null).statusCode()).isEqualTo(404);
    assertThat(get("/uploads/ab/abc.png", null).statusCode()).isEqualTo(404);
  }

  @Test
  void keepsGifsAnimatedAndConvertsWebp() {
    JsonObject gif = uploaded(upload(operator, "image", "banner.gif", TestImages.animatedGif()));
    assertThat(gif.getString("type")).isEqualTo("image/gif");
    assertThat(gif.getBoolean("animated")).isTrue();
    assertThat(gif.getInteger("frames")).isEqualTo(3);
    assertThat(gif.getJsonArray("thumbnails").getJsonObject(0).getString("url")).endsWith(".gif");

    JsonObject lossless = uploaded(upload(operator, "image", "a.webp",
      TestImages.webp("lossless.webp")));
    assertThat(lossless.getString("type")).isEqualTo("image/png");
    assertThat(lossless.getJsonObject("source").getString("type")).isEqualTo("image/webp");
    BufferedImage alpha = fetchImage(lossless.getString("url"), "image/png");
    assertThat(alpha.getRGB(28, 12) >>> 24).isBetween(120, 136);

    JsonObject lossy = uploaded(upload(operator, "image", "b.webp",
      TestImages.webp("lossy.webp")));
    assertThat(lossy.getString("type")).isEqualTo("image/jpeg");
    assertThat(near(fetchImage(lossy.getString("url"), "image/jpeg").getRGB(8, 24), RED, 40))
      .isTrue();

    JsonObject animated = uploaded(upload(operator, "image", "c.webp",
      TestImages.webp("animated.webp")));
    assertThat(animated.getString("type")).isEqualTo("image/gif");
    assertThat(animated.getInteger("frames")).isEqualTo(3);
    assertThat(animated.getString("url")).endsWith(".gif");
  }

  @Test
  void refusesWhatIsNotAnImageOrCannotBeReadAndLeavesNothingBehind() throws IOException {
    long rows = rows();
    long files = files();

    assertError(upload(operator, "image", "photo.jpg", TestImages.svg()), 415, "not an accepted");
    assertError(upload(operator, "image", "photo.png", TestImages.html()), 415, "not an accepted");
    assertError(upload(operator, "image", "empty.jpg", new byte[0]), 422, "empty");
    assertError(upload(operator, "image", "cut.jpg", TestImages.truncatedJpeg()), 422,
      "corrupt or truncated");
    assertError(upload(operator, "image", "bomb.png", TestImages.pngDeclaring(65535, 65535)),
      422, "65535x65535");

    assertThat(rows()).isEqualTo(rows);
    assertThat(files()).isEqualTo(files);
    HttpResponse<Buffer> health = get("/health", null);
    assertThat(health.statusCode()).as(health.bodyAsString()).isEqualTo(200);
  }

  @Test
  void acceptsAFileOfExactlyTheLimitAndRefusesOneByteMore() {
    JsonObject image = uploaded(upload(operator, "image", "exact.png",
      TestImages.pngOfSize(MAX_SIZE)));
    assertThat(image.getJsonObject("source").getLong("bytes")).isEqualTo(MAX_SIZE);

    assertError(upload(operator, "image", "over.png", TestImages.pngOfSize(MAX_SIZE + 1)), 413,
      MAX_SIZE + " bytes");
    byte[] huge = new byte[MAX_SIZE * 12];
    assertError(upload(operator, "image", "huge.png", huge), 413, "too large");
  }

  @Test
  void uploadsSeveralFilesEachWithItsOwnResult() {
    MultipartForm form = MultipartForm.create()
      .binaryFileUpload("images", "one.png", Buffer.buffer(TestImages.palettePng(16)),
        "image/png")
      .binaryFileUpload("images", "evil.jpg", Buffer.buffer(TestImages.html()), "image/jpeg")
      .binaryFileUpload("images", "two.jpg",
        Buffer.buffer(TestImages.jpeg(TestImages.halves(20, 10))), "image/jpeg");
    HttpResponse<Buffer> response = system.http.post("/image-api/upload")
      .bearerTokenAuthentication(operator).sendMultipartForm(form).await();

    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    JsonArray results = response.bodyAsJsonObject().getJsonObject("data")
      .getJsonArray("images");
    assertThat(results).hasSize(3);
    assertThat(results.getJsonObject(0).getBoolean("success")).isTrue();
    assertThat(results.getJsonObject(1).getBoolean("success")).isFalse();
    assertThat(results.getJsonObject(1).getInteger("status")).isEqualTo(415);
    assertThat(results.getJsonObject(2).getJsonObject("data").getString("type"))
      .isEqualTo("image/jpeg");
  }

  @Test
  void answersAMultipartBodyCutBeforeItsClosingBoundaryAtOnce() {
    String cut = "--zz\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\n"
      + "Content-Type: image/png\r\n\r\nabc";
    HttpResponse<Buffer> response = system.http.post("/api/images")
      .bearerTokenAuthentication(operator)
      .putHeader("Content-Type", "multipart/form-data; boundary=zz")
      .timeout(10_000)
      .sendBuffer(Buffer.buffer(cut)).await();
    assertError(response, 400, "closing boundary");
    assertThat(get("/health", null).statusCode()).isEqualTo(200);
  }

  @Test
  void requiresLoginAndWriteAccessToUpload() {
    assertError(upload(null, "image", "a.png", TestImages.palettePng(8)), 401, "authentication");
    assertError(upload(reader, "image", "a.png", TestImages.palettePng(8)), 403, "read-only");
    assertError(upload(operator, "file", "a.png", TestImages.palettePng(8)), 400, "field image");
  }

  @Test
  void keepsImagesToTheirOwnerAndRemovesFilesOnceNothingUsesThem() {
    // 400x300: the 600 thumbnail is the image itself, stored once; 150 and 300 are files
    byte[] bytes = TestImages.jpeg(TestImages.halves(400, 300));
    JsonObject mine = uploaded(upload(operator, "image", "shared.jpg", bytes));
    JsonObject theirs = uploaded(upload(other, "image", "same.jpg", bytes));
    String url = path(mine.getString("url"));
    assertThat(theirs.getString("url")).isEqualTo(mine.getString("url"));

    String id = mine.getLong("id").toString();
    assertThat(get("/api/images/" + id, operator).statusCode()).isEqualTo(200);
    assertThat(get("/api/images/" + id, admin).statusCode()).isEqualTo(200);
    assertError(get("/api/images/" + id, other), 404, "no image");
    assertError(delete("/api/images/" + id, other), 404, "no image");
    JsonObject page = get("/api/images?size=100", operator).bodyAsJsonObject()
      .getJsonObject("data");
    assertThat(page.getJsonArray("images").stream().map(o -> ((JsonObject) o).getLong("id")))
      .contains(mine.getLong("id")).doesNotContain(theirs.getLong("id"));
    assertThat(page.getLong("total")).isEqualTo(page.getJsonArray("images").size());
    assertError(get("/api/images?page=0", operator), 400, "page");

    assertThat(delete("/api/images/" + id, operator).statusCode()).isEqualTo(200);
    assertError(get("/api/images/" + id, operator), 404, "no image");
    assertThat(get(url, null).statusCode()).isEqualTo(200);
    String theirId = theirs.getLong("id").toString();
    JsonObject deleted = delete("/api/images/" + theirId, admin).bodyAsJsonObject()
      .getJsonObject("data");
    assertThat(deleted.getInteger("filesRemoved")).isEqualTo(3);
    assertThat(get(url, null).statusCode()).isEqualTo(404);
  }

  private static HttpResponse<Buffer> upload(String token, String field, String name,
      byte[] bytes) {
    MultipartForm form = MultipartForm.create()
      .binaryFileUpload(field, name, Buffer.buffer(bytes), "image/jpeg");
    var request = system.http.post("/api/images");
    if (token != null) {
      request.bearerTokenAuthentication(token);
    }
    return request.sendMultipartForm(form).await();
  }

  private static JsonObject uploaded(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return response.bodyAsJsonObject().getJsonObject("data");
  }

  private static BufferedImage fetchImage(String url, String type) {
    HttpResponse<Buffer> response = get(path(url), null);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Content-Type")).isEqualTo(type);
    return TestImages.read(response.body().getBytes());
  }

  private static String path(String url) {
    return URI.create(url).getRawPath();
  }

  private static HttpResponse<Buffer> get(String path, String token) {
    var request = system.http.get(path);
    if (token != null) {
      request.bearerTokenAuthentication(token);
    }
    return request.send().await();
  }

  private static HttpResponse<Buffer> delete(String path, String token) {
    return system.http.delete(path).bearerTokenAuthentication(token).send().await();
  }

  private static long rows() {
    return system.queryLong("SELECT count(*) FROM imaging.images");
  }

  private static long files() throws IOException {
    try (Stream<Path> paths = Files.walk(store)) {
      return paths.filter(Files::isRegularFile).count();
    }
  }

  private static void assertError(HttpResponse<Buffer> response, int status, String text) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.getBoolean("success")).isFalse();
    assertThat(body.getJsonObject("error").getString("message")).contains(text);
  }
}
