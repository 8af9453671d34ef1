package org.visionserve.service.web;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import org.visionserve.service.operations.OperationState;
import org.visionserve.service.operations.Operations;
import org.visionserve.service.operations.StoredFile;
import org.visionserve.service.segmentation.SegmentationService.Answer;

/**
 * Asynchronous operations ({@code Prefer: respond-async} on recognize and segment): their state,
 * progress and result, their cancel, their binary results and a Server-Sent Events stream. With
 * authentication on, a caller sees only the operations it submitted.
 */
@RestController
@RequestMapping(OperationsController.PATH)
@Tag(name = OpenApiConfig.TAG_OPERATIONS)
public class OperationsController implements DisposableBean {

    static final String PATH = "/v1/operations";
    private static final String EXAMPLE_ID = "5b0c2f4e-3d1a-4c1e-9f0b-2a7c3e8d9f10";
    /** How often an event stream looks at its operation: any replica's progress reaches it within this. */
    static final long EVENTS_POLL_MILLIS = 200;
    private static final String PROBLEM = MediaType.APPLICATION_PROBLEM_JSON_VALUE;
    /** Names of the stored binary results of a segment operation. */
    static final String MASK_NIFTI_GZ = "mask.nii.gz";
    static final String MASK_PNG = "mask.png";
    static final String PREVIEW = "preview";

    private final Operations operations;
    private final ScheduledExecutorService events = Executors.newScheduledThreadPool(1, r -> {
        Thread t = new Thread(r, "operation-events");
        t.setDaemon(true);
        return t;
    });

    public OperationsController(Operations operations) {
        this.operations = operations;
    }

    @GetMapping(produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "listOperations", summary = "List the operations kept",
            description = "Every operation kept (visionserve.operations.retention, max-count, max-bytes), oldest first, "
                    + "without its result; with authentication on only the caller's own. With the Redis store "
                    + "(visionserve.operations.store=redis) every replica's.")
    @ApiResponse(responseCode = "200", description = "the operations", content = @Content(mediaType = "application/json",
            array = @ArraySchema(schema = @Schema(implementation = OperationView.class))))
    public List<OperationView> list(@Parameter(hidden = true) HttpServletRequest request) {
        return operations.list(owner(request)).stream().map(s -> OperationView.of(s, null)).toList();
    }

    @GetMapping(path = "/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "getOperation", summary = "An operation's status, progress and result",
            description = "status (queued, running, succeeded, failed, cancelled), progress (the stage in its own units: "
                    + "queue, flow pairs, frames, windows, slices; and the overall fraction), timestamps, and once "
                    + "finished its result (the JSON the synchronous call answers) or error (the problem it would have "
                    + "answered). Any replica answers with the Redis store.")
    @ApiResponse(responseCode = "200", description = "the operation",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = OperationView.class)))
    @ApiResponse(responseCode = "404", description = "no such operation (unknown, expired, forgotten, or another caller's)",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = Examples.OPERATION_NOT_FOUND)))
    public ResponseEntity<Object> get(@PathVariable @Parameter(description = "the operation's id (its Location)", example = EXAMPLE_ID) String id, @Parameter(hidden = true) HttpServletRequest request) {
        Optional<OperationState> s = operations.find(id, owner(request));
        if (s.isEmpty()) {
            return notFound(id, request);
        }
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(view(s.get()));
    }

    @DeleteMapping(path = "/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "cancelOperation", summary = "Cancel an operation, or forget a finished one",
            description = "A queued or running operation is cancelled (202): its work stops within about a second, its "
                    + "admission place is given back, and it ends as cancelled (error code cancelled). A finished one "
                    + "is forgotten with its result (204). With the Redis store the cancel reaches the replica doing "
                    + "the work.")
    @ApiResponse(responseCode = "202", description = "cancel requested: the operation as it was; poll it until cancelled",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = OperationView.class),
                    examples = @ExampleObject(value = Examples.OPERATION)))
    @ApiResponse(responseCode = "204", description = "a finished operation forgotten")
    @ApiResponse(responseCode = "404", description = "no such operation (unknown, expired, forgotten, or another caller's)",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = Examples.OPERATION_NOT_FOUND)))
    public ResponseEntity<Object> cancel(@PathVariable @Parameter(description = "the operation's id (its Location)", example = EXAMPLE_ID) String id, @Parameter(hidden = true) HttpServletRequest request) {
        Optional<OperationState> s = operations.find(id, owner(request));
        if (s.isEmpty()) {
            return notFound(id, request);
        }
        if (s.get().finished()) {
            operations.remove(id);
            return ResponseEntity.noContent().build();
        }
        operations.cancel(id);
        return ResponseEntity.status(HttpStatus.ACCEPTED).contentType(MediaType.APPLICATION_JSON)
                .body(OperationView.of(s.get(), null));
    }

    @GetMapping(path = "/{id}/result")
    @Operation(operationId = "getOperationResult", summary = "The result of a succeeded operation",
            description = "Negotiated as the synchronous endpoint's, by format or else Accept: the JSON answer, or for "
                    + "segment the mask (application/gzip .nii.gz, application/octet-stream .nii, image/png for PNG "
                    + "input) or the mid-sagittal preview (image/png, format=preview).")
    @ApiResponse(responseCode = "200", description = "the result", content = {
            @Content(mediaType = "application/json", schema = @Schema(type = "object")),
            @Content(mediaType = SegmentationController.GZIP, schema = @Schema(type = "string", format = "binary")),
            @Content(mediaType = "application/octet-stream", schema = @Schema(type = "string", format = "binary")),
            @Content(mediaType = "image/png", schema = @Schema(type = "string", format = "binary"))})
    @ApiResponse(responseCode = "404", description = "no such operation (unknown, expired, forgotten, or another caller's)",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = Examples.OPERATION_NOT_FOUND)))
    @ApiResponse(responseCode = "409", description = "the operation has not succeeded (yet)",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = Examples.OPERATION_NOT_SUCCEEDED)))
    public ResponseEntity<Object> result(
            @PathVariable @Parameter(description = "the operation's id (its Location)", example = EXAMPLE_ID) String id,
            @RequestParam(name = "format", required = false) @Parameter(description = "segment: json, mask or "
                    + "preview; overrides Accept", schema = @Schema(allowableValues = {"json", "mask", "preview"}))
            String format,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) @Parameter(hidden = true) String accept,
            @Parameter(hidden = true) HttpServletRequest request) throws HttpMediaTypeNotAcceptableException {
        Optional<OperationState> found = operations.find(id, owner(request));
        if (found.isEmpty()) {
            return notFound(id, request);
        }
        OperationState s = found.get();
        if (!OperationState.SUCCEEDED.equals(s.status())) {
            return problem(Problems.problem(HttpStatus.CONFLICT, "operation-not-succeeded", "No result",
                    "operation " + id + " is " + s.status() + ": it has no result"), request);
        }
        Answer answer = format != null ? SegmentationController.fromFormat(format) : SegmentationController.fromAccept(accept);
        if (answer == Answer.JSON) {
            return operations.result(id).<ResponseEntity<Object>>map(json -> ResponseEntity.ok()
                    .contentType(MediaType.APPLICATION_JSON).body(OperationSubmitter.parse(json)))
                    .orElseGet(() -> notFound(id, request));
        }
        boolean png = s.files().contains(MASK_PNG);
        String name = switch (answer) {
            case MASK -> png ? MASK_PNG : MASK_NIFTI_GZ;
            case PNG -> png ? MASK_PNG : PREVIEW;
            case PREVIEW -> PREVIEW;
            default -> MASK_NIFTI_GZ; // .nii is the same unzipped
        };
        Optional<StoredFile> file = s.files().contains(name) ? operations.file(id, name) : Optional.empty();
        if (file.isEmpty()) {
            throw new HttpMediaTypeNotAcceptableException(List.of(MediaType.APPLICATION_JSON));
        }
        StoredFile f = file.get();
        String mediaType = f.mediaType();
        String fileName = f.fileName();
        byte[] bytes = f.bytes();
        if (answer == Answer.MASK_NIFTI) {
            bytes = gunzip(bytes);
            mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE;
            fileName = fileName.replaceFirst("\\.gz$", "");
        }
        return ResponseEntity.ok().contentType(MediaType.parseMediaType(mediaType))
                .header(HttpHeaders.CONTENT_DISPOSITION, ContentDisposition.attachment().filename(fileName).build().toString())
                .body(bytes);
    }

    @GetMapping(path = "/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    @Operation(operationId = "streamOperationEvents", summary = "Follow an operation as Server-Sent Events",
            description = "A 'progress' event (the operation, without its result) at every change, looked at every "
                    + "200 ms, then one event named by the final status (succeeded with the result, failed or "
                    + "cancelled with the error), after which the stream ends.")
    @ApiResponse(responseCode = "200", description = "the event stream",
            content = @Content(mediaType = MediaType.TEXT_EVENT_STREAM_VALUE, schema = @Schema(type = "string")))
    @ApiResponse(responseCode = "404", description = "no such operation (unknown, expired, forgotten, or another caller's)",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = Examples.OPERATION_NOT_FOUND)))
    public Object events(@PathVariable @Parameter(description = "the operation's id (its Location)", example = EXAMPLE_ID) String id, @Parameter(hidden = true) HttpServletRequest request) {
        String owner = owner(request);
        Optional<OperationState> first = operations.find(id, owner);
        if (first.isEmpty()) {
            return notFound(id, request);
        }
        SseEmitter emitter = new SseEmitter(0L); // ends with the operation (whose deadline bounds it)
        long[] sent = {-1};
        ScheduledFuture<?>[] poll = {null};
        Runnable step = () -> {
            try {
                Optional<OperationState> now = operations.find(id, owner);
                if (now.isEmpty()) {
                    emitter.complete(); // expired or forgotten
                    poll[0].cancel(false);
                    return;
                }
                OperationState s = now.get();
                if (s.version() == sent[0]) {
                    return;
                }
                sent[0] = s.version();
                if (s.finished()) {
                    emitter.send(SseEmitter.event().name(s.status()).id(Long.toString(s.version()))
                            .data(view(s), MediaType.APPLICATION_JSON));
                    emitter.complete();
                    poll[0].cancel(false);
                } else {
                    emitter.send(SseEmitter.event().name("progress").id(Long.toString(s.version()))
                            .data(OperationView.of(s, null), MediaType.APPLICATION_JSON));
                }
            } catch (IOException | IllegalStateException e) {
                emitter.completeWithError(e); // the client went away
                poll[0].cancel(false);
            }
        };
        synchronized (poll) {
            poll[0] = events.scheduleWithFixedDelay(() -> {
                synchronized (poll) {
                    step.run();
                }
            }, 0, EVENTS_POLL_MILLIS, TimeUnit.MILLISECONDS);
        }
        emitter.onCompletion(() -> poll[0].cancel(false));
        emitter.onTimeout(() -> poll[0].cancel(false));
        return emitter;
    }

    private OperationView view(OperationState s) {
        return OperationView.of(s, OperationState.SUCCEEDED.equals(s.status())
                ? operations.result(s.id()).map(OperationSubmitter::parse).orElse(null) : null);
    }

    /** The caller's name with authentication on; null (every operation visible) without. */
    private static String owner(HttpServletRequest request) {
        return request.getUserPrincipal() == null ? null : request.getUserPrincipal().getName();
    }

    private static ResponseEntity<Object> notFound(String id, HttpServletRequest request) {
        return problem(Problems.problem(HttpStatus.NOT_FOUND, "unknown-operation", "Unknown operation",
                "no operation '" + id + "' (finished operations are kept for visionserve.operations.retention); GET "
                        + PATH + " lists them"), request);
    }

    private static ResponseEntity<Object> problem(ProblemDetail p, HttpServletRequest request) {
        p.setInstance(URI.create(request.getRequestURI()));
        return ResponseEntity.status(p.getStatus()).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(p);
    }

    private static byte[] gunzip(byte[] gz) {
        try (GZIPInputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void destroy() {
        events.shutdownNow();
    }
}
