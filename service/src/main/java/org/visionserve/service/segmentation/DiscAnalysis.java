package org.visionserve.service.segmentation;

import java.util.List;

/**
 * The discs found in a mask, cranial first.
 *
 * @param discs              kept components, sorted cranio-caudally
 * @param labels             per voxel: the disc's position (1..n), -1 for a foreground voxel of a dropped
 *                           (too small) component, 0 for background
 * @param componentsDropped  components below the minimum volume
 * @param craniocaudalAxis   the voxel axis whose world direction is closest to superior-inferior
 */
public record DiscAnalysis(List<Disc> discs, int[] labels, int componentsDropped, int craniocaudalAxis) {
}
