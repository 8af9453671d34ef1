package org.visionserve.service.action;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * From an uploaded clip to the two ResNet streams' inputs: decode, sample 25 points, optical flow of
 * exactly the frame pairs the 25 stacks use (each once, spread over a bounded pool), RGB and flow
 * tensors. One instance serves all requests; its pool bounds the flow and preprocessing threads of
 * all of them together. Do not call it from its own pool's threads.
 */
public final class ClipPipeline implements AutoCloseable {

    private final ClipDecoder decoder;
    private final ThreadPoolExecutor pool;
    private final OpticalFlow flow;

    /**
     * @param threads flow and preprocessing threads shared by all requests (e.g. the number of cores)
     */
    public ClipPipeline(ClipLimits limits, int threads) {
        this.decoder = new ClipDecoder(limits);
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "clip-flow-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true); // idle threads go away between requests
        this.flow = new OpticalFlow(pool);
    }

    public ClipPipeline(ClipLimits limits) {
        this(limits, Runtime.getRuntime().availableProcessors());
    }

    public ClipDecoder decoder() {
        return decoder;
    }

    /** A video file (MP4, MOV, WebM, AVI) to stream inputs. */
    public PreparedClip prepare(byte[] video, FlowMethod method, StreamNormalization norm) {
        long t0 = System.nanoTime();
        DecodedClip clip = decoder.decode(video);
        return prepare(clip, method, norm, System.nanoTime() - t0);
    }

    /** Frame images in time order to stream inputs. */
    public PreparedClip prepareImages(List<byte[]> images, FlowMethod method, StreamNormalization norm) {
        long t0 = System.nanoTime();
        DecodedClip clip = decoder.decodeImages(images);
        return prepare(clip, method, norm, System.nanoTime() - t0);
    }

    /** Already decoded frames to stream inputs. */
    public PreparedClip prepare(DecodedClip clip, FlowMethod method, StreamNormalization norm, long decodeNanos) {
        return prepare(clip, method, norm, decodeNanos, ClipTensors.direct(PreparedClip.RGB_FLOATS),
                ClipTensors.direct(PreparedClip.FLOW_FLOATS));
    }

    /**
     * As above, writing the stream inputs into the caller's direct buffers ({@link PreparedClip#RGB_FLOATS}
     * and {@link PreparedClip#FLOW_FLOATS} values), so the caller decides when their memory is freed.
     */
    public PreparedClip prepare(DecodedClip clip, FlowMethod method, StreamNormalization norm, long decodeNanos,
                                FloatBuffer rgbOut, FloatBuffer flowOut) {
        FrameSampling sampling = FrameSampling.of(clip.frameCount());
        long t1 = System.nanoTime();
        Map<Integer, FlowField> fields = flow.compute(clip, sampling.pairs(), method);
        long t2 = System.nanoTime();
        FloatBuffer rgb = ClipTensors.rgb(clip, sampling, norm, pool, rgbOut);
        FloatBuffer flowStacks = ClipTensors.flow(fields, sampling, norm, pool, flowOut);
        long t3 = System.nanoTime();
        return new PreparedClip(rgb, flowStacks, sampling, method, clip.width(), clip.height(), clip.fps(),
                clip.source(), fields.size(), new PreparedClip.Timings(decodeNanos, t2 - t1, t3 - t2));
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
