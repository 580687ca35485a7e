package org.edm.imaging;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriter;
import org.edm.common.StartupException;

/**
 * Picks the ImageIO readers and writers we rely on. They register through
 * META-INF/services, which a fat jar loses unless it merges those files; then JPEG silently
 * falls back to the JDK reader (no CMYK) and WebP is unreadable, so start-up checks them.
 */
final class ImageCodecs {

  private static final String TWELVE_MONKEYS = "com.twelvemonkeys.";

  private ImageCodecs() {
  }

  /** Fails start-up naming every reader or writer that is missing. */
  static void check() {
    ImageIO.setUseCache(false); // everything is in memory; no temporary files
    List<String> missing = new ArrayList<>();
    for (ImageFormat format : ImageFormat.values()) {
      if (findReader(format) == null) {
        missing.add(format.ioName + " reader" + (twelveMonkeys(format) ? " (TwelveMonkeys)" : ""));
      }
    }
    for (ImageFormat format : List.of(ImageFormat.JPEG, ImageFormat.PNG, ImageFormat.GIF)) {
      if (!ImageIO.getImageWritersByFormatName(format.ioName).hasNext()) {
        missing.add(format.ioName + " writer");
      }
    }
    if (!missing.isEmpty()) {
      throw new StartupException("ImageIO plugins missing: " + String.join(", ", missing)
        + "; a fat jar must merge META-INF/services");
    }
  }

  private static boolean twelveMonkeys(ImageFormat format) {
    return format == ImageFormat.JPEG || format == ImageFormat.WEBP;
  }

  private static ImageReader findReader(ImageFormat format) {
    Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.ioName);
    while (readers.hasNext()) {
      ImageReader reader = readers.next();
      if (!twelveMonkeys(format) || reader.getClass().getName().startsWith(TWELVE_MONKEYS)) {
        return reader;
      }
    }
    return null;
  }

  /** A fresh reader for the format; readers are not thread-safe. */
  static ImageReader reader(ImageFormat format) {
    ImageReader reader = findReader(format);
    if (reader == null) {
      throw new IllegalStateException("no ImageIO reader for " + format.ioName);
    }
    return reader;
  }

  static ImageWriter writer(ImageFormat format) {
    Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName(format.ioName);
    if (!writers.hasNext()) {
      throw new IllegalStateException("no ImageIO writer for " + format.ioName);
    }
    return writers.next();
  }
}
