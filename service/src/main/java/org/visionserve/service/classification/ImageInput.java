package org.visionserve.service.classification;

/** One uploaded image: its file name (may be null), bytes and declared content type. */
public record ImageInput(String name, byte[] bytes, String contentType) {
}
