package org.visionserve.service.web;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.SchemaProperty;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;
import org.visionserve.service.classification.ClassificationResult;
import org.visionserve.service.classification.ClassificationService;
import org.visionserve.service.classification.ImageInput;
import org.visionserve.service.config.VisionServeProperties;
import org.visionserve.service.runtime.Admission;
import org.visionserve.service.runtime.ModelRepository;
import org.visionserve.service.runtime.RequestScope;
import org.visionserve.service.web.ModelView.ModelList;

/** The models resource: list and describe models, classify images with one. */
@RestController
@RequestMapping("/v1/models")
public class ModelController {

    static final String MAX_IMAGE_BYTES_KEY = "visionserve.limits.max-image-bytes";
    private static final String PROBLEM = MediaType.APPLICATION_PROBLEM_JSON_VALUE;
    private static final String CLASSIFIER_ID = "id of a classification model (GET /v1/models lists them with their task)";
    /** The inference paths' version, in the paths {@code /v1/models/{id}/versions/{version}/...}. */
    static final String VERSION_DOC = "version of the model (a positive integer; GET /v1/models/{id} lists them); "
            + "the paths without /versions/{version} use the highest ready version";

    private final ModelRepository repository;
    private final ClassificationService classifier;
    private final RequestScopes scopes;
    private final Admission admission;
    private final long maxImageBytes;

    public ModelController(ModelRepository repository, ClassificationService classifier, RequestScopes scopes,
                           Admission admission, VisionServeProperties props) {
        this.repository = repository;
        this.admission = admission;
        this.classifier = classifier;
        this.scopes = scopes;
        this.maxImageBytes = props.limits().maxImageBytes().toBytes();
    }

    @GetMapping(produces = MediaType.APPLICATION_JSON_VALUE)
    @Tag(name = OpenApiConfig.TAG_MODELS)
    @Operation(operationId = "listModels", summary = "List the models of the repository",
            description = "Every model found, whatever its status (loading, ready, failed with its error, disabled).")
    @ApiResponse(responseCode = "200", description = "the models, in the order of their ids")
    public ModelList list() {
        return new ModelList(repository.all().stream().map(m -> ModelView.of(m, admission)).toList());
    }

    @GetMapping(path = "/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    @Tag(name = OpenApiConfig.TAG_MODELS)
    @Operation(operationId = "getModel", summary = "Describe one model",
            description = "The model's status and device, its task, inputs and outputs, preprocessing, labels, the "
                    + "provenance of its weights (seeded or a checkpoint with its SHA-256) and how requests reach it.")
    @ApiResponse(responseCode = "200", description = "the model")
    @ApiResponse(responseCode = "404", description = "no such model", content = @Content(mediaType = PROBLEM,
            schema = @Schema(implementation = Problem.class), examples = @ExampleObject(value = Examples.NOT_FOUND_MODEL)))
    public ModelView get(@PathVariable @Parameter(description = "id of the model (GET /v1/models lists them)",
            example = "inception_next_tiny") String id) {
        return ModelView.of(repository.get(id), admission);
    }

    @PostMapping(path = {"/{id}/classify", "/{id}/versions/{version}/classify"},
            consumes = MediaType.MULTIPART_FORM_DATA_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Tag(name = OpenApiConfig.TAG_CLASSIFICATION)
    @Operation(operationId = "classify", summary = "Classify one image",
            description = "Send the image either as multipart/form-data (part 'file') or as the raw body with its "
                    + "image content type (or application/octet-stream: the format is read from the data). JPEG, PNG, BMP, "
                    + "GIF (first frame) or WebP. Returns the top_k classes with softmax "
                    + "probabilities, the device and the time of each stage in milliseconds.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
                    @Content(mediaType = MediaType.MULTIPART_FORM_DATA_VALUE, schema = @Schema(type = "object",
                            requiredProperties = "file"), schemaProperties = @SchemaProperty(name = "file",
                            schema = @Schema(type = "string", format = "binary", description = "the image"))),
                    @Content(mediaType = "image/jpeg", schema = @Schema(type = "string", format = "binary")),
                    @Content(mediaType = "image/png", schema = @Schema(type = "string", format = "binary")),
                    @Content(mediaType = "image/bmp", schema = @Schema(type = "string", format = "binary")),
                    @Content(mediaType = "image/gif", schema = @Schema(type = "string", format = "binary")),
                    @Content(mediaType = "image/webp", schema = @Schema(type = "string", format = "binary")),
                    @Content(mediaType = "application/octet-stream", schema = @Schema(type = "string", format = "binary"))}))
    @ClassifyResponses
    @Deadline
    public ClassificationResult classifyMultipart(
            @PathVariable @Parameter(description = CLASSIFIER_ID, example = "inception_next_tiny") String id,
            @PathVariable(required = false) @Parameter(description = ModelController.VERSION_DOC, example = "1")
            Integer version,
            @RequestPart("file") @Parameter(hidden = true) MultipartFile file,
            @RequestParam(name = "top_k", required = false) @Parameter(description = "classes to return (default 5)",
                    example = "5") Integer topK,
            @Parameter(hidden = true) HttpServletRequest request) throws IOException, InterruptedException {
        int k = classifier.topK(topK);
        try (RequestScope scope = scopes.classify(request)) {
            return classifier.classify(id, version, List.of(input(file)), k, scope);
        }
    }

    @PostMapping(path = {"/{id}/classify", "/{id}/versions/{version}/classify"},
            consumes = {"image/*", MediaType.APPLICATION_OCTET_STREAM_VALUE}, produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(hidden = true) // documented with the multipart variant: one operation, several body types
    public ClassificationResult classifyRaw(
            @PathVariable @Parameter(example = "inception_next_tiny") String id,
            @PathVariable(required = false) Integer version,
            @RequestParam(name = "top_k", required = false) @Parameter(description = "classes to return (default 5)",
                    example = "5") Integer topK,
            @Parameter(hidden = true) HttpServletRequest request) throws IOException, InterruptedException {
        int k = classifier.topK(topK);
        byte[] body = readBounded(request);
        try (RequestScope scope = scopes.classify(request)) {
            return classifier.classify(id, version, List.of(new ImageInput(null, body, request.getContentType())), k, scope);
        }
    }

    @PostMapping(path = {"/{id}/classify-batch", "/{id}/versions/{version}/classify-batch"},
            consumes = MediaType.MULTIPART_FORM_DATA_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Tag(name = OpenApiConfig.TAG_CLASSIFICATION)
    @Operation(operationId = "classifyBatch",
            summary = "Classify several images in one request (multipart, repeated part 'files')",
            description = "The images run as one batch; at most visionserve.limits.max-batch-images of them. The "
                    + "answer lists them in request order, each with its part's file name.")
    @ClassifyResponses
    @Deadline
    public ClassificationResult classifyBatch(
            @PathVariable @Parameter(description = CLASSIFIER_ID, example = "inception_next_tiny") String id,
            @PathVariable(required = false) @Parameter(description = ModelController.VERSION_DOC, example = "1")
            Integer version,
            @RequestPart("files") @Parameter(description = "the images") List<MultipartFile> files,
            @RequestParam(name = "top_k", required = false) @Parameter(description = "classes to return (default 5)",
                    example = "5") Integer topK,
            @Parameter(hidden = true) HttpServletRequest request) throws IOException, InterruptedException {
        int k = classifier.topK(topK);
        List<ImageInput> inputs = new ArrayList<>(files.size());
        for (MultipartFile f : files) {
            inputs.add(input(f));
        }
        try (RequestScope scope = scopes.classify(request)) {
            return classifier.classify(id, version, inputs, k, scope);
        }
    }

    /** The container's per-part limit is the request limit (clips are larger): images are bounded here. */
    private ImageInput input(MultipartFile f) throws IOException {
        if (f.getSize() > maxImageBytes) {
            throw tooLarge(f.getSize());
        }
        return new ImageInput(f.getOriginalFilename(), f.getBytes(), f.getContentType());
    }

    /** Reads the raw body, refusing it from Content-Length or once it passes the limit, never buffering more. */
    private byte[] readBounded(HttpServletRequest request) throws IOException {
        long declared = request.getContentLengthLong();
        if (declared > maxImageBytes) {
            throw tooLarge(declared);
        }
        try (InputStream in = request.getInputStream()) {
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxImageBytes + 1));
            if (body.length > maxImageBytes) {
                throw tooLarge(-1);
            }
            return body;
        }
    }

    private PayloadTooLargeException tooLarge(long size) {
        return new PayloadTooLargeException("image body " + (size >= 0 ? "of " + size + " bytes " : "")
                + "exceeds the limit of " + maxImageBytes + " bytes (" + MAX_IMAGE_BYTES_KEY + ")",
                maxImageBytes, MAX_IMAGE_BYTES_KEY);
    }
}
