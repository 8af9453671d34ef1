package org.visionserve.service;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A small real HTTP client for the tests: JSON GETs, raw-body and multipart POSTs. */
public final class Http {

    /** One multipart part. */
    public record Part(String name, String fileName, String contentType, byte[] bytes) {
    }

    /** A response with its body as text and, when it is JSON, parsed. */
    public record Response(int status, String contentType, String body, HttpResponse<String> raw) {
        public JsonNode json() {
            return JSON.readTree(body);
        }
    }

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private final int port;
    private final String base;

    public Http(int port) {
        this.port = port;
        this.base = "http://localhost:" + port;
    }

    public int port() {
        return port;
    }

    public Response get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    /** A GET with headers, as name, value, name, value... */
    public Response get(String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return send(b);
    }

    public Response post(String path, String contentType, byte[] body) {
        return post(path, contentType, body, new String[0]);
    }

    /** A POST with more headers, as name, value, name, value... */
    public Response post(String path, String contentType, byte[] body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", contentType);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b.POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    public Response multipart(String path, List<Part> parts) {
        return multipart(path, parts, TIMEOUT);
    }

    /** A multipart POST answered within {@code timeout} (else UncheckedIOException), with extra headers (name, value, ...). */
    public Response multipart(String path, List<Part> parts, Duration timeout, String... headers) {
        String boundary = "----visionserve" + UUID.randomUUID();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(multipartBody(boundary, parts)));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return send(b, timeout);
    }

    /** The body of a multipart/form-data request with this boundary. */
    public static byte[] multipartBody(String boundary, List<Part> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Part p : parts) {
            String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name() + "\""
                    + (p.fileName() != null ? "; filename=\"" + p.fileName() + "\"" : "") + "\r\n"
                    + "Content-Type: " + p.contentType() + "\r\n\r\n";
            out.writeBytes(head.getBytes(StandardCharsets.UTF_8));
            out.writeBytes(p.bytes());
            out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private Response send(HttpRequest.Builder b) {
        return send(b, TIMEOUT);
    }

    private Response send(HttpRequest.Builder b, Duration timeout) {
        try {
            HttpResponse<String> r = CLIENT.send(b.timeout(timeout).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body(), r);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
