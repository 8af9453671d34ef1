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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.unit.DataSize;
import org.visionserve.export.ModelMetadata;
import org.visionserve.service.TestModels;
import org.visionserve.service.config.VisionServeProperties;
import org.visionserve.service.config.VisionServeProperties.CudaFallback;
import org.visionserve.service.config.VisionServeProperties.Device;
import org.visionserve.service.metrics.ServiceMetrics;

/** At start each default model the repository lacks is exported; the ones there are left alone. */
class DefaultModelsExportTest {

    private static final String MISSING = "temporal_inception_ucf101"; // a small default, 4.3 M parameters

    @TempDir
    Path dir;

    @Test
    void exportsOnlyTheMissingDefaults() throws Exception {
        TestModels.exportAtto(dir);
        Path present = dir.resolve(TestModels.ATTO).resolve("model.onnx");
        FileTime before = Files.getLastModifiedTime(present);

        var models = new VisionServeProperties.Models(dir, List.of(TestModels.ATTO, MISSING), true, Device.CPU,
                CudaFallback.CPU, 1, 8, new VisionServeProperties.Batching(8, 2000, List.of(), true), Map.of(), Duration.ZERO);
        var props = new VisionServeProperties(models, new VisionServeProperties.Runtime(1, 1, 0, false, true),
                new VisionServeProperties.Limits(DataSize.ofMegabytes(1), 1_000_000, 4, DataSize.ofMegabytes(4), 5, 10,
                        DataSize.ofMegabytes(16), 4_000_000, 65_536, 100,
                        16_384, Duration.ofSeconds(5), Duration.ofSeconds(10)),
                new VisionServeProperties.Segmentation(2, 1, 2, 100),
                new VisionServeProperties.AdmissionSettings(DataSize.ofMegabytes(512), 0),
                new VisionServeProperties.Deadlines(Duration.ofSeconds(30), Duration.ofSeconds(120), Duration.ofSeconds(300)));
        ModelRepository repository = new ModelRepository(props, new ServiceMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), new Admission(props));
        repository.start();
        try {
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (!repository.loadingDone() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            ModelMetadata exported = ModelMetadata.read(dir.resolve(MISSING).resolve(ModelMetadata.FILE_NAME));
            assertThat(exported.weights().isSeeded()).isTrue();
            assertThat(repository.get(MISSING).status()).isEqualTo(ModelStatus.READY);
            assertThat(Files.getLastModifiedTime(present)).isEqualTo(before);
            assertThat(repository.get(TestModels.ATTO).status()).isEqualTo(ModelStatus.READY);
        } finally {
            repository.stop();
        }
    }
}
