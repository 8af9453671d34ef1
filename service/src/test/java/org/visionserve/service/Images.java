package org.visionserve.service;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import javax.imageio.ImageIO;

/** Test images: the golden photo, encoded variants, and hostile inputs. */
public final class Images {

    private Images() {
    }

    /** The photo the preprocessing goldens are made from (451x300 PNG, test resource golden/preprocess). */
    public static byte[] chelseaPng() {
        try (InputStream in = Images.class.getResourceAsStream("/golden/preprocess/chelsea.png")) {
            if (in == null) {
                throw new IllegalStateException("golden/preprocess/chelsea.png is not on the test class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] chelseaJpeg() {
        try {
            BufferedImage src = ImageIO.read(new java.io.ByteArrayInputStream(chelseaPng()));
            BufferedImage rgb = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_INT_RGB);
            rgb.getGraphics().drawImage(src, 0, 0, null);
            return encode(rgb, "jpg");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A small synthetic picture, distinct from the photo. */
    public static byte[] gradientPng(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, new Color(x * 255 / w, y * 255 / h, 128).getRGB());
            }
        }
        return encode(img, "png");
    }

    /** A decompression bomb: few bytes, many pixels (one flat colour compresses to almost nothing). */
    public static byte[] flatPng(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.GRAY);
        g.fillRect(0, 0, w, h);
        g.dispose();
        return encode(img, "png");
    }

    public static byte[] truncated(byte[] image, int keep) {
        return Arrays.copyOf(image, keep);
    }

    private static byte[] encode(BufferedImage img, String format) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (!ImageIO.write(img, format, out)) {
                throw new IllegalStateException("no writer for " + format);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
