package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.visionserve.service.runtime.HeldRunner;
import org.visionserve.service.runtime.ModelRunner;
import org.visionserve.service.runtime.RequestScope;
import tools.jackson.databind.json.JsonMapper;

/**
 * A client that goes away has its request's work stopped, proven over a real socket: the request is
 * sent whole, then held at the model's runner (its only run slot is taken by the test, so the request
 * waits there, admitted, for as long as the test needs), and the socket is closed. The request must
 * then be cancelled while the slot is still held, which a request that ran to its end could not be:
 * counted as a client abort in {@code processing}, its admission place given back. And the probe
 * behind it must not take a kept-alive connection, idle between its requests, for a gone client.
 *
 * <p>{@link TestModels#BUSY} runs alone (one slot, no batching), so a held slot holds every request.
 */
@ExtendWith(OutputCaptureExtension.class)
class ClientDisconnectApiTest extends ServiceTestBase {

    private static final String MODEL = TestModels.BUSY;
    private static final Duration BOUND = Duration.ofSeconds(30);

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"raw image", "multipart batch"})
    void aClientGoneWhileItsRequestIsProcessedHasItsWorkStopped(String kind, CapturedOutput output) throws Exception {
        ModelRunner runner = repository.ready(MODEL).runner();
        double aborts = counterOrZero("visionserve_client_aborts_total", "stage", "processing");
        double clientErrors = counterOrZero("visionserve_requests_total", "model", MODEL, "outcome", "client_error");
        try (HeldRunner slot = HeldRunner.hold(runner)) {
            Socket socket = new Socket("localhost", port);
            socket.getOutputStream().write(request(kind));
            socket.getOutputStream().flush();
            awaitAtMost("the request to be admitted and waiting at the runner",
                    () -> runner.queueDepth() == 1 && admission.active(MODEL) == 1);
            socket.close();

            awaitAtMost("the abort to be counted",
                    () -> counterOrZero("visionserve_client_aborts_total", "stage", "processing") >= aborts + 1);
            awaitAtMost("the request to leave the runner's queue and give back its admission",
                    () -> runner.queueDepth() == 0 && admission.active(MODEL) == 0);
            // all of it while the slot it waited for is still held: cancelled, not finished
            assertThat(counter("visionserve_client_aborts_total", "stage", "processing")).isEqualTo(aborts + 1);
            awaitAtMost("the request to be counted", () -> counterOrZero("visionserve_requests_total", "model", MODEL,
                    "outcome", "client_error") >= clientErrors + 1);
        }
        assertThat(admission.reservedBytes()).as("no memory left reserved").isZero();
        assertThat(output.getAll()).as("an abort is no error").doesNotContain(" ERROR ").doesNotContain("Exception");
        Http.Response next = http.post("/v1/models/" + MODEL + "/classify", "image/png", Images.gradientPng(64, 48));
        assertThat(next.status()).as(next.body()).isEqualTo(200);
    }

    /**
     * Two requests on one kept-alive connection, each held at the runner for ten rounds of the watchdog
     * (which asks the connection probe each round): the open, idle connection reads as a present client,
     * before and after its first answer.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"raw image", "multipart batch"})
    void aKeptAliveConnectionIsNotTakenForAGoneClient(String kind) throws Exception {
        ModelRunner runner = repository.ready(MODEL).runner();
        double aborts = counterOrZero("visionserve_client_aborts_total", "stage", "processing");
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout((int) BOUND.toMillis());
            for (int i = 0; i < 2; i++) {
                try (HeldRunner slot = HeldRunner.hold(runner)) {
                    socket.getOutputStream().write(request(kind));
                    socket.getOutputStream().flush();
                    awaitAtMost("request " + i + " to wait at the runner", () -> runner.queueDepth() == 1);
                    Thread.sleep(10 * RequestScope.WATCH_INTERVAL.toMillis());
                    assertThat(runner.queueDepth()).as("request %d still waiting, not cancelled", i).isEqualTo(1);
                }
                String[] answer = readResponse(socket.getInputStream());
                assertThat(answer[0]).as(answer[1]).startsWith("HTTP/1.1 200");
                assertThat(JsonMapper.builder().build().readTree(answer[1]).get("images").size())
                        .isEqualTo(kind.equals("raw image") ? 1 : 3);
            }
        }
        assertThat(counterOrZero("visionserve_client_aborts_total", "stage", "processing")).isEqualTo(aborts);
        assertThat(admission.active(MODEL)).isZero();
    }

    /** A whole request, kept alive: one raw PNG, or a batch of three as multipart. */
    private static byte[] request(String kind) {
        byte[] png = Images.gradientPng(320, 240);
        String contentType = "image/png";
        String path = "/v1/models/" + MODEL + "/classify";
        byte[] body = png;
        if (kind.equals("multipart batch")) {
            String boundary = "----visionserve-disconnect";
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int i = 0; i < 3; i++) {
                out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" + i
                        + ".png\"\r\nContent-Type: image/png\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.writeBytes(png);
                out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
            body = out.toByteArray();
            contentType = "multipart/form-data; boundary=" + boundary;
            path = "/v1/models/" + MODEL + "/classify-batch";
        }
        ByteArrayOutputStream req = new ByteArrayOutputStream();
        req.writeBytes(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + contentType
                + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        req.writeBytes(body);
        return req.toByteArray();
    }

    /** One HTTP/1.1 response off a kept-alive connection: its status line and its body (fixed length or chunked). */
    static String[] readResponse(InputStream in) throws IOException {
        String status = line(in);
        long length = -1;
        boolean chunked = false;
        for (String header = line(in); !header.isEmpty(); header = line(in)) {
            String lower = header.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring(15).strip());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (chunked) {
            for (int size = Integer.parseInt(line(in).split(";")[0].strip(), 16); size > 0;
                 size = Integer.parseInt(line(in).split(";")[0].strip(), 16)) {
                body.writeBytes(in.readNBytes(size));
                line(in);
            }
            line(in); // the empty trailer
        } else {
            body.writeBytes(in.readNBytes((int) length));
        }
        return new String[] {status, body.toString(StandardCharsets.UTF_8)};
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("the connection closed mid-response: " + b);
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }

    private static void awaitAtMost(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
