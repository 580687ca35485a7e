import java.awt.image.BufferedImage;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import javax.imageio.ImageIO;
import org.edm.imaging.ImageFormat;
import org.edm.imaging.ImageProcessor;

/**
 * By-hand benchmark of the imaging pipeline (see run.sh): makes test photos if missing, then
 * times ImageProcessor and reports images per second and peak heap. Arguments: the working
 * directory, the number of timed runs.
 */
public final class ImagingBench {

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int runs = Integer.parseInt(args[1]);
    Path photo12 = photo(dir.resolve("photo-12mp.jpg"), 4000, 3000);
    Path photo50 = photo(dir.resolve("photo-50mp.jpg"), 8660, 5773);
    byte[] data12 = Files.readAllBytes(photo12);

    // thumbnails only (the largest output is the 600 px thumbnail), as vipsthumbnail makes
    ImageProcessor thumbs = new ImageProcessor(limits(600));
    // a real upload: the served image (2400 px) and the three thumbnails
    ImageProcessor upload = new ImageProcessor(limits(2400));

    report("12MP -> 150,300,600 thumbnails", thumbs, data12, runs);
    report("12MP -> upload (2400 image + 3 thumbnails)", upload, data12, runs);
    report("50MP -> upload (2400 image + 3 thumbnails)", upload, Files.readAllBytes(photo50),
      Math.max(1, runs / 4));
  }

  private static ImageProcessor.Limits limits(int outputMaxSide) {
    return new ImageProcessor.Limits(200_000_000L, EnumSet.allOf(ImageFormat.class), 50_000_000,
      12_000, 500, 100_000_000, outputMaxSide, List.of(150, 300, 600), false, 0.85f);
  }

  private static void report(String what, ImageProcessor processor, byte[] data, int runs) {
    processor.process(data); // warm-up: JIT and class loading
    processor.process(data);
    System.gc();
    ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
    long started = System.nanoTime();
    int subsampling = 0;
    for (int i = 0; i < runs; i++) {
      subsampling = processor.process(data).subsampling();
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    long peak = ManagementFactory.getMemoryPoolMXBeans().stream()
      .filter(pool -> pool.getType() == MemoryType.HEAP)
      .mapToLong(pool -> pool.getPeakUsage().getUsed())
      .sum();
    System.out.printf(Locale.ROOT, "java  %-46s %6.2f images/s  %7.1f ms each  peak heap %5d MB"
        + "  (subsampling %d, %d runs)%n", what, runs / seconds, seconds * 1000 / runs,
      peak >> 20, subsampling, runs);
  }

  /** A photo-like JPEG: smooth colour gradients with fine grain, which JPEG keeps. */
  private static Path photo(Path file, int width, int height) throws Exception {
    if (Files.exists(file)) {
      return file;
    }
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Random random = new Random(42);
    int[] row = new int[width];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int grain = random.nextInt(24) - 12;
        int r = clamp(255 * x / width + grain);
        int g = clamp(255 * y / height + grain);
        int b = clamp(128 + (int) (100 * Math.sin((x + y) / 150.0)) + grain);
        row[x] = r << 16 | g << 8 | b;
      }
      image.setRGB(0, y, width, 1, row, 0, width);
    }
    ImageIO.write(image, "jpeg", new File(file.toString()));
    return file;
  }

  private static int clamp(int value) {
    return Math.max(0, Math.min(255, value));
  }
}
