package org.visionserve.export.graph;

import java.util.Arrays;

/**
 * A tensor flowing through a graph under construction: its ONNX value name, its shape (-1 for a
 * dynamic dimension such as the batch) and its element type (an {@code OnnxMl.TensorProto.DataType}
 * number). Shapes are tracked so that layers can size their parameters from their inputs.
 */
public record Value(String name, long[] shape, int elemType) {

    public static final int FLOAT = 1;
    public static final int INT64 = 7;

    public Value {
        shape = shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Dimension {@code i}; negative indices count from the end. */
    public long dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    /** The number of channels of an NCHW tensor. */
    public int channels() {
        return Math.toIntExact(shape[1]);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
