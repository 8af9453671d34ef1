package org.visionserve.service.segmentation;

/**
 * The four modalities are each readable but do not describe the same voxels (shape or affine differ);
 * the web layer maps it to 422. {@link #modality()} is the one that differs from the reference (fat).
 */
public class ModalityMismatchException extends Exception {

    private final Modality modality;

    public ModalityMismatchException(Modality modality, String message) {
        super(message);
        this.modality = modality;
    }

    public Modality modality() {
        return modality;
    }
}
