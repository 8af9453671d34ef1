package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.visionserve.service.runtime.Admission;
import org.visionserve.service.runtime.RequestScope;

/**
 * A request's deadline over HTTP: the {@code timeout} parameter and the {@code Request-Timeout} header
 * (seconds, decimals, or a duration such as {@code 500ms}; the shortest of them and the task's own
 * wins), refused with 400 naming the one that is malformed, and 504 {@code deadline-exceeded} for a
 * request whose deadline passes while it waits to be admitted: the test holds every admission place
 * of the model, so the request waits in its queue until then.
 */
class DeadlinesApiTest extends ServiceTestBase {

    private static final String MODEL = TestModels.ATTO;
    private static final String CLASSIFY = "/v1/models/" + MODEL + "/classify";

    private final List<Admission.Ticket> held = new ArrayList<>();
    private RequestScope holder;

    @AfterEach
    void release() {
        held.forEach(Admission.Ticket::close);
        held.clear();
        if (holder != null) {
            holder.close();
        }
    }

    @Test
    void malformedTimeoutsAre400NamingTheParameterOrHeader() {
        for (String bad : List.of("0", "-1", "abc", "2.5s", "1e3")) {
            Http.Response r = http.post(CLASSIFY + "?timeout=" + bad, "image/png", png());
            HostileInputApiTest.assertProblem(r, 400, "invalid-parameter");
            assertThat(r.json().get("parameter").asString()).isEqualTo("timeout");
            assertThat(r.json().get("detail").asString()).contains("'" + bad + "'");

            r = http.post(CLASSIFY, "image/png", png(), "Request-Timeout", bad);
            HostileInputApiTest.assertProblem(r, 400, "invalid-parameter");
            assertThat(r.json().get("parameter").asString()).isEqualTo("Request-Timeout");
        }
        Http.Response batch = http.multipart("/v1/models/" + MODEL + "/classify-batch?timeout=never",
                List.of(new Http.Part("files", "a.png", "image/png", png())));
        HostileInputApiTest.assertProblem(batch, 400, "invalid-parameter");
        assertThat(batch.json().get("parameter").asString()).isEqualTo("timeout");
    }

    @Test
    void wellFormedTimeoutsAreServed() {
        for (String ok : List.of("30", "12.5", "20000ms", "1m")) {
            Http.Response r = http.post(CLASSIFY + "?timeout=" + ok, "image/png", png(), "Request-Timeout", ok);
            assertThat(r.status()).as(ok + ": " + r.body()).isEqualTo(200);
        }
    }

    @Test
    void aRequestStillWaitingForAdmissionAtItsDeadlineIs504AndCounted() throws Exception {
        holdEveryPlace();
        double timeouts = counterOrZero("visionserve_requests_total", "model", MODEL, "outcome", "timeout");

        Http.Response r = http.post(CLASSIFY + "?timeout=500ms", "image/png", png());
        HostileInputApiTest.assertProblem(r, 504, "deadline-exceeded");
        assertThat(r.json().get("timeoutSeconds").asDouble()).isEqualTo(0.5);
        assertThat(r.json().get("detail").asString()).contains("Request-Timeout").contains("visionserve.deadlines");
        assertThat(counter("visionserve_requests_total", "model", MODEL, "outcome", "timeout")).isEqualTo(timeouts + 1);
        assertThat(admission.waiting(MODEL)).as("it left the queue").isZero();

        // the shorter of header and parameter, whichever carries it
        r = http.post(CLASSIFY + "?timeout=5", "image/png", png(), "Request-Timeout", "0.3");
        HostileInputApiTest.assertProblem(r, 504, "deadline-exceeded");
        assertThat(r.json().get("timeoutSeconds").asDouble()).isEqualTo(0.3);
        r = http.multipart("/v1/models/" + MODEL + "/classify-batch?timeout=0.4",
                List.of(new Http.Part("files", "a.png", "image/png", png())));
        HostileInputApiTest.assertProblem(r, 504, "deadline-exceeded");
        assertThat(r.json().get("timeoutSeconds").asDouble()).isEqualTo(0.4);
        assertThat(counter("visionserve_requests_total", "model", MODEL, "outcome", "timeout")).isEqualTo(timeouts + 3);

        release();
        assertThat(http.post(CLASSIFY + "?timeout=30", "image/png", png()).status()).as("served once a place is free")
                .isEqualTo(200);
    }

    /** Takes every admission place of the model, as that many requests in progress would. */
    private void holdEveryPlace() throws InterruptedException {
        holder = RequestScope.withTimeout(Duration.ofMinutes(2));
        for (int i = 0; i < admission.limits(MODEL).concurrency(); i++) {
            held.add(admission.admit(MODEL, 0, holder));
        }
        assertThat(admission.active(MODEL)).isEqualTo(admission.limits(MODEL).concurrency());
    }

    private static byte[] png() {
        return Images.gradientPng(64, 48);
    }
}
