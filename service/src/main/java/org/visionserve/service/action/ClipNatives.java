package org.visionserve.service.action;

import java.net.URL;
import java.util.List;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.swscale;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.opencv.global.opencv_optflow;

/**
 * FFmpeg's and OpenCV's native libraries the clip pipeline needs. {@link #main} is the image build's
 * training run: with {@code -Dorg.bytedeco.javacpp.cachedir=/opt/javacpp} it unpacks them once into
 * that cache, which the container then uses in place (docker/javacpp.sh).
 */
public final class ClipNatives {

    private ClipNatives() {
    }

    /** Loads the demuxers, decoders and scaler the grabber uses (not only avutil) and TV-L1 with, through it, imgproc and video (Farneback). */
    public static void load() {
        // OpenBLAS (through OpenCV) is preloaded as libopenblas.so.0 renamed libopenblas_nolapack.so.0, a
        // rename JavaCPP makes by copying the library into its cache even when it is a plain file. Where
        // the image has unpacked the natives onto the class path with a link of that name, load it (after
        // the libraries it needs) under JavaCPP's names first: JavaCPP then finds them loaded, copies nothing.
        String dir = "/org/bytedeco/openblas/linux-x86_64/";
        URL renamed = Loader.class.getResource(dir + "libopenblas_nolapack.so.0");
        if (renamed != null && "file".equals(renamed.getProtocol())) {
            for (String lib : List.of("gcc_s@.1", "quadmath@.0", "gfortran@.5", "openblas_nolapack@.0")) {
                String[] nameVersion = lib.split("@");
                URL url = Loader.class.getResource(dir + "lib" + nameVersion[0] + ".so" + nameVersion[1]);
                Loader.loadLibrary(Loader.class, new URL[] {url}, lib);
            }
        }
        for (Class<?> c : List.of(avformat.class, avcodec.class, swscale.class, opencv_optflow.class)) {
            Loader.load(c);
        }
    }

    public static void main(String[] args) throws Exception {
        load();
        System.out.println("clip natives loaded from " + Loader.getCacheDir());
    }
}
