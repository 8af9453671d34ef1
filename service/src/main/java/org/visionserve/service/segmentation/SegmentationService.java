package org.visionserve.service.segmentation;

import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.core.io.InputStreamSource;
import org.springframework.stereotype.Service;
import org.visionserve.export.ModelMetadata;
import org.visionserve.export.models.Task;
import org.visionserve.service.config.VisionServeProperties;
import org.visionserve.service.metrics.ServiceMetrics;
import org.visionserve.service.pipeline.InvalidParameterException;
import org.visionserve.service.pipeline.Stage;
import org.visionserve.service.pipeline.StageTimer;
import org.visionserve.service.pipeline.WrongTaskException;
import org.visionserve.service.runtime.Admission;
import org.visionserve.service.runtime.ModelLease;
import org.visionserve.service.runtime.ModelRepository;
import org.visionserve.service.runtime.ModelRunner;
import org.visionserve.service.runtime.RequestScope;
import org.visionserve.service.segmentation.SegmentationResult.DiscView;
import org.visionserve.service.segmentation.SegmentationResult.EncodedFile;
import org.visionserve.service.segmentation.SegmentationResult.Timings;
import org.visionserve.service.segmentation.nifti.NiftiWriter;

/**
 * The volume pipeline of {@code POST /v1/models/{id}/segment}: measure the four modalities from their
 * headers and check they share one grid, admit the request by the working memory that implies, then read
 * them, run their slices through the model's runner in batches (normalised on the fly), take the argmax,
 * find the discs, and encode what was asked for. Stages are timed for the response and the
 * {@code visionserve_stage_seconds} histogram ({@link StageTimer}): decode, preprocess (the answer's
 * {@code normalise}), queue, inference, postprocess, encode, total.
 *
 * <p>Volumes are admitted by {@link Admission} in the pool {@value #POOL}: at most
 * {@code visionserve.segmentation.max-concurrent} at once, {@code queue-capacity} more waiting (503
 * {@code overloaded} beyond), each reserving its working memory ({@link #workingMemory}) against the
 * service's budget before any voxel is read (413 if it alone exceeds it). The request's scope reaches
 * every stage: decoding checks it per chunk, segmentation before each slice batch, the disc search as
 * it goes, and a batch's run is terminated when the request ends. Within a volume every batch takes
 * its turn at the model's runner (and may share a run with other volumes' slices of the same size).
 */
@Service
public class SegmentationService {

    /** The admission pool of volume requests: {@code pipeline/volumes}. */
    public static final String POOL = Admission.PIPELINE_PREFIX + "volumes";
    public static final String MAX_CONCURRENT_KEY = "visionserve.segmentation.max-concurrent";
    public static final String QUEUE_CAPACITY_KEY = "visionserve.segmentation.queue-capacity";
    public static final String MAX_SLICE_PIXELS_KEY = VolumeLimits.MAX_SLICE_PIXELS_KEY;

    /** What goes back: the JSON, or one file on its own. */
    public enum Answer {
        JSON,
        /** The mask in the input's kind: NIfTI (.nii.gz) for NIfTI input, PNG for PNG slices. */
        MASK,
        MASK_NIFTI_GZ,
        MASK_NIFTI,
        PREVIEW,
        /** The mask for PNG input (2-D), the preview otherwise: what {@code Accept: image/png} means. */
        PNG
    }

    /**
     * {@code includeMask}, {@code includePreview}: embed them (base64) in the JSON answer; {@code keepFiles}:
     * also make every file the answer could be ({@link Outcome#files}), for an operation to serve later.
     */
    public record Request(Answer answer, boolean includeMask, boolean includePreview, boolean keepFiles) {
        public Request(Answer answer, boolean includeMask, boolean includePreview) {
            this(answer, includeMask, includePreview, false);
        }
    }

    /** A file answered on its own. */
    public record Binary(String mediaType, String fileName, byte[] bytes) {
    }

    /**
     * The JSON result (always made: its timings and discs also go into headers), and the file if one was
     * asked; with {@code keepFiles} every file by the answer that asks for it ({@link Answer#MASK_NIFTI_GZ},
     * {@link Answer#PREVIEW}, and {@link Answer#PNG} for PNG input; {@link Answer#MASK_NIFTI} is the
     * first one unzipped), else empty.
     */
    public record Outcome(SegmentationResult result, Binary binary, Map<Answer, Binary> files) {
        public Outcome(SegmentationResult result, Binary binary) {
            this(result, binary, Map.of());
        }
    }

    /** The progress stage of the model runs, in slices ({@link RequestScope#progress}). */
    public static final String PROGRESS_STAGE = "slices";

    private static final String GZIP = "application/gzip";
    private static final String OCTET = "application/octet-stream";
    private static final String PNG = "image/png";

    private final ModelRepository repository;
    private final ServiceMetrics metrics;
    private final Admission admission;
    private final VolumeLimits limits;
    private final long maxSlicePixels;
    private final int batchSize;
    private final double minDiscVolumeMm3;

    public SegmentationService(ModelRepository repository, ServiceMetrics metrics, VisionServeProperties props,
                               Admission admission) {
        this.repository = repository;
        this.metrics = metrics;
        this.admission = admission;
        VisionServeProperties.Limits l = props.limits();
        this.limits = new VolumeLimits(l.maxVolumeBytes().toBytes(), l.maxVolumeVoxels(), l.maxSlicePixels());
        this.maxSlicePixels = l.maxSlicePixels();
        VisionServeProperties.Segmentation s = props.segmentation();
        this.batchSize = Math.max(1, s.batchSize());
        this.minDiscVolumeMm3 = s.minDiscVolumeMm3();
        admission.define(POOL, new Admission.Limits(s.maxConcurrent(), s.queueCapacity(),
                MAX_CONCURRENT_KEY + " / " + QUEUE_CAPACITY_KEY));
        metrics.registerVolumesInFlight(() -> admission.active(POOL));
    }

    /**
     * Working memory of one volume request, in bytes, from its geometry and slice plan: per voxel the four
     * modalities as floats (16), the disc probability (4), the mask (1), the disc labels and the component
     * search's queue (8) and the encoded mask with its base64 copy (3, uncompressed at worst); per batch
     * the input tensor (4 channels), the logits (2 classes, held by ONNX Runtime and copied to the heap) and
     * one padded plane; plus what decoding holds besides the floats ({@code decodeBytes}, PNG files).
     */
    public static long workingMemory(VolumeGeometry g, SlicePlan plan, int batchSize, long decodeBytes) {
        long perVoxel = 4 * Float.BYTES + Float.BYTES + 1 + 2 * Integer.BYTES + 3;
        long planeFloats = (long) plan.netRows() * plan.netCols();
        long batch = Math.min(batchSize, plan.slices());
        long perBatch = (batch * (4 + 2 * 2) + 1) * planeFloats * Float.BYTES;
        return g.voxelCount() * perVoxel + perBatch + decodeBytes;
    }

    /** Segments the examination given as one upload per modality (all four required). */
    public Outcome segment(String modelId, Map<Modality, ? extends InputStreamSource> uploads, Request request,
                           RequestScope scope) throws IOException, InterruptedException, ModalityMismatchException {
        return segment(modelId, null, uploads, request, scope);
    }

    /** As above with {@code version} of the model (null: its highest serving one), held for the whole request. */
    public Outcome segment(String modelId, Integer version, Map<Modality, ? extends InputStreamSource> uploads,
                           Request request, RequestScope scope)
            throws IOException, InterruptedException, ModalityMismatchException {
        try (ModelLease model = repository.acquire(modelId, version)) {
            return segment(model, uploads, request, scope);
        }
    }

    private Outcome segment(ModelLease model, Map<Modality, ? extends InputStreamSource> uploads, Request request,
                            RequestScope scope) throws IOException, InterruptedException, ModalityMismatchException {
        String modelId = model.id();
        ModelMetadata meta = model.metadata();
        if (meta.task() != Task.SEGMENTATION) {
            throw new WrongTaskException(modelId, meta.task().id(), Task.SEGMENTATION.id());
        }
        List<String> missing = new ArrayList<>();
        for (Modality m : Modality.values()) {
            if (uploads.get(m) == null) {
                missing.add(m.key);
            }
        }
        if (!missing.isEmpty()) {
            throw new InvalidParameterException(missing.get(0), "missing multipart part" + (missing.size() > 1 ? "s " : " ")
                    + String.join(", ", missing) + "; send the four co-registered Dixon modalities as parts "
                    + "fat, inn (in-phase), opp (opposed-phase) and wat (water), each a NIfTI-1/2 (.nii, .nii.gz) "
                    + "volume or an 8/16-bit grey PNG slice");
        }
        StageTimer timer = new StageTimer(modelId, model.device().name().toLowerCase(Locale.ROOT));
        // Every modality is measured from its header, and the four checked to be one grid, before any
        // voxel of any of them is read: a refused request costs no decoding.
        StageTimer.Lap measure = timer.start(Stage.DECODE);
        Map<Modality, VolumeGeometry> grids = new EnumMap<>(Modality.class);
        long decodeBytes = 0;
        for (Modality m : Modality.values()) {
            try (InputStream in = uploads.get(m).getInputStream()) {
                VolumeInput.Header h = VolumeInput.probe(in, limits);
                grids.put(m, h.geometry());
                decodeBytes += h.decodeBytes();
            } catch (VolumeFormatException e) {
                throw new VolumeRejectedException(m, e);
            }
        }
        VolumeGeometry g = MultiModalVolume.checkGrids(grids);
        long[] inShape = meta.inputs().get(0).shape();
        int netRows = (int) Math.max(0, inShape[inShape.length - 2]);
        int netCols = (int) Math.max(0, inShape[inShape.length - 1]);
        SlicePlan plan = plan(g, netRows, netCols);
        long cost = workingMemory(g, plan, batchSize, decodeBytes);
        measure.stop();
        try (Admission.Ticket ticket = admission.admit(POOL, cost, scope)) {
            timer.add(Stage.QUEUE, ticket.queueNanos());
            return run(model, meta, uploads, request, scope, netRows, netCols, plan.slices(), timer);
        }
    }

    private SlicePlan plan(VolumeGeometry g, int netRows, int netCols) {
        try {
            SlicePlan plan = SlicePlan.of(g, netRows, netCols);
            long pixels = (long) plan.netRows() * plan.netCols();
            if (pixels > maxSlicePixels) {
                throw new VolumeFormatException(VolumeFormatException.Kind.TOO_LARGE, "the slices are "
                        + plan.rows() + "x" + plan.cols() + ", run as " + plan.netRows() + "x" + plan.netCols() + " = "
                        + pixels + " pixels, over the limit of " + maxSlicePixels + " (" + MAX_SLICE_PIXELS_KEY + ")");
            }
            return plan;
        } catch (VolumeFormatException e) {
            throw new VolumeRejectedException(null, e);
        }
    }

    private Outcome run(ModelLease model, ModelMetadata meta, Map<Modality, ? extends InputStreamSource> uploads,
                        Request request, RequestScope scope, int netRows, int netCols, int slices, StageTimer timer)
            throws IOException, InterruptedException, ModalityMismatchException {
        String modelId = model.id();
        String device = model.device().name().toLowerCase(Locale.ROOT);

        // decode: the four files, measured and admitted already
        StageTimer.Lap decode = timer.start(Stage.DECODE);
        Map<Modality, Volume> volumes = new EnumMap<>(Modality.class);
        for (Modality m : Modality.values()) {
            try (InputStream in = uploads.get(m).getInputStream()) {
                volumes.put(m, VolumeInput.read(in, limits, scope::check));
            } catch (VolumeFormatException e) {
                throw new VolumeRejectedException(m, e);
            }
        }
        MultiModalVolume exam = MultiModalVolume.of(volumes);
        VolumeGeometry g = exam.geometry();
        boolean png = exam.get(Modality.FAT).fullScale() > 0;
        decode.stop();

        // normalise (preprocess) + inference + argmax (postprocess), batch by batch through the model's runner
        ModelRunner runner = model.runner();
        VolumeSegmenter.Result seg;
        long[] slicesDone = {0};
        scope.progress(PROGRESS_STAGE, 0, slices);
        try {
            seg = new VolumeSegmenter(netRows, netCols, batchSize).segment(exam, (batch, shape) -> {
                ModelRunner.Timed<ModelRunner.Output> t = runner.infer(batch, shape, scope);
                timer.add(Stage.QUEUE, t.queueNanos());
                timer.add(Stage.INFERENCE, t.runNanos());
                slicesDone[0] += shape[0];
                scope.progress(PROGRESS_STAGE, slicesDone[0], slices);
                return FloatBuffer.wrap(t.value().values());
            }, scope::check, timer);
        } catch (IOException | InterruptedException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("segmentation failed", e);
        }
        DiscAnalysis analysis = timer.time(Stage.POSTPROCESS, () -> new DiscLocaliser(minDiscVolumeMm3).locate(g,
                seg.mask().mask(), seg.mask().probability(), scope::check));
        scope.check();

        // encode what was asked for
        StageTimer.Lap encode = timer.start(Stage.ENCODE);
        Answer answer = switch (request.answer()) {
            case MASK -> png ? Answer.PNG : Answer.MASK_NIFTI_GZ;
            case PNG -> png ? Answer.PNG : Answer.PREVIEW;
            default -> request.answer();
        };
        Binary binary = null;
        EncodedFile maskFile = null;
        SegmentationResult.Preview previewFile = null;
        String base = modelId + "-mask";
        if (answer == Answer.JSON) {
            if (request.includeMask()) {
                Binary mask = png ? pngMask(g, seg, base) : niftiMask(g, seg, base, true);
                maskFile = new EncodedFile(mask.mediaType(), mask.fileName(), mask.bytes().length,
                        Base64.getEncoder().encodeToString(mask.bytes()));
            }
            if (request.includePreview()) {
                PreviewRenderer.Preview p = PreviewRenderer.midSagittal(exam.get(Modality.WAT), analysis);
                previewFile = new SegmentationResult.Preview(PNG, p.width(), p.height(), p.sliceAxis(), p.sliceIndex(),
                        Base64.getEncoder().encodeToString(p.png()));
            }
        } else if (answer == Answer.PREVIEW) {
            binary = new Binary(PNG, modelId + "-preview.png",
                    PreviewRenderer.midSagittal(exam.get(Modality.WAT), analysis).png());
        } else if (answer == Answer.PNG) {
            binary = pngMask(g, seg, base);
        } else {
            binary = niftiMask(g, seg, base, answer == Answer.MASK_NIFTI_GZ);
        }
        Map<Answer, Binary> files = new EnumMap<>(Answer.class);
        if (request.keepFiles()) {
            files.put(Answer.MASK_NIFTI_GZ, niftiMask(g, seg, base, true));
            files.put(Answer.PREVIEW, new Binary(PNG, modelId + "-preview.png",
                    PreviewRenderer.midSagittal(exam.get(Modality.WAT), analysis).png()));
            if (png) {
                files.put(Answer.PNG, pngMask(g, seg, base));
            }
        }
        encode.stop();
        timer.finish(metrics); // total: from the first header read to the answer

        boolean seeded = meta.weights() != null && meta.weights().isSeeded();
        Affine a = g.affine();
        SlicePlan p = seg.plan();
        SegmentationResult.Input input = new SegmentationResult.Input(png ? "png" : "nifti", g.dims(),
                new double[] {g.spacing(0), g.spacing(1), g.spacing(2)},
                new double[][] {row(a, 0), row(a, 1), row(a, 2)}, g.affineSource().name().toLowerCase(Locale.ROOT),
                p.sliceAxis(), p.slices(), new int[] {p.rows(), p.cols()}, new int[] {p.netRows(), p.netCols()},
                batchSize, seg.batches(), analysis.craniocaudalAxis());
        // the answer keeps its field 'normalise': the preprocess stage
        Timings timings = new Timings(timer.millis(Stage.DECODE), timer.millis(Stage.PREPROCESS),
                timer.millis(Stage.QUEUE), timer.millis(Stage.INFERENCE), timer.millis(Stage.POSTPROCESS),
                timer.millis(Stage.ENCODE), timer.millis(Stage.TOTAL));
        SegmentationResult result = new SegmentationResult(modelId, device,
                meta.weights() == null ? "unknown" : meta.weights().source(),
                seeded ? meta.weights().note() : null, input,
                analysis.discs().stream().map(DiscView::of).toList(), analysis.componentsDropped(), minDiscVolumeMm3,
                seg.mask().foregroundCount(), timings, maskFile, previewFile);
        return new Outcome(result, binary, files);
    }

    private static Binary niftiMask(VolumeGeometry g, VolumeSegmenter.Result seg, String base, boolean gzip) {
        return new Binary(gzip ? GZIP : OCTET, base + (gzip ? ".nii.gz" : ".nii"),
                NiftiWriter.writeMask(g, seg.mask().mask(), gzip));
    }

    private static Binary pngMask(VolumeGeometry g, VolumeSegmenter.Result seg, String base) {
        try {
            return new Binary(PNG, base + ".png", PngSlices.writeMask(g, seg.mask().mask()));
        } catch (VolumeFormatException e) {
            throw new IllegalStateException(e); // the geometry was planned already
        }
    }

    private static double[] row(Affine a, int r) {
        return new double[] {a.get(r, 0), a.get(r, 1), a.get(r, 2), a.get(r, 3)};
    }
}
