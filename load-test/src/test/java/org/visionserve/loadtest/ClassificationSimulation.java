package org.visionserve.loadtest;

import static io.gatling.javaapi.core.CoreDsl.RawFileBody;
import static io.gatling.javaapi.core.CoreDsl.StringBody;
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
import java.time.Duration;

/**
 * The k6 classification scenario (k6/classification.js) in Gatling's Java DSL: each iteration classifies
 * the photo as multipart and as a raw body; every tenth also sends a batch of two and an unsupported
 * media type that must come back as a 415 problem+json.
 *
 * <p>Profiles ({@code -Dprofile}): {@code smoke}, one user at a time for {@code duration} seconds;
 * {@code load}, an open model starting {@code rate} iterations per second for {@code duration} seconds.
 * Assertions: p95 of each classify request under {@code p95Ms}, under 1 % failed requests
 * ({@code p95Ms=0}: failures only).
 */
public class ClassificationSimulation extends Simulation {

    private static final String BASE_URL = Settings.string("baseUrl", "http://127.0.0.1:8080");
    private static final String MODEL = Settings.string("model", "inception_next_tiny");
    private static final String PROFILE = Settings.string("profile", "smoke");
    private static final int TOP_K = Settings.integer("topK", 5);
    private static final double RATE = Settings.number("rate", 10);
    private static final Duration DURATION = Settings.seconds("duration", 30);
    private static final int P95_MS = Settings.integer("p95Ms", 500);

    private static final String IMAGE = "chelsea.jpg";
    private static final String PATH = "/v1/models/" + MODEL;

    private final HttpProtocolBuilder protocol = Settings.authorized(http.baseUrl(BASE_URL)
            .acceptHeader("application/json, application/problem+json")
            .shareConnections());

    /** What every successful classification of {@code images} images must show. */
    private static CheckBuilder[] classified(int images) {
        return new CheckBuilder[] {
                status().is(200),
                jsonPath("$.model").is(MODEL),
                jsonPath("$.images[*]").count().is(images),
                jsonPath("$.images[0].predictions[*]").count().is(TOP_K),
                jsonPath("$.images[0].predictions[0].probability").ofDouble().lte(1.0),
        };
    }

    private final ChainBuilder classify = exec(
            http("classify multipart").post(PATH + "/classify").queryParam("top_k", TOP_K)
                    .bodyPart(RawFileBodyPart("file", IMAGE).fileName(IMAGE).contentType("image/jpeg"))
                    .asMultipartForm()
                    .check(classified(1)),
            http("classify raw").post(PATH + "/classify").queryParam("top_k", TOP_K)
                    .header("Content-Type", "image/jpeg")
                    .body(RawFileBody(IMAGE))
                    .check(classified(1)));

    private final ChainBuilder batchAndError = exec(
            http("classify batch").post(PATH + "/classify-batch").queryParam("top_k", TOP_K)
                    .bodyPart(RawFileBodyPart("files", IMAGE).fileName("a.jpg").contentType("image/jpeg"))
                    .bodyPart(RawFileBodyPart("files", IMAGE).fileName("b.jpg").contentType("image/jpeg"))
                    .asMultipartForm()
                    .check(classified(2)),
            http("unsupported media type").post(PATH + "/classify")
                    .header("Content-Type", "text/plain")
                    .body(StringBody("not an image"))
                    .check(status().is(415), header("Content-Type").transform(ct -> ct.startsWith("application/problem+json")).is(true)));

    private final ScenarioBuilder scenario = scenario("classification " + MODEL)
            .exec(classify)
            .doIf(session -> session.userId() % 10 == 1).then(batchAndError);

    {
        PopulationBuilder population = Settings.population(scenario, PROFILE, RATE, DURATION);
        setUp(population)
                .protocols(protocol)
                .assertions(Settings.assertions(P95_MS, "classify multipart", "classify raw"));
    }
}
