package org.visionserve.service.classification;

import org.visionserve.service.image.ImageDecodeException;

/** An input image could not be decoded; says which image of the request it was. */
public class ImageRejectedException extends RuntimeException {

    private final int index;
    private final String name;

    public ImageRejectedException(int index, String name, ImageDecodeException cause) {
        super(cause.getMessage(), cause);
        this.index = index;
        this.name = name;
    }

    public ImageDecodeException decodeError() {
        return (ImageDecodeException) getCause();
    }

    public int index() {
        return index;
    }

    public String name() {
        return name;
    }
}
