package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The classify endpoints over real HTTP on real models. */
class ClassifyApiTest extends ServiceTestBase {

    private static final String ATTO = "/v1/models/" + TestModels.ATTO;

    @Test
    void classifiesAMultipartUpload() {
        Http.Response r = http.multipart(ATTO + "/classify?top_k=3",
                List.of(new Http.Part("file", "chelsea.jpg", "image/jpeg", Images.chelseaJpeg())));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode body = r.json();
        assertThat(body.get("model").asString()).isEqualTo(TestModels.ATTO);
        assertThat(body.get("device").asString()).isEqualTo("cpu");
        assertThat(body.get("weights").asString()).isEqualTo("seeded");
        JsonNode image = body.get("images").get(0);
        assertThat(image.get("name").asString()).isEqualTo("chelsea.jpg");
        assertThat(image.get("width").asInt()).isEqualTo(451);
        assertThat(image.get("height").asInt()).isEqualTo(300);
        assertPredictions(image.get("predictions"), 3);
        assertTimings(body.get("timings"));
    }

    @Test
    void rawBodyAndMultipartOfTheSameImageAgree() {
        byte[] png = Images.chelseaPng();
        JsonNode raw = http.post(ATTO + "/classify", "image/png", png).json();
        JsonNode multi = http.multipart(ATTO + "/classify",
                List.of(new Http.Part("file", "chelsea.png", "image/png", png))).json();
        JsonNode a = raw.get("images").get(0).get("predictions");
        JsonNode b = multi.get("images").get(0).get("predictions");
        assertThat(a.size()).isEqualTo(5); // default top_k
        for (int i = 0; i < a.size(); i++) {
            assertThat(a.get(i).get("index").asInt()).isEqualTo(b.get(i).get("index").asInt());
            assertThat(a.get(i).get("probability").asDouble()).isEqualTo(b.get(i).get("probability").asDouble());
        }
    }

    @Test
    void batchRunsEveryImageAndMatchesSingleRequests() {
        byte[] photo = Images.chelseaPng();
        byte[] gradient = Images.gradientPng(320, 200);
        Http.Response r = http.multipart(ATTO + "/classify-batch?top_k=2", List.of(
                new Http.Part("files", "photo.png", "image/png", photo),
                new Http.Part("files", "gradient.png", "image/png", gradient)));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode images = r.json().get("images");
        assertThat(images.size()).isEqualTo(2);
        assertThat(images.get(0).get("name").asString()).isEqualTo("photo.png");
        assertThat(images.get(1).get("name").asString()).isEqualTo("gradient.png");
        assertThat(images.get(1).get("width").asInt()).isEqualTo(320);

        // Batching must not change an image's result: compare with the single-image request.
        JsonNode single = http.post(ATTO + "/classify?top_k=2", "image/png", gradient).json()
                .get("images").get(0).get("predictions");
        JsonNode batched = images.get(1).get("predictions");
        for (int i = 0; i < 2; i++) {
            assertThat(batched.get(i).get("index").asInt()).isEqualTo(single.get(i).get("index").asInt());
            assertThat(batched.get(i).get("probability").asDouble())
                    .isCloseTo(single.get(i).get("probability").asDouble(), within(1e-5));
        }
    }

    /** Input buffers are pooled: a request must never see the previous request's pixels. */
    @Test
    void repeatedRequestsGiveIdenticalResults() {
        String url = ATTO + "/classify?top_k=10";
        String first = http.post(url, "image/png", Images.chelseaPng()).json().get("images").toString();
        String other = http.post(url, "image/png", Images.gradientPng(300, 200)).json().get("images").toString();
        String again = http.post(url, "image/png", Images.chelseaPng()).json().get("images").toString();
        assertThat(again).isEqualTo(first);
        assertThat(other).isNotEqualTo(first);
    }

    @Test
    void classifiesWithTheFullSizeModel() {
        Http.Response r = http.post("/v1/models/" + TestModels.TINY + "/classify?top_k=10", "image/jpeg",
                Images.chelseaJpeg());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("model").asString()).isEqualTo(TestModels.TINY);
        assertPredictions(r.json().get("images").get(0).get("predictions"), 10);
        assertTimings(r.json().get("timings"));
    }

    static void assertPredictions(JsonNode predictions, int k) {
        assertThat(predictions.size()).isEqualTo(k);
        double previous = 1, sum = 0;
        for (JsonNode p : predictions) {
            double prob = p.get("probability").asDouble();
            assertThat(prob).isBetween(0.0, previous);
            assertThat(p.get("index").asInt()).isBetween(0, 999);
            assertThat(p.get("label").asString()).isNotBlank();
            previous = prob;
            sum += prob;
        }
        assertThat(sum).isLessThanOrEqualTo(1.0 + 1e-9);
        assertThat(sum).isPositive();
    }

    static void assertTimings(JsonNode t) {
        for (String stage : List.of("decode", "preprocess", "queue", "inference", "postprocess", "total")) {
            assertThat(t.get(stage).asDouble()).as(stage).isGreaterThanOrEqualTo(0);
        }
        assertThat(t.get("inference").asDouble()).isPositive();
        double parts = t.get("decode").asDouble() + t.get("preprocess").asDouble() + t.get("queue").asDouble()
                + t.get("inference").asDouble() + t.get("postprocess").asDouble();
        assertThat(t.get("total").asDouble()).isGreaterThanOrEqualTo(parts - 0.01);
    }
}
