package org.visionserve.service.segmentation;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * The JSON answer of {@code POST /v1/models/{id}/segment}: the discs found, the volume's geometry, the
 * time of each stage, and (only when asked with {@code include}) the mask and the preview as base64.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SegmentationResult(
        String model, String device,
        @Schema(description = "weights provenance: 'seeded' (demo weights, not trained: the mask is meaningless) or 'checkpoint'")
        String weights,
        @Schema(description = "present for seeded demo weights") String weightsNote,
        Input input,
        @Schema(description = "connected components of the mask at or above minDiscVolumeMm3, cranial first")
        List<DiscView> discs,
        int componentsDropped, double minDiscVolumeMm3, long foregroundVoxels,
        Timings timings,
        @Schema(description = "only with include=mask") EncodedFile mask,
        @Schema(description = "only with include=preview") Preview preview) {

    /**
     * What was posted and how it was cut into network inputs.
     *
     * @param kind             {@code nifti} or {@code png} (one 2-D slice per modality)
     * @param shape            voxels along axes i, j, k (a PNG slice is 1 x rows x cols)
     * @param spacingMm        voxel size along i, j, k from the affine
     * @param affine           voxel (i, j, k, 1) to scanner mm (RAS+), 3 rows of 4
     * @param affineSource     {@code sform}, {@code qform} or {@code pixdim} (NIfTI's order of precedence)
     * @param sliceAxis        the voxel axis the 2-D slices are cut along (closest to left-right: sagittal)
     * @param sliceSize        rows x cols of one slice; netSize the network input they are zero-padded to
     * @param craniocaudalAxis the voxel axis closest to superior-inferior, along which discs are ordered
     */
    @Schema(name = "SegmentationInput")
    public record Input(String kind, int[] shape, double[] spacingMm, double[][] affine, String affineSource,
                        int sliceAxis, int slices, int[] sliceSize, int[] netSize, int batchSize, int batches,
                        int craniocaudalAxis) {
    }

    /**
     * One disc.
     *
     * @param position        1 = cranial-most
     * @param label           the level counted from the caudal end (caudal-most = L5-S1), a positional guess
     * @param centroidVoxel   mean (i, j, k) of its voxels
     * @param centroidMm      the centroid in scanner mm via the affine
     * @param boundingBox     smallest and largest (i, j, k), inclusive
     * @param meanProbability mean softmax disc probability over its voxels
     */
    @Schema(name = "Disc")
    public record DiscView(int position, String label, long voxels, double volumeMm3, double[] centroidVoxel,
                           double[] centroidMm, Box boundingBox, double meanProbability) {

        static DiscView of(Disc d) {
            return new DiscView(d.position(), d.label(), d.voxels(), d.volumeMm3(), d.centroidVoxel(),
                    d.centroidMm(), new Box(d.boundingBoxMin(), d.boundingBoxMax()), d.meanProbability());
        }
    }

    @Schema(name = "DiscBoundingBox")
    public record Box(int[] min, int[] max) {
    }

    /** Milliseconds per stage; {@code total} from the first byte decoded to the last encoded. */
    @Schema(name = "SegmentationTimings")
    public record Timings(double decode, double normalise, double queue, double inference, double postprocess,
                          double encode, double total) {
    }

    /** A file embedded as base64. */
    @Schema(name = "EncodedFile")
    public record EncodedFile(String mediaType, String fileName, long bytes, String base64) {
    }

    /** The mid-sagittal slice with the discs overlaid, as PNG (base64), and where it was cut. */
    @Schema(name = "SegmentationPreview")
    public record Preview(String mediaType, int width, int height, int sliceAxis, int sliceIndex, String base64) {
    }
}
