package org.visionserve.loadtest;

import static io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;

import io.gatling.javaapi.core.Assertion;
import io.gatling.javaapi.core.OpenInjectionStep;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Simulation settings from system properties; unset or empty (the pom passes every one) = the default. */
final class Settings {

    private Settings() {
    }

    /**
     * The protocol with {@code Authorization: Bearer KEY} when the environment variable
     * {@code VISIONSERVE_API_KEY} holds a key (role infer): the image and the chart turn authentication on.
     * An environment variable, not a property, so the key is not on a command line.
     */
    static HttpProtocolBuilder authorized(HttpProtocolBuilder protocol) {
        String key = System.getenv("VISIONSERVE_API_KEY");
        return key == null || key.isBlank() ? protocol : protocol.authorizationHeader("Bearer " + key.trim());
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

    /**
     * The load profile, as the k6 scripts have it: {@code smoke} is one user in a loop, {@code load}
     * a constant arrival rate of {@code rate} users per second (an open model: a slow service does
     * not slow the arrivals down).
     */
    static PopulationBuilder population(ScenarioBuilder scenario, String profile, double rate, Duration duration) {
        return switch (profile) {
            case "smoke" -> scenario.injectClosed(constantConcurrentUsers(1).during(duration));
            case "load" -> scenario.injectOpen(new OpenInjectionStep[] {constantUsersPerSec(rate).during(duration)});
            default -> throw new IllegalArgumentException("unknown profile " + profile + " (smoke | load)");
        };
    }

    /**
     * A run's assertions: under 1 % failed requests, and the p95 of each named request under
     * {@code p95Ms}, unless that is 0: a correctness-only run (CI's smoke runs on a shared machine,
     * where latency is a benchmark's question, not a pass/fail one).
     */
    static List<Assertion> assertions(int p95Ms, String... requests) {
        List<Assertion> list = new ArrayList<>();
        if (p95Ms > 0) {
            for (String request : requests) {
                list.add(details(request).responseTime().percentile(95.0).lt(p95Ms));
            }
        }
        list.add(global().failedRequests().percent().lt(1.0));
        return list;
    }
}
