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
import org.visionserve.service.classification.ClassificationResult.Prediction;
import org.visionserve.service.classification.ClassificationResult.StageTimings;
import org.visionserve.service.config.VisionServeProperties;
import org.visionserve.service.image.ImageDecodeException;
import org.visionserve.service.image.ImageDecoder;
import org.visionserve.service.image.ImageLimits;
import org.visionserve.service.image.ImagePreprocessor;
import org.visionserve.service.image.RgbImage;
import org.visionserve.service.metrics.ServiceMetrics;
import org.visionserve.service.metrics.ServiceMetrics.Stage;
import org.visionserve.service.runtime.ModelRepository;
import org.visionserve.service.runtime.ModelRunner;
import org.visionserve.service.runtime.ServedModel;

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
    private final TensorBuffers buffers = new TensorBuffers();

    public ClassificationService(ModelRepository repository, ServiceMetrics metrics, VisionServeProperties props) {
        this.repository = repository;
        this.metrics = metrics;
        this.limits = props.limits();
        this.decoder = new ImageDecoder(new ImageLimits(limits.maxImageBytes().toBytes(), limits.maxImagePixels()));
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

    /** Classifies the images as one batch. */
    public ClassificationResult classify(String modelId, List<ImageInput> images, int topK) throws InterruptedException {
        ServedModel model = repository.ready(modelId);
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
        long t0 = System.nanoTime();

        List<RgbImage> decoded = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            ImageInput in = images.get(i);
            try {
                decoded.add(decoder.decode(in.bytes(), in.contentType()));
            } catch (ImageDecodeException e) {
                throw new ImageRejectedException(i, in.name(), e);
            }
        }
        long t1 = System.nanoTime();

        int size = prep.inputSize();
        long[] shape = {images.size(), 3, size, size};
        FloatBuffer batch = buffers.take(images.size(), 3 * size * size);
        ModelRunner.Timed<ModelRunner.Output> run;
        long t2;
        try {
            for (RgbImage image : decoded) {
                ImagePreprocessor.toTensor(ImagePreprocessor.resizeAndCrop(image, prep), prep, batch);
            }
            batch.rewind();
            t2 = System.nanoTime();
            run = model.runner().infer(batch, shape);
        } finally {
            buffers.give(batch, images.size()); // the tensor over it is closed by now
        }
        long t3 = System.nanoTime();

        List<String> labels = meta.labels() == null ? null : meta.labels().classes();
        float[] logits = run.value().values();
        int classes = logits.length / images.size();
        int k = Math.min(topK, classes);
        List<ImageResult> results = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            List<Prediction> top = TopK.softmaxTopK(logits, i * classes, classes, k, labels);
            RgbImage img = decoded.get(i);
            results.add(new ImageResult(images.get(i).name(), img.width(), img.height(), top));
        }
        long t4 = System.nanoTime();

        long queue = run.queueNanos();
        long inference = run.runNanos();
        metrics.recordStage(modelId, device, Stage.DECODE, t1 - t0);
        metrics.recordStage(modelId, device, Stage.PREPROCESS, t2 - t1);
        metrics.recordStage(modelId, device, Stage.QUEUE, queue);
        metrics.recordStage(modelId, device, Stage.INFERENCE, inference);
        metrics.recordStage(modelId, device, Stage.POSTPROCESS, t4 - t3);
        metrics.recordStage(modelId, device, Stage.TOTAL, t4 - t0);
        StageTimings timings = new StageTimings(ms(t1 - t0), ms(t2 - t1), ms(queue), ms(inference), ms(t4 - t3),
                ms(t4 - t0));
        String weights = meta.weights() == null ? "unknown" : meta.weights().source();
        return new ClassificationResult(modelId, device, weights, results, timings);
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1e3) / 1e3;
    }
}
