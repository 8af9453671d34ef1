package org.visionserve.service.runtime;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * The service's one pool of direct, native-ordered float buffers, which ONNX Runtime reads in place.
 * Direct memory is otherwise only returned when the garbage collector gets round to a buffer, so
 * unreachable request buffers would pile up under {@code -XX:MaxDirectMemorySize}: here a buffer
 * given back is either kept for the next request of the same size (up to {@link #KEPT_BYTES} in all)
 * or freed at once.
 */
public final class DirectBuffers {

    /** Direct memory kept for reuse at most: the inputs of a few batches and clip streams. */
    public static final long KEPT_BYTES = 256L << 20;

    private static final DirectBuffers SHARED = new DirectBuffers(KEPT_BYTES);
    private static final sun.misc.Unsafe UNSAFE = unsafe();

    private final long keptLimit;
    private final Map<Integer, Deque<ByteBuffer>> free = new HashMap<>();
    private long keptBytes;

    DirectBuffers(long keptLimit) {
        this.keptLimit = keptLimit;
    }

    /** A new zero tensor of {@code shape} in native order, outside the pool (warm-up and its measurement). */
    static FloatBuffer zeros(long[] shape) {
        long floats = 1;
        for (long d : shape) {
            floats *= d;
        }
        return ByteBuffer.allocateDirect(Math.toIntExact(floats * Float.BYTES)).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
    }

    public static DirectBuffers shared() {
        return SHARED;
    }

    /** A buffer of exactly {@code floats} values at position 0, its content undefined; close it to give it back. */
    public Lease take(int floats) {
        int bytes = Math.multiplyExact(floats, Float.BYTES);
        ByteBuffer b;
        synchronized (this) {
            Deque<ByteBuffer> d = free.get(bytes);
            b = d == null ? null : d.pollFirst();
            if (b != null) {
                keptBytes -= bytes;
            }
        }
        if (b == null) {
            b = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
        }
        return new Lease(b.clear());
    }

    /** Bytes held for reuse. */
    public synchronized long keptBytes() {
        return keptBytes;
    }

    private void give(ByteBuffer b) {
        synchronized (this) {
            if (keptBytes + b.capacity() <= keptLimit) {
                free.computeIfAbsent(b.capacity(), k -> new ArrayDeque<>()).addFirst(b);
                keptBytes += b.capacity();
                return;
            }
        }
        if (UNSAFE != null) {
            UNSAFE.invokeCleaner(b);
        }
    }

    /** A buffer on loan; close it only once no tensor refers to it any more. */
    public final class Lease implements AutoCloseable {
        private final ByteBuffer bytes;
        private final FloatBuffer floats;
        private boolean closed;

        private Lease(ByteBuffer bytes) {
            this.bytes = bytes;
            this.floats = bytes.asFloatBuffer();
        }

        public FloatBuffer floats() {
            return floats;
        }

        /**
         * The same memory as bytes (native order, position 0, limit its size), for filling it straight
         * from a request body or a protocol message: one copy from the wire into what ONNX Runtime reads.
         */
        public ByteBuffer bytes() {
            return bytes.duplicate().clear().order(ByteOrder.nativeOrder());
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                give(bytes);
            }
        }
    }

    /** {@code sun.misc.Unsafe} (module jdk.unsupported) or null, in which case the GC frees the memory. */
    private static sun.misc.Unsafe unsafe() {
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (sun.misc.Unsafe) f.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
