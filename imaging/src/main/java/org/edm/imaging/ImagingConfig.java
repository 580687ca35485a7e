package org.edm.imaging;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.edm.common.ConfigException;
import org.edm.common.ConfigLoader;
import org.edm.common.PgUrl;
import org.edm.common.Settings;

/** The imaging settings, read and checked once. */
public record ImagingConfig(
    int instances,
    Path uploadPath,
    long maxSize,
    Set<ImageFormat> allowedTypes,
    int maxFiles,
    long maxPixels,
    int maxSide,
    int maxFrames,
    long maxAnimationPixels,
    int outputMaxSide,
    List<Integer> thumbnails,
    boolean cover,
    int jpegQuality,
    String publicDomain,
    PgUrl pg,
    int pgPoolSize) {

  public static ImagingConfig from(Settings settings) {
    return new ImagingConfig(
      settings.integer("imaging.instances", 1, 256),
      Path.of(settings.string("imaging.uploadPath")).toAbsolutePath().normalize(),
      settings.number("imaging.maxSize", 1, Integer.MAX_VALUE - 65_536),
      allowedTypes(settings),
      settings.integer("imaging.maxFiles", 1, 100),
      settings.number("imaging.maxPixels", 1, Integer.MAX_VALUE),
      settings.integer("imaging.maxSide", 1, 65_535),
      settings.integer("imaging.maxFrames", 1, 10_000),
      settings.number("imaging.maxAnimationPixels", 1, Long.MAX_VALUE),
      settings.integer("imaging.outputMaxSide", 16, 65_535),
      thumbnails(settings),
      mode(settings),
      settings.integer("imaging.jpegQuality", 1, 100),
      settings.string("publicDomain"),
      PgUrl.parse("pg.url", settings.string("pg.url")),
      settings.integer("pg.poolSize", 1, 1000));
  }

  private static Set<ImageFormat> allowedTypes(Settings settings) {
    Set<ImageFormat> formats = EnumSet.noneOf(ImageFormat.class);
    for (String name : settings.list("imaging.allowedTypes")) {
      ImageFormat format = ImageFormat.named(name);
      if (format == null) {
        throw new ConfigException(ConfigLoader.describe("imaging.allowedTypes")
          + ": unknown type '" + name + "', expected some of jpg, jpeg, png, gif, webp");
      }
      formats.add(format);
    }
    if (formats.isEmpty()) {
      throw new ConfigException(ConfigLoader.describe("imaging.allowedTypes") + " is empty");
    }
    return formats;
  }

  private static List<Integer> thumbnails(Settings settings) {
    List<Integer> sizes = new ArrayList<>();
    for (String item : settings.list("imaging.thumbnails")) {
      try {
        int size = Integer.parseInt(item);
        if (size < 8 || size > 4096) {
          throw new NumberFormatException();
        }
        sizes.add(size);
      } catch (NumberFormatException e) {
        throw new ConfigException("imaging.thumbnails must list sizes from 8 to 4096 px, got '"
          + item + "'");
      }
    }
    return sizes.stream().distinct().sorted().toList();
  }

  private static boolean mode(Settings settings) {
    String mode = settings.string("imaging.thumbnailMode");
    if (!mode.equals("fit") && !mode.equals("cover")) {
      throw new ConfigException("imaging.thumbnailMode must be fit or cover, got '" + mode + "'");
    }
    return mode.equals("cover");
  }

  /** What the processor needs, without the storage and database settings. */
  public ImageProcessor.Limits limits() {
    return new ImageProcessor.Limits(maxSize, allowedTypes, maxPixels, maxSide, maxFrames,
      maxAnimationPixels, outputMaxSide, thumbnails, cover, jpegQuality / 100f);
  }

  public String publicUrl(String relativePath) {
    return "https://" + publicDomain + "/uploads/" + relativePath;
  }
}
