package org.visionserve.service.segmentation;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Map;
import org.visionserve.export.graph.Conv;
import org.visionserve.export.graph.Graph;
import org.visionserve.export.graph.Value;
import org.visionserve.export.weights.Tensor;
import org.visionserve.export.weights.WeightSource;

/**
 * A real ONNX Runtime model with IVD-Net's interface ({@code input [n, 4, H, W]} -> {@code logits
 * [n, 2, H, W]}) but one 1x1 convolution: background logit 0.5, disc logit = the water channel, i.e.
 * "disc where the normalised water image exceeds 0.5". It exercises the pipeline end to end on ORT
 * (direct buffers, shapes, batching) with an answer that is known from the input.
 */
final class TinyOnnxModel implements SliceModel, AutoCloseable {

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    TinyOnnxModel(int h, int w) throws OrtException {
        WeightSource weights = new WeightSource() {
            @Override
            public Tensor load(String key, long[] shape) {
                return switch (key) {
                    case "out.weight" -> Tensor.of(shape, new float[] {0, 0, 0, 0, 0, 0, 0, 1});
                    case "out.bias" -> Tensor.of(shape, new float[] {0.5f, 0});
                    default -> throw new IllegalArgumentException(key);
                };
            }

            @Override
            public Provenance provenance() {
                return Provenance.seeded(0);
            }
        };
        Graph g = new Graph("threshold", weights);
        Value x = g.input("input", 4, h, w);
        g.output("logits", g.root().sub("out").conv2d(x, Conv.of(2, 1)));
        byte[] model = g.toModel("test", Map.of(), false).toByteArray();
        session = env.createSession(model, new OrtSession.SessionOptions());
    }

    @Override
    public FloatBuffer run(FloatBuffer batch, long[] shape) throws OrtException {
        try (OnnxTensor input = OnnxTensor.createTensor(env, batch, shape);
             OrtSession.Result out = session.run(Map.of("input", input))) {
            return ((OnnxTensor) out.get(0)).getFloatBuffer();
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
