package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.visionserve.export.ModelExporter;
import org.visionserve.export.ModelMetadata;
import org.visionserve.export.models.Preprocessing;
import org.visionserve.service.image.ImageDecoder;
import org.visionserve.service.image.ImageLimits;
import org.visionserve.service.image.ImagePreprocessor;
import tools.jackson.databind.JsonNode;

/**
 * What {@code /classify} answers is what the exported model says of the image: the HTTP top-k
 * (indices, labels, probabilities) against the softmax of a direct ONNX Runtime run, in a fresh
 * session with default options, on the same {@code model.onnx}.
 */
class ClassifyReferenceTest extends ServiceTestBase {

    private static final int K = 10;
    /**
     * The two sessions differ in graph optimisation and threads: on CPU their probabilities (about 0.1
     * at the top) agree exactly, and 1e-6 leaves room for float32 reassociation elsewhere. Tried once
     * by breaking the preprocessing: a red/blue swap moves them by 1.3e-2, dividing every channel by
     * the red std (0.229) by 1.3e-4.
     */
    private static final double TOLERANCE = 1e-6;

    /**
     * A 256 x 256 image for atto (shorter side resized to 256, centre crop 224): the resize keeps the
     * size, so the tensor is the centre crop at offset 16, channel by channel, {@code (v / 255 - mean) / std},
     * computed here straight from the pixels written into the PNG, without the service's code.
     */
    @Test
    void topKIsTheSoftmaxOfTheModelOnAnIndependentlyBuiltTensor() throws Exception {
        ModelMetadata meta = metadata(TestModels.ATTO);
        Preprocessing p = meta.preprocessing();
        assertThat(p.resizeShorterSide()).isEqualTo(256);
        assertThat(p.inputSize()).isEqualTo(224);

        int side = 256;
        int crop = 224;
        int offset = (side - crop) / 2;
        int[][] rgb = new int[3][side * side];
        SplittableRandom random = new SplittableRandom(7);
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < side * side; i++) {
            // Independent channels: any mix-up of them changes the tensor everywhere.
            for (int c = 0; c < 3; c++) {
                rgb[c][i] = random.nextInt(256);
            }
            image.setRGB(i % side, i / side, rgb[0][i] << 16 | rgb[1][i] << 8 | rgb[2][i]);
        }
        float[] tensor = new float[3 * crop * crop];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < crop; y++) {
                for (int x = 0; x < crop; x++) {
                    float v = rgb[c][(y + offset) * side + x + offset];
                    tensor[(c * crop + y) * crop + x] = (v / 255f - p.mean()[c]) / p.std()[c];
                }
            }
        }

        assertMatchesReference(TestModels.ATTO, meta, png(image), tensor);
    }

    /**
     * The photo (451 x 300: a real resize and crop) through the project's own decoder and
     * preprocessor, as library calls: the HTTP path (raw body, pooled batch buffer, the runner's
     * session) must not change what they give.
     */
    @Test
    void topKOfAPhotoIsTheSoftmaxOfTheModelOnThePreprocessedImage() throws Exception {
        ModelMetadata meta = metadata(TestModels.ATTO);
        byte[] photo = Images.chelseaPng();
        float[] tensor = ImagePreprocessor.preprocess(
                new ImageDecoder(new ImageLimits(10_000_000, 10_000_000)).decode(photo, "image/png"),
                meta.preprocessing());
        assertMatchesReference(TestModels.ATTO, meta, photo, tensor);
    }

    private void assertMatchesReference(String model, ModelMetadata meta, byte[] png, float[] tensor)
            throws Exception {
        double[] reference = softmax(runDirectly(model, meta, tensor));
        List<String> labels = meta.labels().classes();
        assertThat(labels).hasSize(reference.length);
        int[] expected = IntStream.range(0, reference.length).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> reference[i]).reversed())
                .mapToInt(Integer::intValue).limit(K).toArray();

        Http.Response r = http.post("/v1/models/" + model + "/classify?top_k=" + K, "image/png", png);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode predictions = r.json().get("images").get(0).get("predictions");
        assertThat(predictions.size()).isEqualTo(K);
        double maxErr = 0;
        for (int rank = 0; rank < K; rank++) {
            JsonNode pred = predictions.get(rank);
            maxErr = Math.max(maxErr, Math.abs(pred.get("probability").asDouble() - reference[pred.get("index").asInt()]));
        }
        System.out.printf("%s top-%d vs a direct ONNX Runtime run: max |dp| %.3e (top-1 p %.6f)%n", model, K,
                maxErr, reference[expected[0]]);
        for (int rank = 0; rank < K; rank++) {
            JsonNode pred = predictions.get(rank);
            int index = pred.get("index").asInt();
            assertThat(index).as("class at rank %d", rank).isEqualTo(expected[rank]);
            assertThat(pred.get("label").asString()).isEqualTo(labels.get(index));
            assertThat(pred.get("probability").asDouble()).as("probability of class %d", index)
                    .isCloseTo(reference[index], within(TOLERANCE));
        }
    }

    private static float[] runDirectly(String model, ModelMetadata meta, float[] tensor) throws Exception {
        Path onnx = TestModels.repository().resolve(model).resolve(ModelExporter.MODEL_FILE);
        int size = meta.preprocessing().inputSize();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
             OrtSession session = env.createSession(onnx.toString(), options);
             OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(tensor), new long[] {1, 3, size, size});
             OrtSession.Result out = session.run(Map.of(session.getInputNames().iterator().next(), input))) {
            FloatBuffer logits = ((OnnxTensor) out.get(0)).getFloatBuffer();
            float[] v = new float[logits.remaining()];
            logits.get(v);
            return v;
        }
    }

    private static double[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    private static ModelMetadata metadata(String model) throws Exception {
        return ModelMetadata.read(TestModels.repository().resolve(model).resolve(ModelMetadata.FILE_NAME));
    }

    private static byte[] png(BufferedImage image) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(image, "png", out)).isTrue();
        return out.toByteArray();
    }
}
