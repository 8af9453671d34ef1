package org.visionserve.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.visionserve.service.Http;
import org.visionserve.service.OperationsClient;
import org.visionserve.service.TestModels;
import org.visionserve.service.VisionServeApplication;
import org.visionserve.service.runtime.Admission;
import org.visionserve.service.runtime.RequestScope;
import org.visionserve.service.segmentation.nifti.NiftiDatatype;
import org.visionserve.service.segmentation.nifti.NiftiWriter;
import tools.jackson.databind.JsonNode;

/**
 * Two replicas sharing a real Redis ({@code redis-server} started here on a free port, no persistence):
 * an operation submitted to one is polled, fetched and cancelled through the other.
 */
class OperationsRedisApiTest {

    private static final String SEGMENT = "/v1/models/" + TestModels.IVD + "/segment";

    private static Process redis;
    private static Path redisDir;
    private static ConfigurableApplicationContext a;
    private static ConfigurableApplicationContext b;

    @BeforeAll
    static void start() throws Exception {
        int redisPort;
        try (ServerSocket s = new ServerSocket(0)) {
            redisPort = s.getLocalPort();
        }
        redisDir = Files.createTempDirectory("visionserve-redis");
        try {
            redis = new ProcessBuilder("redis-server", "--port", Integer.toString(redisPort), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", redisDir.toString())
                    .redirectErrorStream(true).redirectOutput(redisDir.resolve("redis.log").toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("redis-server is needed by this test (Debian: apt-get install -y "
                    + "redis-server) and could not be started: " + e.getMessage(), e);
        }
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            try (Socket s = new Socket("127.0.0.1", redisPort)) {
                break;
            } catch (IOException e) {
                assertThat(redis.isAlive()).as("redis-server running (see %s)", redisDir.resolve("redis.log")).isTrue();
                assertThat(System.nanoTime()).as("redis-server listening within 20 s").isLessThan(end);
                Thread.sleep(50);
            }
        }
        a = replica(redisPort);
        b = replica(redisPort);
    }

    private static ConfigurableApplicationContext replica(int redisPort) {
        return new SpringApplicationBuilder(VisionServeApplication.class).run(
                "--server.port=0",
                "--visionserve.models.dir=" + TestModels.repository(),
                "--visionserve.models.defaults=" + TestModels.IVD,
                "--visionserve.runtime.intra-op-threads=1",
                "--visionserve.segmentation.batch-size=2",
                "--visionserve.segmentation.max-concurrent=1",
                "--visionserve.operations.store=redis",
                "--visionserve.operations.redis.url=redis://127.0.0.1:" + redisPort);
    }

    private static int port(ConfigurableApplicationContext c) {
        return ((WebServerApplicationContext) c).getWebServer().getPort();
    }

    @AfterAll
    static void stop() throws Exception {
        for (ConfigurableApplicationContext c : new ConfigurableApplicationContext[] {a, b}) {
            if (c != null) {
                c.close();
            }
        }
        if (redis != null) {
            redis.destroy();
            redis.waitFor();
        }
        if (redisDir != null) {
            org.visionserve.service.config.TempDirs.deleteTree(redisDir);
        }
    }

    private static List<Http.Part> exam() {
        SyntheticSpine spine = new SyntheticSpine(4, 64, 64);
        byte[] truth = spine.mask();
        Map<Modality, byte[]> files = new EnumMap<>(Modality.class);
        for (Modality m : Modality.values()) {
            files.put(m, NiftiWriter.write(spine.geometry, spine.modality(m, truth), NiftiDatatype.INT16, false));
        }
        List<Http.Part> parts = new ArrayList<>();
        files.forEach((m, bytes) -> parts.add(new Http.Part(m.key, m.key + ".nii", "application/octet-stream", bytes)));
        return parts;
    }

    private static void awaitReady(OperationsClient c) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (c.send("GET", "/actuator/health/readiness", null).statusCode() != 200) {
            assertThat(System.nanoTime()).as("readiness within 3 minutes").isLessThan(end);
            Thread.sleep(100);
        }
    }

    @Test
    void submittedToOneReplicaFollowedAndFetchedThroughTheOther() throws Exception {
        OperationsClient one = new OperationsClient(port(a));
        OperationsClient other = new OperationsClient(port(b));
        awaitReady(one);
        awaitReady(other);
        String id = OperationsClient.accepted(one.submit(SEGMENT, exam()));
        JsonNode done = other.awaitFinished(id, Duration.ofSeconds(60));
        assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("succeeded");
        assertThat(done.get("result").get("input").get("slices").asInt()).isEqualTo(4);
        HttpResponse<byte[]> mask = other.send("GET", "/v1/operations/" + id + "/result", null, "Accept", "application/gzip");
        assertThat(mask.statusCode()).isEqualTo(200);
        assertThat(mask.body()[0] & 0xff).isEqualTo(0x1f); // gzip
        assertThat(OperationsClient.text(other.send("GET", "/v1/operations", null))).contains(id);
        assertThat(other.events(id).get(0).name()).isEqualTo("succeeded");
    }

    /** Replica A's only volume place held: its operation waits queued until B's DELETE reaches A. */
    @Test
    void aCancelThroughTheOtherReplicaReachesTheOneDoingTheWork() throws Exception {
        OperationsClient one = new OperationsClient(port(a));
        OperationsClient other = new OperationsClient(port(b));
        awaitReady(one);
        awaitReady(other);
        Admission admissionA = a.getBean(Admission.class);
        try (RequestScope hold = RequestScope.withTimeout(Duration.ofMinutes(2));
             Admission.Ticket place = admissionA.admit(SegmentationService.POOL, 0, hold)) {
            String id = OperationsClient.accepted(one.submit(SEGMENT, exam()));
            assertThat(other.get(id).get("status").asString()).isEqualTo("queued");
            Thread worker = a.getBean(org.visionserve.service.operations.Operations.class).threadOf(id).orElseThrow();
            assertThat(other.send("DELETE", "/v1/operations/" + id, null).statusCode()).isEqualTo(202);
            JsonNode cancelled = other.await(id, op -> !op.get("status").asString().equals("queued"),
                    Duration.ofSeconds(5), null);
            assertThat(cancelled.get("status").asString()).isEqualTo("cancelled");
            assertThat(cancelled.get("error").get("code").asString()).isEqualTo("cancelled");
            assertThat(admissionA.waiting(SegmentationService.POOL)).isZero();
            worker.join(5_000);
            assertThat(worker.isAlive()).as("replica A's operation thread ended").isFalse();
        }
    }
}
