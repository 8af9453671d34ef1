package org.visionserve.service.operations;

/**
 * A binary result of an operation (a mask, a preview), served as it is.
 *
 * @param name the result's name within its operation (e.g. {@code mask.nii.gz}, {@code preview})
 */
public record StoredFile(String name, String mediaType, String fileName, byte[] bytes) {
}
