package org.edm.imaging;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.IIOImage;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Writes still images. ImageIO.write returns false and writes nothing when no writer takes
 * an image type (a JPEG with alpha, for one), so we ask the writer first and check that
 * bytes came out; no metadata is passed on, so nothing of the original file survives.
 */
final class Encoders {

  private Encoders() {
  }

  static byte[] jpeg(BufferedImage image, float quality) {
    ImageWriter writer = ImageCodecs.writer(ImageFormat.JPEG);
    ImageWriteParam param = writer.getDefaultWriteParam();
    param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
    param.setCompressionQuality(quality);
    param.setProgressiveMode(ImageWriteParam.MODE_DISABLED); // baseline shows everywhere
    return write(writer, Pixels.withoutAlpha(image), param);
  }

  static byte[] png(BufferedImage image) {
    ImageWriter writer = ImageCodecs.writer(ImageFormat.PNG);
    return write(writer, image, writer.getDefaultWriteParam());
  }

  private static byte[] write(ImageWriter writer, BufferedImage image, ImageWriteParam param) {
    if (!writer.getOriginatingProvider()
        .canEncodeImage(ImageTypeSpecifier.createFromRenderedImage(image))) {
      writer.dispose();
      throw new IllegalStateException(writer.getClass().getName()
        + " cannot encode image type " + image.getType());
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * 1024);
    try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
      writer.setOutput(out);
      writer.write(null, new IIOImage(image, null, null), param);
    } catch (IOException e) {
      throw new IllegalStateException("encoding failed: " + e.getMessage(), e);
    } finally {
      writer.dispose();
    }
    if (bytes.size() == 0) {
      throw new IllegalStateException(writer.getClass().getName() + " wrote nothing");
    }
    return bytes.toByteArray();
  }
}
