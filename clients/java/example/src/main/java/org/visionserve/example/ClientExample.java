package org.visionserve.example;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.springframework.web.client.RestClientResponseException;
import org.visionserve.client.ApiClient;
import org.visionserve.client.api.ActionRecognitionApi;
import org.visionserve.client.api.ClassificationApi;
import org.visionserve.client.api.ModelsApi;
import org.visionserve.client.api.SegmentationApi;
import org.visionserve.client.model.ClassificationResult;
import org.visionserve.client.model.Disc;
import org.visionserve.client.model.Model;
import org.visionserve.client.model.Prediction;
import org.visionserve.client.model.Problem;
import org.visionserve.client.model.RecognitionResult;
import org.visionserve.client.model.SegmentationResult;

/**
 * The Java client against a running visionserve: classifies a photo, recognises the action in a clip
 * (Farneback flow), segments a four-modality NIfTI examination and decodes one error (problem+json), each
 * with the first ready model of its task. Prints every answer; exits 1 if one is not as expected.
 *
 * <p>usage: {@code ClientExample BASE_URL [DATA_DIR]}; DATA_DIR holds the repository's samples
 * (default {@code ../../../k6/data}, the repository's k6/data seen from this project). The environment
 * variable {@code VISIONSERVE_API_KEY} holds the credential when authentication is on.
 */
public final class ClientExample {

    private final List<String> failures = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ClientExample BASE_URL [DATA_DIR]");
            System.exit(2);
        }
        Path data = Path.of(args.length > 1 ? args[1] : "../../../k6/data");
        ApiClient client = new ApiClient();
        client.setBasePath(args[0]);
        // with authentication on (the image, the chart): an API key (role infer) or a JWT, sent as a bearer token
        String key = System.getenv("VISIONSERVE_API_KEY");
        if (key != null && !key.isBlank()) {
            client.setBearerToken(key.strip());
        }
        ClientExample example = new ClientExample();
        example.run(client, data);
        if (!example.failures.isEmpty()) {
            System.out.println("FAILED: " + String.join("; ", example.failures));
            System.exit(1);
        }
        System.out.println("OK: classify, recognize, segment and the problem+json error answered as expected");
    }

    private void run(ApiClient client, Path data) {
        ModelsApi models = new ModelsApi(client);
        List<Model> ready = models.listModels().getModels().stream()
                .filter(m -> m.getStatus() == Model.StatusEnum.READY).toList();
        System.out.println("models ready: " + ready.stream().map(m -> m.getId() + " (" + m.getTask() + ")")
                .collect(Collectors.joining(", ")));

        String classifier = firstOf(ready, "classification");
        File photo = file(data, "chelsea.jpg");
        // Request-Timeout (or the timeout parameter, the last argument): the answer within 30 s, or 504
        ClassificationResult c = new ClassificationApi(client).classify(classifier, photo, 3, "30", null);
        List<Prediction> top = c.getImages().get(0).getPredictions();
        System.out.printf(Locale.ROOT, "classify %s with %s (weights %s): %dx%d, %s%n", photo.getName(), c.getModel(),
                c.getWeights(), c.getImages().get(0).getWidth(), c.getImages().get(0).getHeight(), predictions(top));
        check(c.getImages().size() == 1 && c.getImages().get(0).getWidth() == 451
                && c.getImages().get(0).getHeight() == 300, "classify: one 451x300 image");
        check(top.size() == 3 && descending(top), "classify: 3 predictions, probabilities in [0, 1], descending");

        String head = firstOf(ready, "action-recognition");
        File clip = file(data, "clip.mp4");
        RecognitionResult r = new ActionRecognitionApi(client).recognize(head, "farneback", 3, null, null, null, null, clip, null);
        System.out.printf(Locale.ROOT, "recognize %s with %s (flow %s, %d frames at %.0f fps, %d sampled): %s%n",
                clip.getName(), r.getModel(), r.getFlow(), r.getClip().getFrames(), r.getClip().getFps(),
                r.getFrameIndices().size(), predictions(r.getPredictions()));
        check("farneback".equals(r.getFlow()) && r.getClip().getFrames() == 50 && r.getFrameIndices().size() == 25,
                "recognize: Farneback flow, 50 frames, 25 sampled");
        check(r.getPredictions().size() == 3 && descending(r.getPredictions()),
                "recognize: 3 predictions, probabilities in [0, 1], descending");

        String segmenter = firstOf(ready, "segmentation");
        SegmentationResult s = new SegmentationApi(client).segment(segmenter, file(data, "spine_fat.nii.gz"),
                file(data, "spine_inn.nii.gz"), file(data, "spine_opp.nii.gz"), file(data, "spine_wat.nii.gz"),
                null, null, null, null, null);
        System.out.printf(Locale.ROOT, "segment spine_{fat,inn,opp,wat}.nii.gz with %s: shape %s, %d disc(s) %s, "
                        + "%d foreground voxels%n", s.getModel(), s.getInput().getShape(), s.getDiscs().size(),
                s.getDiscs().stream().map(d -> d.getLabel() + " " + d.getVoxels() + " voxels").toList(),
                s.getForegroundVoxels());
        check(s.getInput().getShape().equals(List.of(8, 96, 96)), "segment: an 8x96x96 examination");
        long inDiscs = 0;
        for (int i = 0; i < s.getDiscs().size(); i++) {
            Disc d = s.getDiscs().get(i);
            check(d.getPosition() == i + 1 && d.getVoxels() > 0, "segment: disc " + (i + 1) + " in order, not empty");
            inDiscs += d.getVoxels();
        }
        check(inDiscs <= s.getForegroundVoxels(), "segment: the discs are part of the foreground");

        try {
            models.getModel("no_such_model");
            check(false, "error: GET /v1/models/no_such_model answered 2xx");
        } catch (RestClientResponseException e) {
            Problem p = e.getResponseBodyAs(Problem.class);
            System.out.printf("error GET /v1/models/no_such_model: %d %s, %s: code %s, detail \"%s\"%n",
                    e.getStatusCode().value(), p.getTitle(), e.getResponseHeaders().getContentType(), p.getCode(),
                    p.getDetail());
            check(e.getStatusCode().value() == 404 && p.getStatus() == 404, "error: status 404");
            check("unknown-model".equals(p.getCode()), "error: problem code unknown-model");
            check(String.valueOf(e.getResponseHeaders().getContentType()).startsWith("application/problem+json"),
                    "error: application/problem+json");
        }
    }

    private static String firstOf(List<Model> ready, String task) {
        return ready.stream().filter(m -> task.equals(m.getTask())).map(Model::getId).findFirst()
                .orElseThrow(() -> new IllegalStateException("no ready " + task + " model"));
    }

    private static File file(Path dir, String name) {
        Path p = dir.resolve(name);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(p.toAbsolutePath() + " is missing: pass the samples' folder as DATA_DIR");
        }
        return p.toFile();
    }

    private static String predictions(List<Prediction> ps) {
        return ps.stream().map(p -> String.format(Locale.ROOT, "%s %.4f", p.getLabel(), p.getProbability()))
                .collect(Collectors.joining(", "));
    }

    private static boolean descending(List<Prediction> ps) {
        for (int i = 0; i < ps.size(); i++) {
            double p = ps.get(i).getProbability();
            if (p < 0 || p > 1 || (i > 0 && p > ps.get(i - 1).getProbability())) {
                return false;
            }
        }
        return true;
    }

    private void check(boolean ok, String what) {
        if (!ok) {
            failures.add(what);
        }
    }
}
