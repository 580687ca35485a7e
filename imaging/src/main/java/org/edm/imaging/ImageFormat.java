package org.edm.imaging;

import java.util.Locale;

/** The formats we read, recognised by their first bytes only. */
public enum ImageFormat {
  JPEG("jpeg", "image/jpeg", "jpg"),
  PNG("png", "image/png", "png"),
  GIF("gif", "image/gif", "gif"),
  WEBP("webp", "image/webp", "webp");

  /** The ImageIO format name. */
  public final String ioName;
  public final String mimeType;
  public final String extension;

  ImageFormat(String ioName, String mimeType, String extension) {
    this.ioName = ioName;
    this.mimeType = mimeType;
    this.extension = extension;
  }

  /** The format the content starts with, or null for anything else (text, HTML, SVG...). */
  public static ImageFormat detect(byte[] data) {
    if (startsWith(data, 0, 0xFF, 0xD8, 0xFF)) {
      return JPEG;
    }
    if (startsWith(data, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
      return PNG;
    }
    if (startsWith(data, 0, 'G', 'I', 'F', '8', '7', 'a')
        || startsWith(data, 0, 'G', 'I', 'F', '8', '9', 'a')) {
      return GIF;
    }
    if (startsWith(data, 0, 'R', 'I', 'F', 'F') && startsWith(data, 8, 'W', 'E', 'B', 'P')) {
      return WEBP;
    }
    return null;
  }

  /** The format a configured type name (jpg, jpeg, png, gif, webp) stands for, or null. */
  public static ImageFormat named(String name) {
    String lower = name.trim().toLowerCase(Locale.ROOT);
    for (ImageFormat format : values()) {
      if (format.ioName.equals(lower) || format.extension.equals(lower)) {
        return format;
      }
    }
    return null;
  }

  static boolean startsWith(byte[] data, int offset, int... expected) {
    if (data.length < offset + expected.length) {
      return false;
    }
    for (int i = 0; i < expected.length; i++) {
      if ((data[offset + i] & 0xFF) != expected[i]) {
        return false;
      }
    }
    return true;
  }
}
