package org.visionserve.service.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.visionserve.export.ModelMetadata;
import org.visionserve.export.ModelMetadata.TensorSpec;
import org.visionserve.export.models.ModelDef;
import org.visionserve.export.models.Preprocessing;
import org.visionserve.export.models.SliceInput;
import org.visionserve.export.weights.WeightSource.Provenance;
import org.visionserve.service.runtime.Admission;
import org.visionserve.service.runtime.BatchTuning;
import org.visionserve.service.runtime.ModelRunner;
import org.visionserve.service.runtime.ModelStatus;
import org.visionserve.service.runtime.ModelVersion;
import org.visionserve.service.runtime.ServedModel;

/** A model as the API shows it: what it is, what it expects, where its weights come from, and its state. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "Model")
public record ModelView(
        @Schema(example = "inception_next_tiny") String id,
        @Schema(example = "ready") ModelStatus status,
        @Schema(description = "why the model failed to load") String error,
        @Schema(example = "classification") String task,
        @Schema(example = "inception_next") String family,
        @Schema(example = "InceptionNeXt-T, ImageNet-1k, 224 px") String description,
        @Schema(description = "device the session is bound to", example = "cpu") String device,
        @Schema(description = "why the device differs from the one configured") String deviceNote,
        List<TensorSpec> inputs,
        List<TensorSpec> outputs,
        Preprocessing preprocessing,
        @Schema(description = "segmentation models: modalities (channel order), slicing, slice sizes, value range")
        SliceInput sliceInput,
        Labels labels,
        @Schema(description = "provenance of the weights: seeded demo weights (with seed) or a checkpoint file with its SHA-256")
        Provenance weights,
        @Schema(description = "SHA-256 of model.onnx") String modelSha256,
        @Schema(example = "28055680") Long parameterCount,
        ModelDef.Reference reference,
        Runner runner,
        @Schema(description = "session creation plus warm-up, seconds") Double loadSeconds,
        String exportedAt,
        String exporterVersion,
        @Schema(description = "which versions are served: latest:N, all or specific:V1,V2 "
                + "(visionserve.models.settings.<id>.version-policy)", example = "latest:1") String versionPolicy,
        @Schema(description = "the versions found in the repository, ascending; unversioned requests use the highest "
                + "ready one, /v1/models/{id}/versions/{version}/... a given one") List<Version> versions) {

    /** One version of the model: its state and, once loaded, its device, load time and checksum. */
    @Schema(name = "ModelVersion")
    public record Version(@Schema(example = "1") int version, @Schema(example = "ready") ModelStatus status,
                          @Schema(description = "why it is not ready: its load error, unloaded, not in the version "
                                  + "policy") String reason,
                          @Schema(example = "cpu") String device,
                          @Schema(description = "session creation plus warm-up, seconds") Double loadSeconds,
                          @Schema(description = "SHA-256 of its model.onnx") String modelSha256) {

        static Version of(ModelVersion v) {
            ModelMetadata meta = v.metadata();
            return new Version(v.number(), v.status(), v.reason(),
                    v.device() == null ? null : v.device().name().toLowerCase(Locale.ROOT),
                    v.loadSeconds() < 0 ? null : v.loadSeconds(), meta == null ? null : meta.modelSha256());
        }
    }

    /** The class list: its name and number of classes (the names are in the model's model.json). */
    public record Labels(@Schema(example = "imagenet-1k") String name, @Schema(example = "1000") int count) {
    }

    /** How requests reach the model. */
    public record Runner(@Schema(description = "run slots: parallel session runs", example = "2") int concurrency,
                         @Schema(example = "64") int queueCapacity,
                         @Schema(description = "ONNX Runtime intra-op threads per run", example = "1") int intraOpThreads,
                         @Schema(description = "intra-op threads of the lone-request session, which runs a request that "
                                 + "finds the model idle (absent: none, every request runs in a slot)", example = "2")
                         Integer loneRequestThreads,
                         @Schema(example = "0") Integer queueDepth,
                         Batching batching, AdmissionPool admission) {
    }

    /** The model's admission pool (absent until the model is loaded). */
    @Schema(description = "admission: requests of the model admitted at once (decoded and run, each reserving its "
            + "working memory against visionserve.admission.memory-budget) and waiting beyond them (queueCapacity; "
            + "beyond that 503 overloaded), with how many are now")
    public record AdmissionPool(@Schema(example = "10") int concurrency, @Schema(example = "64") int queueCapacity,
                                @Schema(example = "1") int active, @Schema(example = "0") int waiting) {

        static AdmissionPool of(Admission admission, String pool) {
            if (!admission.defines(pool)) {
                return null;
            }
            Admission.Limits limits = admission.limits(pool);
            return new AdmissionPool(limits.concurrency(), limits.queueCapacity(), admission.active(pool),
                    admission.waiting(pool));
        }
    }

    /** The dynamic batcher's settings (maxBatchSize 1: off, every request runs alone). */
    @Schema(description = "dynamic batching: concurrent requests share model runs of up to maxBatchSize items, "
            + "gathered for up to maxQueueDelayMicroseconds while requests come concurrently; 1 = off")
    public record Batching(@Schema(example = "8") int maxBatchSize,
                           @Schema(example = "2000") long maxQueueDelayMicroseconds,
                           @Schema(example = "[]") List<Integer> preferredBatchSizes,
                           @Schema(description = "whether warm-up measures the batch sizes (visionserve.models.batching.tune)")
                           boolean tune,
                           @Schema(description = "the largest batch formed now: maxBatchSize, or the smallest size within "
                                   + "5% of the fastest measured at warm-up", example = "8") Integer limit,
                           @Schema(description = "warm-up's items/s by batch size with every run slot busy",
                                   example = "{\"1\": 30.9, \"2\": 29.4, \"4\": 28.3, \"8\": 27.0}")
                           Map<Integer, Double> measuredItemsPerSecond) {
    }

    static ModelView of(ServedModel m, Admission admission) {
        ModelMetadata meta = m.metadata();
        var s = m.settings();
        ModelRunner r = m.runner();
        BatchTuning tuning = r == null ? null : r.tuning();
        Runner runner = new Runner(s.concurrency(), s.queueCapacity(), s.intraOpThreads(),
                r != null && r.hasLoneRequestSession() ? s.loneRequestThreads() : null,
                r == null ? null : m.queueDepth(),
                new Batching(s.maxBatchSize(), s.maxQueueDelayMicroseconds(), s.preferredBatchSizes(), s.tuneBatchSize(),
                        r == null ? null : r.batchLimit(), tuning == null ? null : tuning.itemsPerSecond()),
                AdmissionPool.of(admission, m.id()));
        String device = m.device() == null ? null : m.device().name().toLowerCase(Locale.ROOT);
        String policy = m.policy() == null ? null : m.policy().toString();
        List<Version> versions = m.versions().stream().map(Version::of).toList();
        if (meta == null) {
            return new ModelView(m.id(), m.status(), m.error(), null, null, null, device, m.deviceNote(), null, null,
                    null, null, null, null, null, null, null, runner, null, null, null, policy, versions);
        }
        Labels labels = meta.labels() == null ? null : new Labels(meta.labels().name(), meta.labels().classes().size());
        return new ModelView(m.id(), m.status(), m.error(), meta.task().id(), meta.family(), meta.description(), device,
                m.deviceNote(), meta.inputs(), meta.outputs(), meta.preprocessing(), meta.sliceInput(), labels, meta.weights(),
                meta.modelSha256(), meta.parameterCount(), meta.reference(), runner,
                m.loadSeconds() < 0 ? null : m.loadSeconds(), meta.exportedAt(), meta.exporterVersion(), policy, versions);
    }

    /** The listing: every model of the repository, whatever its status. */
    public record ModelList(List<ModelView> models) {
    }
}
