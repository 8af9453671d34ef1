package org.visionserve.service.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.unit.DataSize;
import org.visionserve.export.ModelExporter;
import org.visionserve.export.ModelMetadata;
import org.visionserve.service.AuditLines;
import org.visionserve.service.TestModels;
import org.visionserve.service.config.VisionServeProperties;
import org.visionserve.service.config.VisionServeProperties.CudaFallback;
import org.visionserve.service.config.VisionServeProperties.Device;
import org.visionserve.service.metrics.ServiceMetrics;

/**
 * The repository poller, one poll at a time ({@link ModelRepository#poll()} called by the test, the
 * schedule off): a new folder is loaded once it looked the same on two polls, a half-written version
 * (model.onnx newer than model.json) is not, a changed version is reloaded, a removed folder unloaded.
 */
class RepositoryPollTest {

    @TempDir
    Path dir;
    @TempDir
    Path source;

    ModelRepository repository;
    AuditLines audit;

    @BeforeEach
    void start() throws Exception {
        TestModels.exportAtto(source);
        var models = new VisionServeProperties.Models(dir, List.of(), false, Device.CPU, CudaFallback.CPU, 1, 8,
                new VisionServeProperties.Batching(1, 0, List.of(), true), Map.of(), Duration.ZERO);
        var props = new VisionServeProperties(models, new VisionServeProperties.Runtime(1, 1, 0, false, true),
                new VisionServeProperties.Limits(DataSize.ofMegabytes(1), 1_000_000, 4, DataSize.ofMegabytes(4), 5, 10,
                        DataSize.ofMegabytes(16), 4_000_000, 65_536, 100,
                        16_384, Duration.ofSeconds(5), Duration.ofSeconds(10)),
                new VisionServeProperties.Segmentation(2, 1, 2, 100),
                new VisionServeProperties.AdmissionSettings(DataSize.ofMegabytes(512), 0),
                new VisionServeProperties.Deadlines(Duration.ofSeconds(30), Duration.ofSeconds(120), Duration.ofSeconds(300)));
        repository = new ModelRepository(props, new ServiceMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)),
                new Admission(props));
        audit = new AuditLines();
        repository.start();
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (!repository.loadingDone()) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    @AfterEach
    void stop() {
        repository.stop();
        audit.close();
    }

    /** Copies atto's files into {@code to}, model.onnx first and model.json last, as the exporter writes them. */
    private void writeVersion(Path to) throws Exception {
        Files.createDirectories(to);
        Path atto = source.resolve(TestModels.ATTO);
        Files.copy(atto.resolve(ModelExporter.MODEL_FILE), to.resolve(ModelExporter.MODEL_FILE),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(atto.resolve(ModelMetadata.FILE_NAME), to.resolve(ModelMetadata.FILE_NAME),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        FileTime onnx = Files.getLastModifiedTime(to.resolve(ModelExporter.MODEL_FILE));
        Files.setLastModifiedTime(to.resolve(ModelMetadata.FILE_NAME), FileTime.fromMillis(onnx.toMillis() + 1000));
    }

    @Test
    void newChangedHalfWrittenAndRemovedFolders() throws Exception {
        Path model = dir.resolve("polled");
        writeVersion(model.resolve("1"));
        repository.poll();
        assertThat(repository.contains("polled")).as("not loaded on first sight: it may still be copied").isFalse();
        repository.poll();
        assertThat(repository.get("polled").status()).isEqualTo(ModelStatus.READY);
        assertThat(repository.get("polled").serving().number()).isEqualTo(1);

        // version 2 half-written: model.json there, model.onnx newer (still being written, or replaced after it)
        Path v2 = model.resolve("2");
        writeVersion(v2);
        FileTime json = Files.getLastModifiedTime(v2.resolve(ModelMetadata.FILE_NAME));
        Files.setLastModifiedTime(v2.resolve(ModelExporter.MODEL_FILE), FileTime.fromMillis(json.toMillis() + 5000));
        repository.poll();
        repository.poll();
        assertThat(repository.get("polled").version(2)).as("a half-written version is not loaded").isNull();
        assertThat(repository.get("polled").serving().number()).isEqualTo(1);

        // model.json written last: complete; loaded once seen twice, and the policy (latest:1) unloads 1
        Files.setLastModifiedTime(v2.resolve(ModelMetadata.FILE_NAME), FileTime.fromMillis(json.toMillis() + 6000));
        repository.poll();
        assertThat(repository.get("polled").version(2)).isNull();
        repository.poll();
        ServedModel polled = repository.get("polled");
        assertThat(polled.version(2).status()).isEqualTo(ModelStatus.READY);
        assertThat(polled.serving().number()).isEqualTo(2);
        assertThat(polled.version(1).status()).isIn(ModelStatus.UNLOADING, ModelStatus.UNLOADED);
        assertThat(polled.version(1).reason()).contains("version-policy");

        // version 2 rewritten: reloaded (a new session), version 1 untouched
        ModelRunner before = polled.runner();
        writeVersion(v2);
        Files.setLastModifiedTime(v2.resolve(ModelMetadata.FILE_NAME), FileTime.fromMillis(json.toMillis() + 9000));
        repository.poll();
        repository.poll();
        assertThat(polled.runner()).as("reloaded").isNotSameAs(before).isNotNull();
        assertThat(polled.version(2).status()).isEqualTo(ModelStatus.READY);

        // removed: unloaded and forgotten
        try (var files = Files.walk(model)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        repository.poll();
        assertThat(repository.contains("polled")).isFalse();

        List<String> lines = audit.lines();
        assertThat(lines).filteredOn(l -> l.startsWith("action=load model=polled by=poller outcome=ok")).hasSize(3);
        assertThat(lines).filteredOn(l -> l.startsWith("action=unload model=polled by=poller outcome=ok")).hasSize(1);
    }
}
