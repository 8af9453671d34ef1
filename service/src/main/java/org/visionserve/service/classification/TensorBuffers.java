package org.visionserve.service.classification;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Direct, native-ordered input buffers, which ONNX Runtime reads in place. Direct memory is only
 * returned when the garbage collector gets round to the buffer, so single-image buffers (the common
 * case) are reused from a small pool instead: native memory stays flat under load. Batch buffers
 * are allocated per request.
 */
final class TensorBuffers {

    private static final int KEPT_PER_SIZE = 8;

    private final Map<Integer, Deque<FloatBuffer>> free = new ConcurrentHashMap<>();

    /** A buffer of exactly {@code floats} values, position 0. */
    FloatBuffer take(int images, int floatsPerImage) {
        int floats = images * floatsPerImage;
        if (images == 1) {
            Deque<FloatBuffer> pool = free.get(floats);
            FloatBuffer b = pool == null ? null : pool.pollFirst();
            if (b != null) {
                return b.clear();
            }
        }
        return ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** Gives a buffer back once nothing uses it any more (the tensor over it is closed). */
    void give(FloatBuffer b, int images) {
        if (images == 1) {
            Deque<FloatBuffer> pool = free.computeIfAbsent(b.capacity(), k -> new ConcurrentLinkedDeque<>());
            if (pool.size() < KEPT_PER_SIZE) {
                pool.offerFirst(b);
            }
        }
    }
}
