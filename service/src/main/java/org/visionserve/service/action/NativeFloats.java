package org.visionserve.service.action;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * A direct, native-ordered float buffer whose memory is returned when it is closed, not whenever the
 * garbage collector gets round to it: a clip's stream inputs are ~115 MB, and a few requests' worth
 * of unreachable direct buffers would otherwise pile up under {@code -XX:MaxDirectMemorySize}.
 * Close it only once no tensor refers to it any more.
 */
final class NativeFloats implements AutoCloseable {

    private static final sun.misc.Unsafe UNSAFE = unsafe();

    private final ByteBuffer bytes;
    private final FloatBuffer floats;
    private boolean closed;

    NativeFloats(int count) {
        bytes = ByteBuffer.allocateDirect(Math.multiplyExact(count, Float.BYTES)).order(ByteOrder.nativeOrder());
        floats = bytes.asFloatBuffer();
    }

    FloatBuffer floats() {
        return floats;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (UNSAFE != null) {
                UNSAFE.invokeCleaner(bytes);
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
