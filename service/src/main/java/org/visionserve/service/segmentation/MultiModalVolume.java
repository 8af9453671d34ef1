package org.visionserve.service.segmentation;

import java.util.EnumMap;
import java.util.Map;

/**
 * The four co-registered Dixon volumes of one examination, checked to share one grid: the same shape,
 * and affines that put every voxel at the same place to within {@link #AFFINE_TOLERANCE} of the
 * smallest voxel spacing (float32 header noise is far below that, a real misregistration far above).
 */
public final class MultiModalVolume {

    /** Allowed affine disagreement, as a fraction of the smallest voxel spacing, at any corner voxel. */
    public static final double AFFINE_TOLERANCE = 0.01;

    private final EnumMap<Modality, Volume> volumes;

    private MultiModalVolume(EnumMap<Modality, Volume> volumes) {
        this.volumes = volumes;
    }

    public static MultiModalVolume of(Volume fat, Volume inn, Volume opp, Volume wat) throws ModalityMismatchException {
        return of(Map.of(Modality.FAT, fat, Modality.INN, inn, Modality.OPP, opp, Modality.WAT, wat));
    }

    public static MultiModalVolume of(Map<Modality, Volume> volumes) throws ModalityMismatchException {
        EnumMap<Modality, Volume> all = new EnumMap<>(Modality.class);
        Map<Modality, VolumeGeometry> grids = new EnumMap<>(Modality.class);
        for (Modality m : Modality.values()) {
            Volume v = volumes.get(m);
            if (v == null) {
                throw new IllegalArgumentException("modality " + m + " is missing");
            }
            all.put(m, v);
            grids.put(m, v.geometry());
        }
        checkGrids(grids);
        return new MultiModalVolume(all);
    }

    /**
     * Checks that the four modalities' geometries (from their headers, before their voxels are read) are
     * one grid; returns fat's.
     */
    public static VolumeGeometry checkGrids(Map<Modality, VolumeGeometry> grids) throws ModalityMismatchException {
        VolumeGeometry ref = grids.get(Modality.FAT);
        double tol = AFFINE_TOLERANCE * Math.min(ref.spacing(0), Math.min(ref.spacing(1), ref.spacing(2)));
        for (Modality m : Modality.values()) {
            VolumeGeometry g = grids.get(m);
            if (!g.sameShape(ref)) {
                throw new ModalityMismatchException(m, "modality " + m + " has shape " + g.shapeString()
                        + " but fat has " + ref.shapeString() + "; the four volumes must share one grid");
            }
            double d = ref.maxCornerDistance(g);
            if (!(d <= tol)) {
                throw new ModalityMismatchException(m, String.format(
                        "modality %s is not co-registered with fat: their affines place the same corner voxel "
                                + "%.3g mm apart (tolerance %.3g mm); %s's %s affine is %s, fat's %s affine is %s",
                        m, d, tol, m.key, g.affineSource().name().toLowerCase(), g.affine(),
                        ref.affineSource().name().toLowerCase(), ref.affine()));
            }
        }
        return ref;
    }

    public Volume get(Modality m) {
        return volumes.get(m);
    }

    /** The shared grid (fat's header). */
    public VolumeGeometry geometry() {
        return volumes.get(Modality.FAT).geometry();
    }
}
