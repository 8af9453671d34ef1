package org.visionserve.service.inference;

import java.util.Locale;

/**
 * The Open Inference Protocol's tensor datatypes (the spelling is the protocol's), with their element
 * size on the wire; {@link #BYTES} elements are variable-length (on the wire: a 4-byte little-endian
 * length before each element's bytes).
 */
public enum DataType {
    BOOL(1, "bool"), UINT8(1, "uint8"), UINT16(2, "uint16"), UINT32(4, "uint32"), UINT64(8, "uint64"),
    INT8(1, "int8"), INT16(2, "int16"), INT32(4, "int32"), INT64(8, "int64"),
    FP16(2, "float16"), FP32(4, "float32"), FP64(8, "float64"), BF16(2, "bfloat16"), BYTES(0, "string");

    private final int byteSize;
    private final String modelDtype;

    DataType(int byteSize, String modelDtype) {
        this.byteSize = byteSize;
        this.modelDtype = modelDtype;
    }

    /** Bytes per element; 0 for {@link #BYTES}. */
    public int byteSize() {
        return byteSize;
    }

    /**
     * The datatype named in a request.
     *
     * @throws InvalidInferenceRequestException naming {@code what} when it is no datatype of the protocol
     */
    public static DataType parse(String name, String what) {
        if (name != null) {
            for (DataType t : values()) {
                if (t.name().equals(name)) {
                    return t;
                }
            }
        }
        throw new InvalidInferenceRequestException(what + ": unknown datatype '" + name
                + "' (the protocol's are BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BF16, BYTES)");
    }

    /** The datatype of a tensor described in model.json ({@code float32}, ...), or null if none matches. */
    public static DataType ofModelDtype(String dtype) {
        String d = dtype == null ? "float32" : dtype.toLowerCase(Locale.ROOT);
        for (DataType t : values()) {
            if (t.modelDtype.equals(d)) {
                return t;
            }
        }
        return null;
    }
}
