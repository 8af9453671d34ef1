package org.visionserve.service.action;

import java.util.List;

/**
 * Decoded frames in time order, each {@code width * height * 3} bytes of packed 8-bit RGB, rows top
 * to bottom.
 *
 * @param fps    frame rate from the container (0 when unknown, e.g. for a list of images)
 * @param source container format FFmpeg detected (e.g. "mov,mp4,m4a,3gp,3g2,mj2") and codec, or "images"
 */
public record DecodedClip(int width, int height, List<byte[]> frames, double fps, String source) {

    public DecodedClip {
        frames = List.copyOf(frames);
        for (byte[] f : frames) {
            if (f.length != width * height * 3) {
                throw new IllegalArgumentException("frame of " + f.length + " bytes, expected " + width * height * 3);
            }
        }
    }

    public int frameCount() {
        return frames.size();
    }
}
