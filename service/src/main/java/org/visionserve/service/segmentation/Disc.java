package org.visionserve.service.segmentation;

/**
 * One detected intervertebral disc (a connected component of the mask).
 *
 * @param position        1 = cranial-most, increasing caudally
 * @param label           the anatomical level counted from the caudal end (caudal-most = L5-S1, as in
 *                        IVDM3Seg's field of view of the 7 discs T11-T12 .. L5-S1); a positional guess
 * @param voxels          voxel count
 * @param volumeMm3       voxels x |det| of the affine's linear part
 * @param centroidVoxel   mean voxel coordinate (i, j, k)
 * @param centroidMm      the centroid in scanner mm (RAS+) via the affine
 * @param boundingBoxMin  smallest (i, j, k), inclusive
 * @param boundingBoxMax  largest (i, j, k), inclusive
 * @param meanProbability mean disc probability over the component, NaN without a probability volume
 */
public record Disc(int position, String label, long voxels, double volumeMm3, double[] centroidVoxel,
                   double[] centroidMm, int[] boundingBoxMin, int[] boundingBoxMax, double meanProbability) {
}
