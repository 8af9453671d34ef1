package org.visionserve.service;

import java.util.Arrays;

/** Reads samples out of the Prometheus text exposition format. */
public final class Metrics {

    private Metrics() {
    }

    /**
     * The sum of the samples of {@code name} carrying every {@code label="value"} pair given (as
     * {@code "label", "value", ...}), as PromQL's {@code sum} over the labels not named (a series split
     * by a label the check does not care about, such as {@code protocol}, reads as its total). Fails if
     * there is none: a renamed metric or label must not read as 0 and let a check pass.
     */
    public static double value(String scrape, String name, String... labels) {
        if (find(scrape, name, labels) == null) {
            throw new AssertionError("no sample " + name + " " + Arrays.toString(labels) + " in the scrape");
        }
        return sum(scrape, name, labels);
    }

    /**
     * A counter's value, 0 if it has no sample yet: Micrometer registers a series of
     * {@code visionserve_requests_total} on its first increment. Only for the reading taken before
     * the request under test; read the one after with {@link #value}, which fails if it is missing.
     */
    public static double counterOrZero(String scrape, String name, String... labels) {
        return sum(scrape, name, labels);
    }

    private static double sum(String scrape, String name, String... labels) {
        double sum = 0;
        for (String line : scrape.split("\n")) {
            if (matches(line, name, labels)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    public static boolean has(String scrape, String name, String... labels) {
        String line = find(scrape, name, labels);
        return line != null && line.startsWith(name + "{");
    }

    private static String find(String scrape, String name, String... labels) {
        for (String line : scrape.split("\n")) {
            if (matches(line, name, labels)) {
                return line;
            }
        }
        return null;
    }

    private static boolean matches(String line, String name, String... labels) {
        if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
            return false;
        }
        for (int i = 0; i < labels.length; i += 2) {
            String pair = labels[i] + "=\"" + labels[i + 1] + "\"";
            if (!line.contains("{" + pair) && !line.contains("," + pair)) {
                return false;
            }
        }
        return true;
    }
}
