package org.visionserve.loadtest;

import static io.gatling.javaapi.core.CoreDsl.ByteArrayBody;
import static io.gatling.javaapi.core.CoreDsl.RawFileBody;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.RawFileBodyPart;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.CheckBuilder;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Arrays;

/**
 * The k6 clip scenario (k6/clip.js) in Gatling's Java DSL: each iteration recognises the action in the
 * sample clip (2 s, 25 fps, 320x240 H.264), alternately as multipart and as the raw body; every fifth
 * also sends a truncated file that must come back as a 4xx problem+json.
 *
 * <p>Profiles as in {@link ClassificationSimulation}. Assertions: p95 of the recognize requests under
 * {@code p95Ms} (default 10 s), under 1 % failed requests
 * ({@code p95Ms=0}: failures only).
 */
public class ClipSimulation extends Simulation {

    private static final String BASE_URL = Settings.string("baseUrl", "http://127.0.0.1:8080");
    private static final String HEAD = Settings.string("head", "ts_lstm_ucf101");
    private static final String FLOW = Settings.string("flow", "farneback");
    private static final String PROFILE = Settings.string("profile", "smoke");
    private static final int TOP_K = Settings.integer("topK", 3);
    private static final double RATE = Settings.number("rate", 0.5);
    private static final Duration DURATION = Settings.seconds("duration", 30);
    private static final int P95_MS = Settings.integer("p95Ms", 10_000);

    private static final String CLIP = "clip.mp4";
    private static final int FRAMES = 50;
    private static final String PATH = "/v1/models/" + HEAD + "/recognize?flow=" + FLOW + "&top_k=" + TOP_K;

    private final HttpProtocolBuilder protocol = Settings.authorized(http.baseUrl(BASE_URL)
            .acceptHeader("application/json, application/problem+json")
            .shareConnections());

    private static final CheckBuilder[] RECOGNIZED = {
            status().is(200),
            jsonPath("$.model").is(HEAD),
            jsonPath("$.flow").is(FLOW),
            jsonPath("$.clip.frames").ofInt().is(FRAMES),
            jsonPath("$.frameIndices[*]").count().is(25),
            jsonPath("$.predictions[*]").count().is(TOP_K),
            jsonPath("$.predictions[0].probability").ofDouble().lte(1.0),
    };

    private final ChainBuilder recognize = exec(
            http("recognize multipart").post(PATH)
                    .bodyPart(RawFileBodyPart("file", CLIP).fileName(CLIP).contentType("video/mp4"))
                    .asMultipartForm()
                    .check(RECOGNIZED),
            http("recognize raw").post(PATH)
                    .header("Content-Type", "video/mp4")
                    .body(RawFileBody(CLIP))
                    .check(RECOGNIZED));

    private final ChainBuilder brokenClip = exec(
            http("truncated clip").post(PATH)
                    .header("Content-Type", "video/mp4")
                    .body(ByteArrayBody(Arrays.copyOf(resource(CLIP), 2000)))
                    .check(status().in(400, 415, 422),
                            header("Content-Type").transform(ct -> ct.startsWith("application/problem+json")).is(true)));

    private final ScenarioBuilder scenario = scenario("clip " + HEAD + " " + FLOW)
            .exec(recognize)
            .doIf(session -> session.userId() % 5 == 1).then(brokenClip);

    {
        PopulationBuilder population = Settings.population(scenario, PROFILE, RATE, DURATION);
        setUp(population)
                .protocols(protocol)
                .assertions(Settings.assertions(P95_MS, "recognize multipart", "recognize raw"));
    }

    private static byte[] resource(String name) {
        try (InputStream in = ClipSimulation.class.getResourceAsStream("/" + name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is not on the class path (k6/data)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
