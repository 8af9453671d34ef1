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
import org.visionserve.service.image.ImageDecodeException;
import org.visionserve.service.image.ImageDecoder;
import org.visionserve.service.image.ImagePreprocessor;
import org.visionserve.service.image.RgbImage;
import org.visionserve.service.metrics.ServiceMetrics.Stage;
import org.visionserve.service.metrics.ServiceMetrics;
import org.visionserve.service.pipeline.InvalidParameterException;
import org.visionserve.service.pipeline.Prediction;
import org.visionserve.service.pipeline.TopK;
import org.visionserve.service.pipeline.WrongTaskException;
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

        // Every image is measured from its header against the limits before any is decoded: a refused
        // image costs no decoding, not even of the images before it.
        for (int i = 0; i < images.size(); i++) {
            ImageInput in = images.get(i);
            try {
                decoder.probe(in.bytes(), in.contentType());
            } catch (ImageDecodeException e) {
                throw new ImageRejectedException(i, in.name(), e);
            }
        }
        // One image at a time, decoded then preprocessed into its slot of the batch tensor, so at most
        // one full-size image is held per request (a batch of large images would otherwise pile up).
        int size = prep.inputSize();
        long[] shape = {images.size(), 3, size, size};
        int[][] dims = new int[images.size()][];
        long decodeNanos = 0;
        long preprocessNanos = 0;
        ModelRunner.Timed<ModelRunner.Output> run;
        FloatBuffer batch = buffers.take(images.size(), 3 * size * size);
        try {
            for (int i = 0; i < images.size(); i++) {
                ImageInput in = images.get(i);
                long d0 = System.nanoTime();
                RgbImage image;
                try {
                    image = decoder.decode(in.bytes(), in.contentType());
                } catch (ImageDecodeException e) {
                    throw new ImageRejectedException(i, in.name(), e);
                }
                long d1 = System.nanoTime();
                dims[i] = new int[] {image.width(), image.height()};
                ImagePreprocessor.toTensor(ImagePreprocessor.resizeAndCrop(image, prep), prep, batch);
                decodeNanos += d1 - d0;
                preprocessNanos += System.nanoTime() - d1;
            }
            batch.rewind();
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
            results.add(new ImageResult(images.get(i).name(), dims[i][0], dims[i][1], top));
        }
        long t4 = System.nanoTime();

        long queue = run.queueNanos();
        long inference = run.runNanos();
        metrics.recordStage(modelId, device, Stage.DECODE, decodeNanos);
        metrics.recordStage(modelId, device, Stage.PREPROCESS, preprocessNanos);
        metrics.recordStage(modelId, device, Stage.QUEUE, queue);
        metrics.recordStage(modelId, device, Stage.INFERENCE, inference);
        metrics.recordStage(modelId, device, Stage.POSTPROCESS, t4 - t3);
        metrics.recordStage(modelId, device, Stage.TOTAL, t4 - t0);
        StageTimings timings = new StageTimings(ms(decodeNanos), ms(preprocessNanos), ms(queue), ms(inference), ms(t4 - t3),
                ms(t4 - t0));
        String weights = meta.weights() == null ? "unknown" : meta.weights().source();
        return new ClassificationResult(modelId, device, weights, results, timings);
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1e3) / 1e3;
    }
}
