package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.visionserve.service.ErrorsApiTest.assertProblem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.visionserve.export.ModelExporter;
import org.visionserve.export.ModelMetadata;
import org.visionserve.export.models.ModelRegistry;
import org.visionserve.export.weights.SeededWeights;
import org.visionserve.service.runtime.HeldRunner;
import org.visionserve.service.runtime.ModelRepository;
import org.visionserve.service.runtime.ModelRunner;
import tools.jackson.databind.JsonNode;

/**
 * Versions, Triton's repository API (index, load, unload), hot swaps under load, the audit log and the
 * poller, against a repository of its own: {@code swap} and {@code cycled} (flat: version 1),
 * {@code versioned} (1 and 2 with different weights, policy all), {@code pinned} (1 and 2, specific:1).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "visionserve.models.export-defaults=false",
        "visionserve.runtime.intra-op-threads=1",
        "visionserve.models.poll-interval=200ms",
        "visionserve.models.settings.versioned.version-policy=all",
        "visionserve.models.settings.pinned.version-policy=specific:1"})
class RepositoryApiTest {

    private static Path seed0;
    private static Path repositoryDir;

    @LocalServerPort
    int port;

    @Autowired
    ModelRepository repository;

    Http http;
    final byte[] image = Images.gradientPng(64, 48);

    @DynamicPropertySource
    static void models(DynamicPropertyRegistry registry) {
        try {
            Path dir = Files.createTempDirectory("visionserve-lifecycle");
            Path sources = Files.createTempDirectory("visionserve-lifecycle-src");
            TestModels.deleteOnExit(dir);
            TestModels.deleteOnExit(sources);
            TestModels.exportAtto(sources.resolve("0"));
            try (SeededWeights w = new SeededWeights(1)) {
                ModelExporter.export(ModelRegistry.get(TestModels.ATTO), w, sources.resolve("1"), (k, n) -> { });
            }
            seed0 = sources.resolve("0").resolve(TestModels.ATTO);
            Path seed1 = sources.resolve("1").resolve(TestModels.ATTO);
            TestModels.copy(seed0, dir.resolve("swap"));
            TestModels.copy(seed0, dir.resolve("cycled"));
            TestModels.copy(seed0, dir.resolve("versioned").resolve("1"));
            TestModels.copy(seed1, dir.resolve("versioned").resolve("2"));
            TestModels.copy(seed0, dir.resolve("pinned").resolve("1"));
            TestModels.copy(seed1, dir.resolve("pinned").resolve("2"));
            repositoryDir = dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        registry.add("visionserve.models.dir", repositoryDir::toString);
    }

    @BeforeEach
    void awaitReady() throws InterruptedException {
        http = new Http(port);
        await("readiness", () -> http.get("/actuator/health/readiness").status() == 200);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what + " within 2 minutes").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private Http.Response classify(String path) {
        return http.post("/v1/models/" + path + "/classify", "image/png", image);
    }

    private Http.Response post(String path, String body) {
        return http.post(path, "application/json", body.getBytes());
    }

    @Test
    void versionsAreListedAndEachServedOnItsPath() {
        JsonNode versioned = http.get("/v1/models/versioned").json();
        assertThat(versioned.get("status").asString()).isEqualTo("ready");
        assertThat(versioned.get("versionPolicy").asString()).isEqualTo("all");
        assertThat(versioned.get("versions")).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(versioned.get("versions").get(i).get("version").asInt()).isEqualTo(i + 1);
            assertThat(versioned.get("versions").get(i).get("status").asString()).isEqualTo("ready");
        }
        JsonNode latest = classify("versioned").json().get("images");
        JsonNode v1 = classify("versioned/versions/1").json().get("images");
        JsonNode v2 = classify("versioned/versions/2").json().get("images");
        assertThat(latest).as("unversioned: the highest ready version").isEqualTo(v2);
        assertThat(v1).as("version 1 has other weights").isNotEqualTo(v2);
        assertThat(http.multipart("/v1/models/versioned/versions/1/classify-batch",
                List.of(new Http.Part("files", "a.png", "image/png", image))).json().get("images").get(0)
                .get("predictions")).isEqualTo(v1.get(0).get("predictions"));
        assertProblem(classify("versioned/versions/3"), 404, "unknown-version");
        assertThat(classify("versioned/versions/x").status()).isEqualTo(400);

        JsonNode pinned = http.get("/v1/models/pinned").json();
        assertThat(pinned.get("versionPolicy").asString()).isEqualTo("specific:1");
        assertThat(pinned.get("versions").get(1).get("status").asString()).isEqualTo("unloaded");
        assertThat(pinned.get("versions").get(1).get("reason").asString()).contains("version-policy");
        assertProblem(classify("pinned/versions/2"), 409, "model-unloaded");
        assertThat(classify("pinned").json().get("images")).isEqualTo(classify("pinned/versions/1").json().get("images"));

        String scrape = http.get("/actuator/prometheus").body();
        assertThat(Metrics.value(scrape, "visionserve_model_state", "model", "pinned", "version", "2", "state", "unloaded"))
                .isEqualTo(1);
        assertThat(Metrics.value(scrape, "visionserve_model_state", "model", "pinned", "version", "2", "state", "ready"))
                .isEqualTo(0);
        assertThat(Metrics.value(scrape, "visionserve_model_state", "model", "pinned", "version", "1", "state", "ready"))
                .isEqualTo(1);
    }

    @Test
    void indexListsEveryVersionWithItsTritonState() {
        Http.Response all = post("/v2/repository/index", "");
        assertThat(all.status()).isEqualTo(200);
        List<String> lines = new ArrayList<>();
        all.json().forEach(e -> lines.add(e.get("name").asString() + "/" + e.get("version").asString() + " "
                + e.get("state").asString() + " " + e.get("reason").asString()));
        assertThat(lines).contains("versioned/1 READY ", "versioned/2 READY ", "pinned/1 READY ");
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("pinned/2 UNAVAILABLE not in version-policy"));

        Http.Response ready = post("/v2/repository/index", "{\"ready\": true}");
        assertThat(ready.json()).allSatisfy(e -> assertThat(e.get("state").asString()).isEqualTo("READY"));
        assertThat(ready.json()).noneSatisfy(e -> assertThat(e.get("name").asString() + "/" + e.get("version").asString())
                .isEqualTo("pinned/2"));

        for (String bad : new String[] {"[1]", "{\"ready\": \"yes\"}", "{nope"}) {
            Http.Response r = post("/v2/repository/index", bad);
            assertThat(r.status()).as(bad).isEqualTo(400);
            assertThat(r.json().get("error").asString()).as(bad).isNotBlank();
        }
    }

    @Test
    void unloadAnswers409UntilLoadBringsItBackAndEveryActionIsAudited() throws InterruptedException {
        try (AuditLines audit = new AuditLines()) {
            assertThat(classify("cycled").status()).isEqualTo(200);

            Http.Response unload = post("/v2/repository/models/cycled/unload", "");
            assertThat(unload.status()).isEqualTo(200);
            assertThat(unload.body()).isEmpty();
            Http.Response refused = classify("cycled");
            assertProblem(refused, 409, "model-unloaded");
            assertThat(refused.json().get("detail").asString()).contains("/v2/repository/models/cycled/load");
            await("closed", () -> http.get("/v1/models/cycled").json().get("status").asString().equals("unloaded"));
            assertThat(http.get("/actuator/health/readiness").status()).as("the others serve").isEqualTo(200);
            assertThat(post("/v2/repository/index", "").json()).anySatisfy(e -> {
                assertThat(e.get("name").asString()).isEqualTo("cycled");
                assertThat(e.get("state").asString()).isEqualTo("UNAVAILABLE");
                assertThat(e.get("reason").asString()).isEqualTo("unloaded");
            });

            assertThat(post("/v2/repository/models/cycled/load", "").status()).isEqualTo(200);
            assertThat(classify("cycled").status()).isEqualTo(200);
            assertThat(http.get("/v1/models/cycled").json().get("status").asString()).isEqualTo("ready");

            Http.Response unknown = post("/v2/repository/models/nope/load", "");
            assertThat(unknown.status()).isEqualTo(400);
            assertThat(unknown.json().get("error").asString()).contains("no model 'nope'");
            assertThat(post("/v2/repository/models/nope/unload", "").status()).isEqualTo(400);
            Http.Response config = post("/v2/repository/models/cycled/load", "{\"parameters\": {\"config\": \"{}\"}}");
            assertThat(config.status()).isEqualTo(400);
            assertThat(config.json().get("error").asString()).contains("'config'");
            assertThat(post("/v2/repository/models/cycled/unload", "{\"parameters\": {\"unload_dependents\": true}}")
                    .status()).isEqualTo(200);
            assertThat(post("/v2/repository/models/cycled/load", "{}").status()).isEqualTo(200);

            assertThat(audit.lines()).filteredOn(l -> l.contains("model=cycled")).satisfiesExactly(
                    l -> assertThat(l).startsWith("action=unload model=cycled by=anonymous outcome=ok"),
                    l -> assertThat(l).startsWith("action=load model=cycled by=anonymous outcome=ok"),
                    l -> assertThat(l).startsWith("action=unload model=cycled by=anonymous outcome=ok"),
                    l -> assertThat(l).startsWith("action=load model=cycled by=anonymous outcome=ok"));
            assertThat(audit.lines()).anySatisfy(l -> assertThat(l)
                    .startsWith("action=load model=nope by=anonymous outcome=failed").contains(" at=20"));
        }
    }

    /** Threads of the model's batcher (its collector and its run workers), old and new. */
    private static long batcherThreads(String model) {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .filter(t -> t.getName().equals("batcher-" + model)).count();
    }

    @Test
    void hotSwapUnderEightClientsFailsNoRequest() throws Exception {
        JsonNode expected = classify("swap").json().get("images");

        // A request waiting at the old session when the swap happens finishes there, with the same answer.
        ModelRunner first = repository.get("swap").runner();
        CompletableFuture<Http.Response> inFlight;
        try (HeldRunner held = HeldRunner.hold(first)) {
            inFlight = CompletableFuture.supplyAsync(() -> classify("swap"), runnable -> {
                Thread t = new Thread(runnable, "in-flight-client");
                t.setDaemon(true);
                t.start();
            });
            await("queued at the old session", () -> first.queueDepth() == 1);
            assertThat(post("/v2/repository/models/swap/load", "").status()).isEqualTo(200);
            assertThat(repository.get("swap").runner()).as("swapped").isNotSameAs(first);
            assertThat(classify("swap").json().get("images")).as("new requests: the new session").isEqualTo(expected);
            assertThat(inFlight).as("still held on the old one").isNotDone();
        }
        Http.Response held = inFlight.get(1, TimeUnit.MINUTES);
        assertThat(held.status()).isEqualTo(200);
        assertThat(held.json().get("images")).isEqualTo(expected);
        await("the old session closed, its batcher gone", () -> batcherThreads("swap") == 1);

        // 8 clients classifying in a loop through three reloads: every answer 200 and the same.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger answered = new AtomicInteger();
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Thread t = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        Http.Response r = classify("swap");
                        if (r.status() != 200 || !r.json().get("images").equals(expected)) {
                            failures.add(r.status() + " " + r.body());
                        }
                    } catch (RuntimeException e) {
                        failures.add(e.toString());
                    }
                    answered.incrementAndGet();
                }
            }, "client-" + i);
            t.setDaemon(true);
            t.start();
            clients.add(t);
        }
        await("clients running", () -> answered.get() >= 16);
        for (int reload = 0; reload < 3; reload++) {
            ModelRunner before = repository.get("swap").runner();
            assertThat(post("/v2/repository/models/swap/load", "").status()).isEqualTo(200);
            assertThat(repository.get("swap").runner()).isNotSameAs(before);
            int mark = answered.get();
            await("answers after the swap", () -> answered.get() >= mark + 16);
        }
        stop.set(true);
        for (Thread t : clients) {
            t.join(TimeUnit.MINUTES.toMillis(1));
        }
        assertThat(failures).isEmpty();
        assertThat(answered.get()).isGreaterThanOrEqualTo(64);
        await("every replaced session closed", () -> batcherThreads("swap") == 1);
    }

    @Test
    void thePollerLoadsANewFolderAndUnloadsARemovedOne() throws Exception {
        try (AuditLines audit = new AuditLines()) {
            Path dropped = repositoryDir.resolve("dropped");
            Files.createDirectories(dropped);
            Files.copy(seed0.resolve(ModelExporter.MODEL_FILE), dropped.resolve(ModelExporter.MODEL_FILE));
            Files.copy(seed0.resolve(ModelMetadata.FILE_NAME), dropped.resolve(ModelMetadata.FILE_NAME));
            FileTime onnx = Files.getLastModifiedTime(dropped.resolve(ModelExporter.MODEL_FILE));
            Files.setLastModifiedTime(dropped.resolve(ModelMetadata.FILE_NAME), FileTime.fromMillis(onnx.toMillis() + 1));
            await("loaded by the poller", () -> http.get("/v1/models/dropped").status() == 200
                    && http.get("/v1/models/dropped").json().get("status").asString().equals("ready"));
            assertThat(classify("dropped").status()).isEqualTo(200);

            try (var files = Files.walk(dropped)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            await("forgotten by the poller", () -> http.get("/v1/models/dropped").status() == 404);
            assertProblem(classify("dropped"), 404, "unknown-model");
            assertThat(audit.lines()).anySatisfy(l -> assertThat(l).startsWith("action=load model=dropped by=poller outcome=ok"));
            assertThat(audit.lines()).anySatisfy(l -> assertThat(l).startsWith("action=unload model=dropped by=poller outcome=ok"));
        }
    }
}
