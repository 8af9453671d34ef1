package org.visionserve.service.action;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.visionserve.service.Http;
import org.visionserve.service.OperationsClient;
import org.visionserve.service.operations.Operations;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Recognition as an operation over real HTTP: progress rises through the flow pairs and the streams'
 * frames to a result equal to the synchronous answer; a DELETE mid-flow stops the work (its thread ends,
 * its admission place is given back). BENCHMARK.md's figures: {@link OperationsBenchmark}.
 */
class RecognizeOperationsApiTest extends ActionTestBase {

    @Autowired
    Operations operations;

    private static List<Http.Part> clip(byte[] mp4) {
        return List.of(new Http.Part("file", "clip.mp4", "video/mp4", mp4));
    }

    private static JsonNode withoutTimings(JsonNode result) {
        ObjectNode copy = (ObjectNode) result.deepCopy();
        copy.remove("timings");
        return copy;
    }

    @Test
    void progressRisesToTheSynchronousAnswer() throws Exception {
        OperationsClient ops = new OperationsClient(port);
        byte[] video = mp4(30, 3, 2);
        String path = "/v1/models/" + TS_LSTM + "/recognize?flow=tvl1";
        Http.Response sync = postVideo(TS_LSTM, "?flow=tvl1", video);
        assertThat(sync.status()).as(sync.body()).isEqualTo(200);

        String id = OperationsClient.accepted(ops.submit(path, clip(video)));
        List<JsonNode> seen = new ArrayList<>();
        JsonNode done = ops.await(id, op -> op.get("finishedAt") != null, Duration.ofSeconds(120), seen);
        assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("succeeded");
        assertThat(withoutTimings(done.get("result"))).isEqualTo(withoutTimings(sync.json()));

        double previous = -1;
        List<Double> between = new ArrayList<>();
        List<String> stages = new ArrayList<>();
        for (JsonNode op : seen) {
            JsonNode p = op.get("progress");
            double f = p.get("fraction").asDouble();
            assertThat(f).as("fraction never falls: %s", seen).isGreaterThanOrEqualTo(previous);
            previous = f;
            if (f > 0 && f < 1) {
                between.add(f);
                assertThat(op.get("status").asString()).isEqualTo("running");
                assertThat(p.get("completed").asLong()).isBetween(0L, p.get("total").asLong());
            }
            stages.add(p.get("stage").asString());
        }
        assertThat(between.stream().distinct().count()).as("fractions seen between 0 and 1: %s", between)
                .isGreaterThanOrEqualTo(2);
        assertThat(stages).contains("flow");
        JsonNode last = done.get("progress");
        assertThat(last.get("stage").asString()).isEqualTo("frames");
        assertThat(last.get("completed").asLong()).isEqualTo(50);
        assertThat(last.get("fraction").asDouble()).isEqualTo(1.0);
    }

    @Test
    void aBadRequestIsStillRefusedAtOnce() {
        OperationsClient ops = new OperationsClient(port);
        HttpResponse<byte[]> bad = ops.submit("/v1/models/" + TS_LSTM + "/recognize?flow=magic", clip(mp4(12, 3, 2)));
        assertThat(bad.statusCode()).isEqualTo(400);
        HttpResponse<byte[]> notVideo = ops.submit("/v1/models/" + TS_LSTM + "/recognize",
                clip(TestClips.randomBytes(4096, 1)));
        assertThat(notVideo.statusCode()).as(OperationsClient.text(notVideo)).isBetween(400, 499);
        assertThat(operations.runningHere()).isZero();
    }

    @Test
    void aDeleteMidFlowStopsTheWork() throws Exception {
        OperationsClient ops = new OperationsClient(port);
        String id = OperationsClient.accepted(ops.submit("/v1/models/" + TS_LSTM + "/recognize?flow=tvl1",
                clip(mp4(60, 3, 2))));
        ops.await(id, op -> op.get("progress").get("stage").asString().equals("flow")
                && op.get("progress").get("completed").asLong() >= 1, Duration.ofSeconds(60), null);
        Thread worker = operations.threadOf(id).orElseThrow();
        long t0 = System.nanoTime();
        assertThat(ops.send("DELETE", "/v1/operations/" + id, null).statusCode()).isEqualTo(202);
        JsonNode cancelled = ops.await(id, op -> op.get("finishedAt") != null, Duration.ofSeconds(10), null);
        long stopped = System.nanoTime() - t0;
        assertThat(cancelled.get("status").asString()).isEqualTo("cancelled");
        assertThat(cancelled.get("progress").get("stage").asString()).isEqualTo("flow");
        assertThat(cancelled.get("progress").get("completed").asLong())
                .isLessThan(cancelled.get("progress").get("total").asLong());
        worker.join(5_000);
        assertThat(worker.isAlive()).as("the operation's thread ended").isFalse();
        assertThat(admission.active(ActionRecognitionService.POOL)).as("its admission place given back").isZero();
        System.out.printf(Locale.ROOT, "DELETE to cancelled (work stopped): %.0f ms%n", stopped / 1e6);
        // the next clip is served at once: nothing of the cancelled one holds the pipeline
        assertThat(postVideo(TS_LSTM, "?flow=farneback", mp4(12, 3, 2)).status()).isEqualTo(200);
    }
}
