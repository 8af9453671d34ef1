package org.visionserve.service.action;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.visionserve.service.Http;
import org.visionserve.service.OperationsClient;
import org.visionserve.service.operations.Operations;
import tools.jackson.databind.JsonNode;

/**
 * The figures of BENCHMARK.md's operations section (not a test: surefire runs it only when named,
 * {@code -Dtest=OperationsBenchmark}): the same clip synchronously and as an operation, a few runs each,
 * and the time from a DELETE mid-flow to the operation's end (its work stopped, its thread gone).
 */
class OperationsBenchmark extends ActionTestBase {

    @Autowired
    Operations operations;

    @Test
    void operationPathAgainstTheSynchronousCallAndDeleteToIdle() throws Exception {
        OperationsClient ops = new OperationsClient(port);
        byte[] video = mp4(30, 3, 2);
        List<Http.Part> clip = List.of(new Http.Part("file", "clip.mp4", "video/mp4", video));
        String path = "/v1/models/" + TS_LSTM + "/recognize?flow=farneback";
        assertThat(postVideo(TS_LSTM, "?flow=farneback", video).status()).isEqualTo(200); // warm
        for (int run = 0; run < 3; run++) {
            long t0 = System.nanoTime();
            assertThat(postVideo(TS_LSTM, "?flow=farneback", video).status()).isEqualTo(200);
            long sync = System.nanoTime() - t0;
            t0 = System.nanoTime();
            String id = OperationsClient.accepted(ops.submit(path, clip));
            long accepted = System.nanoTime() - t0;
            JsonNode done = ops.await(id, op -> op.get("finishedAt") != null, Duration.ofSeconds(120), null);
            long async = System.nanoTime() - t0;
            assertThat(done.get("status").asString()).isEqualTo("succeeded");
            System.out.printf(Locale.ROOT, "[operations-bench] run %d: sync %.0f ms; operation: 202 after %.0f ms, "
                    + "succeeded seen after %.0f ms (polled every 20 ms)%n", run, sync / 1e6, accepted / 1e6, async / 1e6);
        }
        byte[] longer = mp4(60, 3, 2);
        for (int run = 0; run < 3; run++) {
            String id = OperationsClient.accepted(ops.submit("/v1/models/" + TS_LSTM + "/recognize?flow=tvl1",
                    List.of(new Http.Part("file", "clip.mp4", "video/mp4", longer))));
            ops.await(id, op -> op.get("progress").get("stage").asString().equals("flow")
                    && op.get("progress").get("completed").asLong() >= 5, Duration.ofSeconds(60), null);
            Thread worker = operations.threadOf(id).orElseThrow();
            long t0 = System.nanoTime();
            assertThat(ops.send("DELETE", "/v1/operations/" + id, null).statusCode()).isEqualTo(202);
            JsonNode end = ops.await(id, op -> op.get("finishedAt") != null, Duration.ofSeconds(10), null);
            long seen = System.nanoTime() - t0;
            worker.join(10_000);
            long gone = System.nanoTime() - t0;
            assertThat(end.get("status").asString()).isEqualTo("cancelled");
            System.out.printf(Locale.ROOT, "[operations-bench] cancel %d at pair %d of %d: DELETE to cancelled seen "
                    + "%.0f ms, to its thread ended %.0f ms%n", run, end.get("progress").get("completed").asLong(),
                    end.get("progress").get("total").asLong(), seen / 1e6, gone / 1e6);
        }
    }
}
