package org.edm.imaging;

/**
 * The EXIF orientation of a JPEG (1-8, 1 when absent or unreadable), read from the APP1
 * segment before the image data. Phones store pixels as the sensor saw them and this tag
 * says how to turn them; most email clients ignore it, so we apply it ourselves.
 */
final class ExifOrientation {

  private static final int ORIENTATION_TAG = 0x0112;

  private ExifOrientation() {
  }

  static int of(byte[] jpeg) {
    int pos = 2;
    while (pos + 4 <= jpeg.length) {
      if ((jpeg[pos] & 0xFF) != 0xFF) {
        return 1;
      }
      int marker = jpeg[pos + 1] & 0xFF;
      if (marker == 0xFF) {
        pos++; // fill byte
        continue;
      }
      if (marker == 0xDA || marker == 0xD9) {
        return 1; // image data starts: no EXIF before it
      }
      int length = u16(jpeg, pos + 2, false);
      if (length < 2) {
        return 1;
      }
      int start = pos + 4;
      if (marker == 0xE1 && ImageFormat.startsWith(jpeg, start, 'E', 'x', 'i', 'f', 0, 0)) {
        return fromTiff(jpeg, start + 6, Math.min(jpeg.length, pos + 2 + length));
      }
      pos += 2 + length;
    }
    return 1;
  }

  private static int fromTiff(byte[] data, int tiff, int end) {
    if (tiff + 8 > end) {
      return 1;
    }
    boolean little;
    if (data[tiff] == 'I' && data[tiff + 1] == 'I') {
      little = true;
    } else if (data[tiff] == 'M' && data[tiff + 1] == 'M') {
      little = false;
    } else {
      return 1;
    }
    long ifd = u32(data, tiff + 4, little);
    if (ifd < 8 || tiff + ifd + 2 > end) {
      return 1;
    }
    int entries = u16(data, (int) (tiff + ifd), little);
    for (int i = 0; i < entries; i++) {
      int entry = (int) (tiff + ifd + 2 + 12L * i);
      if (entry + 12 > end) {
        return 1;
      }
      if (u16(data, entry, little) == ORIENTATION_TAG) {
        int value = u16(data, entry + 8, little);
        return value >= 1 && value <= 8 ? value : 1;
      }
    }
    return 1;
  }

  private static int u16(byte[] data, int at, boolean little) {
    int a = data[at] & 0xFF;
    int b = data[at + 1] & 0xFF;
    return little ? a | b << 8 : a << 8 | b;
  }

  private static long u32(byte[] data, int at, boolean little) {
    long high = u16(data, at + (little ? 2 : 0), little);
    long low = u16(data, at + (little ? 0 : 2), little);
    return high << 16 | low;
  }
}
