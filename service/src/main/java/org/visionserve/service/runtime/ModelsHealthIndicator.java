package org.visionserve.service.runtime;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Health contributor {@code models}, part of the readiness group: UP once the start-up load is done, at
 * least one model serves and no model that should serve has failed. Models unloaded through the
 * repository API (or removed from the folder) do not count; one being loaded after start-up does not
 * hold readiness back (it answers 503 model-loading meanwhile, the others serve), and a reload keeps the
 * serving version READY throughout. A model that failed keeps readiness DOWN and is listed with its
 * reason (the other models still serve their requests) until it is loaded or unloaded.
 */
@Component("models")
public class ModelsHealthIndicator implements HealthIndicator {

    private final ModelRepository repository;

    public ModelsHealthIndicator(ModelRepository repository) {
        this.repository = repository;
    }

    @Override
    public Health health() {
        Map<String, Object> details = new LinkedHashMap<>();
        boolean allReady = true;
        int serving = 0;
        for (ServedModel m : repository.all()) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("status", m.status().id());
            if (m.device() != null) {
                d.put("device", m.device().name().toLowerCase(java.util.Locale.ROOT));
            }
            if (m.error() != null) {
                d.put("error", m.error());
            }
            details.put(m.id(), d);
            ModelStatus status = m.status();
            if (status == ModelStatus.READY) {
                serving++;
            } else if (status == ModelStatus.FAILED) {
                allReady = false;
            }
        }
        Health.Builder b = repository.loadingDone() && allReady && serving > 0 ? Health.up() : Health.down();
        if (!repository.loadingDone()) {
            b.withDetail("loading", true);
        } else if (serving == 0) {
            b.withDetail("reason", "no model serves (none enabled, loaded or ready)");
        }
        return b.withDetail("models", details).build();
    }
}
