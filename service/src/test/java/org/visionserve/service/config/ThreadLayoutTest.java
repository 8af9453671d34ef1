package org.visionserve.service.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.visionserve.service.config.VisionServeProperties.Device;
import org.visionserve.service.config.VisionServeProperties.EffectiveSettings;

/** The run slots and threads a model gets from the defaults and from explicit settings. */
class ThreadLayoutTest {

    private static final int CORES = Runtime.getRuntime().availableProcessors();

    @Test
    void onCpuTheDefaultIsOneSingleThreadedSlotPerCoreAndALoneRequestSessionOverAllOfThem() {
        EffectiveSettings s = bind(Map.of()).settingsFor("m");
        int slots = Math.min(CORES, VisionServeProperties.AUTO_CPU_SLOTS);
        assertThat(s.device()).isEqualTo(Device.CPU);
        assertThat(s.concurrency()).isEqualTo(slots);
        assertThat(s.intraOpThreads()).isEqualTo(Math.max(1, CORES / slots));
        assertThat(s.loneRequestThreads()).isEqualTo(slots > 1 ? Math.min(CORES, slots * s.intraOpThreads()) : 0);
        assertThat(s.maxBatchSize()).as("batching on").isEqualTo(8);
        assertThat(s.tuneBatchSize()).isTrue();
    }

    @Test
    void cudaGetsOneSlotAndNoLoneRequestSession() {
        EffectiveSettings s = bind(Map.of("visionserve.models.settings.m.device", "cuda")).settingsFor("m");
        assertThat(s.concurrency()).isEqualTo(1);
        assertThat(s.loneRequestThreads()).isZero();
    }

    @Test
    void explicitSettingsWin() {
        VisionServeProperties p = bind(Map.of(
                "visionserve.models.concurrency", "3",
                "visionserve.runtime.intra-op-threads", "1",
                "visionserve.models.settings.single.concurrency", "1",
                "visionserve.models.batching.tune", "false"));
        EffectiveSettings three = p.settingsFor("m");
        assertThat(three.concurrency()).isEqualTo(3);
        assertThat(three.intraOpThreads()).isEqualTo(1);
        assertThat(three.loneRequestThreads()).isEqualTo(Math.min(CORES, 3) > 1 ? Math.min(CORES, 3) : 0);
        assertThat(three.tuneBatchSize()).isFalse();
        assertThat(p.settingsFor("single").loneRequestThreads()).as("one slot: nothing to gather").isZero();
        assertThat(bind(Map.of("visionserve.runtime.lone-request-session", "false")).settingsFor("m")
                .loneRequestThreads()).isZero();
    }

    private static VisionServeProperties bind(Map<String, String> properties) {
        return new Binder(new MapConfigurationPropertySource(properties))
                .bindOrCreate("visionserve", VisionServeProperties.class);
    }
}
