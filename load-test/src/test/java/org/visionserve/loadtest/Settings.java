package org.visionserve.loadtest;

import java.time.Duration;

/** Simulation settings from system properties; unset or empty (the pom passes every one) = the default. */
final class Settings {

    private Settings() {
    }

    static String string(String name, String dflt) {
        String v = System.getProperty(name);
        return v == null || v.isBlank() ? dflt : v.trim();
    }

    static double number(String name, double dflt) {
        return Double.parseDouble(string(name, Double.toString(dflt)));
    }

    static int integer(String name, int dflt) {
        return Integer.parseInt(string(name, Integer.toString(dflt)));
    }

    static Duration seconds(String name, long dflt) {
        return Duration.ofSeconds(Long.parseLong(string(name, Long.toString(dflt))));
    }
}
