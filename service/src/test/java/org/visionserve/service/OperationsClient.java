package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A client of /v1/operations over real HTTP (java.net.http), for the operation tests. */
public final class OperationsClient {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One Server-Sent Event. */
    public record Event(String name, JsonNode data) {
    }

    private final int port;

    public OperationsClient(int port) {
        this.port = port;
    }

    public HttpResponse<byte[]> send(String method, String path, byte[] body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .timeout(Duration.ofSeconds(120))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** POSTs multipart parts with {@code Prefer: respond-async} (and any other headers). */
    public HttpResponse<byte[]> submit(String path, List<Http.Part> parts, String... headers) {
        String boundary = "----visionserve" + UUID.randomUUID();
        List<String> h = new ArrayList<>(List.of("Content-Type", "multipart/form-data; boundary=" + boundary,
                "Prefer", "respond-async"));
        h.addAll(List.of(headers));
        return send("POST", path, multipart(boundary, parts), h.toArray(String[]::new));
    }

    public static byte[] multipart(String boundary, List<Http.Part> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Http.Part p : parts) {
            out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name()
                    + "\"; filename=\"" + p.fileName() + "\"\r\nContent-Type: " + p.contentType() + "\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.writeBytes(p.bytes());
            out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    public JsonNode get(String id) {
        HttpResponse<byte[]> r = send("GET", "/v1/operations/" + id, null);
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        return json(r);
    }

    /** Polls the operation (every 20 ms, up to {@code within}) until {@code done} holds; every state seen goes to {@code seen}. */
    public JsonNode await(String id, Predicate<JsonNode> done, Duration within, List<JsonNode> seen) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        while (true) {
            JsonNode op = get(id);
            if (seen != null) {
                seen.add(op);
            }
            if (done.test(op)) {
                return op;
            }
            assertThat(System.nanoTime()).as("operation %s within %s: %s", id, within, op).isLessThan(end);
            Thread.sleep(20);
        }
    }

    public JsonNode awaitFinished(String id, Duration within) throws InterruptedException {
        return await(id, op -> op.get("finishedAt") != null, within, null);
    }

    /** Reads the operation's event stream to its end (a real SSE client over java.net.http). */
    public List<Event> events(String id) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/operations/" + id + "/events"))
                .header("Accept", "text/event-stream").timeout(Duration.ofSeconds(120)).GET().build();
        HttpResponse<java.util.stream.Stream<String>> r = CLIENT.send(req, HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        List<Event> events = new ArrayList<>();
        String[] name = {null};
        StringBuilder data = new StringBuilder();
        r.body().forEach(line -> {
            if (line.startsWith("event:")) {
                name[0] = line.substring(6).strip();
            } else if (line.startsWith("data:")) {
                data.append(line.substring(5).strip());
            } else if (line.isEmpty() && !data.isEmpty()) {
                events.add(new Event(name[0] == null ? "message" : name[0], JSON.readTree(data.toString())));
                name[0] = null;
                data.setLength(0);
            }
        });
        return events;
    }

    public static JsonNode json(HttpResponse<byte[]> r) {
        return JSON.readTree(text(r));
    }

    public static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    /** The operation's id from a 202, checking its Location and Preference-Applied. */
    public static String accepted(HttpResponse<byte[]> r) {
        assertThat(r.statusCode()).as(text(r)).isEqualTo(202);
        assertThat(r.headers().firstValue("Preference-Applied")).hasValue("respond-async");
        String id = json(r).get("id").asString();
        assertThat(r.headers().firstValue("Location")).hasValue("/v1/operations/" + id);
        return id;
    }
}
