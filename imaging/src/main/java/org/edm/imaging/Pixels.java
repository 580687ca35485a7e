package org.edm.imaging;

import java.awt.AlphaComposite;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorConvertOp;
import java.awt.image.DataBufferInt;

/** Pixel work on decoded images: sRGB, orientation, alpha and scaling. */
final class Pixels {

  private Pixels() {
  }

  /**
   * The image as 8-bit sRGB in an int raster (RGB, or ARGB when it has an alpha channel).
   * sRGB and grey images are copied as they are; other colour spaces (CMYK left unconverted,
   * ICC-profiled RGB such as Adobe RGB) are converted, as email clients assume sRGB.
   */
  static BufferedImage toSrgb(BufferedImage image) {
    boolean alpha = image.getColorModel().hasAlpha();
    int type = alpha ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB;
    if (image.getType() == type) {
      return image;
    }
    ColorSpace space = image.getColorModel().getColorSpace();
    BufferedImage out = new BufferedImage(image.getWidth(), image.getHeight(), type);
    if (space.isCS_sRGB() || space.getType() == ColorSpace.TYPE_GRAY) {
      Graphics2D g = out.createGraphics();
      g.setComposite(AlphaComposite.Src);
      g.drawImage(image, 0, 0, null);
      g.dispose();
      return out;
    }
    return new ColorConvertOp(null).filter(image, out);
  }

  /** Whether any pixel is not fully opaque. */
  static boolean hasTransparency(BufferedImage image) {
    if (!image.getColorModel().hasAlpha()) {
      return false;
    }
    for (int argb : ints(toSrgb(image))) {
      if (argb >>> 24 != 0xFF) {
        return true;
      }
    }
    return false;
  }

  static BufferedImage withoutAlpha(BufferedImage image) {
    if (image.getType() == BufferedImage.TYPE_INT_RGB) {
      return image;
    }
    BufferedImage out =
      new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
    int[] from = ints(toSrgb(image));
    int[] to = ints(out);
    for (int i = 0; i < from.length; i++) {
      to[i] = from[i] & 0xFFFFFF;
    }
    return out;
  }

  static int[] ints(BufferedImage image) {
    return ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
  }

  /** Turns an sRGB int image upright by its EXIF orientation (1-8). */
  static BufferedImage orient(BufferedImage image, int orientation) {
    if (orientation <= 1 || orientation > 8) {
      return image;
    }
    int w = image.getWidth();
    int h = image.getHeight();
    boolean swap = orientation >= 5;
    BufferedImage out = new BufferedImage(swap ? h : w, swap ? w : h, image.getType());
    int[] from = ints(image);
    int[] to = ints(out);
    int outWidth = out.getWidth();
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int dx;
        int dy;
        switch (orientation) {
          case 2 -> { dx = w - 1 - x; dy = y; }
          case 3 -> { dx = w - 1 - x; dy = h - 1 - y; }
          case 4 -> { dx = x; dy = h - 1 - y; }
          case 5 -> { dx = y; dy = x; }
          case 6 -> { dx = h - 1 - y; dy = x; }
          case 7 -> { dx = h - 1 - y; dy = w - 1 - x; }
          default -> { dx = y; dy = w - 1 - x; }
        }
        to[dy * outWidth + dx] = from[y * w + x];
      }
    }
    return out;
  }

  /**
   * Scales an sRGB int image down to width x height: halving steps with bilinear filtering
   * (each step averages 2x2 pixels), then one bilinear step to the exact size. Never scales up.
   */
  static BufferedImage scale(BufferedImage image, int width, int height) {
    if (width >= image.getWidth() && height >= image.getHeight()) {
      return image;
    }
    boolean alpha = image.getColorModel().hasAlpha();
    int work = alpha ? BufferedImage.TYPE_INT_ARGB_PRE : BufferedImage.TYPE_INT_RGB;
    BufferedImage current = image;
    int w = image.getWidth();
    int h = image.getHeight();
    do {
      w = Math.max(width, w / 2);
      h = Math.max(height, h / 2);
      current = draw(current, w, h, work);
    } while (w != width || h != height);
    return alpha ? draw(current, width, height, BufferedImage.TYPE_INT_ARGB) : current;
  }

  private static BufferedImage draw(BufferedImage image, int width, int height, int type) {
    BufferedImage out = new BufferedImage(width, height, type);
    Graphics2D g = out.createGraphics();
    g.setComposite(AlphaComposite.Src);
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION,
      RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
    g.drawImage(image, 0, 0, width, height, null);
    g.dispose();
    return out;
  }

  /** The centre square of an image. */
  static BufferedImage cropSquare(BufferedImage image) {
    int side = Math.min(image.getWidth(), image.getHeight());
    if (image.getWidth() == side && image.getHeight() == side) {
      return image;
    }
    int x = (image.getWidth() - side) / 2;
    int y = (image.getHeight() - side) / 2;
    BufferedImage out = new BufferedImage(side, side, image.getType());
    Graphics2D g = out.createGraphics();
    g.setComposite(AlphaComposite.Src);
    g.drawImage(image.getSubimage(x, y, side, side), 0, 0, null);
    g.dispose();
    return out;
  }

  /** Width and height of w x h fitted inside a square of side box, never enlarged. */
  static int[] fit(int w, int h, int box) {
    if (w <= box && h <= box) {
      return new int[] {w, h};
    }
    double scale = Math.min((double) box / w, (double) box / h);
    return new int[] {Math.max(1, (int) Math.round(w * scale)),
      Math.max(1, (int) Math.round(h * scale))};
  }

  /** Width and height of w x h scaled so that it covers a square of side box, never enlarged. */
  static int[] cover(int w, int h, int box) {
    int side = Math.min(w, h);
    if (side <= box) {
      return new int[] {w, h};
    }
    double scale = (double) box / side;
    return new int[] {Math.max(box, (int) Math.round(w * scale)),
      Math.max(box, (int) Math.round(h * scale))};
  }
}
