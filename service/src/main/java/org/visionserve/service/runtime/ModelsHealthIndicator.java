package org.visionserve.service.runtime;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Health contributor {@code models}, part of the readiness group: UP only once every enabled model
 * is loaded and warmed up. A model that failed keeps readiness DOWN and is listed with its reason
 * (the other models still serve their requests).
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
        int enabled = 0;
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
            if (m.status() != ModelStatus.DISABLED) {
                enabled++;
                allReady &= m.status() == ModelStatus.READY;
            }
        }
        Health.Builder b = repository.loadingDone() && allReady && enabled > 0 ? Health.up() : Health.down();
        if (!repository.loadingDone()) {
            b.withDetail("loading", true);
        } else if (enabled == 0) {
            b.withDetail("reason", "no enabled models in the repository");
        }
        return b.withDetail("models", details).build();
    }
}
