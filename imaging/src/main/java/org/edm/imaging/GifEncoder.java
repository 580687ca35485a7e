package org.edm.imaging;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import javax.imageio.IIOImage;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOInvalidTreeException;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Writes an animated GIF one whole frame at a time. Each frame is the full canvas, disposed
 * to the background before the next, so no frame depends on what came before it. Colours
 * are reduced to a palette of 255 plus one transparent entry: exactly when a frame has that
 * few, else from a histogram of the most frequent colours.
 */
final class GifEncoder implements AutoCloseable {

  private static final String FORMAT = "javax_imageio_gif_image_1.0";
  private static final int TRANSPARENT = 255;

  private final ImageWriter writer = ImageCodecs.writer(ImageFormat.GIF);
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * 1024);
  private final ImageOutputStream out = new MemoryCacheImageOutputStream(bytes);
  private final int loops;
  private int frames;

  /** loops: 0 repeats forever, as browsers and mail clients expect of a looping GIF. */
  GifEncoder(int loops) throws IOException {
    this.loops = loops;
    writer.setOutput(out);
    writer.prepareWriteSequence(null);
  }

  /** Adds an sRGB ARGB frame shown for delay hundredths of a second. */
  void add(BufferedImage argb, int delay) throws IOException {
    BufferedImage indexed = quantize(argb);
    ImageWriteParam param = writer.getDefaultWriteParam();
    IIOMetadata metadata = writer.getDefaultImageMetadata(new ImageTypeSpecifier(indexed), param);
    IIOMetadataNode root = new IIOMetadataNode(FORMAT);
    IIOMetadataNode control = new IIOMetadataNode("GraphicControlExtension");
    control.setAttribute("disposalMethod", "restoreToBackgroundColor");
    control.setAttribute("userInputFlag", "FALSE");
    control.setAttribute("transparentColorFlag", "TRUE");
    control.setAttribute("delayTime", Integer.toString(Math.max(0, Math.min(65_535, delay))));
    control.setAttribute("transparentColorIndex", Integer.toString(TRANSPARENT));
    root.appendChild(control);
    if (frames == 0) {
      IIOMetadataNode extensions = new IIOMetadataNode("ApplicationExtensions");
      IIOMetadataNode netscape = new IIOMetadataNode("ApplicationExtension");
      netscape.setAttribute("applicationID", "NETSCAPE");
      netscape.setAttribute("authenticationCode", "2.0");
      netscape.setUserObject(new byte[] {1, (byte) (loops & 0xFF), (byte) (loops >> 8 & 0xFF)});
      extensions.appendChild(netscape);
      root.appendChild(extensions);
    }
    try {
      metadata.mergeTree(FORMAT, root);
    } catch (IIOInvalidTreeException e) {
      throw new IOException("GIF metadata refused: " + e.getMessage(), e);
    }
    writer.writeToSequence(new IIOImage(indexed, null, metadata), param);
    frames++;
  }

  byte[] finish() throws IOException {
    writer.endWriteSequence();
    out.flush();
    if (frames == 0 || bytes.size() == 0) {
      throw new IOException("GIF writer wrote nothing");
    }
    return bytes.toByteArray();
  }

  @Override
  public void close() {
    writer.dispose();
    try {
      out.close();
    } catch (IOException e) {
      // memory only: nothing to release
    }
  }

  /** Pixels with alpha under half are transparent; the others get the nearest palette entry. */
  static BufferedImage quantize(BufferedImage argb) {
    int[] pixels = Pixels.ints(Pixels.toSrgb(argb));
    boolean alpha = argb.getColorModel().hasAlpha();
    int[] exact = exactPalette(pixels, alpha);
    int[] palette = exact != null ? exact : popularPalette(pixels, alpha);
    byte[] r = new byte[256];
    byte[] g = new byte[256];
    byte[] b = new byte[256];
    for (int i = 0; i < palette.length; i++) {
      r[i] = (byte) (palette[i] >> 16);
      g[i] = (byte) (palette[i] >> 8);
      b[i] = (byte) palette[i];
    }
    IndexColorModel model = new IndexColorModel(8, 256, r, g, b, TRANSPARENT);
    BufferedImage out = new BufferedImage(argb.getWidth(), argb.getHeight(),
      BufferedImage.TYPE_BYTE_INDEXED, model);
    byte[] indices = ((DataBufferByte) out.getRaster().getDataBuffer()).getData();
    Map<Integer, Integer> nearest = new HashMap<>();
    for (int i = 0; i < pixels.length; i++) {
      int pixel = pixels[i];
      indices[i] = (byte) (alpha && pixel >>> 24 < 128 ? TRANSPARENT
        : nearest.computeIfAbsent(pixel & 0xFFFFFF, rgb -> closest(palette, rgb)));
    }
    return out;
  }

  private static int[] exactPalette(int[] pixels, boolean alpha) {
    Map<Integer, Boolean> seen = new HashMap<>();
    for (int pixel : pixels) {
      if (alpha && pixel >>> 24 < 128) {
        continue;
      }
      if (seen.put(pixel & 0xFFFFFF, Boolean.TRUE) == null && seen.size() > TRANSPARENT) {
        return null;
      }
    }
    return seen.keySet().stream().mapToInt(Integer::intValue).toArray();
  }

  /** The 255 most frequent colours at 5 bits a channel, each the mean of what it stands for. */
  private static int[] popularPalette(int[] pixels, boolean alpha) {
    long[] count = new long[32768];
    long[][] sums = new long[32768][3];
    for (int pixel : pixels) {
      if (alpha && pixel >>> 24 < 128) {
        continue;
      }
      int key = (pixel >> 9 & 0x7C00) | (pixel >> 6 & 0x3E0) | (pixel >> 3 & 0x1F);
      count[key]++;
      sums[key][0] += pixel >> 16 & 0xFF;
      sums[key][1] += pixel >> 8 & 0xFF;
      sums[key][2] += pixel & 0xFF;
    }
    Integer[] keys = new Integer[count.length];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = i;
    }
    Arrays.sort(keys, (a, c) -> Long.compare(count[c], count[a]));
    int[] palette = new int[TRANSPARENT];
    int used = 0;
    for (int i = 0; i < keys.length && used < palette.length && count[keys[i]] > 0; i++) {
      long n = count[keys[i]];
      long[] sum = sums[keys[i]];
      palette[used++] = (int) (sum[0] / n) << 16 | (int) (sum[1] / n) << 8 | (int) (sum[2] / n);
    }
    return Arrays.copyOf(palette, Math.max(1, used));
  }

  private static int closest(int[] palette, int rgb) {
    int best = 0;
    int bestDistance = Integer.MAX_VALUE;
    for (int i = 0; i < palette.length; i++) {
      int dr = (palette[i] >> 16 & 0xFF) - (rgb >> 16 & 0xFF);
      int dg = (palette[i] >> 8 & 0xFF) - (rgb >> 8 & 0xFF);
      int db = (palette[i] & 0xFF) - (rgb & 0xFF);
      int distance = 2 * dr * dr + 4 * dg * dg + 3 * db * db;
      if (distance < bestDistance) {
        best = i;
        bestDistance = distance;
      }
    }
    return best;
  }
}
