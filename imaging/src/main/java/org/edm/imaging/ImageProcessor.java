package org.edm.imaging;

import io.vertx.core.eventbus.ReplyException;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.edm.common.BusErrors;

/**
 * Turns an uploaded file into what we serve: checks it (size, type by content, declared
 * dimensions before decoding), decodes it, turns it upright, converts it to sRGB and
 * re-encodes the image and each thumbnail as JPEG, PNG or animated GIF, the formats every
 * email client shows. Blocking and CPU-bound: run it on a worker thread. Failures the
 * uploader can fix are ReplyExceptions with the HTTP status (413, 415, 422).
 */
public final class ImageProcessor {

  /** What is accepted and what is made. */
  public record Limits(long maxSize, Set<ImageFormat> allowed, long maxPixels, int maxSide,
      int maxFrames, long maxAnimationPixels, int outputMaxSide, List<Integer> thumbnails,
      boolean cover, float quality) {
  }

  /** One output: the image itself (size 0) or a thumbnail of the given square size. */
  public record Variant(int size, ImageFormat format, byte[] bytes, int width, int height) {
  }

  /**
   * What came in and what was made; subsampling is the factor the source was decoded at
   * (1 when decoded whole).
   */
  public record Result(ImageFormat source, int sourceWidth, int sourceHeight, int frames,
      int subsampling, List<Variant> variants) {

    public Variant image() {
      return variants.get(0);
    }
  }

  /** Decoding never keeps fewer source pixels than twice the largest output, for quality. */
  private static final int QUALITY_GUARD = 2;

  private final Limits limits;

  public ImageProcessor(Limits limits) {
    this.limits = limits;
  }

  public Result process(byte[] data) {
    ImageFormat format = checkType(data);
    ImageReader reader = ImageCodecs.reader(format);
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
      reader.setInput(in, false, false);
      int width = reader.getWidth(0);
      int height = reader.getHeight(0);
      checkDimensions(width, height);
      Animation animation = animation(reader, format, data);
      if (animation != null) {
        return animated(reader, format, animation);
      }
      return still(reader, format, data, width, height);
    } catch (ReplyException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw BusErrors.of(422, "the file is not a readable "
        + format.ioName.toUpperCase(Locale.ROOT) + " image (corrupt or truncated)");
    } finally {
      reader.dispose();
    }
  }

  private ImageFormat checkType(byte[] data) {
    if (data.length == 0) {
      throw BusErrors.of(422, "the file is empty");
    }
    if (data.length > limits.maxSize()) {
      throw BusErrors.of(413, "the file is " + data.length + " bytes; the limit is "
        + limits.maxSize() + " bytes");
    }
    ImageFormat format = ImageFormat.detect(data);
    if (format == null || !limits.allowed().contains(format)) {
      throw BusErrors.of(415, "not an accepted image: the content must be "
        + limits.allowed().stream().map(f -> f.ioName.toUpperCase(Locale.ROOT))
          .collect(Collectors.joining(", ")) + " (the file name and declared type are ignored)");
    }
    return format;
  }

  private void checkDimensions(int width, int height) {
    if (width < 1 || height < 1 || width > limits.maxSide() || height > limits.maxSide()
        || (long) width * height > limits.maxPixels()) {
      throw BusErrors.of(422, "the image is " + width + "x" + height + " pixels; the limit is "
        + limits.maxSide() + " px a side and " + megapixels(limits.maxPixels())
        + " megapixels");
    }
  }

  private static String megapixels(long pixels) {
    return pixels % 1_000_000 == 0 ? Long.toString(pixels / 1_000_000)
      : String.format(Locale.ROOT, "%.1f", pixels / 1e6);
  }

  /** The frame layout when the file holds more than one frame, else null. */
  private Animation animation(ImageReader reader, ImageFormat format, byte[] data)
      throws IOException {
    Animation animation = null;
    if (format == ImageFormat.GIF) {
      // counting walks the frame headers and skips the pixel data; it stops at the limit
      int count = countGifFrames(reader);
      animation = count > 1 ? Animation.gif(reader, count) : null;
    } else if (format == ImageFormat.WEBP && hasChunk(data, "ANMF")) {
      animation = Animation.webp(data);
    }
    if (animation == null) {
      return null;
    }
    checkDimensions(animation.width, animation.height);
    int frames = animation.frames.size();
    if (frames > limits.maxFrames()
        || (long) animation.width * animation.height * frames > limits.maxAnimationPixels()) {
      throw BusErrors.of(422, "the animation has " + frames + " frames of " + animation.width
        + "x" + animation.height + "; the limit is " + limits.maxFrames() + " frames and "
        + megapixels(limits.maxAnimationPixels()) + " megapixels over all frames");
    }
    animation.checkFrames();
    return animation;
  }

  private int countGifFrames(ImageReader reader) throws IOException {
    int count = 1;
    while (count <= limits.maxFrames()) {
      try {
        reader.getWidth(count);
      } catch (IndexOutOfBoundsException e) {
        return count;
      }
      count++;
    }
    return count;
  }

  private Result still(ImageReader reader, ImageFormat format, byte[] data, int width,
      int height) throws IOException {
    int orientation = format == ImageFormat.JPEG ? ExifOrientation.of(data) : 1;
    List<int[]> targets = targets(width, height);
    int largest = Math.max(targets.get(0)[0], targets.get(0)[1]);
    int subsampling = Math.max(1, Math.max(width, height) / (largest * QUALITY_GUARD));
    BufferedImage decoded = decode(reader, subsampling);

    List<BufferedImage> scaled = new ArrayList<>();
    for (int[] target : targets) {
      scaled.add(Pixels.scale(source(decoded, scaled, target), target[0], target[1]));
    }
    decoded.flush();
    boolean transparent = Pixels.hasTransparency(scaled.get(0));
    ImageFormat output = transparent ? ImageFormat.PNG : opaqueOutput(format, data);
    List<Variant> variants = new ArrayList<>();
    for (int i = 0; i < scaled.size(); i++) {
      BufferedImage image = Pixels.toSrgb(scaled.get(i));
      if (i > 0 && limits.cover()) {
        image = Pixels.cropSquare(image);
      }
      image = Pixels.orient(transparent ? image : Pixels.withoutAlpha(image), orientation);
      byte[] bytes = output == ImageFormat.JPEG
        ? Encoders.jpeg(image, limits.quality()) : Encoders.png(image);
      variants.add(new Variant(i == 0 ? 0 : limits.thumbnails().get(i - 1), output, bytes,
        image.getWidth(), image.getHeight()));
    }
    boolean swap = orientation >= 5;
    return new Result(format, swap ? height : width, swap ? width : height, 1, subsampling,
      variants);
  }

  /** Width and height of the image, then of each thumbnail, before orientation. */
  private List<int[]> targets(int width, int height) {
    List<int[]> targets = new ArrayList<>();
    targets.add(Pixels.fit(width, height, limits.outputMaxSide()));
    for (int size : limits.thumbnails()) {
      targets.add(limits.cover() ? Pixels.cover(width, height, size)
        : Pixels.fit(width, height, size));
    }
    return targets;
  }

  /** The smallest image made so far that still has twice the pixels a side of the target. */
  private static BufferedImage source(BufferedImage decoded, List<BufferedImage> made,
      int[] target) {
    BufferedImage best = decoded;
    for (BufferedImage image : made) {
      if (image.getWidth() >= target[0] * QUALITY_GUARD
          && image.getHeight() >= target[1] * QUALITY_GUARD
          && image.getWidth() < best.getWidth()) {
        best = image;
      }
    }
    return best;
  }

  /**
   * Decodes the first image, every subsampling-th pixel of every subsampling-th row, so a
   * large photo never exists whole in memory when only smaller outputs are needed. A
   * truncated JPEG decodes with warnings only (the missing part grey), so those fail here.
   */
  private static BufferedImage decode(ImageReader reader, int subsampling) throws IOException {
    List<String> warnings = new ArrayList<>();
    reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
    ImageReadParam param = reader.getDefaultReadParam();
    param.setSourceSubsampling(subsampling, subsampling, 0, 0);
    BufferedImage image = reader.read(0, param);
    for (String warning : warnings) {
      String lower = warning.toLowerCase(Locale.ROOT);
      if (lower.contains("truncated") || lower.contains("premature end")) {
        throw new IOException("decoded with a fatal warning: " + warning);
      }
    }
    ColorSpace space = image.getColorModel().getColorSpace();
    return space.isCS_sRGB() || space.getType() == ColorSpace.TYPE_GRAY
      ? image : Pixels.toSrgb(image);
  }

  /** JPEG for photos; lossless sources stay lossless (PNG). */
  private static ImageFormat opaqueOutput(ImageFormat source, byte[] data) {
    return switch (source) {
      case JPEG -> ImageFormat.JPEG;
      case WEBP -> hasChunk(data, "VP8L") ? ImageFormat.PNG : ImageFormat.JPEG;
      default -> ImageFormat.PNG;
    };
  }

  /** Re-draws every frame whole and writes animated GIFs, the image and each thumbnail. */
  private Result animated(ImageReader reader, ImageFormat format, Animation animation)
      throws IOException {
    List<int[]> targets = targets(animation.width, animation.height);
    List<GifEncoder> encoders = new ArrayList<>();
    try {
      for (int i = 0; i < targets.size(); i++) {
        encoders.add(new GifEncoder(animation.loops));
      }
      animation.compose(reader, (canvas, delayMs) -> {
        for (int i = 0; i < targets.size(); i++) {
          BufferedImage frame = Pixels.scale(canvas, targets.get(i)[0], targets.get(i)[1]);
          if (i > 0 && limits.cover()) {
            frame = Pixels.cropSquare(frame);
          }
          encoders.get(i).add(frame, Math.round(delayMs / 10f));
        }
      });
      List<Variant> variants = new ArrayList<>();
      for (int i = 0; i < targets.size(); i++) {
        int[] target = targets.get(i);
        int side = Math.min(target[0], target[1]);
        boolean crop = i > 0 && limits.cover();
        variants.add(new Variant(i == 0 ? 0 : limits.thumbnails().get(i - 1), ImageFormat.GIF,
          encoders.get(i).finish(), crop ? side : target[0], crop ? side : target[1]));
      }
      return new Result(format, animation.width, animation.height, animation.frames.size(), 1,
        variants);
    } finally {
      encoders.forEach(GifEncoder::close);
    }
  }

  /** Whether a WebP file holds a chunk of this type at its top level. */
  static boolean hasChunk(byte[] data, String type) {
    byte[] wanted = type.getBytes(StandardCharsets.US_ASCII);
    int pos = 12;
    while (pos + 8 <= data.length) {
      if (ImageFormat.startsWith(data, pos, wanted[0] & 0xFF, wanted[1] & 0xFF,
          wanted[2] & 0xFF, wanted[3] & 0xFF)) {
        return true;
      }
      long size = (data[pos + 4] & 0xFFL) | (data[pos + 5] & 0xFFL) << 8
        | (data[pos + 6] & 0xFFL) << 16 | (data[pos + 7] & 0xFFL) << 24;
      pos += 8 + size + (size & 1);
      if (pos < 0) {
        return false;
      }
    }
    return false;
  }
}
