package org.visionserve.service.action;

/**
 * A clip measured before anything of it is decoded, from its container's header or its frame images'
 * headers: what its working memory is estimated from ({@link ClipPipeline#workingBytes}), and what
 * decoding then holds it to.
 *
 * @param width  frame width
 * @param height frame height
 * @param frames the most frames decoding may produce: the declared count with some slack, or the frame
 *               limit when the container declares no length
 * @param source the container's demuxer and codec (e.g. "mov,mp4,m4a,3gp,3g2,mj2/h264"), or "images"
 * @param fps    the declared frame rate, 0 when unknown
 * @param declaredFrames the frame count the container declares (or its duration x rate), 0 when unknown:
 *               what a timeline's windows are counted from before decoding
 */
public record ClipShape(int width, int height, int frames, String source, double fps, int declaredFrames) {

    public ClipShape(int width, int height, int frames, String source, double fps) {
        this(width, height, frames, source, fps, 0);
    }

    public long pixels() {
        return (long) width * height;
    }
}
