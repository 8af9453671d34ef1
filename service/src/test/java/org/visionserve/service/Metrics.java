package org.visionserve.service;

import java.util.Arrays;

/** Reads samples out of the Prometheus text exposition format. */
public final class Metrics {

    private Metrics() {
    }

    /**
     * The value of the first sample of {@code name} carrying every {@code label="value"} pair given
     * (as {@code "label", "value", ...}). Fails if there is none: a renamed metric or label must not
     * read as 0 and let a check pass.
     */
    public static double value(String scrape, String name, String... labels) {
        String line = find(scrape, name, labels);
        if (line == null) {
            throw new AssertionError("no sample " + name + " " + Arrays.toString(labels) + " in the scrape");
        }
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    /**
     * A counter's value, 0 if it has no sample yet: Micrometer registers a series of
     * {@code visionserve_requests_total} on its first increment. Only for the reading taken before
     * the request under test; read the one after with {@link #value}, which fails if it is missing.
     */
    public static double counterOrZero(String scrape, String name, String... labels) {
        String line = find(scrape, name, labels);
        return line == null ? 0 : Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    public static boolean has(String scrape, String name, String... labels) {
        String line = find(scrape, name, labels);
        return line != null && line.startsWith(name + "{");
    }

    private static String find(String scrape, String name, String... labels) {
        for (String line : scrape.split("\n")) {
            if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
                continue;
            }
            boolean all = true;
            for (int i = 0; i < labels.length; i += 2) {
                String pair = labels[i] + "=\"" + labels[i + 1] + "\"";
                all &= line.contains("{" + pair) || line.contains("," + pair);
            }
            if (all) {
                return line;
            }
        }
        return null;
    }
}
