package org.visionserve.loadtest;

import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.RawFileBodyPart;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import io.gatling.javaapi.http.HttpRequestActionBuilder;
import java.time.Duration;
import java.util.List;

/**
 * The k6 segmentation scenario (k6/segmentation.js) in Gatling's Java DSL: each iteration segments the
 * sample examination (four 8 x 96 x 96 int16 NIfTI modalities) as JSON; every fourth also asks for the
 * mask (.nii.gz) and the preview (PNG) and sends three modalities only, which must be a 400 problem+json.
 *
 * <p>Profiles as in {@link ClassificationSimulation}. Assertions: p95 of the segment requests under
 * {@code p95Ms} (default 3 s), under 1 % failed requests
 * ({@code p95Ms=0}: failures only).
 */
public class SegmentationSimulation extends Simulation {

    private static final String BASE_URL = Settings.string("baseUrl", "http://127.0.0.1:8080");
    private static final String MODEL = Settings.string("model", "ivd_net");
    private static final String PROFILE = Settings.string("profile", "smoke");
    private static final double RATE = Settings.number("rate", 1);
    private static final Duration DURATION = Settings.seconds("duration", 30);
    private static final int P95_MS = Settings.integer("p95Ms", 3000);

    private static final List<String> MODALITIES = List.of("fat", "inn", "opp", "wat");
    private static final String PATH = "/v1/models/" + MODEL + "/segment";

    private final HttpProtocolBuilder protocol = Settings.authorized(http.baseUrl(BASE_URL)
            .acceptHeader("application/json, application/problem+json")
            .shareConnections());

    /** A segment request with every modality but those left out as a multipart part. */
    private static HttpRequestActionBuilder segment(String name, String query, String... leftOut) {
        HttpRequestActionBuilder request = http(name).post(PATH + query);
        for (String m : MODALITIES) {
            if (!List.of(leftOut).contains(m)) {
                String file = "spine_" + m + ".nii.gz";
                request = request.bodyPart(RawFileBodyPart(m, file).fileName(file).contentType("application/gzip"));
            }
        }
        return request.asMultipartForm();
    }

    private final ChainBuilder json = exec(segment("segment json", "")
            .check(status().is(200),
                    jsonPath("$.model").is(MODEL),
                    jsonPath("$.input.shape[*]").ofInt().findAll().is(List.of(8, 96, 96)),
                    jsonPath("$.discs").exists(),
                    jsonPath("$.timings.total").ofDouble().gt(0.0)));

    private final ChainBuilder maskPreviewAndError = exec(
            segment("segment mask", "").header("Accept", "application/gzip")
                    .check(status().is(200), header("Content-Type").is("application/gzip")),
            segment("segment preview", "?format=preview")
                    .check(status().is(200), header("Content-Type").is("image/png")),
            segment("missing modality", "", "wat")
                    .check(status().is(400),
                            header("Content-Type").transform(ct -> ct.startsWith("application/problem+json")).is(true)));

    private final ScenarioBuilder scenario = scenario("segmentation " + MODEL)
            .exec(json)
            .doIf(session -> session.userId() % 4 == 1).then(maskPreviewAndError);

    {
        PopulationBuilder population = Settings.population(scenario, PROFILE, RATE, DURATION);
        setUp(population)
                .protocols(protocol)
                .assertions(Settings.assertions(P95_MS, "segment json"));
    }
}
