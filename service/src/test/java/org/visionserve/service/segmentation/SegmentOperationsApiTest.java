package org.visionserve.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import org.visionserve.service.Http;
import org.visionserve.service.Metrics;
import org.visionserve.service.OperationsClient;
import org.visionserve.service.ServiceTestBase;
import org.visionserve.service.TestModels;
import org.visionserve.service.operations.Operations;
import org.visionserve.service.runtime.Admission;
import org.visionserve.service.runtime.RequestScope;
import org.visionserve.service.segmentation.nifti.NiftiDatatype;
import org.visionserve.service.segmentation.nifti.NiftiWriter;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Segmentation as an operation ({@code Prefer: respond-async}) over real HTTP: the result equals the
 * synchronous answer (JSON, mask and preview), bad input is refused at once, a queued operation is
 * cancelled, events stream to a real client, and finished operations expire (retention 5 s here).
 */
@TestPropertySource(properties = "visionserve.operations.retention=5s")
class SegmentOperationsApiTest extends ServiceTestBase {

    private static final String SEGMENT = "/v1/models/" + TestModels.IVD + "/segment";

    @Autowired
    Operations operations;

    private static List<Http.Part> exam(int nx, int ny, int nz) {
        SyntheticSpine spine = new SyntheticSpine(nx, ny, nz);
        byte[] truth = spine.mask();
        Map<Modality, byte[]> files = new EnumMap<>(Modality.class);
        for (Modality m : Modality.values()) {
            files.put(m, NiftiWriter.write(spine.geometry, spine.modality(m, truth), NiftiDatatype.INT16, m == Modality.FAT));
        }
        List<Http.Part> parts = new ArrayList<>();
        files.forEach((m, bytes) -> parts.add(new Http.Part(m.key, m.key + ".nii", "application/octet-stream", bytes)));
        return parts;
    }

    private OperationsClient ops() {
        return new OperationsClient(port);
    }

    private static JsonNode withoutTimings(JsonNode result) {
        ObjectNode copy = (ObjectNode) result.deepCopy();
        copy.remove("timings");
        return copy;
    }

    @Test
    void theOperationsResultIsTheSynchronousAnswer() throws Exception {
        OperationsClient ops = ops();
        List<Http.Part> exam = exam(4, 64, 64);
        // the synchronous answers first: the operation's result is kept for 5 s only here
        String boundary = "b" + System.nanoTime();
        HttpResponse<byte[]> sync = ops.send("POST", SEGMENT + "?include=preview",
                OperationsClient.multipart(boundary, exam), "Content-Type", "multipart/form-data; boundary=" + boundary);
        assertThat(sync.statusCode()).isEqualTo(200);
        HttpResponse<byte[]> syncMask = ops.send("POST", SEGMENT, OperationsClient.multipart(boundary, exam),
                "Content-Type", "multipart/form-data; boundary=" + boundary, "Accept", "application/gzip");

        HttpResponse<byte[]> accepted = ops.submit(SEGMENT + "?include=preview", exam);
        String id = OperationsClient.accepted(accepted);
        JsonNode body = OperationsClient.json(accepted);
        assertThat(body.get("kind").asString()).isEqualTo("segment");
        assertThat(body.get("status").asString()).isIn("queued", "running", "succeeded");

        JsonNode done = ops.awaitFinished(id, Duration.ofSeconds(60));
        assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("succeeded");
        JsonNode progress = done.get("progress");
        assertThat(progress.get("stage").asString()).isEqualTo("slices");
        assertThat(progress.get("completed").asLong()).isEqualTo(progress.get("total").asLong()).isEqualTo(4);
        assertThat(progress.get("fraction").asDouble()).isEqualTo(1.0);
        assertThat(done.get("resultUrl").asString()).isEqualTo("/v1/operations/" + id + "/result");

        assertThat(withoutTimings(done.get("result"))).isEqualTo(withoutTimings(OperationsClient.json(sync)));
        assertThat(done.get("result").get("mask")).as("not asked with include").isNull();

        // the binary results, negotiated as the synchronous endpoint's
        HttpResponse<byte[]> mask = ops.send("GET", "/v1/operations/" + id + "/result", null, "Accept", "application/gzip");
        assertThat(mask.statusCode()).isEqualTo(200);
        assertThat(mask.headers().firstValue("Content-Type").orElse("")).startsWith("application/gzip");
        assertThat(new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(mask.body())).readAllBytes())
                .isEqualTo(new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(syncMask.body())).readAllBytes());
        HttpResponse<byte[]> raw = ops.send("GET", "/v1/operations/" + id + "/result", null, "Accept",
                "application/octet-stream");
        assertThat(raw.body()).isEqualTo(new java.util.zip.GZIPInputStream(
                new java.io.ByteArrayInputStream(syncMask.body())).readAllBytes());
        HttpResponse<byte[]> preview = ops.send("GET", "/v1/operations/" + id + "/result?format=preview", null);
        assertThat(preview.headers().firstValue("Content-Type").orElse("")).startsWith("image/png");
        assertThat(java.util.Base64.getEncoder().encodeToString(preview.body()))
                .isEqualTo(OperationsClient.json(sync).get("preview").get("base64").asString());
        HttpResponse<byte[]> json = ops.send("GET", "/v1/operations/" + id + "/result", null, "Accept", "application/json");
        assertThat(OperationsClient.json(json)).isEqualTo(done.get("result"));

        // listed, and counted by state
        HttpResponse<byte[]> list = ops.send("GET", "/v1/operations", null);
        List<String> ids = new ArrayList<>();
        OperationsClient.json(list).forEach(o -> ids.add(o.get("id").asString()));
        assertThat(ids).contains(id);
        assertThat(Metrics.value(http.get("/actuator/prometheus").body(), "visionserve_operations", "state", "succeeded"))
                .isGreaterThanOrEqualTo(1);
    }

    @Test
    void badInputIsStillRefusedAtOnce() {
        OperationsClient ops = ops();
        HttpResponse<byte[]> missing = ops.submit(SEGMENT, exam(4, 64, 64).subList(0, 3));
        assertThat(missing.statusCode()).as(OperationsClient.text(missing)).isEqualTo(400);
        assertThat(OperationsClient.json(missing).get("code").asString()).isEqualTo("invalid-parameter");
        HttpResponse<byte[]> unknown = ops.submit("/v1/models/nope/segment", exam(4, 64, 64));
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(operations.runningHere()).isZero();
    }

    @Test
    void unknownOperationsAre404() {
        OperationsClient ops = ops();
        for (String[] call : new String[][] {{"GET", ""}, {"DELETE", ""}, {"GET", "/result"}, {"GET", "/events"}}) {
            HttpResponse<byte[]> r = ops.send(call[0], "/v1/operations/no-such-id" + call[1], null);
            assertThat(r.statusCode()).as(call[0] + call[1]).isEqualTo(404);
            assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
            assertThat(OperationsClient.json(r).get("code").asString()).isEqualTo("unknown-operation");
        }
    }

    /** The volumes' only place held by the test: the operation waits queued, and is cancelled there. */
    @Test
    void aQueuedOperationIsCancelledAndItsThreadEnds() throws Exception {
        OperationsClient ops = ops();
        try (RequestScope hold = RequestScope.withTimeout(Duration.ofMinutes(2));
             Admission.Ticket place = admission.admit(SegmentationService.POOL, 0, hold)) {
            String id = OperationsClient.accepted(ops.submit(SEGMENT, exam(4, 64, 64)));
            JsonNode queued = ops.get(id);
            assertThat(queued.get("status").asString()).isEqualTo("queued");
            assertThat(queued.get("progress").get("stage").asString()).isEqualTo("queue");
            Thread worker = operations.threadOf(id).orElseThrow();

            HttpResponse<byte[]> cancel = ops.send("DELETE", "/v1/operations/" + id, null);
            assertThat(cancel.statusCode()).isEqualTo(202);
            JsonNode cancelled = ops.await(id, op -> !op.get("status").asString().equals("queued"),
                    Duration.ofSeconds(5), null);
            assertThat(cancelled.get("status").asString()).isEqualTo("cancelled");
            assertThat(cancelled.get("error").get("code").asString()).isEqualTo("cancelled");
            worker.join(5_000);
            assertThat(worker.isAlive()).as("the operation's thread ended").isFalse();
            assertThat(admission.waiting(SegmentationService.POOL)).isZero();
            assertThat(ops.send("GET", "/v1/operations/" + id + "/result", null).statusCode()).isEqualTo(409);
        }
    }

    @Test
    void eventsStreamProgressAndTheFinalState() throws Exception {
        OperationsClient ops = ops();
        String id = OperationsClient.accepted(ops.submit(SEGMENT, exam(4, 64, 96)));
        List<OperationsClient.Event> events = ops.events(id);
        assertThat(events).isNotEmpty();
        OperationsClient.Event last = events.get(events.size() - 1);
        assertThat(last.name()).isEqualTo("succeeded");
        assertThat(last.data().get("result").get("discs").isArray()).isTrue();
        for (OperationsClient.Event e : events.subList(0, events.size() - 1)) {
            assertThat(e.name()).isEqualTo("progress");
            assertThat(e.data().get("status").asString()).isIn("queued", "running");
        }
        double previous = -1;
        for (OperationsClient.Event e : events) {
            double f = e.data().get("progress").get("fraction").asDouble();
            assertThat(f).isGreaterThanOrEqualTo(previous);
            previous = f;
        }
    }

    @Test
    void finishedOperationsExpireAfterTheRetention() throws Exception {
        OperationsClient ops = ops();
        String id = OperationsClient.accepted(ops.submit(SEGMENT, exam(4, 64, 64)));
        JsonNode done = ops.awaitFinished(id, Duration.ofSeconds(60));
        Instant finished = Instant.parse(done.get("finishedAt").asString());
        Instant expires = Instant.parse(done.get("expiresAt").asString());
        assertThat(Duration.between(finished, expires)).isEqualTo(Duration.ofSeconds(5));
        while (Instant.now().isBefore(expires.plusMillis(50))) {
            Thread.sleep(50);
        }
        assertThat(ops.send("GET", "/v1/operations/" + id, null).statusCode()).isEqualTo(404);
        assertThat(ops.send("GET", "/v1/operations/" + id + "/result", null).statusCode()).isEqualTo(404);
        HttpResponse<byte[]> list = ops.send("GET", "/v1/operations", null);
        assertThat(OperationsClient.text(list)).doesNotContain(id);
    }
}
