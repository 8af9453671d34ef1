package org.visionserve.service.web;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.FileSystemUtils;

/**
 * {@link ConnectionProbeValve}'s probe on a real Tomcat connector over a real socket, asked from inside
 * the request at the moments that matter: while the body is still arriving (body bytes waiting to be
 * read must not look like a gone client), once it is read with the client connected and idle, on the
 * second request of a kept-alive connection, and after the client closed its socket.
 */
class ConnectionProbeValveTest {

    private static final int BODY = 4000;

    private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> go = new LinkedBlockingQueue<>();
    private Tomcat tomcat;
    private Path dir;
    private int port;

    @BeforeEach
    void start() throws Exception {
        dir = Files.createTempDirectory("probe-valve");
        tomcat = new Tomcat();
        tomcat.setBaseDir(dir.toString());
        tomcat.setPort(0);
        Context context = tomcat.addContext("", dir.toString());
        context.getPipeline().addValve(new ConnectionProbeValve());
        Tomcat.addServlet(context, "probe", new ProbingServlet());
        context.addServletMappingDecoded("/", "probe");
        tomcat.getConnector();
        tomcat.start();
        port = tomcat.getConnector().getLocalPort();
    }

    @AfterEach
    void stop() throws Exception {
        tomcat.stop();
        tomcat.destroy();
        FileSystemUtils.deleteRecursively(dir);
    }

    @Test
    void theProbeTellsAGoneClientFromAnUploadingOrIdleOne() throws Exception {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();

            // 1: the head and half the body, the rest once the servlet has asked the probe mid-upload
            byte[] head = head("upload");
            byte[] first = new byte[head.length + BODY / 2];
            System.arraycopy(head, 0, first, 0, head.length);
            out.write(first);
            out.flush();
            assertThat(answer()).as("mid-upload, part of the body waiting to be read").isEqualTo("connected");
            out.write(new byte[BODY / 2]);
            out.flush();
            go.put("rest sent");
            assertThat(answer()).as("body read, client idle").isEqualTo("connected");
            assertThat(response(in)).startsWith("HTTP/1.1 200");

            // 2: a second request on the kept-alive connection
            out.write(head("idle"));
            out.write(new byte[BODY]);
            out.flush();
            assertThat(answer()).as("second request, body read, client idle").isEqualTo("connected");
            assertThat(response(in)).startsWith("HTTP/1.1 200");

            // 3: the client goes away once its body is read
            out.write(head("close"));
            out.write(new byte[BODY]);
            out.flush();
            assertThat(answer()).isEqualTo("body read");
        }
        assertThat(answer()).as("after the socket closed").isEqualTo("gone");
    }

    private String answer() throws InterruptedException {
        String a = answers.poll(30, TimeUnit.SECONDS);
        assertThat(a).as("the servlet's answer within 30 s").isNotNull();
        return a;
    }

    private static byte[] head(String step) {
        return ("POST /" + step + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n"
                + "Content-Length: " + BODY + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** The status line of a response with a 2-byte body, read whole off the kept-alive connection. */
    private static String response(InputStream in) throws IOException {
        StringBuilder text = new StringBuilder();
        while (!text.toString().endsWith("\r\n\r\nok")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed: " + text);
            }
            text.append((char) c);
        }
        return text.toString();
    }

    private final class ProbingServlet extends HttpServlet {
        @Override
        protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            BooleanSupplier gone = (BooleanSupplier) req.getAttribute(ConnectionProbeValve.ATTRIBUTE);
            InputStream body = req.getInputStream();
            try {
                switch (req.getRequestURI()) {
                    case "/upload" -> {
                        // nothing read yet: the first half waits in the connection's buffer or the socket,
                        // where a probe that reads the connection finds it; asked as the watchdog would
                        String said = "connected";
                        for (int i = 0; i < 20; i++) {
                            said = gone.getAsBoolean() ? "gone" : said;
                            Thread.sleep(10);
                        }
                        answers.put(said);
                        go.take();
                        body.readAllBytes();
                        answers.put(say(gone));
                    }
                    case "/idle" -> {
                        body.readAllBytes();
                        answers.put(say(gone));
                    }
                    default -> {
                        body.readAllBytes();
                        answers.put("body read");
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                        while (!gone.getAsBoolean() && System.nanoTime() < deadline) {
                            Thread.sleep(10);
                        }
                        answers.put(say(gone));
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            resp.setContentLength(2);
            resp.getOutputStream().write("ok".getBytes(StandardCharsets.US_ASCII));
        }

        private static String say(BooleanSupplier gone) {
            return gone.getAsBoolean() ? "gone" : "connected";
        }
    }
}
