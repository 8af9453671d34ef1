package org.visionserve.service.image;

/**
 * The header facts where ImageIO and Pillow part ways, read from the container bytes directly:
 * the EXIF orientation (JPEG APP1, PNG eXIf, WebP EXIF chunk); for JPEG the markers and component
 * ids from which libjpeg decides the colour space; for PNG whether Pillow opens it as mode "I";
 * for GIF the logical screen; for WebP whether the container is complete.
 */
final class ImageMetadata {

    /** EXIF orientation 1..8 (1 = as stored). */
    final int orientation;
    /** JPEG only: the Adobe APP14 transform flag, -1 without an Adobe marker. */
    final int adobeTransform;
    /** JPEG only: whether a JFIF APP0 marker is present. */
    final boolean jfif;
    /** JPEG only: the frame header's component identifiers (1, 3 or 4 of them). */
    final int[] componentIds;
    /**
     * PNG only: 16-bit grayscale without an alpha channel (colour type 0), which Pillow opens as
     * mode "I" and converts to RGB by clamping, even when a tRNS chunk makes ImageIO add alpha.
     */
    boolean pillowModeI;
    /**
     * WebP only: the RIFF container declares more bytes than there are. TwelveMonkeys' lossless
     * decoder reads past the end as zeros and returns an image; libwebp (PIL) refuses the file.
     */
    boolean truncated;
    /** GIF only: where the first frame lies on the logical screen; null for other formats. */
    GifLayout gif;

    /**
     * A GIF's logical screen and its first frame's position. Pillow returns the whole screen (grown
     * to hold the frame) filled with palette index {@code fillIndex} (the frame's transparent index,
     * else 0) under the frame; ImageIO returns the frame alone.
     */
    record GifLayout(int screenWidth, int screenHeight, int left, int top, int fillIndex) {

        int canvasWidth(int frameWidth) {
            return Math.max(screenWidth, left + frameWidth);
        }

        int canvasHeight(int frameHeight) {
            return Math.max(screenHeight, top + frameHeight);
        }
    }

    private ImageMetadata(int orientation, int adobeTransform, boolean jfif, int[] componentIds) {
        this.orientation = orientation;
        this.adobeTransform = adobeTransform;
        this.jfif = jfif;
        this.componentIds = componentIds;
    }

    private ImageMetadata(int orientation) {
        this(orientation, -1, false, new int[0]);
    }

    /**
     * How libjpeg (and so PIL) interprets a 3-component JPEG: YCbCr, unless there is no JFIF marker
     * and either an Adobe marker says transform 0 or, without one, the component ids are 'R','G','B'.
     * (The JDK's reader guesses differently for unmarked files, hence decoding from raw samples.)
     */
    boolean jpegIsRgb() {
        if (jfif) {
            return false;
        }
        if (adobeTransform >= 0) {
            return adobeTransform == 0;
        }
        return componentIds.length == 3 && componentIds[0] == 'R' && componentIds[1] == 'G' && componentIds[2] == 'B';
    }

    /** libjpeg: a 4-component JPEG is YCCK when an Adobe marker says any transform but 0. */
    boolean jpegIsYcck() {
        return adobeTransform > 0;
    }

    static ImageMetadata of(ImageDecoder.Format format, byte[] b) {
        try {
            return switch (format) {
                case JPEG -> jpeg(b);
                case PNG -> {
                    ImageMetadata meta = new ImageMetadata(png(b));
                    // IHDR: bit depth at byte 24, colour type at 25.
                    meta.pillowModeI = b.length > 25 && b[24] == 16 && b[25] == 0;
                    yield meta;
                }
                case WEBP -> webp(b);
                case GIF -> gif(b);
                default -> new ImageMetadata(1);
            };
        } catch (IndexOutOfBoundsException e) {
            // A header cut short: ImageIO reports the damage when it reads the image.
            return new ImageMetadata(1);
        }
    }

    /** Walks the marker segments from SOI up to the first SOS. */
    private static ImageMetadata jpeg(byte[] b) {
        int orientation = 1;
        int adobe = -1;
        boolean jfif = false;
        int[] ids = new int[0];
        int i = 2;
        while (i + 4 <= b.length) {
            if ((b[i] & 0xff) != 0xff) {
                break;
            }
            int marker = b[i + 1] & 0xff;
            if (marker == 0xff) {
                i++; // fill byte
                continue;
            }
            if (marker == 0xd8 || marker >= 0xd0 && marker <= 0xd7 || marker == 0x01) {
                i += 2; // no length field
                continue;
            }
            if (marker == 0xda || marker == 0xd9) {
                break;
            }
            int len = u16be(b, i + 2);
            int data = i + 4;
            int dataLen = len - 2;
            if (marker == 0xe1 && dataLen >= 6 && startsWith(b, data, "Exif\0\0") && orientation == 1) {
                orientation = tiffOrientation(b, data + 6, dataLen - 6);
            } else if (marker == 0xee && dataLen >= 12 && startsWith(b, data, "Adobe")) {
                adobe = b[data + 11] & 0xff;
            } else if (marker == 0xe0 && dataLen >= 5 && startsWith(b, data, "JFIF\0")) {
                jfif = true;
            } else if (isStartOfFrame(marker) && dataLen >= 6) {
                int components = b[data + 5] & 0xff;
                ids = new int[components];
                for (int c = 0; c < components; c++) {
                    ids[c] = b[data + 6 + 3 * c] & 0xff;
                }
            }
            i += 2 + len;
        }
        return new ImageMetadata(orientation, adobe, jfif, ids);
    }

    private static boolean isStartOfFrame(int marker) {
        return marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
    }

    /** Header, global palette, then blocks up to the first image descriptor. */
    private static ImageMetadata gif(byte[] b) {
        ImageMetadata meta = new ImageMetadata(1);
        int flags = b[10] & 0xff;
        int i = 13 + ((flags & 0x80) != 0 ? 3 << ((flags & 7) + 1) : 0);
        int transparent = -1;
        while (i < b.length) {
            int block = b[i] & 0xff;
            if (block == 0x21) {
                int j = i + 2;
                if ((b[i + 1] & 0xff) == 0xf9 && (b[j] & 0xff) >= 4 && (b[j + 1] & 1) != 0) {
                    transparent = b[j + 4] & 0xff;
                }
                while (b[j] != 0) {
                    j += (b[j] & 0xff) + 1;
                }
                i = j + 1;
            } else if (block == 0x2c) {
                meta.gif = new GifLayout(u16(b, 6, true), u16(b, 8, true), u16(b, i + 1, true), u16(b, i + 3, true),
                        Math.max(transparent, 0));
                break;
            } else {
                break;
            }
        }
        return meta;
    }

    /** PNG chunks: eXIf holds a TIFF structure (Pillow reads it before or after IDAT). */
    private static int png(byte[] b) {
        int i = 8;
        while (i + 12 <= b.length) {
            long len = u32be(b, i);
            if (len < 0 || len > b.length - i - 12) {
                break;
            }
            if (startsWith(b, i + 4, "eXIf")) {
                return exifBlock(b, i + 8, (int) len);
            }
            if (startsWith(b, i + 4, "IEND")) {
                break;
            }
            i += 12 + (int) len;
        }
        return 1;
    }

    /** RIFF chunks after "RIFF....WEBP": the EXIF chunk, and whether every declared byte is there. */
    private static ImageMetadata webp(byte[] b) {
        long end = 8 + u32le(b, 4);
        boolean truncated = end > b.length;
        int orientation = 1;
        int i = 12;
        while (i + 8 <= Math.min(end, b.length)) {
            long len = u32le(b, i + 4);
            if (len > b.length - i - 8) {
                truncated = true;
                break;
            }
            if (startsWith(b, i, "EXIF")) {
                orientation = exifBlock(b, i + 8, (int) len);
            }
            i += 8 + (int) ((len + 1) & ~1L);
        }
        ImageMetadata meta = new ImageMetadata(orientation);
        meta.truncated = truncated;
        return meta;
    }

    /** An EXIF block, with or without the "Exif\0\0" prefix JPEG uses. */
    private static int exifBlock(byte[] b, int off, int len) {
        if (len >= 6 && startsWith(b, off, "Exif\0\0")) {
            return tiffOrientation(b, off + 6, len - 6);
        }
        return tiffOrientation(b, off, len);
    }

    /** Tag 0x0112 of IFD0 in a TIFF structure at {@code b[off, off + len)}; 1 when absent or invalid. */
    static int tiffOrientation(byte[] b, int off, int len) {
        if (len < 8 || off + len > b.length) {
            return 1;
        }
        boolean little;
        if (b[off] == 'I' && b[off + 1] == 'I') {
            little = true;
        } else if (b[off] == 'M' && b[off + 1] == 'M') {
            little = false;
        } else {
            return 1;
        }
        if (u16(b, off + 2, little) != 42) {
            return 1;
        }
        long ifd = u32(b, off + 4, little);
        if (ifd < 8 || ifd + 2 > len) {
            return 1;
        }
        int entries = u16(b, off + (int) ifd, little);
        for (int e = 0; e < entries; e++) {
            int p = off + (int) ifd + 2 + e * 12;
            if (p + 12 > off + len) {
                return 1;
            }
            if (u16(b, p, little) == 0x0112) {
                int type = u16(b, p + 2, little);
                int v = type == 3 ? u16(b, p + 8, little) : type == 4 ? (int) u32(b, p + 8, little) : 1;
                return v >= 1 && v <= 8 ? v : 1;
            }
        }
        return 1;
    }

    private static boolean startsWith(byte[] b, int off, String ascii) {
        if (off < 0 || off + ascii.length() > b.length) {
            return false;
        }
        for (int i = 0; i < ascii.length(); i++) {
            if (b[off + i] != (byte) ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static int u16be(byte[] b, int i) {
        return u16(b, i, false);
    }

    private static long u32be(byte[] b, int i) {
        return u32(b, i, false);
    }

    private static long u32le(byte[] b, int i) {
        return u32(b, i, true);
    }

    private static int u16(byte[] b, int i, boolean little) {
        int b0 = b[i] & 0xff;
        int b1 = b[i + 1] & 0xff;
        return little ? b0 | b1 << 8 : b0 << 8 | b1;
    }

    private static long u32(byte[] b, int i, boolean little) {
        long lo = u16(b, little ? i : i + 2, little);
        long hi = u16(b, little ? i + 2 : i, little);
        return hi << 16 | lo;
    }
}
