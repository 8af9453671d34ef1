package org.visionserve.service.classification;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.springframework.stereotype.Service;
import org.visionserve.export.ModelMetadata;
import org.visionserve.export.models.Preprocessing;
import org.visionserve.export.models.Task;
import org.visionserve.service.classification.ClassificationResult.ImageResult;
import org.visionserve.service.classification.ClassificationResult.StageTimings;
import org.visionserve.service.config.VisionServeProperties;
import org.visionserve.service.image.DecodeStoppedException;
import org.visionserve.service.image.ImageDecodeException;
import org.visionserve.service.image.ImageDecoder;
import org.visionserve.service.image.ImagePreprocessor;
import org.visionserve.service.image.RgbImage;
import org.visionserve.service.metrics.ServiceMetrics;
import org.visionserve.service.pipeline.InvalidParameterException;
import org.visionserve.service.pipeline.Prediction;
import org.visionserve.service.pipeline.Stage;
import org.visionserve.service.pipeline.StageTimer;
import org.visionserve.service.pipeline.TopK;
import org.visionserve.service.pipeline.WrongTaskException;
import org.visionserve.service.runtime.Admission;
import org.visionserve.service.runtime.DirectBuffers;
import org.visionserve.service.runtime.ModelLease;
import org.visionserve.service.runtime.ModelRepository;
import org.visionserve.service.runtime.RequestScope;
import org.visionserve.service.runtime.ModelRunner;

/**
 * The classification pipeline: decode each image, preprocess it as the model's metadata says into
 * one batch tensor, run it through the model's runner, and turn the logits into top-k softmax
 * probabilities. Each stage is timed for the response and the {@code visionserve_stage_seconds}
 * histogram.
 */
@Service
public class ClassificationService {

    private final ModelRepository repository;
    private final ServiceMetrics metrics;
    private final ImageDecoder decoder;
    private final VisionServeProperties.Limits limits;
    private final Admission admission;

    public ClassificationService(ModelRepository repository, ServiceMetrics metrics, VisionServeProperties props,
                                 Admission admission) {
        this.repository = repository;
        this.metrics = metrics;
        this.admission = admission;
        this.limits = props.limits();
        this.decoder = new ImageDecoder(limits.imageLimits());
    }

    /** Checks {@code topK} against the configured bound; null means the default. */
    public int topK(Integer requested) {
        if (requested == null) {
            return limits.defaultTopK();
        }
        if (requested < 1 || requested > limits.maxTopK()) {
            throw new InvalidParameterException("top_k", "top_k must be between 1 and " + limits.maxTopK()
                    + " (visionserve.limits.max-top-k), got " + requested);
        }
        return requested;
    }

    /**
     * Working memory of decoding one image, per pixel: the decoder's raster (up to 8 bytes for 16-bit
     * RGBA PNGs), its RGB copy (3) and the resize's intermediate rows (1, as a bound).
     */
    public static final int DECODE_BYTES_PER_PIXEL = 12;

    /**
     * Classifies the images as one batch: measured from their headers, admitted by their cost (the
     * largest image's decoding, as they are decoded one at a time, plus the batch tensor), then
     * decoded, preprocessed and run, stopping when the request's scope ends.
     */
    public ClassificationResult classify(String modelId, List<ImageInput> images, int topK, RequestScope scope)
            throws InterruptedException {
        return classify(modelId, null, images, topK, scope);
    }

    /**
     * As {@link #classify(String, List, int, RequestScope)} with {@code version} of the model (null: its
     * highest serving one), held for the whole request so a reload meanwhile does not touch it.
     */
    public ClassificationResult classify(String modelId, Integer version, List<ImageInput> images, int topK,
                                         RequestScope scope) throws InterruptedException {
        try (ModelLease model = repository.acquire(modelId, version)) {
            return classify(model, images, topK, scope);
        }
    }

    private ClassificationResult classify(ModelLease model, List<ImageInput> images, int topK, RequestScope scope)
            throws InterruptedException {
        String modelId = model.id();
        ModelMetadata meta = model.metadata();
        if (meta.task() != Task.CLASSIFICATION) {
            throw new WrongTaskException(modelId, meta.task().id(), Task.CLASSIFICATION.id());
        }
        if (images.isEmpty()) {
            throw new InvalidParameterException("files", "no image in the request");
        }
        if (images.size() > limits.maxBatchImages()) {
            throw new TooManyImagesException(images.size(), limits.maxBatchImages());
        }
        String device = model.device().name().toLowerCase(Locale.ROOT);
        Preprocessing prep = meta.preprocessing();
        StageTimer timer = new StageTimer(modelId, device);

        long largest = probe(images, timer);
        // One image at a time, decoded then preprocessed into its slot of the batch tensor, so at most
        // one full-size image is held per request (a batch of large images would otherwise pile up).
        int size = prep.inputSize();
        long[] shape = {images.size(), 3, size, size};
        int tensorFloats = images.size() * 3 * size * size;
        long cost = largest * DECODE_BYTES_PER_PIXEL + (long) tensorFloats * Float.BYTES;
        int[][] dims;
        ModelRunner.Timed<ModelRunner.Output> run;
        try (Admission.Ticket ticket = admission.admit(modelId, cost, scope);
             DirectBuffers.Lease tensor = DirectBuffers.shared().take(tensorFloats)) {
            timer.add(Stage.QUEUE, ticket.queueNanos());
            FloatBuffer batch = tensor.floats();
            dims = preprocess(images, prep, batch, timer, scope);
            batch.rewind();
            run = model.runner().infer(batch, shape, scope); // the tensor over the buffer is closed on return
        }
        timer.add(Stage.QUEUE, run.queueNanos());
        timer.add(Stage.INFERENCE, run.runNanos());

        StageTimer.Lap postprocess = timer.start(Stage.POSTPROCESS);
        List<String> labels = meta.labels() == null ? null : meta.labels().classes();
        float[] logits = run.value().values();
        int classes = logits.length / images.size();
        int k = Math.min(topK, classes);
        List<ImageResult> results = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            List<Prediction> top = TopK.softmaxTopK(logits, i * classes, classes, k, labels);
            results.add(new ImageResult(images.get(i).name(), dims[i][0], dims[i][1], top));
        }
        postprocess.stop();

        timer.finish(metrics);
        StageTimings timings = new StageTimings(timer.millis(Stage.DECODE), timer.millis(Stage.PREPROCESS),
                timer.millis(Stage.QUEUE), timer.millis(Stage.INFERENCE), timer.millis(Stage.POSTPROCESS),
                timer.millis(Stage.TOTAL));
        String weights = meta.weights() == null ? "unknown" : meta.weights().source();
        return new ClassificationResult(modelId, device, weights, results, timings);
    }

    /**
     * Measures every image from its header against the limits before any is decoded (a refused image
     * costs no decoding, not even of the images before it), timed as decode.
     *
     * @return the largest image's pixel count, for the request's cost
     * @throws ImageRejectedException naming the first image refused
     */
    public long probe(List<ImageInput> images, StageTimer timer) {
        StageTimer.Lap probe = timer.start(Stage.DECODE);
        long largest = 0;
        for (int i = 0; i < images.size(); i++) {
            ImageInput in = images.get(i);
            try {
                ImageDecoder.Size s = decoder.probe(in.bytes(), in.contentType());
                largest = Math.max(largest, (long) s.width() * s.height());
            } catch (ImageDecodeException e) {
                throw new ImageRejectedException(i, in.name(), e);
            }
        }
        probe.stop();
        return largest;
    }

    /**
     * Decodes the (probed, admitted) images one at a time, each holding a CPU slot, and writes each
     * one's model tensor ({@code 3 x size x size}, as {@code prep} says) into {@code batch} in order,
     * stopping when the request's scope ends.
     *
     * @return each image's width and height
     */
    public int[][] preprocess(List<ImageInput> images, Preprocessing prep, FloatBuffer batch, StageTimer timer,
                              RequestScope scope) throws InterruptedException {
        int[][] dims = new int[images.size()][];
        for (int i = 0; i < images.size(); i++) {
            scope.check();
            ImageInput in = images.get(i);
            // decode and preprocess hold a CPU slot: they take no more cores from a running batch
            StageTimer.Lap wait = timer.start(Stage.QUEUE);
            try (Admission.CpuSlot cpu = admission.cpu(scope)) {
                wait.stop();
                StageTimer.Lap decode = timer.start(Stage.DECODE);
                RgbImage image;
                try {
                    // a large image's decode stops with the request (deadline, client gone) mid-image
                    image = decoder.decode(in.bytes(), in.contentType(), () -> scope.stopped() != null);
                } catch (ImageDecodeException e) {
                    throw new ImageRejectedException(i, in.name(), e);
                } catch (DecodeStoppedException e) {
                    scope.check(); // throws: the decode stopped because the scope did
                    throw e;
                }
                decode.stop();
                StageTimer.Lap preprocess = timer.start(Stage.PREPROCESS);
                dims[i] = new int[] {image.width(), image.height()};
                RgbImage resized = ImagePreprocessor.resizeAndCrop(image, prep);
                scope.check();
                ImagePreprocessor.toTensor(resized, prep, batch);
                preprocess.stop();
            }
        }
        return dims;
    }
}
