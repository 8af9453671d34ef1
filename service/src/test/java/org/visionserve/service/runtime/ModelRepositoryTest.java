package org.visionserve.service.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.util.unit.DataSize;
import org.visionserve.service.Metrics;
import org.visionserve.service.TestModels;
import org.visionserve.service.config.VisionServeProperties;
import org.visionserve.service.config.VisionServeProperties.CudaFallback;
import org.visionserve.service.config.VisionServeProperties.Device;
import org.visionserve.service.config.VisionServeProperties.ModelSettings;
import org.visionserve.service.metrics.ServiceMetrics;

/**
 * Loading failures and device policies, on the repository itself (no web server needed): a model
 * that cannot load is kept with its reason and keeps readiness DOWN while the others serve; CUDA
 * that cannot be bound falls back to CPU or fails the model, as configured.
 */
class ModelRepositoryTest {

    @TempDir
    static Path dir;

    static ModelRepository repository;
    static PrometheusMeterRegistry registry;
    static VisionServeProperties props;

    @BeforeAll
    static void load() throws Exception {
        TestModels.exportAtto(dir);
        Path atto = dir.resolve(TestModels.ATTO);
        TestModels.copy(atto, dir.resolve("cuda_or_cpu"));
        TestModels.copy(atto, dir.resolve("cuda_only"));
        TestModels.copy(atto, dir.resolve("switched_off"));
        TestModels.copy(atto, dir.resolve("broken"));
        Files.write(dir.resolve("broken").resolve("model.onnx"), new byte[] {1, 2, 3, 4});

        var models = new VisionServeProperties.Models(dir, List.of(TestModels.ATTO), true, Device.CPU,
                CudaFallback.CPU, 1, 8, new VisionServeProperties.Batching(8, 2000, List.of(), true), Map.of(
                "cuda_or_cpu", new ModelSettings(null, Device.CUDA, CudaFallback.CPU, null, null, null, null, null, null, null, null),
                "cuda_only", new ModelSettings(null, Device.CUDA, CudaFallback.FAIL, null, null, null, null, null, null, null, null),
                "switched_off", new ModelSettings(false, null, null, null, null, null, null, null, null, null, null)), Duration.ZERO);
        props = new VisionServeProperties(models, new VisionServeProperties.Runtime(1, 1, 0, false, true),
                new VisionServeProperties.Limits(DataSize.ofMegabytes(1), 1_000_000, 4, DataSize.ofMegabytes(4), 5, 10,
                        DataSize.ofMegabytes(16), 4_000_000, 65_536, 100,
                        16_384, Duration.ofSeconds(5), Duration.ofSeconds(10)),
                new VisionServeProperties.Segmentation(2, 1, 2, 100),
                new VisionServeProperties.AdmissionSettings(DataSize.ofMegabytes(512), 0),
                new VisionServeProperties.Deadlines(Duration.ofSeconds(30), Duration.ofSeconds(120), Duration.ofSeconds(300)));
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        repository = new ModelRepository(props, new ServiceMetrics(registry), new Admission(props));
        repository.start();
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (!repository.loadingDone() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(repository.loadingDone()).isTrue();
    }

    @AfterAll
    static void close() {
        repository.stop();
    }

    @Test
    void aBrokenModelIsReportedWithItsReasonAndTheOthersServe() {
        ServedModel broken = repository.get("broken");
        assertThat(broken.status()).isEqualTo(ModelStatus.FAILED);
        assertThat(broken.error()).contains("OrtException");
        assertThatThrownBy(() -> repository.ready("broken")).isInstanceOf(ModelUnavailableException.class)
                .hasMessageContaining("failed to load");
        assertThat(repository.get(TestModels.ATTO).status()).isEqualTo(ModelStatus.READY);
        assertThat(repository.get(TestModels.ATTO).device()).isEqualTo(Device.CPU);
    }

    @Test
    void readinessIsDownUntilTheRepositoryIsLoaded() {
        ModelRepository notStarted = new ModelRepository(props, new ServiceMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), new Admission(props));
        Health health = new ModelsHealthIndicator(notStarted).health();
        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat(health.getDetails().get("loading")).isEqualTo(true);
    }

    @Test
    void readinessIsDownAndListsTheFailure() {
        Health health = new ModelsHealthIndicator(repository).health();
        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        @SuppressWarnings("unchecked")
        var models = (Map<String, Map<String, Object>>) health.getDetails().get("models");
        assertThat(models.get("broken").get("status")).isEqualTo("failed");
        assertThat((String) models.get("broken").get("error")).isNotBlank();
        assertThat(models.get(TestModels.ATTO).get("status")).isEqualTo("ready");
        assertThat(models.get("switched_off").get("status")).isEqualTo("disabled");
    }

    /**
     * Without CUDA libraries (CI), the strict model fails and the lenient one runs on CPU with a note;
     * on a machine where CUDA binds, both run on CUDA.
     */
    @Test
    void cudaPolicyFallsBackOrFails() {
        ServedModel strict = repository.get("cuda_only");
        ServedModel lenient = repository.get("cuda_or_cpu");
        assertThat(lenient.status()).isEqualTo(ModelStatus.READY);
        if (strict.status() == ModelStatus.READY) {
            assertThat(strict.device()).isEqualTo(Device.CUDA);
            assertThat(lenient.device()).isEqualTo(Device.CUDA);
        } else {
            assertThat(strict.status()).isEqualTo(ModelStatus.FAILED);
            assertThat(strict.error()).contains("CUDA").contains("cuda-fallback=fail");
            assertThat(lenient.device()).isEqualTo(Device.CPU);
            assertThat(lenient.deviceNote()).contains("CUDA requested but unavailable");
        }
    }

    @Test
    void disabledModelIsNotLoaded() {
        ServedModel off = repository.get("switched_off");
        assertThat(off.status()).isEqualTo(ModelStatus.DISABLED);
        assertThat(off.runner()).isNull();
        assertThatThrownBy(() -> repository.ready("switched_off")).isInstanceOf(ModelUnavailableException.class);
    }

    @Test
    void metricsCarryTheBoundDeviceAndStatus() {
        String scrape = registry.scrape();
        assertThat(Metrics.value(scrape, "visionserve_model_info", "model", TestModels.ATTO, "device", "cpu",
                "status", "ready")).isEqualTo(1);
        assertThat(Metrics.value(scrape, "visionserve_model_info", "model", "broken", "status", "failed")).isEqualTo(1);
        assertThat(Metrics.value(scrape, "visionserve_model_load_seconds", "model", TestModels.ATTO)).isPositive();
    }

    @Test
    void repositoryWithTheDefaultPresentExportsNothing() {
        // atto is the default here and was exported by the test: no first-run export, so no other dirs.
        assertThat(dir.resolve("inception_next_tiny")).doesNotExist();
    }
}
