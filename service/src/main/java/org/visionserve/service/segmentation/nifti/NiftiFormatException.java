package org.visionserve.service.segmentation.nifti;

import org.visionserve.service.segmentation.VolumeFormatException;

/** A NIfTI file the reader refuses; {@link #kind()} says why, the message says what exactly. */
public class NiftiFormatException extends VolumeFormatException {

    public NiftiFormatException(Kind kind, String message) {
        super(kind, message);
    }

    public NiftiFormatException(Kind kind, String message, Throwable cause) {
        super(kind, message, cause);
    }
}
