package org.visionserve.service.image;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadProgressListener;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes an uploaded JPEG, PNG, BMP, GIF (first frame) or WebP into 8-bit RGB the way the
 * reference's {@code PIL.Image.open(f).convert("RGB")} does, then applies the EXIF orientation.
 *
 * <p>Raw raster samples are used throughout: no ICC profile or gamma is applied (PIL applies
 * none). Alpha is dropped, not composited; palettes are looked up; 16-bit samples become 8-bit as
 * Pillow 9.4 does (RGB/RGBA and gray+alpha keep the high byte; 16-bit gray PNG opens as Pillow
 * mode "I" and converts by clamping to 0..255, so values above 255 saturate). JPEGs are decoded
 * from their raw components with libjpeg's colour-space rules and tables (the JDK reader would
 * apply an embedded ICC profile); CMYK/YCCK is inverted as Pillow's "CMYK;I" and converted with
 * its naive {@code cmyk2rgb}. A GIF's first frame is placed on its logical screen as Pillow does.
 *
 * <p>Checked against Pillow 9.4.0 (tests: PillowVectorsTest): bit-exact for every JPEG, PNG,
 * GIF, BMP and lossless WebP variant tried; lossy WebP comes from TwelveMonkeys' VP8 decoder,
 * which differs from libwebp by a few levels.
 *
 * <p>The format is sniffed from the magic bytes; the content type is only checked to be an image
 * type (or absent / octet-stream). The declared width x height (for GIF also the logical screen)
 * is checked against the pixel limit before any pixel is decoded. Thread-safe: each call uses its
 * own ImageIO reader.
 */
public final class ImageDecoder {

    /** What we read, with the ImageIO format name. */
    enum Format {
        JPEG("jpeg"), PNG("png"), GIF("gif"), BMP("bmp"), WEBP("webp");

        final String imageIoName;

        Format(String imageIoName) {
            this.imageIoName = imageIoName;
        }
    }

    private static final String SUPPORTED = "JPEG, PNG, BMP, GIF or WebP";

    private static volatile boolean rescanned;

    private final ImageLimits limits;

    public ImageDecoder(ImageLimits limits) {
        this.limits = limits;
    }

    /** The width and height an image decodes to (its GIF canvas, after the EXIF orientation). */
    public record Size(int width, int height) {
    }

    /**
     * Reads the header only and checks it against every limit; nothing is decoded. A request measures
     * all its images this way before it decodes any.
     */
    public Size probe(byte[] bytes, String contentTypeOrNull) {
        return withHeader(bytes, contentTypeOrNull, (reader, header, warnings) -> header.size());
    }

    public RgbImage decode(byte[] bytes, String contentTypeOrNull) {
        return decode(bytes, contentTypeOrNull, NEVER);
    }

    private static final BooleanSupplier NEVER = () -> false;

    /**
     * Decodes as {@link #decode(byte[], String)}, asking {@code stop} as the reader progresses (about
     * once per row; the JPEG reader every 5% of the image): once it answers true the reader is aborted
     * and {@link DecodeStoppedException} thrown, so a large image stops soon after its request ended
     * instead of decoding to its last row.
     */
    public RgbImage decode(byte[] bytes, String contentTypeOrNull, BooleanSupplier stop) {
        return withHeader(bytes, contentTypeOrNull, (reader, header, warnings) -> {
            // ImageReader.abort() must come from the reading thread (the JPEG reader refuses any other):
            // the progress listener is called on it.
            Aborter aborter = new Aborter(stop);
            reader.addIIOReadProgressListener(aborter);
            return pixels(reader, header, warnings, aborter);
        });
    }

    /** Aborts the read it listens to once {@code stop} says so. */
    private static final class Aborter implements IIOReadProgressListener {
        private final BooleanSupplier stop;
        boolean aborted;

        Aborter(BooleanSupplier stop) {
            this.stop = stop;
        }

        /** Also asked between the steps that follow the read. */
        void check() {
            if (aborted || stop.getAsBoolean()) {
                aborted = true;
                throw new DecodeStoppedException();
            }
        }

        @Override
        public void imageProgress(ImageReader source, float percentageDone) {
            // asked on every call, and aborted again: a reader clears requests made before its read began
            if (stop.getAsBoolean()) {
                aborted = true;
                source.abort();
            }
        }

        @Override
        public void sequenceStarted(ImageReader source, int minIndex) {
        }

        @Override
        public void sequenceComplete(ImageReader source) {
        }

        @Override
        public void imageStarted(ImageReader source, int imageIndex) {
            imageProgress(source, 0);
        }

        @Override
        public void imageComplete(ImageReader source) {
        }

        @Override
        public void thumbnailStarted(ImageReader source, int imageIndex, int thumbnailIndex) {
        }

        @Override
        public void thumbnailProgress(ImageReader source, float percentageDone) {
        }

        @Override
        public void thumbnailComplete(ImageReader source) {
        }

        @Override
        public void readAborted(ImageReader source) {
            aborted = true;
        }
    }

    /** The header facts: the first frame's size as stored, and the metadata that changes what is returned. */
    private record Header(Format format, int width, int height, ImageMetadata meta) {

        Size size() {
            int w = meta.gif != null ? meta.gif.canvasWidth(width) : width;
            int h = meta.gif != null ? meta.gif.canvasHeight(height) : height;
            return meta.orientation >= 5 ? new Size(h, w) : new Size(w, h);
        }
    }

    private interface Step<T> {
        T run(ImageReader reader, Header header, List<String> warnings) throws IOException;
    }

    /** Checks the bytes and the header against the limits, then runs {@code step} on the open reader. */
    private <T> T withHeader(byte[] bytes, String contentTypeOrNull, Step<T> step) {
        checkContentType(contentTypeOrNull);
        if (bytes == null || bytes.length == 0) {
            throw ImageDecodeException.corrupt("the image is empty (0 bytes)", null);
        }
        if (bytes.length > limits.maxBytes()) {
            throw ImageDecodeException.tooLarge("the image is " + bytes.length + " bytes, more than the limit of "
                    + limits.maxBytes() + " bytes (" + ImageLimits.MAX_BYTES_KEY + ")",
                    limits.maxBytes(), ImageLimits.MAX_BYTES_KEY);
        }
        Format format = sniff(bytes);
        if (format == null) {
            throw ImageDecodeException.unsupported("the data is not a " + SUPPORTED + " image"
                    + (contentTypeOrNull != null ? " (declared as " + contentTypeOrNull + ")" : ""));
        }
        ImageReader reader = reader(format);
        List<String> warnings = new ArrayList<>();
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in, true, true);
            reader.addIIOReadWarningListener((IIOReadWarningListener) (source, warning) -> warnings.add(warning));
            return step.run(reader, header(reader, format, bytes), warnings);
        } catch (ImageDecodeException | DecodeStoppedException e) {
            throw e;
        } catch (IOException e) {
            // ImageIO reports malformed input as IIOException: its message says what is wrong with the data.
            String detail = e.getMessage() != null ? ": " + e.getMessage() : "";
            throw ImageDecodeException.corrupt("the " + format + " image is corrupt or truncated" + detail, e);
        } catch (RuntimeException e) {
            // Some readers fail on malformed input with runtime exceptions, whose messages speak of their code.
            throw ImageDecodeException.corrupt("the " + format + " image is corrupt or truncated: its decoder"
                    + " could not read the data", e);
        } finally {
            reader.dispose();
        }
    }

    /** The declared size (for GIF also the logical screen), checked before any pixel is decoded. */
    private Header header(ImageReader reader, Format format, byte[] bytes) throws IOException {
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        checkPixels(width, height);
        ImageMetadata meta = ImageMetadata.of(format, bytes);
        if (meta.truncated) {
            throw ImageDecodeException.corrupt("the " + format + " image is truncated: its header declares more"
                    + " data than the " + bytes.length + " bytes received", null);
        }
        Header header = new Header(format, width, height, meta);
        Size size = header.size();
        if (meta.gif != null) {
            checkPixels(size.width(), size.height());
        }
        checkAspectRatio(size.width(), size.height());
        return header;
    }

    private RgbImage pixels(ImageReader reader, Header header, List<String> warnings, Aborter aborter)
            throws IOException {
        Format format = header.format();
        ImageMetadata meta = header.meta();
        RgbImage rgb;
        if (format == Format.JPEG) {
            // Raw components (before any colour transform or ICC conversion the JDK would apply),
            // converted with libjpeg's own rules and tables, as PIL gets them.
            Raster raw = reader.readRaster(0, null);
            aborter.check(); // an aborted read returns what it had: not an image to convert
            checkWarnings(format, warnings);
            rgb = RasterToRgb.jpeg(raw, meta);
        } else {
            BufferedImage image = reader.read(0);
            aborter.check();
            checkWarnings(format, warnings);
            rgb = RasterToRgb.convert(image, meta.pillowModeI);
            if (meta.gif != null) {
                rgb = RasterToRgb.onGifScreen(rgb, image.getColorModel(), meta.gif);
            }
        }
        aborter.check();
        return Orientation.apply(rgb, meta.orientation);
    }

    private void checkPixels(int width, int height) {
        long pixels = (long) width * height;
        if (width <= 0 || height <= 0) {
            throw ImageDecodeException.corrupt("the image declares an invalid size " + width + "x" + height, null);
        }
        if (pixels > limits.maxPixels()) {
            throw ImageDecodeException.tooLarge("the image is " + width + "x" + height + " = " + pixels
                    + " pixels, more than the limit of " + limits.maxPixels() + " pixels ("
                    + ImageLimits.MAX_PIXELS_KEY + ")", limits.maxPixels(), ImageLimits.MAX_PIXELS_KEY);
        }
    }

    private void checkAspectRatio(int width, int height) {
        double ratio = (double) Math.max(width, height) / Math.min(width, height);
        if (ratio > limits.maxAspectRatio()) {
            throw ImageDecodeException.tooLarge(String.format(Locale.ROOT, "the image is %dx%d, its long side %.1f"
                    + " times its short side, more than the limit of %d (%s)", width, height, ratio,
                    limits.maxAspectRatio(), ImageLimits.MAX_ASPECT_RATIO_KEY), limits.maxAspectRatio(),
                    ImageLimits.MAX_ASPECT_RATIO_KEY);
        }
    }

    /**
     * libjpeg reports lost data as warnings and fills the rest of the image (a truncated JPEG decodes
     * "successfully" with grey rows); those are corrupt. Warnings about harmless quirks (extraneous
     * bytes before a marker, unknown JFIF revision) are common in camera files and accepted, as PIL
     * accepts them. Other readers' warnings are treated as damage.
     */
    private static void checkWarnings(Format format, List<String> warnings) {
        for (String w : warnings) {
            String lower = w.toLowerCase(Locale.ROOT);
            boolean harmless = format == Format.JPEG && (lower.contains("extraneous bytes")
                    || lower.contains("jfif revision") || lower.contains("adobe color transform")
                    || lower.contains("invalid sos parameters") || lower.contains("inconsistent progression"));
            if (!harmless) {
                throw ImageDecodeException.corrupt("the " + format + " image is corrupt or truncated: " + w, null);
            }
        }
    }

    /** Only image types (any; the bytes decide which) or a generic binary type are accepted. */
    private static void checkContentType(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return;
        }
        String type = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!type.startsWith("image/") && !type.equals("application/octet-stream")) {
            throw ImageDecodeException.unsupported("unsupported media type '" + type + "': send a " + SUPPORTED
                    + " image");
        }
    }

    /** The format from the file's signature, or null. */
    static Format sniff(byte[] b) {
        if (b.length >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff) {
            return Format.JPEG;
        }
        if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G'
                && b[4] == '\r' && b[5] == '\n' && b[6] == 0x1a && b[7] == '\n') {
            return Format.PNG;
        }
        if (b.length >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8'
                && (b[4] == '7' || b[4] == '9') && b[5] == 'a') {
            return Format.GIF;
        }
        if (b.length >= 14 && b[0] == 'B' && b[1] == 'M') {
            return Format.BMP;
        }
        if (b.length >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F'
                && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') {
            return Format.WEBP;
        }
        return null;
    }

    /**
     * A fresh reader for the format. The JDK's own readers are preferred where there are several
     * (other plugins on the classpath may colour-manage); WebP comes from the TwelveMonkeys plugin.
     */
    private static ImageReader reader(Format format) {
        Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName(format.imageIoName);
        if (!it.hasNext() && !rescanned) {
            // ImageIO registers plugins from the class loader of its first use; a launcher's nested
            // jars (Spring Boot) may only be visible to the current context class loader.
            rescanned = true;
            ImageIO.scanForPlugins();
            it = ImageIO.getImageReadersByFormatName(format.imageIoName);
        }
        ImageReader chosen = null;
        while (it.hasNext()) {
            ImageReader r = it.next();
            if (chosen == null || r.getClass().getName().startsWith("com.sun.imageio.")) {
                chosen = r;
            }
        }
        if (chosen == null) {
            throw ImageDecodeException.unsupported("no decoder for " + format + " images is installed; send a "
                    + SUPPORTED + " image");
        }
        return chosen;
    }
}
