package org.edm.imaging;

import java.awt.AlphaComposite;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

/**
 * The frames of an animated GIF or WebP, composed onto the canvas one after the other as a
 * browser would (offsets, transparency, disposal), and handed out whole, one at a time, so
 * that only the canvas and the current frame are in memory.
 */
final class Animation {

  /** One placed frame: where it goes, how long it shows (ms) and what happens after it. */
  record Frame(int x, int y, int width, int height, int delayMs, Dispose dispose,
      boolean blend) {
  }

  enum Dispose { NONE, BACKGROUND, PREVIOUS }

  /** Receives each whole frame; the image is reused, so copy what must be kept. */
  interface FrameSink {
    void accept(BufferedImage canvas, int delayMs) throws IOException;
  }

  final int width;
  final int height;
  final int loops;
  final List<Frame> frames;

  private Animation(int width, int height, int loops, List<Frame> frames) {
    this.width = width;
    this.height = height;
    this.loops = loops;
    this.frames = frames;
  }

  /** The frame layout of a GIF, read from its metadata without decoding pixels. */
  static Animation gif(ImageReader reader, int count) throws IOException {
    int width = reader.getWidth(0);
    int height = reader.getHeight(0);
    IIOMetadata stream = reader.getStreamMetadata();
    if (stream != null) {
      Node descriptor = child(stream.getAsTree("javax_imageio_gif_stream_1.0"),
        "LogicalScreenDescriptor");
      if (descriptor != null) {
        width = intAttribute(descriptor, "logicalScreenWidth", width);
        height = intAttribute(descriptor, "logicalScreenHeight", height);
      }
    }
    int loops = 1;
    List<Frame> frames = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      Node root = reader.getImageMetadata(i).getAsTree("javax_imageio_gif_image_1.0");
      Node image = child(root, "ImageDescriptor");
      Node control = child(root, "GraphicControlExtension");
      String disposal = control == null ? "none" : attribute(control, "disposalMethod", "none");
      frames.add(new Frame(intAttribute(image, "imageLeftPosition", 0),
        intAttribute(image, "imageTopPosition", 0),
        intAttribute(image, "imageWidth", width),
        intAttribute(image, "imageHeight", height),
        control == null ? 100 : intAttribute(control, "delayTime", 10) * 10,
        switch (disposal) {
          case "restoreToBackgroundColor" -> Dispose.BACKGROUND;
          case "restoreToPrevious" -> Dispose.PREVIOUS;
          default -> Dispose.NONE;
        },
        true));
      if (i == 0) {
        loops = gifLoops(root);
      }
    }
    return new Animation(width, height, loops, frames);
  }

  private static int gifLoops(Node root) {
    Node extensions = child(root, "ApplicationExtensions");
    for (Node n = extensions == null ? null : extensions.getFirstChild(); n != null;
        n = n.getNextSibling()) {
      if ("NETSCAPE".equals(attribute(n, "applicationID", ""))
          && n instanceof javax.imageio.metadata.IIOMetadataNode node
          && node.getUserObject() instanceof byte[] data && data.length >= 3 && data[0] == 1) {
        return (data[1] & 0xFF) | (data[2] & 0xFF) << 8;
      }
    }
    return 1; // no NETSCAPE block: plays once
  }

  /** The frame layout of an animated WebP, from its RIFF chunks (VP8X, ANIM, ANMF). */
  static Animation webp(byte[] data) throws IOException {
    int width = 0;
    int height = 0;
    int loops = 0;
    List<Frame> frames = new ArrayList<>();
    int pos = 12;
    while (pos + 8 <= data.length) {
      String type = new String(data, pos, 4, java.nio.charset.StandardCharsets.US_ASCII);
      long size = u32(data, pos + 4);
      int body = pos + 8;
      if (body + size > data.length) {
        throw new IOException("WebP chunk " + type + " runs past the end of the file");
      }
      switch (type) {
        case "VP8X" -> {
          width = u24(data, body + 4) + 1;
          height = u24(data, body + 7) + 1;
        }
        case "ANIM" -> loops = u16(data, body + 4);
        case "ANMF" -> {
          int flags = data[body + 15] & 0xFF;
          frames.add(new Frame(u24(data, body) * 2, u24(data, body + 3) * 2,
            u24(data, body + 6) + 1, u24(data, body + 9) + 1, u24(data, body + 12),
            (flags & 1) != 0 ? Dispose.BACKGROUND : Dispose.NONE, (flags & 2) == 0));
        }
        default -> {
        }
      }
      pos = (int) (body + size + (size & 1));
    }
    if (width == 0 || frames.isEmpty()) {
      throw new IOException("WebP animation without a canvas or frames");
    }
    return new Animation(width, height, loops, frames);
  }

  /** Checks that every frame lies on the canvas, so decoding one never allocates more. */
  void checkFrames() throws IOException {
    for (Frame frame : frames) {
      if (frame.x < 0 || frame.y < 0 || frame.width < 1 || frame.height < 1
          || (long) frame.x + frame.width > width || (long) frame.y + frame.height > height) {
        throw new IOException("an animation frame lies outside the " + width + "x" + height
          + " canvas");
      }
    }
  }

  /** Decodes frame by frame with reader, composes, and hands each whole frame to sink. */
  void compose(ImageReader reader, FrameSink sink) throws IOException {
    BufferedImage canvas = new BufferedImage(width, height, BufferedImage.TYPE_INT_ARGB);
    for (int i = 0; i < frames.size(); i++) {
      Frame frame = frames.get(i);
      BufferedImage decoded = reader.read(i);
      BufferedImage previous = frame.dispose == Dispose.PREVIOUS ? copy(canvas) : null;
      Graphics2D g = canvas.createGraphics();
      g.setComposite(frame.blend ? AlphaComposite.SrcOver : AlphaComposite.Src);
      g.drawImage(decoded, frame.x, frame.y, frame.width, frame.height, null);
      g.dispose();
      sink.accept(canvas, frame.delayMs);
      if (frame.dispose == Dispose.BACKGROUND) {
        Graphics2D clear = canvas.createGraphics();
        clear.setComposite(AlphaComposite.Clear);
        clear.fillRect(frame.x, frame.y, frame.width, frame.height);
        clear.dispose();
      } else if (previous != null) {
        canvas = previous;
      }
    }
  }

  private static BufferedImage copy(BufferedImage image) {
    BufferedImage out = new BufferedImage(image.getWidth(), image.getHeight(), image.getType());
    System.arraycopy(Pixels.ints(image), 0, Pixels.ints(out), 0, Pixels.ints(image).length);
    return out;
  }

  private static Node child(Node node, String name) {
    for (Node n = node == null ? null : node.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (name.equals(n.getNodeName())) {
        return n;
      }
    }
    return null;
  }

  private static String attribute(Node node, String name, String fallback) {
    NamedNodeMap attributes = node.getAttributes();
    Node value = attributes == null ? null : attributes.getNamedItem(name);
    return value == null ? fallback : value.getNodeValue();
  }

  private static int intAttribute(Node node, String name, int fallback) {
    if (node == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(attribute(node, name, Integer.toString(fallback)));
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  private static int u16(byte[] data, int at) {
    return (data[at] & 0xFF) | (data[at + 1] & 0xFF) << 8;
  }

  private static int u24(byte[] data, int at) {
    return u16(data, at) | (data[at + 2] & 0xFF) << 16;
  }

  private static long u32(byte[] data, int at) {
    return u24(data, at) | (long) (data[at + 3] & 0xFF) << 24;
  }
}
