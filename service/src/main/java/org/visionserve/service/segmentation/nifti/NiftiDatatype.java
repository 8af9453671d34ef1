package org.visionserve.service.segmentation.nifti;

import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

/** The NIfTI voxel types the reader accepts (codes from nifti1.h), and names for the ones it refuses. */
public enum NiftiDatatype {
    UINT8(2, 1, "uint8"),
    INT16(4, 2, "int16"),
    INT32(8, 4, "int32"),
    FLOAT32(16, 4, "float32"),
    FLOAT64(64, 8, "float64"),
    INT8(256, 1, "int8"),
    UINT16(512, 2, "uint16"),
    UINT32(768, 4, "uint32"),
    INT64(1024, 8, "int64");

    private static final Map<Integer, String> OTHERS = Map.of(0, "UNKNOWN", 1, "BINARY", 32, "COMPLEX64",
            128, "RGB24", 1280, "UINT64", 1536, "FLOAT128", 1792, "COMPLEX128", 2048, "COMPLEX256", 2304, "RGBA32");

    public final int code;
    public final int bytes;
    public final String label;

    NiftiDatatype(int code, int bytes, String label) {
        this.code = code;
        this.bytes = bytes;
        this.label = label;
    }

    public static NiftiDatatype of(int code) throws NiftiFormatException {
        for (NiftiDatatype t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        String name = OTHERS.getOrDefault(code, "not a NIfTI datatype code");
        throw new NiftiFormatException(NiftiFormatException.Kind.UNSUPPORTED, "datatype " + code + " (" + name
                + ") is not supported; supported: " + Arrays.stream(values()).map(t -> t.label)
                .collect(Collectors.joining(", ")));
    }
}
