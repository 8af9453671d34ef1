package org.visionserve.export;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Which registered models have a golden and which are exempt ({@code golden/exemptions.json}): every
 * registered model needs exactly one of the two, and neither may name a model the registry lacks.
 */
final class GoldenCoverage {

    static final String EXEMPTIONS_FILE = "exemptions.json";

    private GoldenCoverage() {
    }

    /** The model ids with a golden folder (a sub-folder holding a manifest.json). */
    static Set<String> goldens(Path root) {
        try (Stream<Path> dirs = Files.list(root)) {
            Set<String> ids = new TreeSet<>();
            dirs.filter(d -> Files.isRegularFile(d.resolve("manifest.json")))
                    .forEach(d -> ids.add(d.getFileName().toString()));
            return ids;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The written exemptions: model id to reason. */
    static Map<String, String> exemptions(Path root) {
        JsonNode file = JsonMapper.shared().readTree(root.resolve(EXEMPTIONS_FILE).toFile());
        Map<String, String> out = new TreeMap<>();
        file.get("exemptions").properties().forEach(e -> out.put(e.getKey(), e.getValue().asString()));
        return out;
    }

    /** Every breach of the rule, one line each; empty when the registry is fully covered. */
    static List<String> problems(Collection<String> registered, Set<String> goldens, Map<String, String> exemptions) {
        List<String> problems = new ArrayList<>();
        for (String id : registered) {
            boolean golden = goldens.contains(id);
            boolean exempt = exemptions.containsKey(id);
            if (!golden && !exempt) {
                problems.add(id + ": registered, but has neither a golden nor an exemption");
            } else if (golden && exempt) {
                problems.add(id + ": has a golden, so its exemption must go");
            } else if (exempt && exemptions.get(id).isBlank()) {
                problems.add(id + ": exemption without a reason");
            }
        }
        for (String id : goldens) {
            if (!registered.contains(id)) {
                problems.add(id + ": golden for a model the registry lacks");
            }
        }
        for (String id : exemptions.keySet()) {
            if (!registered.contains(id)) {
                problems.add(id + ": exemption for a model the registry lacks");
            }
        }
        return problems;
    }
}
