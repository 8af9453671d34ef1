package org.visionserve.systemtest;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** A real Prometheus process scraping the service every second (the repository's .ci/lib/start-prometheus.sh). */
final class Prometheus implements AutoCloseable {

    private final long pid;
    private final int port;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    private Prometheus(long pid, int port) {
        this.pid = pid;
        this.port = port;
    }

    static Prometheus scraping(int targetPort) throws IOException, InterruptedException {
        Path script = VisionServeContainer.REPO.resolve(".ci/lib/start-prometheus.sh");
        int port = VisionServeContainer.freePort();
        Process p = new ProcessBuilder("bash", script.toString(), "127.0.0.1:" + targetPort, Integer.toString(port))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0 || out.isEmpty()) {
            throw new IllegalStateException("start-prometheus.sh failed: " + out);
        }
        return new Prometheus(Long.parseLong(out.split("\\s+")[0]), port);
    }

    /** The vector result of an instant query ({@code data.result}). */
    JsonNode query(String promql) throws IOException, InterruptedException {
        URI uri = URI.create("http://127.0.0.1:" + port + "/api/v1/query?query="
                + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        JsonNode body = json.readTree(http.send(HttpRequest.newBuilder(uri).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        if (!"success".equals(body.path("status").asString())) {
            throw new IllegalStateException("query failed: " + body);
        }
        return body.path("data").path("result");
    }

    @Override
    public void close() {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
    }
}
