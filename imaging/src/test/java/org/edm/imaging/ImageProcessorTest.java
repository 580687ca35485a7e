package org.edm.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.edm.imaging.TestImages.BLUE;
import static org.edm.imaging.TestImages.RED;
import static org.edm.imaging.TestImages.near;
import static org.edm.imaging.TestImages.read;

import io.vertx.core.eventbus.ReplyException;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.edm.imaging.ImageProcessor.Limits;
import org.edm.imaging.ImageProcessor.Result;
import org.edm.imaging.ImageProcessor.Variant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ImageProcessorTest {

  private static final Limits DEFAULTS = new Limits(10_485_760, EnumSet.allOf(ImageFormat.class),
    50_000_000, 12_000, 500, 100_000_000, 2400, List.of(150, 300, 600), false, 0.85f);

  private final ImageProcessor processor = new ImageProcessor(DEFAULTS);

  @BeforeAll
  static void plugins() {
    ImageCodecs.check();
  }

  @Test
  void convertsACmykJpegToSrgbWithItsColoursIntact() {
    Result result = processor.process(TestImages.cmykJpeg(64, 32));

    Variant image = result.image();
    assertThat(image.format()).isEqualTo(ImageFormat.JPEG);
    BufferedImage pixels = read(image.bytes());
    assertThat(pixels.getColorModel().getNumComponents()).isEqualTo(3);
    assertThat(near(pixels.getRGB(8, 16), RED, 40)).as(hex(pixels.getRGB(8, 16))).isTrue();
    assertThat(near(pixels.getRGB(56, 16), BLUE, 40)).as(hex(pixels.getRGB(56, 16))).isTrue();
  }

  @Test
  void turnsAnExifRotatedPhotoUprightAndDropsTheExif() {
    // stored 40x20, left red and right blue; orientation 6 means "rotate 90 degrees clockwise"
    byte[] rotated = TestImages.withOrientation(TestImages.jpeg(TestImages.halves(40, 20)), 6);
    assertThat(ExifOrientation.of(rotated)).isEqualTo(6);

    Result result = processor.process(rotated);

    assertThat(result.sourceWidth()).isEqualTo(20);
    assertThat(result.sourceHeight()).isEqualTo(40);
    for (Variant variant : result.variants()) {
      BufferedImage pixels = read(variant.bytes());
      assertThat(pixels.getWidth()).isEqualTo(20);
      assertThat(pixels.getHeight()).isEqualTo(40);
      assertThat(near(pixels.getRGB(10, 5), RED, 40)).as(hex(pixels.getRGB(10, 5))).isTrue();
      assertThat(near(pixels.getRGB(10, 35), BLUE, 40)).as(hex(pixels.getRGB(10, 35))).isTrue();
      assertThat(ExifOrientation.of(variant.bytes())).isEqualTo(1);
      assertThat(new String(variant.bytes(), StandardCharsets.ISO_8859_1)).doesNotContain("Exif");
    }
  }

  @Test
  void appliesEveryExifOrientation() {
    // a 30x20 image with one red corner pixel block at the stored top left
    BufferedImage stored = new BufferedImage(30, 20, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = stored.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, 30, 20);
    g.setColor(Color.RED);
    g.fillRect(0, 0, 8, 8);
    g.dispose();
    // where the stored top left ends up, as a corner of the upright image
    String[] corners = {"", "top-left", "top-right", "bottom-right", "bottom-left", "top-left",
      "top-right", "bottom-right", "bottom-left"};
    for (int orientation = 1; orientation <= 8; orientation++) {
      byte[] file = TestImages.withOrientation(TestImages.jpeg(stored), orientation);
      BufferedImage upright = read(processor.process(file).image().bytes());
      assertThat(redCorner(upright)).as("orientation " + orientation)
        .isEqualTo(corners[orientation]);
    }
  }

  private static String redCorner(BufferedImage image) {
    int w = image.getWidth() - 1;
    int h = image.getHeight() - 1;
    if (near(image.getRGB(1, 1), RED, 60)) {
      return "top-left";
    }
    if (near(image.getRGB(w - 1, 1), RED, 60)) {
      return "top-right";
    }
    if (near(image.getRGB(w - 1, h - 1), RED, 60)) {
      return "bottom-right";
    }
    return near(image.getRGB(1, h - 1), RED, 60) ? "bottom-left" : "none";
  }

  @Test
  void keepsTheTransparencyOfAPalettePng() {
    Result result = processor.process(TestImages.palettePng(32));

    for (Variant variant : result.variants()) {
      assertThat(variant.format()).isEqualTo(ImageFormat.PNG);
      BufferedImage pixels = read(variant.bytes());
      assertThat(pixels.getRGB(0, 0) >>> 24).isZero();
      assertThat(pixels.getRGB(16, 16)).isEqualTo(0xFFFF0000);
    }
  }

  @Test
  void keepsEveryFrameOfAnAnimatedGif() throws IOException {
    Result result = processor.process(TestImages.animatedGif());

    assertThat(result.frames()).isEqualTo(3);
    for (Variant variant : result.variants()) {
      assertThat(variant.format()).isEqualTo(ImageFormat.GIF);
      assertThat(frameColours(variant.bytes())).containsExactly(0xFF0000, 0x00FF00, 0x0000FF);
    }
  }

  @Test
  void convertsWebpToFormatsEmailClientsShow() throws IOException {
    Result lossless = processor.process(TestImages.webp("lossless.webp"));
    assertThat(lossless.image().format()).isEqualTo(ImageFormat.PNG);
    BufferedImage alpha = read(lossless.image().bytes());
    assertThat(alpha.getRGB(4, 12)).isEqualTo(0xFFFF0000);
    assertThat(alpha.getRGB(28, 12) >>> 24).isBetween(120, 136);
    assertThat(alpha.getRGB(28, 12) & 0xFFFFFF).isEqualTo(BLUE);

    Result lossy = processor.process(TestImages.webp("lossy.webp"));
    assertThat(lossy.image().format()).isEqualTo(ImageFormat.JPEG);
    BufferedImage photo = read(lossy.image().bytes());
    assertThat(near(photo.getRGB(8, 24), RED, 40)).as(hex(photo.getRGB(8, 24))).isTrue();
    assertThat(near(photo.getRGB(56, 24), BLUE, 40)).as(hex(photo.getRGB(56, 24))).isTrue();

    Result animated = processor.process(TestImages.webp("animated.webp"));
    assertThat(animated.frames()).isEqualTo(3);
    assertThat(animated.image().format()).isEqualTo(ImageFormat.GIF);
    assertThat(frameColours(animated.image().bytes()))
      .containsExactly(0xFF0000, 0x00FF00, 0x0000FF);
  }

  @Test
  void refusesATruncatedJpeg() {
    assertStatus(() -> processor.process(TestImages.truncatedJpeg()), 422, "corrupt or truncated");
  }

  @Test
  void refusesAHugeDeclaredImageBeforeDecodingIt() {
    byte[] bomb = TestImages.pngDeclaring(65535, 65535);
    assertThat(bomb.length).isLessThan(100);
    long started = System.nanoTime();
    assertStatus(() -> processor.process(bomb), 422, "65535x65535");
    assertThat(System.nanoTime() - started).isLessThan(2_000_000_000L);
  }

  @Test
  void refusesWhatIsNotAnImageWhateverItIsCalled() {
    assertStatus(() -> processor.process(TestImages.svg()), 415, "not an accepted image");
    assertStatus(() -> processor.process(TestImages.html()), 415, "not an accepted image");
    assertStatus(() -> processor.process("#!/bin/sh\nrm -rf /\n".getBytes()), 415, "JPEG");
    assertStatus(() -> processor.process(new byte[0]), 422, "empty");
  }

  @Test
  void refusesTypesThatAreNotAllowed() {
    ImageProcessor jpegOnly = new ImageProcessor(new Limits(1000, EnumSet.of(ImageFormat.JPEG),
      50_000_000, 12_000, 500, 100_000_000, 2400, List.of(150), false, 0.85f));
    assertStatus(() -> jpegOnly.process(TestImages.palettePng(8)), 415, "JPEG");
  }

  @Test
  void acceptsAFileOfExactlyTheLimitAndNotAByteMore() {
    ImageProcessor small = new ImageProcessor(new Limits(2000, EnumSet.allOf(ImageFormat.class),
      50_000_000, 12_000, 500, 100_000_000, 2400, List.of(150), false, 0.85f));
    assertThat(small.process(TestImages.pngOfSize(2000)).image().width()).isEqualTo(16);
    assertStatus(() -> small.process(TestImages.pngOfSize(2001)), 413, "2000 bytes");
  }

  @Test
  void refusesAnimationsOverTheFrameLimit() {
    ImageProcessor twoFrames = new ImageProcessor(new Limits(1_000_000,
      EnumSet.allOf(ImageFormat.class), 50_000_000, 12_000, 2, 100_000_000, 2400, List.of(150),
      false, 0.85f));
    assertStatus(() -> twoFrames.process(TestImages.animatedGif()), 422, "frames");
  }

  @Test
  void decodesALargePhotoSubsampledWhenOnlySmallerOutputsAreNeeded() {
    ImageProcessor small = new ImageProcessor(new Limits(50_000_000,
      EnumSet.allOf(ImageFormat.class), 50_000_000, 12_000, 500, 100_000_000, 600,
      List.of(150, 300), false, 0.85f));
    BufferedImage photo = new BufferedImage(3600, 2400, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = photo.createGraphics();
    g.setPaint(new GradientPaint(0, 0, Color.RED, 3600, 0, Color.BLUE));
    g.fillRect(0, 0, 3600, 2400);
    g.dispose();

    Result result = small.process(TestImages.jpeg(photo));

    assertThat(result.subsampling()).isEqualTo(3);
    assertThat(result.sourceWidth()).isEqualTo(3600);
    assertThat(result.image().width()).isEqualTo(600);
    assertThat(result.image().height()).isEqualTo(400);
    assertThat(result.variants()).extracting(Variant::width).containsExactly(600, 150, 300);
    BufferedImage pixels = read(result.image().bytes());
    assertThat(near(pixels.getRGB(2, 200), RED, 40)).as(hex(pixels.getRGB(2, 200))).isTrue();
  }

  @Test
  void coversTheThumbnailSquareWhenConfiguredTo() {
    ImageProcessor cover = new ImageProcessor(new Limits(1_000_000,
      EnumSet.allOf(ImageFormat.class), 50_000_000, 12_000, 500, 100_000_000, 2400,
      List.of(150, 300), true, 0.85f));
    Result result = cover.process(TestImages.jpeg(TestImages.halves(800, 400)));
    assertThat(result.image().width()).isEqualTo(800);
    assertThat(result.variants().subList(1, 3)).allSatisfy(thumb -> {
      BufferedImage pixels = read(thumb.bytes());
      assertThat(pixels.getWidth()).isEqualTo(thumb.size()).isEqualTo(thumb.width());
      assertThat(pixels.getHeight()).isEqualTo(thumb.size());
    });
  }

  @Test
  void writesJpegFromAnImageWithAnAlphaChannel() {
    // ImageIO.write(argb, "jpeg", ...) returns false and writes nothing on Java 17
    BufferedImage argb = new BufferedImage(8, 8, BufferedImage.TYPE_INT_ARGB);
    assertThat(Encoders.jpeg(argb, 0.8f)).startsWith((byte) 0xFF, (byte) 0xD8);
  }

  private static List<Integer> frameColours(byte[] gif) throws IOException {
    ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(gif))) {
      reader.setInput(in);
      int count = reader.getNumImages(true);
      List<Integer> colours = new java.util.ArrayList<>();
      for (int i = 0; i < count; i++) {
        BufferedImage frame = reader.read(i);
        colours.add(frame.getRGB(frame.getWidth() / 2, frame.getHeight() / 2) & 0xFFFFFF);
      }
      return colours;
    } finally {
      reader.dispose();
    }
  }

  private static void assertStatus(Runnable action, int status, String text) {
    assertThatThrownBy(action::run)
      .isInstanceOfSatisfying(ReplyException.class, e -> {
        assertThat(e.failureCode()).isEqualTo(status);
        assertThat(e.getMessage()).contains(text);
      });
  }

  private static String hex(int argb) {
    return Integer.toHexString(argb);
  }
}
