package org.visionserve.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.web.client.RestClientResponseException;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.visionserve.client.ApiClient;
import org.visionserve.client.api.ActionRecognitionApi;
import org.visionserve.client.api.ClassificationApi;
import org.visionserve.client.api.ModelsApi;
import org.visionserve.client.api.SegmentationApi;
import org.visionserve.client.model.ClassificationResult;
import org.visionserve.client.model.Disc;
import org.visionserve.client.model.Model;
import org.visionserve.client.model.Prediction;
import org.visionserve.client.model.Problem;
import org.visionserve.client.model.RecognitionResult;
import org.visionserve.client.model.SegmentationResult;
import org.visionserve.service.grpc.v2.GRPCInferenceServiceGrpc;
import org.visionserve.service.grpc.v2.InferParameter;
import org.visionserve.service.grpc.v2.InferTensorContents;
import org.visionserve.service.grpc.v2.ModelInferRequest;
import org.visionserve.service.grpc.v2.ModelInferResponse;
import org.visionserve.service.grpc.v2.ModelMetadataRequest;
import org.visionserve.service.grpc.v2.ModelMetadataResponse;
import org.visionserve.service.grpc.v2.ServerReadyRequest;
import tools.jackson.databind.JsonNode;

/**
 * The Docker image end to end, through the Java client SDK (clients/java, generated from docs/openapi.json):
 * the default models exported on first start, a real photo classified (single and batch), the committed
 * NIfTI examination segmented by IVD-Net (its discs checked against its mask), twelve frames recognised by
 * the clip endpoint, problem+json errors, the per-model latency histogram on /actuator/prometheus, and a
 * quantile of it read back through a real Prometheus. Authentication is on (the image's default): the client
 * sends the container's infer key; the probes and the scrape use the management port.
 */
@Testcontainers
class VisionServeSystemIT {

    static final String MODEL = "inception_next_tiny";
    static final File PHOTO = VisionServeContainer.REPO.resolve("k6/data/chelsea.jpg").toFile();

    @Container
    static final VisionServeContainer SERVICE = new VisionServeContainer();

    static ModelsApi models;
    static ClassificationApi api;
    static ActionRecognitionApi action;
    static SegmentationApi segmentation;

    @BeforeAll
    static void client() {
        ApiClient client = new ApiClient();
        client.setBasePath(SERVICE.baseUrl());
        client.setBearerToken(SERVICE.inferKey);
        models = new ModelsApi(client);
        api = new ClassificationApi(client);
        action = new ActionRecognitionApi(client);
        segmentation = new SegmentationApi(client);
    }

    @Test
    void listsTheDefaultModelExportedOnFirstStart() throws Exception {
        assertThat(models.listModels().getModels()).extracting(Model::getId).contains(MODEL);
        Model m = models.getModel(MODEL);
        assertThat(m.getStatus()).hasToString("ready");
        assertThat(m.getTask()).isEqualTo("classification");
        assertThat(m.getDevice()).isEqualTo("cpu");
        assertThat(m.getParameterCount()).isEqualTo(28_055_680L);
        assertThat(m.getModelSha256()).matches("[0-9a-f]{64}");
    }

    @Test
    void classifiesARealPhoto() throws Exception {
        ClassificationResult r = api.classify(MODEL, PHOTO, 3, null, null);
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
        RecognitionResult r = action.recognize("ts_lstm_ucf101", "farneback", 3, null, null, null, null, null,
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
        ClassificationResult r = api.classifyBatch(MODEL, List.of(PHOTO, second), 2, null, null);
        assertThat(r.getImages()).hasSize(2);
        assertThat(r.getImages().get(1).getName()).isEqualTo("second.jpg");
        // the same pixels give the same answer whatever their place in the batch
        assertThat(r.getImages().get(1).getPredictions().get(0).getProbability())
                .isCloseTo(r.getImages().get(0).getPredictions().get(0).getProbability(), within(1e-6));
    }

    /**
     * The Open Inference Protocol over gRPC on the image, through stubs generated from the service's
     * .proto: the photo as an encoded BYTES input with the classification parameter gives the same top
     * class as /classify.
     */
    @Test
    void classifiesThePhotoOverGrpc() throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", SERVICE.grpcPort).usePlaintext().build();
        try {
            io.grpc.Metadata key = new io.grpc.Metadata();
            key.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER),
                    "Bearer " + SERVICE.inferKey);
            var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(key));
            assertThat(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
            ModelMetadataResponse meta = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName(MODEL).build());
            assertThat(meta.getInputs(0).getShapeList()).containsExactly(-1L, 3L, 224L, 224L);
            ModelInferResponse r = stub.modelInfer(ModelInferRequest.newBuilder().setModelName(MODEL)
                    .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName(meta.getInputs(0).getName())
                            .setDatatype("BYTES").addShape(1).setContents(InferTensorContents.newBuilder()
                                    .addBytesContents(ByteString.copyFrom(Files.readAllBytes(PHOTO.toPath())))))
                    .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(meta.getOutputs(0).getName())
                            .putParameters("classification", InferParameter.newBuilder().setInt64Param(3).build()))
                    .build());
            List<ByteString> top = r.getOutputs(0).getContents().getBytesContentsList();
            assertThat(top).hasSize(3);
            String[] first = top.get(0).toStringUtf8().split(":", 3);
            Prediction rest = api.classify(MODEL, PHOTO, 1, null, null).getImages().get(0).getPredictions().get(0);
            assertThat(Integer.parseInt(first[1])).isEqualTo(rest.getIndex());
            assertThat(first[2]).isEqualTo(rest.getLabel());
        } finally {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void unknownModelIsAProblem404() {
        assertThatThrownBy(() -> models.getModel("no_such_model"))
                .isInstanceOfSatisfying(RestClientResponseException.class, e -> {
                    assertThat(e.getStatusCode().value()).isEqualTo(404);
                    Problem p = problem(e);
                    assertThat(p.getStatus()).isEqualTo(404);
                    assertThat(p.getCode()).isEqualTo("unknown-model");
                    assertThat(p.getInstance()).isEqualTo("/v1/models/no_such_model");
                });
    }

    @Test
    void truncatedImageIsAProblemNotACrash(@TempDir Path dir) throws Exception {
        byte[] jpeg = Files.readAllBytes(PHOTO.toPath());
        File broken = dir.resolve("broken.jpg").toFile();
        Files.write(broken.toPath(), Arrays.copyOf(jpeg, 600));
        assertThatThrownBy(() -> api.classify(MODEL, broken, 3, null, null))
                .isInstanceOfSatisfying(RestClientResponseException.class, e -> {
                    assertThat(e.getStatusCode().value()).isEqualTo(422);
                    Problem p = problem(e);
                    assertThat(p.getCode()).isEqualTo("corrupt-image");
                    assertThat(p.getImage()).isZero();
                });
        assertThat(api.classify(MODEL, PHOTO, 1, null, null).getImages()).hasSize(1);
    }

    /** The deadline a client asks for travels as the Request-Timeout header: a malformed one is refused by name. */
    @Test
    void aMalformedRequestTimeoutIsAProblemNamingIt() {
        assertThatThrownBy(() -> api.classify(MODEL, PHOTO, 1, "soon", null))
                .isInstanceOfSatisfying(RestClientResponseException.class, e -> {
                    assertThat(e.getStatusCode().value()).isEqualTo(400);
                    Problem p = problem(e);
                    assertThat(p.getCode()).isEqualTo("invalid-parameter");
                    assertThat(p.getParameter()).isEqualTo("Request-Timeout");
                });
        assertThat(api.classify(MODEL, PHOTO, 1, "30", "500s").getImages()).hasSize(1);
    }

    /**
     * Authentication as the image runs it: no key 401 with a challenge, the infer key 403 on the
     * repository (model control) API where the admin key passes, the probes open on the management port
     * and no actuator endpoint on the main one.
     */
    @Test
    void authenticationIsOnInTheImage() throws Exception {
        HttpResponse<String> anonymous = send(SERVICE.baseUrl() + "/v1/models", null);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Bearer");
        assertThat(anonymous.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
        ApiClient keyless = new ApiClient();
        keyless.setBasePath(SERVICE.baseUrl());
        assertThatThrownBy(() -> new ModelsApi(keyless).listModels())
                .isInstanceOfSatisfying(RestClientResponseException.class, e -> assertThat(e.getStatusCode().value())
                        .isEqualTo(401));
        assertThat(send(SERVICE.baseUrl() + "/v1/models", SERVICE.inferKey).statusCode()).isEqualTo(200);
        assertThat(post(SERVICE.baseUrl() + "/v2/repository/index", SERVICE.inferKey).statusCode()).isEqualTo(403);
        assertThat(post(SERVICE.baseUrl() + "/v2/repository/index", SERVICE.adminKey).statusCode()).isNotIn(401, 403);
        assertThat(send(SERVICE.managementUrl() + "/actuator/health/liveness", null).statusCode()).isEqualTo(200);
        assertThat(send(SERVICE.managementUrl() + "/actuator/health/readiness", null).statusCode()).isEqualTo(200);
        assertThat(send(SERVICE.baseUrl() + "/actuator/health/readiness", SERVICE.adminKey).statusCode()).isEqualTo(404);
    }

    private static HttpResponse<String> send(String url, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String url, String key) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The Open Inference Protocol over REST on the image: ready, and a JPEG's top 3 labels through the
     * classification extension are /classify's.
     */
    @Test
    void openInferenceProtocolRestGivesTheLabelsOfClassify() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        assertThat(http.send(HttpRequest.newBuilder(URI.create(SERVICE.baseUrl() + "/v2/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        String body = "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"BYTES\",\"shape\":[1],"
                + "\"parameters\":{\"content_type\":\"base64\"},\"data\":[\""
                + Base64.getEncoder().encodeToString(Files.readAllBytes(PHOTO.toPath())) + "\"]}],"
                + "\"outputs\":[{\"name\":\"logits\",\"parameters\":{\"classification\":3}}]}";
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(SERVICE.baseUrl() + "/v2/models/"
                        + MODEL + "/infer")).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + SERVICE.inferKey)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode out = tools.jackson.databind.json.JsonMapper.builder().build().readTree(r.body()).get("outputs").get(0);
        List<String> labels = new ArrayList<>();
        out.get("data").forEach(s -> labels.add(s.asString().split(":", 3)[2]));
        assertThat(labels).containsExactlyElementsOf(api.classify(MODEL, PHOTO, 3, null, null).getImages().get(0)
                .getPredictions().stream().map(Prediction::getLabel).toList());
    }

    @Test
    void prometheusEndpointHasThePerModelHistogram() throws Exception {
        api.classify(MODEL, PHOTO, 1, null, null);
        String metrics = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(SERVICE.managementUrl() + "/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics.lines().filter(l -> l.startsWith("visionserve_stage_seconds_bucket{")
                && l.contains("model=\"" + MODEL + "\"") && l.contains("stage=\"total\"")))
                .as("histogram buckets of the total stage for " + MODEL).hasSizeGreaterThan(5);
        assertThat(metrics).contains("visionserve_requests_total{").contains("outcome=\"ok\"");
    }

    @Test
    void latencyQuantileReadBackThroughPrometheus() throws Exception {
        try (Prometheus prometheus = Prometheus.scraping(SERVICE.managementPort)) {
            String p95 = "histogram_quantile(0.95, sum by (le) (rate(visionserve_stage_seconds_bucket{model=\""
                    + MODEL + "\", stage=\"total\"}[1m])))";
            double value = Double.NaN;
            for (int i = 0; i < 40 && !(value > 0); i++) {
                api.classify(MODEL, PHOTO, 1, null, null);
                Thread.sleep(500);
                JsonNode result = prometheus.query(p95);
                value = result.isEmpty() ? Double.NaN : result.get(0).path("value").get(1).asDouble(Double.NaN);
            }
            // a real latency: above zero, below the 10 s top bucket
            assertThat(value).as("p95 of %s's total latency through Prometheus", MODEL).isGreaterThan(0).isLessThan(10);
        }
    }

    /**
     * The default IVD-Net on the committed examination (k6/data/spine_*.nii.gz, 8 x 96 x 96): with its seeded
     * weights one disc, L5-S1, and the disc list is what the returned mask holds: its 26-connected components
     * of at least minDiscVolumeMm3, counted and bounded here from the mask itself.
     */
    @Test
    void segmentsTheCommittedExaminationIntoTheDiscsOfItsMask() throws Exception {
        Path data = VisionServeContainer.REPO.resolve("k6/data");
        SegmentationResult r = segmentation.segment("ivd_net", data.resolve("spine_fat.nii.gz").toFile(),
                data.resolve("spine_inn.nii.gz").toFile(), data.resolve("spine_opp.nii.gz").toFile(),
                data.resolve("spine_wat.nii.gz").toFile(), null, List.of("mask"), null, null, null);
        assertThat(r.getModel()).isEqualTo("ivd_net");
        assertThat(r.getWeights()).isEqualTo("seeded");
        assertThat(r.getInput().getShape()).containsExactly(8, 96, 96);
        assertThat(r.getTimings().getInference()).isPositive();

        byte[] nifti = new GZIPInputStream(new ByteArrayInputStream(Base64.getDecoder().decode(r.getMask().getBase64())))
                .readAllBytes();
        ByteBuffer b = ByteBuffer.wrap(nifti).order(ByteOrder.LITTLE_ENDIAN);
        int nx = b.getShort(42);
        int ny = b.getShort(44);
        int nz = b.getShort(46);
        assertThat(new int[] {nx, ny, nz}).containsExactly(8, 96, 96);
        assertThat(b.getShort(70)).as("uint8 mask").isEqualTo((short) 2);
        byte[] mask = Arrays.copyOfRange(nifti, (int) b.getFloat(108), (int) b.getFloat(108) + nx * ny * nz);
        long foreground = 0;
        for (byte v : mask) {
            foreground += v != 0 ? 1 : 0;
        }
        assertThat(r.getForegroundVoxels()).isEqualTo(foreground);

        double voxelMm3 = Math.abs(det3(r.getInput().getAffine()));
        List<long[]> kept = new ArrayList<>(); // {voxels, min i, j, k, max i, j, k}
        int dropped = 0;
        for (long[] c : components(mask, nx, ny, nz)) {
            if (c[0] * voxelMm3 >= r.getMinDiscVolumeMm3()) {
                kept.add(c);
            } else {
                dropped++;
            }
        }
        assertThat(r.getComponentsDropped()).isEqualTo(dropped);
        assertThat(r.getDiscs()).hasSize(1);
        assertThat(r.getDiscs().get(0).getLabel()).isEqualTo("L5-S1");
        assertThat(r.getDiscs()).extracting(VisionServeSystemIT::key)
                .containsExactlyInAnyOrderElementsOf(kept.stream().map(Arrays::toString).toList());
    }

    /** A disc as {voxels, bounding box min, max}, to compare with a component of the mask. */
    private static String key(Disc d) {
        List<Integer> min = d.getBoundingBox().getMin();
        List<Integer> max = d.getBoundingBox().getMax();
        return Arrays.toString(new long[] {d.getVoxels(), min.get(0), min.get(1), min.get(2), max.get(0), max.get(1),
                max.get(2)});
    }

    /** 26-connected components of the non-zero voxels (i fastest): {voxels, min i, j, k, max i, j, k} each. */
    static List<long[]> components(byte[] mask, int nx, int ny, int nz) {
        int[] label = new int[mask.length];
        List<long[]> out = new ArrayList<>();
        int[] stack = new int[mask.length];
        for (int start = 0; start < mask.length; start++) {
            if (mask[start] == 0 || label[start] != 0) {
                continue;
            }
            long[] c = {0, nx, ny, nz, -1, -1, -1};
            label[start] = out.size() + 1;
            int top = 0;
            stack[top++] = start;
            while (top > 0) {
                int v = stack[--top];
                int i = v % nx;
                int j = (v / nx) % ny;
                int k = v / (nx * ny);
                c[0]++;
                c[1] = Math.min(c[1], i);
                c[2] = Math.min(c[2], j);
                c[3] = Math.min(c[3], k);
                c[4] = Math.max(c[4], i);
                c[5] = Math.max(c[5], j);
                c[6] = Math.max(c[6], k);
                for (int dk = -1; dk <= 1; dk++) {
                    for (int dj = -1; dj <= 1; dj++) {
                        for (int di = -1; di <= 1; di++) {
                            int ii = i + di;
                            int jj = j + dj;
                            int kk = k + dk;
                            if (ii < 0 || jj < 0 || kk < 0 || ii >= nx || jj >= ny || kk >= nz) {
                                continue;
                            }
                            int u = ii + nx * (jj + ny * kk);
                            if (mask[u] != 0 && label[u] == 0) {
                                label[u] = out.size() + 1;
                                stack[top++] = u;
                            }
                        }
                    }
                }
            }
            out.add(c);
        }
        return out;
    }

    private static double det3(List<List<Double>> a) {
        return a.get(0).get(0) * (a.get(1).get(1) * a.get(2).get(2) - a.get(1).get(2) * a.get(2).get(1))
                - a.get(0).get(1) * (a.get(1).get(0) * a.get(2).get(2) - a.get(1).get(2) * a.get(2).get(0))
                + a.get(0).get(2) * (a.get(1).get(0) * a.get(2).get(1) - a.get(1).get(1) * a.get(2).get(0));
    }

    /** The error body decoded with the client's own Problem model, after checking its media type. */
    private static Problem problem(RestClientResponseException e) {
        assertThat(e.getResponseHeaders()).isNotNull();
        assertThat(String.valueOf(e.getResponseHeaders().getContentType())).startsWith("application/problem+json");
        Problem p = e.getResponseBodyAs(Problem.class);
        assertThat(p).isNotNull();
        assertThat(p.getStatus()).isEqualTo(e.getStatusCode().value());
        assertThat(p.getType()).isEqualTo("urn:visionserve:problem:" + p.getCode());
        return p;
    }
}
