package org.visionserve.service.segmentation;

import java.nio.FloatBuffer;

/** The network, as the volume pipeline sees it: {@code [n, 4, H, W]} in, logits {@code [n, 2, H, W]} out. */
@FunctionalInterface
public interface SliceModel {

    /**
     * @param batch {@code n * 4 * H * W} floats from position 0 (a direct buffer in native order, reused
     *              between calls)
     * @param shape {@code {n, 4, H, W}}
     * @return the logits, {@code n * 2 * H * W} floats from position 0
     */
    FloatBuffer run(FloatBuffer batch, long[] shape) throws Exception;
}
