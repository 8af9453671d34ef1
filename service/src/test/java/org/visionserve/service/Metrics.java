package org.visionserve.service;

/** Reads samples out of the Prometheus text exposition format. */
public final class Metrics {

    private Metrics() {
    }

    /**
     * The value of the first sample of {@code name} carrying every {@code label="value"} pair given
     * (as {@code "label", "value", ...}), or 0 if there is none.
     */
    public static double value(String scrape, String name, String... labels) {
        for (String line : scrape.split("\n")) {
            if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
                continue;
            }
            boolean all = true;
            for (int i = 0; i < labels.length; i += 2) {
                all &= line.contains(labels[i] + "=\"" + labels[i + 1] + "\"");
            }
            if (all) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    public static boolean has(String scrape, String name, String... labels) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(name + "{")) {
                boolean all = true;
                for (int i = 0; i < labels.length; i += 2) {
                    all &= line.contains(labels[i] + "=\"" + labels[i + 1] + "\"");
                }
                if (all) {
                    return true;
                }
            }
        }
        return false;
    }
}
