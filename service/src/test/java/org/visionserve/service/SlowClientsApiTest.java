package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.tomcat.util.threads.ThreadPoolExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.tomcat.TomcatWebServer;
import org.springframework.boot.web.server.servlet.context.ServletWebServerApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Slow clients over raw sockets against the real server with the shipped Tomcat sizing
 * (application.yaml), in a context of its own: a 2 s upload read timeout so a stalled upload is cut
 * quickly, and a 60 s grace period so the trickling clients of the first test are held, not cut, by the
 * minimum rate (its rule is tested on a stepped clock in RateCheckedStreamTest).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "visionserve.models.defaults=" + TestModels.TINY,
        "visionserve.runtime.intra-op-threads=2",
        "visionserve.limits.upload-grace-period=60s",
        "visionserve.limits.upload-read-timeout=2s"})
@ExtendWith(OutputCaptureExtension.class)
class SlowClientsApiTest {

    private static final String CLASSIFY = "/v1/models/" + TestModels.ATTO + "/classify";
    private static final int SLOW_CLIENTS = 220;
    /** Each answer normally takes < 200 ms; the bound only has to tell served from starved (held forever). */
    private static final Duration ANSWER_BOUND = Duration.ofSeconds(5);
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @LocalServerPort
    private int port;

    @Autowired
    private ServletWebServerApplicationContext context;

    private final List<Socket> sockets = new ArrayList<>();
    private ScheduledExecutorService trickler;

    @DynamicPropertySource
    static void models(DynamicPropertyRegistry registry) {
        registry.add("visionserve.models.dir", () -> TestModels.repository().toString());
    }

    @BeforeEach
    void awaitReady() throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (get("/actuator/health/readiness").statusCode() != 200) {
            assertThat(System.nanoTime()).as("readiness within 2 minutes").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @AfterEach
    void closeClients() throws Exception {
        if (trickler != null) {
            trickler.shutdownNow();
            trickler.awaitTermination(10, TimeUnit.SECONDS);
        }
        for (Socket s : sockets) {
            s.close();
        }
        sockets.clear();
        // the closed uploads end as aborts on the server: let them finish so the next test counts its own
        awaitAtMost("request threads to be released", Duration.ofSeconds(30), () -> busyThreads() <= 2);
    }

    @Test
    void requestsAndTheLivenessProbeAreServedWhileSlowUploadsHoldThreads() throws Exception {
        for (int i = 0; i < SLOW_CLIENTS; i++) {
            Socket s = new Socket("localhost", port);
            sockets.add(s);
            s.getOutputStream().write(rawPngHeaders(1_000_000));
            s.getOutputStream().write(0x89);
        }
        // one byte per client every 500 ms: well inside the 2 s read timeout and the 60 s grace period
        trickler = Executors.newSingleThreadScheduledExecutor();
        trickler.scheduleWithFixedDelay(() -> sockets.forEach(s -> {
            try {
                s.getOutputStream().write('P');
            } catch (IOException e) {
                // cut by the server: the count below then falls short and says so
            }
        }), 500, 500, TimeUnit.MILLISECONDS);
        // every slow upload now blocks a request thread in its body read (Tomcat's default pool of 200
        // never gets here: the probe then has no thread, as the outside test found)
        awaitAtMost(SLOW_CLIENTS + " request threads busy", Duration.ofSeconds(60),
                () -> busyThreads() >= SLOW_CLIENTS);

        HttpResponse<String> live = timed(HttpRequest.newBuilder(uri("/actuator/health/liveness")).GET());
        assertThat(live.statusCode()).isEqualTo(200);
        HttpResponse<String> ok = timed(HttpRequest.newBuilder(uri(CLASSIFY)).header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Images.gradientPng(64, 48))));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(busyThreads()).as("the slow uploads were still held").isGreaterThanOrEqualTo(SLOW_CLIENTS);
    }

    @Test
    void aStalledUploadIsCutWith408AfterTheReadTimeout() throws Exception {
        double before = metric("visionserve_upload_timeouts_total");
        try (Socket s = new Socket("localhost", port)) {
            s.setSoTimeout(30_000);
            long start = System.nanoTime();
            s.getOutputStream().write(rawPngHeaders(100_000));
            s.getOutputStream().write(new byte[] {(byte) 0x89, 'P', 'N', 'G'});
            String answer = readAll(s.getInputStream());
            long elapsed = System.nanoTime() - start;
            assertThat(elapsed).as("not cut before the configured 2 s").isGreaterThanOrEqualTo(2_000_000_000L);
            // Tomcat may close the connection instead of answering; here it answers
            assertThat(answer).startsWith("HTTP/1.1 408");
            assertThat(answer).containsIgnoringCase("Content-Type: application/problem+json");
            assertThat(answer).contains("\"code\":\"request-timeout\"");
        }
        assertThat(metric("visionserve_upload_timeouts_total")).isEqualTo(before + 1);
    }

    @Test
    void aClientGoneMidUploadIsCountedAndNotLoggedAsAnError(CapturedOutput output) throws Exception {
        double before = metric("visionserve_client_aborts_total", "stage", "upload");
        double clientErrors = metric("visionserve_requests_total", "model", TestModels.ATTO, "outcome", "client_error");
        try (Socket s = new Socket("localhost", port)) {
            OutputStream out = s.getOutputStream();
            out.write(rawPngHeaders(100_000));
            out.write(new byte[1000]);
            out.flush();
        }
        awaitAtMost("the abort to be counted", Duration.ofSeconds(30),
                () -> metric("visionserve_client_aborts_total", "stage", "upload") >= before + 1);
        assertThat(metric("visionserve_client_aborts_total", "stage", "upload")).isEqualTo(before + 1);
        assertThat(output.getAll()).doesNotContain(" ERROR ").doesNotContain("ClientAbortException");
        awaitAtMost("the request to be counted", Duration.ofSeconds(30), () -> metric("visionserve_requests_total",
                "model", TestModels.ATTO, "outcome", "client_error") >= clientErrors + 1);
        assertThat(metric("visionserve_requests_total", "model", TestModels.ATTO, "outcome", "client_error"))
                .as("an aborted upload is no ok request").isEqualTo(clientErrors + 1);
    }

    private byte[] rawPngHeaders(int contentLength) {
        return ("POST " + CLASSIFY + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\n"
                + "Content-Length: " + contentLength + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static String readAll(InputStream in) throws IOException {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no answer and no close within 30 s", e);
        }
    }

    /** Request threads of the server's pool running a request now. */
    private int busyThreads() {
        TomcatWebServer server = (TomcatWebServer) context.getWebServer();
        return ((ThreadPoolExecutor) server.getTomcat().getConnector().getProtocolHandler().getExecutor())
                .getActiveCount();
    }

    private static void awaitAtMost(String what, Duration bound, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private double metric(String name, String... labels) {
        return Metrics.counterOrZero(get("/actuator/prometheus").body(), name, labels);
    }

    private HttpResponse<String> timed(HttpRequest.Builder b) throws Exception {
        return CLIENT.send(b.timeout(ANSWER_BOUND).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) {
        try {
            return timed(HttpRequest.newBuilder(uri(path)).GET());
        } catch (Exception e) {
            throw new AssertionError(path, e);
        }
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + port + path);
    }
}
