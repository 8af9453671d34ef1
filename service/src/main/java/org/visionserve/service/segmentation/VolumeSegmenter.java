package org.visionserve.service.segmentation;

import java.nio.FloatBuffer;
import org.visionserve.service.pipeline.Stage;
import org.visionserve.service.pipeline.StageTimer;
import org.visionserve.service.runtime.DirectBuffers;

/**
 * Runs a {@link SliceModel} over every slice of a volume in batches and assembles the mask, timing the
 * normalisation (batch filling) as {@link Stage#PREPROCESS} and the argmax as {@link Stage#POSTPROCESS};
 * the model calls are the caller's to time (a runner tells its queue from its run).
 */
public final class VolumeSegmenter {

    private final int netRows;
    private final int netCols;
    private final int batchSize;

    /**
     * @param netRows   the model's fixed input height, 0 if dynamic
     * @param netCols   the model's fixed input width, 0 if dynamic
     * @param batchSize slices per model call
     */
    public VolumeSegmenter(int netRows, int netCols, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size " + batchSize);
        }
        this.netRows = netRows;
        this.netCols = netCols;
        this.batchSize = batchSize;
    }

    /** The mask, the plan used and the number of model calls. */
    public record Result(VolumeMask mask, SlicePlan plan, int batches) {
    }

    public Result segment(MultiModalVolume volume, SliceModel model) throws Exception {
        return segment(volume, model, () -> { });
    }

    public Result segment(MultiModalVolume volume, SliceModel model, Runnable checkpoint) throws Exception {
        return segment(volume, model, checkpoint, new StageTimer());
    }

    /**
     * As {@link #segment(MultiModalVolume, SliceModel)}, running {@code checkpoint} before each batch is
     * filled: a request's deadline or cancellation (a runtime exception thrown
     * there) stops the volume between batches. The batch buffer comes from the shared direct-buffer pool
     * and goes back to it once the last model call has returned. Adds its stages to {@code timer}.
     */
    public Result segment(MultiModalVolume volume, SliceModel model, Runnable checkpoint, StageTimer timer)
            throws Exception {
        StageTimer.Lap planning = timer.start(Stage.PREPROCESS);
        SlicePlan plan = SlicePlan.of(volume.geometry(), netRows, netCols);
        SliceBatcher batcher = new SliceBatcher(volume, plan);
        MaskAssembler assembler = new MaskAssembler(volume.geometry(), plan, true);
        int per = batcher.floatsPerSlice();
        int capacity = Math.min(batchSize, plan.slices());
        planning.stop();
        int batches = 0;
        try (DirectBuffers.Lease lease = DirectBuffers.shared().take(capacity * per)) {
            FloatBuffer batch = lease.floats();
            for (int first = 0; first < plan.slices(); first += capacity) {
                checkpoint.run();
                int n = Math.min(capacity, plan.slices() - first);
                StageTimer.Lap fill = timer.start(Stage.PREPROCESS);
                batch.clear();
                batcher.fill(first, n, batch);
                batch.flip();
                fill.stop();
                FloatBuffer logits = model.run(batch, batcher.shape(n));
                StageTimer.Lap argmax = timer.start(Stage.POSTPROCESS);
                if (logits.remaining() < n * 2 * plan.netRows() * plan.netCols()) {
                    throw new IllegalStateException("the model returned " + logits.remaining() + " logits for "
                            + n + " slices of " + plan.netRows() + "x" + plan.netCols() + " (2 classes expected)");
                }
                assembler.accept(first, n, logits);
                argmax.stop();
                batches++;
            }
        }
        return new Result(assembler.result(), plan, batches);
    }
}
