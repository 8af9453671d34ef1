package org.visionserve.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnx.proto.OnnxMl.ModelProto;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** Runs an exported graph on ONNX Runtime's CPU provider, as the service would. */
public final class OrtRunner {

    private OrtRunner() {
    }

    /** Runs {@code proto} once on the given float inputs and returns every output, flattened. */
    public static Map<String, float[]> run(ModelProto proto, Map<String, float[]> inputs, Map<String, long[]> shapes)
            throws IOException, OrtException {
        Path file = Files.createTempFile("model", ".onnx");
        try {
            ModelExporter.writeModel(proto, file);
            return run(file, inputs, shapes);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    public static Map<String, float[]> run(Path model, Map<String, float[]> inputs, Map<String, long[]> shapes)
            throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession session = env.createSession(model.toString(), opts)) {
                Map<String, OnnxTensor> feeds = new HashMap<>();
                try {
                    for (var e : inputs.entrySet()) {
                        feeds.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(e.getValue()),
                                shapes.get(e.getKey())));
                    }
                    Map<String, float[]> out = new LinkedHashMap<>();
                    try (OrtSession.Result result = session.run(feeds)) {
                        for (var e : result) {
                            OnnxTensor t = (OnnxTensor) e.getValue();
                            FloatBuffer fb = t.getFloatBuffer();
                            float[] values = new float[fb.remaining()];
                            fb.get(values);
                            out.put(e.getKey(), values);
                        }
                    }
                    return out;
                } finally {
                    feeds.values().forEach(OnnxTensor::close);
                }
            }
        }
    }
}
