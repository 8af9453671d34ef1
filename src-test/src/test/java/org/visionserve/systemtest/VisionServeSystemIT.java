package org.visionserve.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.Base64;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.web.client.RestClientResponseException;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.visionserve.client.ApiClient;
import org.visionserve.client.api.ModelsApi;
import org.visionserve.client.api.SegmentationApi;
import org.visionserve.client.model.ClassificationResult;
import org.visionserve.client.model.Model;
import org.visionserve.client.model.Prediction;
import org.visionserve.client.model.RecognitionResult;
import org.visionserve.client.model.SegmentationResult;
import tools.jackson.databind.JsonNode;

/**
 * The Docker image end to end, through the Java client generated from the service's OpenAPI document:
 * the default models exported on first start, a real photo classified (single and batch), a small NIfTI
 * examination segmented by IVD-Net, twelve frames recognised by the clip endpoint (disabled, see there),
 * problem+json errors, the per-model latency histogram on /actuator/prometheus, and a quantile of it
 * read back through a real Prometheus.
 */
@Testcontainers
class VisionServeSystemIT {

    static final String MODEL = "inception_next_tiny";
    static final File PHOTO = VisionServeContainer.REPO.resolve("k6/data/chelsea.jpg").toFile();

    @Container
    static final VisionServeContainer SERVICE = new VisionServeContainer();

    static ModelsApi api;
    static SegmentationApi segmentation;

    @BeforeAll
    static void client() {
        ApiClient client = new ApiClient();
        client.setBasePath(SERVICE.baseUrl());
        api = new ModelsApi(client);
        segmentation = new SegmentationApi(client);
    }

    @Test
    void listsTheDefaultModelExportedOnFirstStart() throws Exception {
        List<Model> models = api.callList().getModels();
        assertThat(models).extracting(Model::getId).contains(MODEL);
        Model m = api.get(MODEL);
        assertThat(m.getStatus()).hasToString("ready");
        assertThat(m.getTask()).isEqualTo("classification");
        assertThat(m.getDevice()).isEqualTo("cpu");
        assertThat(m.getParameterCount()).isEqualTo(28_055_680L);
        assertThat(m.getModelSha256()).matches("[0-9a-f]{64}");
    }

    @Test
    void classifiesARealPhoto() throws Exception {
        ClassificationResult r = api.classifyMultipart(MODEL, PHOTO, 3);
        assertThat(r.getModel()).isEqualTo(MODEL);
        assertThat(r.getImages()).hasSize(1);
        assertThat(r.getImages().get(0).getWidth()).isEqualTo(451);
        assertThat(r.getImages().get(0).getHeight()).isEqualTo(300);
        List<Prediction> p = r.getImages().get(0).getPredictions();
        assertThat(p).hasSize(3);
        assertThat(p).allSatisfy(x -> assertThat(x.getProbability()).isBetween(0.0, 1.0));
        assertThat(p.get(0).getProbability()).isGreaterThanOrEqualTo(p.get(1).getProbability());
        assertThat(r.getTimings().getTotal()).isPositive();
    }

    /** The clip endpoint on the action models exported on first start: twelve frames, Farneback flow. */
    @Test
    void recognizesAListOfFrames() throws Exception {
        RecognitionResult r = api.recognizeMultipart("ts_lstm_ucf101", "farneback", 3, null,
                java.util.Collections.nCopies(12, PHOTO));
        assertThat(r.getHead()).isEqualTo("ts_lstm");
        assertThat(r.getFlow()).isEqualTo("farneback");
        assertThat(r.getWeights()).isEqualTo("seeded");
        assertThat(r.getClip().getFrames()).isEqualTo(12);
        assertThat(r.getFrameIndices()).hasSize(25);
        assertThat(r.getPredictions()).hasSize(3);
        assertThat(r.getBaseline()).hasSize(3);
        assertThat(r.getTimings().getFeaturesFlow()).isPositive();
    }

    @Test
    void classifiesABatchInRequestOrder(@TempDir Path dir) throws Exception {
        File second = dir.resolve("second.jpg").toFile();
        Files.copy(PHOTO.toPath(), second.toPath());
        ClassificationResult r = api.classifyBatch(MODEL, List.of(PHOTO, second), 2);
        assertThat(r.getImages()).hasSize(2);
        assertThat(r.getImages().get(1).getName()).isEqualTo("second.jpg");
        // the same pixels give the same answer whatever their place in the batch
        assertThat(r.getImages().get(1).getPredictions().get(0).getProbability())
                .isCloseTo(r.getImages().get(0).getPredictions().get(0).getProbability(), within(1e-6));
    }

    @Test
    void unknownModelIsAProblem404() {
        assertThatThrownBy(() -> api.get("no_such_model"))
                .isInstanceOfSatisfying(RestClientResponseException.class, e -> {
                    assertThat(e.getStatusCode().value()).isEqualTo(404);
                    assertProblemJson(e);
                    assertThat(e.getResponseBodyAsString()).contains("\"status\":404");
                });
    }

    @Test
    void truncatedImageIsAProblemNotACrash(@TempDir Path dir) throws Exception {
        byte[] jpeg = Files.readAllBytes(PHOTO.toPath());
        File broken = dir.resolve("broken.jpg").toFile();
        Files.write(broken.toPath(), Arrays.copyOf(jpeg, 600));
        assertThatThrownBy(() -> api.classifyMultipart(MODEL, broken, 3))
                .isInstanceOfSatisfying(RestClientResponseException.class, e -> {
                    assertThat(e.getStatusCode().value()).isIn(400, 422);
                    assertProblemJson(e);
                });
        assertThat(api.classifyMultipart(MODEL, PHOTO, 1).getImages()).hasSize(1);
    }

    @Test
    void prometheusEndpointHasThePerModelHistogram() throws Exception {
        api.classifyMultipart(MODEL, PHOTO, 1);
        String metrics = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(SERVICE.baseUrl() + "/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics.lines().filter(l -> l.startsWith("visionserve_stage_seconds_bucket{")
                && l.contains("model=\"" + MODEL + "\"") && l.contains("stage=\"total\"")))
                .as("histogram buckets of the total stage for " + MODEL).hasSizeGreaterThan(5);
        assertThat(metrics).contains("visionserve_requests_total{").contains("outcome=\"ok\"");
    }

    @Test
    void latencyQuantileReadBackThroughPrometheus() throws Exception {
        try (Prometheus prometheus = Prometheus.scraping(SERVICE.port)) {
            String p95 = "histogram_quantile(0.95, sum by (le) (rate(visionserve_stage_seconds_bucket{model=\""
                    + MODEL + "\", stage=\"total\"}[1m])))";
            double value = Double.NaN;
            for (int i = 0; i < 40 && !(value > 0); i++) {
                api.classifyMultipart(MODEL, PHOTO, 1);
                Thread.sleep(500);
                JsonNode result = prometheus.query(p95);
                value = result.isEmpty() ? Double.NaN : result.get(0).path("value").get(1).asDouble(Double.NaN);
            }
            // a real latency: above zero, below the 10 s top bucket
            assertThat(value).as("p95 of %s's total latency through Prometheus", MODEL).isGreaterThan(0).isLessThan(10);
        }
    }

    /** The second default model: a small 4 x 64 x 64 examination (four NIfTI-1 files) segmented by IVD-Net. */
    @Test
    void segmentsANiftiExaminationWithTheDefaultIvdNet(@TempDir Path dir) throws Exception {
        File[] parts = new File[4];
        String[] names = {"fat", "inn", "opp", "wat"};
        for (int m = 0; m < 4; m++) {
            parts[m] = dir.resolve(names[m] + ".nii").toFile();
            Files.write(parts[m].toPath(), nifti(4, 64, 64, m));
        }
        SegmentationResult r = segmentation.segment("ivd_net", parts[0], parts[1], parts[2], parts[3], null,
                List.of("mask"));
        assertThat(r.getModel()).isEqualTo("ivd_net");
        assertThat(r.getWeights()).isEqualTo("seeded");
        assertThat(r.getInput().getShape()).containsExactly(4, 64, 64);
        assertThat(r.getInput().getAffine().get(1)).containsExactly(0.0, 1.25, 0.0, -40.0);
        assertThat(r.getDiscs()).isNotNull();
        assertThat(r.getTimings().getInference()).isPositive();
        byte[] mask = Base64.getDecoder().decode(r.getMask().getBase64());
        assertThat(mask[0] & 0xff).isEqualTo(0x1f); // .nii.gz
        assertThat(mask[1] & 0xff).isEqualTo(0x8b);
    }

    /** A NIfTI-1 uint8 volume, 2 x 1.25 x 1.25 mm (sform), a bright ellipse on a ramp that differs per modality. */
    static byte[] nifti(int nx, int ny, int nz, int modality) {
        ByteBuffer b = ByteBuffer.allocate(352 + nx * ny * nz).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 348);
        short[] dim = {3, (short) nx, (short) ny, (short) nz, 1, 1, 1, 1};
        for (int i = 0; i < 8; i++) {
            b.putShort(40 + 2 * i, dim[i]);
        }
        b.putShort(70, (short) 2).putShort(72, (short) 8); // uint8
        float[] pixdim = {1, 2, 1.25f, 1.25f, 0, 0, 0, 0};
        for (int i = 0; i < 8; i++) {
            b.putFloat(76 + 4 * i, pixdim[i]);
        }
        b.putFloat(108, 352).putFloat(112, 1).put(123, (byte) 10).putShort(254, (short) 1); // vox_offset, slope, mm+s, sform
        float[] srow = {2, 0, 0, -4, 0, 1.25f, 0, -40, 0, 0, 1.25f, -40};
        for (int i = 0; i < 12; i++) {
            b.putFloat(280 + 4 * i, srow[i]);
        }
        b.put(344, (byte) 'n').put(345, (byte) '+').put(346, (byte) '1');
        for (int k = 0; k < nz; k++) {
            for (int j = 0; j < ny; j++) {
                for (int i = 0; i < nx; i++) {
                    double e = Math.pow((j - 32) / 20.0, 2) + Math.pow((k - 32) / 5.0, 2);
                    int v = e < 1 ? (modality == 3 ? 240 : 40) : 60 + j + 10 * modality;
                    b.put(352 + i + nx * (j + ny * k), (byte) v);
                }
            }
        }
        return b.array();
    }

    private static void assertProblemJson(RestClientResponseException e) {
        assertThat(e.getResponseHeaders()).isNotNull();
        assertThat(String.valueOf(e.getResponseHeaders().getContentType())).startsWith("application/problem+json");
    }
}
