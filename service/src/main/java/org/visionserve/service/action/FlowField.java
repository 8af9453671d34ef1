package org.visionserve.service.action;

/**
 * One frame pair's flow as the reference stored it: each component clipped to [-20, 20] pixels and
 * min-max stretched to 0..255 within the field, packed row-major {@code width * height} bytes.
 */
public record FlowField(int width, int height, byte[] x, byte[] y) {
}
