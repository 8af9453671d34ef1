package org.visionserve.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.visionserve.service.Http;
import org.visionserve.service.ServiceTestBase;
import org.visionserve.service.TestModels;
import org.visionserve.service.runtime.Admission;
import org.visionserve.service.runtime.HeldRunner;
import org.visionserve.service.runtime.ModelRunner;
import org.visionserve.service.runtime.RequestCancelledException;
import org.visionserve.service.runtime.RequestScope;
import org.visionserve.service.segmentation.nifti.NiftiDatatype;
import org.visionserve.service.segmentation.nifti.NiftiReader;
import org.visionserve.service.segmentation.nifti.NiftiWriter;
import tools.jackson.databind.JsonNode;

/**
 * The volume pipeline on the one request lifecycle, over real HTTP with the real (seeded) IVD-Net:
 * every part measured from its header before any is decoded (413, 422 before a voxel is read),
 * admission in the {@code volumes} pool (503 {@code overloaded} when its places and queue are full),
 * the deadline and a client that goes away stopping the volume and giving its place back, and slices
 * of concurrent volumes sharing model runs. Where requests must be waiting at the model, the model's
 * run slot is held by the test, so what happens is certain rather than a matter of timing.
 */
class SegmentLifecycleApiTest extends ServiceTestBase {

    private static final String URL = "/v1/models/" + TestModels.IVD + "/segment";
    private final ExecutorService clients = Executors.newCachedThreadPool();

    @AfterEach
    void stopClients() {
        clients.shutdownNow();
    }

    private static Map<Modality, byte[]> exam(SyntheticSpine spine) {
        byte[] truth = spine.mask();
        Map<Modality, byte[]> files = new EnumMap<>(Modality.class);
        for (Modality m : Modality.values()) {
            files.put(m, NiftiWriter.write(spine.geometry, spine.modality(m, truth), NiftiDatatype.INT16, m == Modality.FAT));
        }
        return files;
    }

    private static List<Http.Part> parts(Map<Modality, byte[]> files) {
        List<Http.Part> parts = new ArrayList<>();
        files.forEach((m, bytes) -> parts.add(new Http.Part(m.key, m.key + ".nii", "application/octet-stream", bytes)));
        return parts;
    }

    private static Map<Modality, byte[]> with(Map<Modality, byte[]> files, Modality m, byte[] bytes) {
        Map<Modality, byte[]> copy = new EnumMap<>(files);
        copy.put(m, bytes);
        return copy;
    }

    /** A NIfTI-1 header alone (352 bytes, no voxel data) claiming {@code nx x ny x nz} int16 voxels. */
    private static byte[] headerOnly(int nx, int ny, int nz) {
        byte[] h = Arrays.copyOf(NiftiWriter.write(VolumeGeometry.ofAffine(1, 1, 1, Affine.scaling(2, 1.25, 1.25)),
                new float[1], NiftiDatatype.INT16, false), 352);
        ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).putShort(42, (short) nx).putShort(44, (short) ny)
                .putShort(46, (short) nz);
        return h;
    }

    private static byte[] gzip(byte[] raw) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(raw);
        }
        return out.toByteArray();
    }

    private static JsonNode problem(Http.Response r, int status, String code) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.contentType()).startsWith("application/problem+json");
        JsonNode p = r.json();
        assertThat(p.get("code").asString()).isEqualTo(code);
        return p;
    }

    private ModelRunner ivd() {
        return repository.ready(TestModels.IVD).runner();
    }

    private double runs() {
        return counter("visionserve_batch_size_count", "model", TestModels.IVD);
    }

    private double items() {
        return counter("visionserve_batch_size_sum", "model", TestModels.IVD);
    }

    private CompletableFuture<Http.Response> postAsync(String url, List<Http.Part> parts) {
        return CompletableFuture.supplyAsync(() -> http.multipart(url, parts), clients);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    /**
     * Each request below holds a part whose voxel data is cut short (fat, gzip cut in half): decoded, it
     * would be a 400. Getting the other answer proves that all four headers were measured, and the
     * request refused, before any part was decoded.
     */
    @Test
    void overLimitHeadersAre413AndMismatchedGrids422BeforeAnyPartIsDecoded() throws Exception {
        Map<Modality, byte[]> files = exam(new SyntheticSpine(4, 64, 64));
        byte[] fat = files.get(Modality.FAT);
        Map<Modality, byte[]> cut = with(files, Modality.FAT, Arrays.copyOf(fat, fat.length / 2));
        JsonNode p = problem(http.multipart(URL, parts(cut)), 400, "invalid-volume"); // what decoding it gives
        assertThat(p.get("part").asString()).isEqualTo("fat");

        // a header alone claiming 8 x 256 x 256 (524288 voxels > 300000), no data after it
        p = problem(http.multipart(URL, parts(with(cut, Modality.INN, headerOnly(8, 256, 256)))), 413, "payload-too-large");
        assertThat(p.get("configKey").asString()).isEqualTo("visionserve.limits.max-volume-voxels");
        assertThat(p.get("limit").asLong()).isEqualTo(300_000);
        assertThat(p.get("part").asString()).isEqualTo("inn");

        // the same in gzip (the header at the start of the inflated stream), claiming 32767^3 voxels
        p = problem(http.multipart(URL, parts(with(cut, Modality.WAT, gzip(headerOnly(32767, 32767, 32767))))), 413,
                "payload-too-large");
        assertThat(p.get("configKey").asString()).isEqualTo("visionserve.limits.max-volume-voxels");
        assertThat(p.get("part").asString()).isEqualTo("wat");

        // four headers of 1 x 288 x 288 slices, no voxel data at all: padded 288 x 288 > max-slice-pixels 65536
        Map<Modality, byte[]> wide = new EnumMap<>(Modality.class);
        for (Modality m : Modality.values()) {
            wide.put(m, headerOnly(1, 288, 288));
        }
        p = problem(http.multipart(URL, parts(wide)), 413, "payload-too-large");
        assertThat(p.get("configKey").asString()).isEqualTo("visionserve.limits.max-slice-pixels");

        // a grid that differs from fat's, found from the headers
        p = problem(http.multipart(URL, parts(with(cut, Modality.OPP, headerOnly(4, 64, 32)))), 422, "modality-mismatch");
        assertThat(p.get("part").asString()).isEqualTo("opp");
        assertThat(admission.active(SegmentationService.POOL)).isZero();
    }

    /** The pool's place taken and its queue full (held through the Admission bean): 503 at once, then served. */
    @Test
    void fullPoolAndQueueAre503OverloadedWithRetryAfter() throws Exception {
        String pool = SegmentationService.POOL;
        Admission.Limits limits = admission.limits(pool);
        assertThat(limits.concurrency()).isEqualTo(1); // visionserve.segmentation.max-concurrent in the tests
        assertThat(limits.queueCapacity()).isEqualTo(2); // the default queue-capacity
        List<Http.Part> parts = parts(exam(new SyntheticSpine(2, 64, 64)));
        List<Admission.Ticket> held = new ArrayList<>();
        List<RequestScope> waiterScopes = new ArrayList<>();
        List<CompletableFuture<Admission.Ticket>> waiters = new ArrayList<>();
        try (RequestScope scope = RequestScope.withTimeout(Duration.ofMinutes(2))) {
            for (int i = 0; i < limits.concurrency(); i++) {
                held.add(admission.admit(pool, 0, scope));
            }
            for (int i = 0; i < limits.queueCapacity(); i++) {
                RequestScope s = RequestScope.withTimeout(Duration.ofMinutes(2));
                waiterScopes.add(s);
                waiters.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return admission.admit(pool, 0, s);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }, clients));
            }
            await(() -> admission.waiting(pool) == limits.queueCapacity(), "the pool's queue full");
            double before = counterOrZero("visionserve_requests_total", "model", TestModels.IVD, "outcome", "rejected");

            Http.Response r = http.multipart(URL, parts);
            JsonNode p = problem(r, 503, "overloaded");
            assertThat(Long.parseLong(r.raw().headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 300L);
            assertThat(p.get("concurrency").asInt()).isEqualTo(1);
            assertThat(p.get("queueCapacity").asInt()).isEqualTo(2);
            assertThat(p.get("detail").asString()).contains("visionserve.segmentation.max-concurrent");
            assertThat(counter("visionserve_requests_total", "model", TestModels.IVD, "outcome", "rejected"))
                    .isEqualTo(before + 1);
        } finally {
            waiterScopes.forEach(s -> s.cancel(RequestScope.Reason.CLIENT_GONE));
            for (CompletableFuture<Admission.Ticket> w : waiters) {
                assertThat(w).failsWithin(30, TimeUnit.SECONDS).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                        .withCauseInstanceOf(RequestCancelledException.class);
            }
            waiterScopes.forEach(RequestScope::close);
            held.forEach(Admission.Ticket::close);
        }
        assertThat(admission.waiting(pool)).isZero();
        assertThat(http.multipart(URL, parts).status()).isEqualTo(200);
    }

    /**
     * A deadline (timeout=1, as Request-Timeout) that passes while the volume's first batch waits for the
     * model: 504, the volume's place is given back, its batches never run, and the next volume is served.
     */
    @Test
    void deadlineWhileWaitingForTheModelIs504AndGivesThePlaceBack() throws Exception {
        List<Http.Part> parts = parts(exam(new SyntheticSpine(4, 64, 64))); // 2 batches of 2 slices
        double runsBefore;
        double timeoutsBefore = counterOrZero("visionserve_requests_total", "model", TestModels.IVD, "outcome", "timeout");
        try (HeldRunner held = HeldRunner.hold(ivd())) {
            runsBefore = runs();
            JsonNode p = problem(http.multipart(URL + "?timeout=1", parts), 504, "deadline-exceeded");
            assertThat(p.get("timeoutSeconds").asDouble()).isEqualTo(1.0);
            assertThat(admission.active(SegmentationService.POOL)).isZero();
            assertThat(counter("visionserve_segmentation_in_flight")).isZero();
        }
        assertThat(counter("visionserve_requests_total", "model", TestModels.IVD, "outcome", "timeout"))
                .isEqualTo(timeoutsBefore + 1);
        Http.Response next = http.multipart(URL, parts);
        assertThat(next.status()).as(next.body()).isEqualTo(200);
        // runs are taken in arrival order: the abandoned batch was passed over before the next volume's ran
        assertThat(runs() - runsBefore).as("model runs since the model was held").isEqualTo(2);
        assertThat(admission.active(SegmentationService.POOL)).isZero();
    }

    /**
     * A client that closes its connection while its volume waits for the model: its work stops (the
     * watchdog's probe of the connection), its place is given back and none of its batches runs.
     */
    @Test
    void clientThatGoesAwayStopsItsVolumeAndGivesThePlaceBack() throws Exception {
        Map<Modality, byte[]> files = exam(new SyntheticSpine(4, 64, 64));
        String boundary = "----lifecycle";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (Map.Entry<Modality, byte[]> f : files.entrySet()) {
            body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.getKey().key
                    + "\"; filename=\"" + f.getKey().key + ".nii\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            body.writeBytes(f.getValue());
            body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        double runsBefore;
        double abortsBefore = counterOrZero("visionserve_client_aborts_total", "stage", "processing");
        try (HeldRunner held = HeldRunner.hold(ivd())) {
            runsBefore = runs();
            try (Socket s = new Socket("localhost", port)) {
                OutputStream out = s.getOutputStream();
                out.write(("POST " + URL + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary="
                        + boundary + "\r\nContent-Length: " + body.size() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                body.writeTo(out);
                out.flush();
                await(() -> admission.active(SegmentationService.POOL) == 1 && ivd().queueDepth() == 1,
                        "the volume's first batch waiting for the model");
            }
            await(() -> admission.active(SegmentationService.POOL) == 0, "the place given back once the client left");
            // the place is given back as the error leaves the service, the abort counted after, by the web layer
            await(() -> counterOrZero("visionserve_client_aborts_total", "stage", "processing") >= abortsBefore + 1,
                    "the abort counted");
            assertThat(counter("visionserve_client_aborts_total", "stage", "processing")).isEqualTo(abortsBefore + 1);
        }
        assertThat(http.multipart(URL, parts(files)).status()).isEqualTo(200);
        assertThat(runs() - runsBefore).as("model runs: only the next volume's two batches").isEqualTo(2);
    }

    /**
     * Issue 12: slices of concurrent volumes of one size share IVD-Net runs. With two places in the pool,
     * two volumes (2 batches of 2 slices each) queue their first batches at the held model: let go, they
     * run as one batch of 4, and each volume's mask is the one it gets alone.
     */
    @Test
    void concurrentVolumesOfOneSizeShareModelRuns() throws Exception {
        Map<Modality, byte[]> a = exam(new SyntheticSpine(4, 64, 64));
        Map<Modality, byte[]> b = with(with(a, Modality.FAT, a.get(Modality.WAT)), Modality.WAT, a.get(Modality.FAT));
        NiftiReader reader = new NiftiReader(VolumeLimits.DEFAULT);
        List<float[]> alone = new ArrayList<>();
        for (Map<Modality, byte[]> exam : List.of(a, b)) {
            Http.Response r = http.multipart(URL + "?include=mask", parts(exam));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            alone.add(reader.read(java.util.Base64.getDecoder().decode(r.json().get("mask").get("base64").asString())).data());
        }
        assertThat(alone.get(0)).as("the two examinations differ").isNotEqualTo(alone.get(1));

        String pool = SegmentationService.POOL;
        Admission.Limits limits = admission.limits(pool);
        admission.define(pool, new Admission.Limits(2, limits.queueCapacity(), limits.configKey()));
        try {
            double runsBefore;
            double itemsBefore;
            List<CompletableFuture<Http.Response>> answers = new ArrayList<>();
            try (HeldRunner held = HeldRunner.hold(ivd())) {
                runsBefore = runs();
                itemsBefore = items();
                answers.add(postAsync(URL + "?include=mask", parts(a)));
                answers.add(postAsync(URL + "?include=mask", parts(b)));
                await(() -> ivd().queueDepth() == 2, "both volumes' first batches waiting for the model");
            }
            for (int i = 0; i < 2; i++) {
                Http.Response r = answers.get(i).get(2, TimeUnit.MINUTES);
                assertThat(r.status()).as(r.body()).isEqualTo(200);
                float[] mask = reader.read(java.util.Base64.getDecoder().decode(r.json().get("mask").get("base64").asString())).data();
                assertThat(mask).as("volume %d's mask", i).isEqualTo(alone.get(i));
            }
            assertThat(items() - itemsBefore).as("slices run").isEqualTo(8);
            assertThat(runs() - runsBefore).as("runs for 4 batches, the first two shared").isLessThanOrEqualTo(3);
        } finally {
            admission.define(pool, limits);
        }
    }
}
