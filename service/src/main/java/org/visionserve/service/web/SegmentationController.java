package org.visionserve.service.web;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Encoding;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.SchemaProperty;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;
import org.visionserve.service.pipeline.InvalidParameterException;
import org.visionserve.service.runtime.RequestScope;
import org.visionserve.service.segmentation.Modality;
import org.visionserve.service.segmentation.ModalityMismatchException;
import org.visionserve.service.segmentation.SegmentationResult;
import org.visionserve.service.segmentation.SegmentationService.Answer;
import org.visionserve.service.segmentation.SegmentationService;

/**
 * Disc segmentation of multi-modal MRI: the four Dixon modalities in, the discs (JSON), the mask (NIfTI or
 * PNG) or a preview (PNG) out, chosen by {@code format} or else the {@code Accept} header.
 */
@RestController
@RequestMapping("/v1/models")
@Tag(name = OpenApiConfig.TAG_SEGMENTATION)
public class SegmentationController {

    static final String GZIP = "application/gzip";
    private static final String PROBLEM = MediaType.APPLICATION_PROBLEM_JSON_VALUE;
    private static final List<MediaType> PRODUCED = List.of(MediaType.APPLICATION_JSON, MediaType.valueOf(GZIP),
            MediaType.APPLICATION_OCTET_STREAM, MediaType.IMAGE_PNG);

    private final SegmentationService segmenter;
    private final RequestScopes scopes;
    private final OperationSubmitter async;
    private final java.time.Duration deadline;

    public SegmentationController(SegmentationService segmenter, RequestScopes scopes, OperationSubmitter async,
                                  org.visionserve.service.config.VisionServeProperties props) {
        this.scopes = scopes;
        this.segmenter = segmenter;
        this.async = async;
        this.deadline = props.deadlines().segment();
    }

    @PostMapping(path = {"/{id}/segment", "/{id}/versions/{version}/segment"},
            consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @Operation(operationId = "segment", summary = "Segment the intervertebral discs of a Dixon MRI examination",
            description = """
                    multipart/form-data with four parts, the co-registered Dixon modalities in IVD-Net's channel \
                    order: fat, inn (in-phase), opp (opposed-phase), wat (water). Each is a NIfTI-1 or NIfTI-2 volume \
                    (.nii, or gzipped .nii.gz; read from the data, not the name) or, for a single slice, an 8- or \
                    16-bit grey PNG. The four must share one grid (shape and affine, else 422). Slices are cut along \
                    the voxel axis closest to left-right (sagittal), zero-padded to multiples of 32, run through the \
                    model in batches (visionserve.segmentation.batch-size) and the mask is the per-voxel argmax.

                    The answer is chosen by `format` or, without it, by the Accept header: application/json (default) \
                    the discs, geometry and timings (`include=mask,preview` embeds the mask and the preview as base64); \
                    application/gzip the mask as .nii.gz (uint8, the input's geometry); application/octet-stream the \
                    same uncompressed (.nii); image/png the mask for PNG input, else the mid-sagittal preview. Binary \
                    answers carry the stage timings in Server-Timing and the disc count in Visionserve-Discs.""",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = @Content(
                    mediaType = MediaType.MULTIPART_FORM_DATA_VALUE,
                    schema = @Schema(type = "object", requiredProperties = {"fat", "inn", "opp", "wat"}),
                    schemaProperties = {
                            @SchemaProperty(name = "fat", schema = @Schema(type = "string", format = "binary",
                                    description = "fat image: NIfTI (.nii/.nii.gz) or grey PNG slice")),
                            @SchemaProperty(name = "inn", schema = @Schema(type = "string", format = "binary",
                                    description = "in-phase image, same grid as fat")),
                            @SchemaProperty(name = "opp", schema = @Schema(type = "string", format = "binary",
                                    description = "opposed-phase image, same grid as fat")),
                            @SchemaProperty(name = "wat", schema = @Schema(type = "string", format = "binary",
                                    description = "water image, same grid as fat (also the preview's background)"))},
                    encoding = {@Encoding(name = "fat", contentType = "application/octet-stream, application/gzip, image/png"),
                            @Encoding(name = "inn", contentType = "application/octet-stream, application/gzip, image/png"),
                            @Encoding(name = "opp", contentType = "application/octet-stream, application/gzip, image/png"),
                            @Encoding(name = "wat", contentType = "application/octet-stream, application/gzip, image/png")})))
    @ApiResponse(responseCode = "200", description = "the discs (JSON), the mask (NIfTI or PNG) or the preview (PNG)",
            content = {
                    @Content(mediaType = "application/json", schema = @Schema(implementation = SegmentationResult.class),
                            examples = @ExampleObject(value = Examples.SEGMENTED)),
                    @Content(mediaType = GZIP, schema = @Schema(type = "string", format = "binary",
                            description = "the mask, .nii.gz, uint8 (1 = disc), the input's dims, pixdim, qform and sform")),
                    @Content(mediaType = "application/octet-stream", schema = @Schema(type = "string", format = "binary",
                            description = "the mask, .nii uncompressed")),
                    @Content(mediaType = "image/png", schema = @Schema(type = "string", format = "binary",
                            description = "the mask (255 = disc) for PNG input, else the mid-sagittal preview"))})
    @ApiResponse(responseCode = "400", description = "a file that is not NIfTI/PNG, a header that contradicts itself or "
            + "its data, truncated gzip, unsupported datatype, a missing part, or an invalid parameter",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = Examples.BAD_VOLUME)))
    @ApiResponse(responseCode = "404", description = "no such model, or no such version of it (unknown-version)", content = @Content(mediaType = PROBLEM,
            schema = @Schema(implementation = Problem.class), examples = @ExampleObject(value = Examples.NOT_FOUND)))
    @ApiResponse(responseCode = "406", description = "the Accept header names nothing this endpoint produces",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = Examples.SEGMENT_NOT_ACCEPTABLE)))
    @ApiResponse(responseCode = "409", description = "the model is not a segmentation model, or is disabled or unloaded (model-unloaded)",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = Examples.WRONG_TASK_SEGMENT)))
    @ApiResponse(responseCode = "413", description = "a volume over visionserve.limits.max-volume-bytes (decompressed), "
            + "max-volume-voxels or max-slice-pixels, or an examination whose working memory exceeds "
            + "visionserve.admission.memory-budget (all checked from the four headers before any voxel is read), "
            + "or an upload over the multipart limits",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = Examples.VOLUME_TOO_LARGE)))
    @ApiResponse(responseCode = "415", description = "not multipart/form-data", content = @Content(mediaType = PROBLEM,
            schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = Examples.SEGMENT_UNSUPPORTED)))
    @ApiResponse(responseCode = "422", description = "the four modalities differ in shape or affine",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = Examples.MODALITY_MISMATCH)))
    @ApiResponse(responseCode = "503", description = "overloaded: visionserve.segmentation.max-concurrent volumes in "
            + "progress and queue-capacity waiting (Retry-After from the observed service time); or the model is loading",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = Examples.SEGMENT_BUSY)))
    @Deadline
    @RespondAsync
    public ResponseEntity<Object> segment(
            @PathVariable @Parameter(description = "id of a segmentation model (ivd_net by default)",
                    example = "ivd_net") String id,
            @PathVariable(required = false) @Parameter(description = ModelController.VERSION_DOC, example = "1")
            Integer version,
            @RequestPart(name = "fat", required = false) @Parameter(hidden = true) MultipartFile fat,
            @RequestPart(name = "inn", required = false) @Parameter(hidden = true) MultipartFile inn,
            @RequestPart(name = "opp", required = false) @Parameter(hidden = true) MultipartFile opp,
            @RequestPart(name = "wat", required = false) @Parameter(hidden = true) MultipartFile wat,
            @RequestParam(name = "format", required = false) @Parameter(description = "json (default), mask (.nii.gz "
                    + "for NIfTI input, PNG for PNG input) or preview (PNG); overrides Accept",
                    schema = @Schema(allowableValues = {"json", "mask", "preview"})) String format,
            @RequestParam(name = "include", required = false) @Parameter(description = "JSON answer only: embed "
                    + "'mask' and/or 'preview' as base64, comma-separated", example = "mask,preview") List<String> include,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) @Parameter(hidden = true) String accept,
            @Parameter(hidden = true) HttpServletRequest request)
            throws Exception {
        Answer answer = format != null ? fromFormat(format) : fromAccept(accept);
        boolean mask = false;
        boolean preview = false;
        for (String item : include == null ? List.<String>of() : include) {
            switch (item.trim().toLowerCase(Locale.ROOT)) {
                case "mask" -> mask = true;
                case "preview" -> preview = true;
                case "" -> { }
                default -> throw new InvalidParameterException("include", "include takes 'mask' and/or 'preview', got '"
                        + item + "'");
            }
        }
        Map<Modality, MultipartFile> parts = new EnumMap<>(Modality.class);
        put(parts, Modality.FAT, fat);
        put(parts, Modality.INN, inn);
        put(parts, Modality.OPP, opp);
        put(parts, Modality.WAT, wat);

        if (OperationSubmitter.wanted(request)) {
            return submit(id, version, parts, new SegmentationService.Request(Answer.JSON, mask, preview, true), request);
        }
        SegmentationService.Outcome out;
        try (RequestScope scope = scopes.segment(request)) {
            out = segmenter.segment(id, version, parts, new SegmentationService.Request(answer, mask, preview), scope);
        }
        SegmentationResult r = out.result();
        HttpHeaders headers = new HttpHeaders();
        headers.set("Server-Timing", serverTiming(r.timings()));
        headers.set("Visionserve-Discs", Integer.toString(r.discs().size()));
        headers.set("Visionserve-Weights", r.weights());
        if (out.binary() == null) {
            return ResponseEntity.ok().headers(headers).contentType(MediaType.APPLICATION_JSON).body(r);
        }
        headers.setContentDisposition(ContentDisposition.attachment().filename(out.binary().fileName()).build());
        return ResponseEntity.ok().headers(headers).contentType(MediaType.parseMediaType(out.binary().mediaType()))
                .body(out.binary().bytes());
    }

    /**
     * The segmentation as an operation: the parts are copied out of the request (its files go with it) and
     * deleted when the operation ends; its result is the JSON answer, its files the mask and the preview.
     */
    private ResponseEntity<Object> submit(String id, Integer version, Map<Modality, MultipartFile> parts,
                                          SegmentationService.Request asked, HttpServletRequest request) throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("visionserve-operation-");
        Map<Modality, org.springframework.core.io.FileSystemResource> copies = new EnumMap<>(Modality.class);
        try {
            for (Map.Entry<Modality, MultipartFile> e : parts.entrySet()) {
                java.nio.file.Path copy = dir.resolve(e.getKey().key);
                try (java.io.InputStream in = e.getValue().getInputStream()) {
                    java.nio.file.Files.copy(in, copy);
                }
                copies.put(e.getKey(), new org.springframework.core.io.FileSystemResource(copy));
            }
            return async.submit(request, "segment", id, deadline, VOLUME, scope -> {
                try {
                    SegmentationService.Outcome out = segmenter.segment(id, version, copies, asked, scope);
                    SegmentationResult r = out.result();
                    SegmentationResult shown = new SegmentationResult(r.model(), r.device(), r.weights(), r.weightsNote(),
                            r.input(), r.discs(), r.componentsDropped(), r.minDiscVolumeMm3(), r.foregroundVoxels(),
                            r.timings(), asked.includeMask() ? r.mask() : null, asked.includePreview() ? r.preview() : null);
                    List<org.visionserve.service.operations.StoredFile> files = new ArrayList<>();
                    out.files().forEach((answer, b) -> files.add(new org.visionserve.service.operations.StoredFile(
                            switch (answer) {
                                case PNG -> OperationsController.MASK_PNG;
                                case PREVIEW -> OperationsController.PREVIEW;
                                default -> OperationsController.MASK_NIFTI_GZ;
                            }, b.mediaType(), b.fileName(), b.bytes())));
                    return new org.visionserve.service.operations.Operations.Result(shown, files);
                } finally {
                    org.visionserve.service.config.TempDirs.deleteTree(dir);
                }
            });
        } catch (Exception | Error e) {
            org.visionserve.service.config.TempDirs.deleteTree(dir); // refused before it ran (or the copy failed)
            throw e;
        }
    }

    /** A volume's work for an operation's overall fraction: its slices through the model, then the disc search. */
    private static final List<org.visionserve.service.operations.Operations.Span> VOLUME = List.of(
            new org.visionserve.service.operations.Operations.Span(SegmentationService.PROGRESS_STAGE, 0, 0.95));

    private static void put(Map<Modality, MultipartFile> parts, Modality m, MultipartFile f) {
        if (f != null) {
            parts.put(m, f);
        }
    }

    static Answer fromFormat(String format) {
        return switch (format.trim().toLowerCase(Locale.ROOT)) {
            case "json" -> Answer.JSON;
            case "mask" -> Answer.MASK;
            case "preview" -> Answer.PREVIEW;
            default -> throw new InvalidParameterException("format", "format must be json, mask or preview, got '"
                    + format + "'");
        };
    }

    /** The most preferred (quality, then order) type of the Accept header this endpoint produces. */
    static Answer fromAccept(String accept) throws HttpMediaTypeNotAcceptableException {
        if (accept == null || accept.isBlank()) {
            return Answer.JSON;
        }
        List<MediaType> types;
        try {
            types = new ArrayList<>(MediaType.parseMediaTypes(accept));
        } catch (IllegalArgumentException e) {
            throw new HttpMediaTypeNotAcceptableException("Could not parse Accept header: " + e.getMessage());
        }
        types.sort(Comparator.comparingDouble(MediaType::getQualityValue).reversed()); // stable: ties keep order
        for (MediaType t : types) {
            if (t.getQualityValue() <= 0) {
                continue;
            }
            if (t.isWildcardType() || t.equalsTypeAndSubtype(MediaType.APPLICATION_JSON)
                    || ("application".equals(t.getType()) && t.isWildcardSubtype())) {
                return Answer.JSON;
            }
            if (t.equalsTypeAndSubtype(MediaType.valueOf(GZIP)) || "x-gzip".equals(t.getSubtype())) {
                return Answer.MASK_NIFTI_GZ;
            }
            if (t.equalsTypeAndSubtype(MediaType.APPLICATION_OCTET_STREAM)) {
                return Answer.MASK_NIFTI;
            }
            if (t.equalsTypeAndSubtype(MediaType.IMAGE_PNG) || ("image".equals(t.getType()) && t.isWildcardSubtype())) {
                return Answer.PNG;
            }
        }
        throw new HttpMediaTypeNotAcceptableException(PRODUCED);
    }

    private static String serverTiming(SegmentationResult.Timings t) {
        return String.format(Locale.ROOT, "decode;dur=%.3f, normalise;dur=%.3f, queue;dur=%.3f, inference;dur=%.3f, "
                        + "postprocess;dur=%.3f, encode;dur=%.3f, total;dur=%.3f", t.decode(), t.normalise(), t.queue(),
                t.inference(), t.postprocess(), t.encode(), t.total());
    }
}
