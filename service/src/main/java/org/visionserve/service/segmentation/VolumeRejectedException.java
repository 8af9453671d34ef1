package org.visionserve.service.segmentation;

/**
 * An uploaded modality (or the examination they form) that the service cannot segment, with the part
 * it came from; the web layer answers 400 naming the problem, or 413 with the limit's config key.
 */
public class VolumeRejectedException extends RuntimeException {

    private final Modality modality;
    private final VolumeFormatException.Kind kind;

    /** {@code modality} is null when the problem is the examination's (e.g. its slice size), not one file's. */
    public VolumeRejectedException(Modality modality, VolumeFormatException cause) {
        super((modality == null ? "" : "part '" + modality.key + "' (" + modality.description + "): ")
                + cause.getMessage(), cause);
        this.modality = modality;
        this.kind = cause.kind();
    }

    public Modality modality() {
        return modality;
    }

    public VolumeFormatException.Kind kind() {
        return kind;
    }

    /**
     * For {@link VolumeFormatException.Kind#TOO_LARGE}: the configuration key of the limit, found in the
     * message, which every limit check ends with ({@link VolumeLimits#check}, the PNG size, the slice size).
     */
    public String configKey() {
        String m = getMessage();
        for (String key : new String[] {VolumeLimits.MAX_BYTES_KEY, VolumeLimits.MAX_VOXELS_KEY,
                SegmentationService.MAX_SLICE_PIXELS_KEY}) {
            if (m.contains(key)) {
                return key;
            }
        }
        return VolumeLimits.MAX_VOXELS_KEY; // a dimension beyond what any configuration allows
    }
}
