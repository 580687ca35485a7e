package org.edm.imaging;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/** Every test image, made here (or, for WebP, read from files made once; see webp/README). */
public final class TestImages {

  public static final int RED = 0xFF0000;
  public static final int BLUE = 0x0000FF;

  private TestImages() {
  }

  /** An opaque image, left half red and right half blue. */
  public static BufferedImage halves(int width, int height) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(new Color(RED));
    g.fillRect(0, 0, width / 2, height);
    g.setColor(new Color(BLUE));
    g.fillRect(width / 2, 0, width - width / 2, height);
    g.dispose();
    return image;
  }

  /** Random pixels: a photo's worth of detail, which JPEG cannot compress much. */
  public static BufferedImage noise(int width, int height, long seed) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Random random = new Random(seed);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, random.nextInt());
      }
    }
    return image;
  }

  public static byte[] jpeg(BufferedImage image) {
    return write(image, "jpeg");
  }

  public static byte[] png(BufferedImage image) {
    return write(image, "png");
  }

  private static byte[] write(BufferedImage image, String format) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, format, out)) {
        throw new IllegalStateException("no " + format + " writer for this image");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** A JPEG with an Exif APP1 segment holding only the orientation tag. */
  public static byte[] withOrientation(byte[] jpeg, int orientation) {
    ByteBuffer tiff = ByteBuffer.allocate(26);
    tiff.put((byte) 'M').put((byte) 'M').putShort((short) 42).putInt(8)
      .putShort((short) 1)
      .putShort((short) 0x0112).putShort((short) 3).putInt(1)
      .putShort((short) orientation).putShort((short) 0)
      .putInt(0);
    byte[] exif = "Exif\0\0".getBytes(StandardCharsets.ISO_8859_1);
    int length = 2 + exif.length + tiff.capacity();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, 2);
    out.write(0xFF);
    out.write(0xE1);
    out.write(length >> 8);
    out.write(length & 0xFF);
    out.writeBytes(exif);
    out.writeBytes(tiff.array());
    out.write(jpeg, 2, jpeg.length - 2);
    return out.toByteArray();
  }

  /**
   * A CMYK JPEG as Photoshop writes them: four components, stored inverted, with an Adobe
   * APP14 segment (transform 0). Left half is pure red ink (M+Y), right half blue (C+M).
   */
  public static byte[] cmykJpeg(int width, int height) {
    WritableRaster raster =
      Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, width, height, 4, null);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int[] cmyk = x < width / 2 ? new int[] {0, 255, 255, 0} : new int[] {255, 255, 0, 0};
        for (int i = 0; i < 4; i++) {
          cmyk[i] = 255 - cmyk[i];
        }
        raster.setPixel(x, y, cmyk);
      }
    }
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    try (ImageOutputStream out = ImageIO.createImageOutputStream(raw)) {
      writer.setOutput(out);
      writer.write(null, new IIOImage(raster, null, null), writer.getDefaultWriteParam());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    byte[] bytes = raw.toByteArray();
    byte[] adobe = {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0,
      0, 0};
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(bytes, 0, 2);
    out.writeBytes(adobe);
    out.write(bytes, 2, bytes.length - 2);
    return out.toByteArray();
  }

  /** A palette PNG: a transparent border 4 px wide around an opaque red square. */
  public static byte[] palettePng(int size) {
    byte[] r = {0, (byte) 255};
    byte[] g = {0, 0};
    byte[] b = {0, 0};
    byte[] a = {0, (byte) 255};
    IndexColorModel model = new IndexColorModel(1, 2, r, g, b, a);
    BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_BINARY, model);
    WritableRaster raster = image.getRaster();
    for (int y = 4; y < size - 4; y++) {
      for (int x = 4; x < size - 4; x++) {
        raster.setSample(x, y, 0, 1);
      }
    }
    return png(image);
  }

  /** An animated GIF of 40x30: red, green, blue frames of 100 ms each, looping forever. */
  public static byte[] animatedGif() {
    int[] colours = {0xFFFF0000, 0xFF00FF00, 0xFF0000FF};
    try (GifEncoder encoder = new GifEncoder(0)) {
      for (int colour : colours) {
        BufferedImage frame = new BufferedImage(40, 30, BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = frame.createGraphics();
        g.setColor(new Color(colour, true));
        g.fillRect(0, 0, 40, 30);
        g.dispose();
        encoder.add(frame, 10);
      }
      return encoder.finish();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The first part of a valid JPEG of noise: decoders see a file that stops mid-scan. */
  public static byte[] truncatedJpeg() {
    byte[] full = jpeg(noise(200, 150, 7));
    return Arrays.copyOf(full, full.length * 6 / 10);
  }

  /** A small PNG whose header declares width x height; its data is a few bytes. */
  public static byte[] pngDeclaring(int width, int height) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
    ByteBuffer header = ByteBuffer.allocate(13).putInt(width).putInt(height)
      .put((byte) 8).put((byte) 6).put((byte) 0).put((byte) 0).put((byte) 0);
    chunk(out, "IHDR", header.array());
    chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  /** A valid PNG of exactly total bytes: a private ancillary chunk pads it. */
  public static byte[] pngOfSize(int total) {
    byte[] base = png(halves(16, 16));
    int iend = base.length - 12;
    int padding = total - base.length - 12;
    if (padding < 0) {
      throw new IllegalArgumentException("a PNG needs at least " + (base.length + 12) + " bytes");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(base, 0, iend);
    chunk(out, "prVt", new byte[padding]);
    out.write(base, iend, 12);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    byte[] name = type.getBytes(StandardCharsets.US_ASCII);
    out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    out.writeBytes(name);
    out.writeBytes(data);
    CRC32 crc = new CRC32();
    crc.update(name);
    crc.update(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  public static byte[] svg() {
    return ("<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" "
      + "height=\"10\"><script>alert(document.cookie)</script><rect width=\"10\" "
      + "height=\"10\"/></svg>").getBytes(StandardCharsets.UTF_8);
  }

  public static byte[] html() {
    return "<html><body><script>alert(document.cookie)</script></body></html>"
      .getBytes(StandardCharsets.UTF_8);
  }

  /** lossless.webp, lossy.webp or animated.webp. */
  public static byte[] webp(String name) {
    try (InputStream in = TestImages.class.getResourceAsStream("/webp/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource webp/" + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Decodes an output with plain ImageIO, as a mail client would, to read pixels back. */
  public static BufferedImage read(byte[] bytes) {
    try {
      return ImageIO.read(new java.io.ByteArrayInputStream(bytes));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether a colour is within tolerance of the expected RGB, channel by channel. */
  public static boolean near(int argb, int rgb, int tolerance) {
    for (int shift = 0; shift <= 16; shift += 8) {
      if (Math.abs((argb >> shift & 0xFF) - (rgb >> shift & 0xFF)) > tolerance) {
        return false;
      }
    }
    return true;
  }
}
