package org.visionserve.service.web;

import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.visionserve.service.config.VisionServeProperties;
import org.visionserve.service.inference.DataType;
import org.visionserve.service.inference.InferInput;
import org.visionserve.service.inference.InferRequest;
import org.visionserve.service.inference.InferResponse;
import org.visionserve.service.inference.InferenceCore;
import org.visionserve.service.inference.InvalidInferenceRequestException;
import org.visionserve.service.inference.OutputTensor;
import org.visionserve.service.inference.PreparedInference;
import org.visionserve.service.inference.RequestedOutput;
import org.visionserve.service.inference.TensorTooLargeException;
import org.visionserve.service.metrics.Protocol;
import org.visionserve.service.runtime.RequestScope;

/**
 * The Open Inference Protocol (KServe v2) over REST at {@code /v2}, with the binary tensor data
 * extension: a request whose {@code Inference-Header-Content-Length} header gives the size of its JSON
 * part carries the data of the inputs with a {@code binary_data_size} parameter after it, in input
 * order; outputs asked for with {@code binary_data} (or all, with the request's
 * {@code binary_data_output}) come back the same way. Errors are the protocol's {@code {"error": ...}}
 * ({@link InferenceErrorAdvice}). Documented by its own OpenAPI document
 * ({@code docs/inference-protocol-rest.yaml}), hence hidden from the service's.
 */
@RestController
@RequestMapping("/v2")
@Hidden
public class InferenceProtocolController {

    static final String HEADER_LENGTH = "Inference-Header-Content-Length";
    static final String MAX_REQUEST_BYTES_KEY = "visionserve.limits.max-request-bytes";
    /** Binary data is read through a chunk of this size into the input's buffer: never a full-size copy on the heap. */
    private static final int CHUNK = 64 * 1024;

    private final InferenceCore core;
    private final RequestScopes scopes;
    private final long maxRequestBytes;

    public InferenceProtocolController(InferenceCore core, RequestScopes scopes, VisionServeProperties props) {
        this.core = core;
        this.scopes = scopes;
        this.maxRequestBytes = props.limits().maxRequestBytes().toBytes();
    }

    @GetMapping(path = {"", "/"}, produces = MediaType.APPLICATION_JSON_VALUE)
    public InferenceCore.ServerMetadata server() {
        return core.serverMetadata();
    }

    @GetMapping(path = "/health/live", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Boolean>> live() {
        boolean live = core.live();
        return ResponseEntity.status(live ? 200 : 503).body(Map.of("live", live));
    }

    @GetMapping(path = "/health/ready", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Boolean>> ready() {
        boolean ready = core.ready();
        return ResponseEntity.status(ready ? 200 : 503).body(Map.of("ready", ready));
    }

    @GetMapping(path = {"/models/{model}", "/models/{model}/versions/{version}"}, produces = MediaType.APPLICATION_JSON_VALUE)
    public InferenceCore.ModelInfo model(@PathVariable String model, @PathVariable(required = false) String version) {
        return core.modelMetadata(model, version);
    }

    @GetMapping(path = {"/models/{model}/ready", "/models/{model}/versions/{version}/ready"},
            produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Object>> modelReady(@PathVariable String model,
                                                          @PathVariable(required = false) String version) {
        boolean ready = core.modelReady(model, version);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", model);
        body.put("ready", ready);
        return ResponseEntity.status(ready ? 200 : 503).body(body);
    }

    @PostMapping(path = {"/models/{model}/infer", "/models/{model}/versions/{version}/infer"})
    public void infer(@PathVariable String model, @PathVariable(required = false) String version,
                      HttpServletRequest request, HttpServletResponse response) throws IOException, InterruptedException {
        long declared = request.getContentLengthLong();
        if (declared > maxRequestBytes) {
            throw tooLarge("request body of " + declared + " bytes");
        }
        String headerLength = request.getHeader(HEADER_LENGTH);
        InputStream body = request.getInputStream();
        byte[] json;
        if (headerLength == null) {
            json = body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxRequestBytes + 1));
            if (json.length > maxRequestBytes) {
                throw tooLarge("request body");
            }
        } else {
            long h = parseLength(headerLength);
            if (h > maxRequestBytes) {
                throw tooLarge(HEADER_LENGTH + " of " + h + " bytes");
            }
            json = body.readNBytes((int) h);
            if (json.length < h) {
                throw new InvalidInferenceRequestException("the body ended within the JSON part of " + h
                        + " bytes (" + HEADER_LENGTH + ")");
            }
        }
        InferenceJson.Request parsed = InferenceJson.read(json, 0, json.length);
        json = null; // the data of JSON inputs is in the parsed arrays now

        // Binary parts follow in input order. BYTES ones are read now (they are validated and, as encoded
        // images, probed before admission), with any numeric part before them; the numeric parts after
        // the last BYTES part are read after admission, straight into their buffers.
        List<InferInput> inputs = new ArrayList<>();
        Map<String, byte[]> staged = new LinkedHashMap<>();
        List<String> streamed = new ArrayList<>();
        int lastBytesPart = -1;
        for (int i = 0; i < parsed.inputs.size(); i++) {
            InferenceJson.Input in = parsed.inputs.get(i);
            if (in.binarySize() >= 0 && DataType.BYTES.name().equals(in.datatype)) {
                lastBytesPart = i;
            }
        }
        long binaryTotal = 0;
        for (int i = 0; i < parsed.inputs.size(); i++) {
            InferenceJson.Input in = parsed.inputs.get(i);
            DataType type = DataType.parse(in.datatype, "input '" + in.name + "'");
            long size = in.binarySize();
            if (size >= 0 && headerLength == null) {
                throw new InvalidInferenceRequestException("input '" + in.name + "' has " + InferenceJson.BINARY_DATA_SIZE
                        + " but the request has no " + HEADER_LENGTH + " header");
            }
            if (size >= 0 && in.hasData) {
                throw new InvalidInferenceRequestException("input '" + in.name + "' has both 'data' and "
                        + InferenceJson.BINARY_DATA_SIZE);
            }
            if (size < 0 && !in.hasData) {
                throw new InvalidInferenceRequestException("input '" + in.name + "' has no 'data'");
            }
            binaryTotal += Math.max(0, size);
            if (binaryTotal > maxRequestBytes) {
                throw tooLarge("binary data of " + binaryTotal + " bytes");
            }
            if (type == DataType.BYTES) {
                List<byte[]> elements = size >= 0 ? splitBytes(in.name, readPart(body, in.name, size))
                        : InferenceJson.strings(in);
                inputs.add(new InferInput(in.name, type, in.shape, in.parameters, elements));
                continue;
            }
            long elements = elements(in.name, in.shape);
            if (size >= 0) {
                if (type.byteSize() * elements != size) {
                    throw new InvalidInferenceRequestException("input '" + in.name + "': " + InferenceJson.BINARY_DATA_SIZE
                            + " " + size + " is not the " + elements + " elements x " + type.byteSize()
                            + " bytes of its shape");
                }
                if (i < lastBytesPart) {
                    staged.put(in.name, readPart(body, in.name, size));
                } else {
                    streamed.add(in.name);
                }
            } else if (in.count != elements || in.strings != null) {
                throw new InvalidInferenceRequestException("input '" + in.name + "': its shape holds " + elements
                        + " elements, its data " + (in.strings != null ? in.strings.size() + " strings" : in.count));
            }
            inputs.add(new InferInput(in.name, type, in.shape, in.parameters, null));
        }
        if (headerLength != null && declared >= 0 && declared != json(headerLength) + binaryTotal) {
            throw new InvalidInferenceRequestException("the body has " + declared + " bytes, the JSON part and the "
                    + InferenceJson.BINARY_DATA_SIZE + " of the inputs " + (json(headerLength) + binaryTotal));
        }

        InferRequest req = new InferRequest(model, version, parsed.id, parsed.parameters, inputs, parsed.outputs);
        InferResponse result;
        try (RequestScope scope = scopes.open(request, core.deadline(model));
             PreparedInference prepared = core.prepare(req, scope, Protocol.V2_REST)) {
            for (InferenceJson.Input in : parsed.inputs) {
                if (!prepared.needsData(in.name)) {
                    continue;
                }
                ByteBuffer buffer = prepared.buffer(in.name);
                byte[] part = staged.get(in.name);
                if (part != null) {
                    buffer.put(part);
                } else if (streamed.contains(in.name)) {
                    readInto(body, buffer, in.name);
                } else {
                    buffer.asFloatBuffer().put(in.numbers, 0, in.count);
                }
                in.numbers = null;
            }
            result = prepared.run();
        }
        respond(result, binaryOutputs(parsed, result), response);
    }

    /** The outputs to send as binary data: all with the request's binary_data_output, else those asking for it. */
    private static Set<String> binaryOutputs(InferenceJson.Request parsed, InferResponse result) {
        Set<String> binary = new LinkedHashSet<>();
        boolean all = flag(parsed.parameters.get(InferenceJson.BINARY_DATA_OUTPUT), InferenceJson.BINARY_DATA_OUTPUT);
        for (OutputTensor o : result.outputs()) {
            boolean asked = parsed.outputs.stream().filter(r -> r.name().equals(o.name())).findFirst()
                    .map(r -> flag(r.parameters().get(InferenceJson.BINARY_DATA), InferenceJson.BINARY_DATA)).orElse(false);
            if (all || asked) {
                binary.add(o.name());
            }
        }
        return binary;
    }

    private static void respond(InferResponse result, Set<String> binary, HttpServletResponse response) throws IOException {
        if (binary.isEmpty()) {
            response.setContentType(MediaType.APPLICATION_JSON_VALUE);
            try (OutputStream out = response.getOutputStream()) {
                InferenceJson.write(result, binary, out);
            }
            return;
        }
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        InferenceJson.write(result, binary, header);
        long length = header.size();
        for (OutputTensor o : result.outputs()) {
            if (binary.contains(o.name())) {
                length += o.rawSize();
            }
        }
        response.setContentType(MediaType.APPLICATION_OCTET_STREAM_VALUE);
        response.setHeader(HEADER_LENGTH, Integer.toString(header.size()));
        response.setContentLengthLong(length);
        try (OutputStream out = response.getOutputStream()) {
            header.writeTo(out);
            for (OutputTensor o : result.outputs()) {
                if (binary.contains(o.name())) {
                    ByteBuffer raw = o.raw();
                    out.write(raw.array(), raw.arrayOffset() + raw.position(), raw.remaining());
                }
            }
        }
    }

    private static boolean flag(Object value, String name) {
        if (value == null) {
            return false;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        throw new InvalidInferenceRequestException("parameter '" + name + "' must be true or false, got " + value);
    }

    private static long elements(String name, long[] shape) {
        try {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        } catch (ArithmeticException e) {
            throw new TensorTooLargeException("input '" + name + "': its shape has more elements than a tensor may hold");
        }
    }

    private static long json(String headerLength) {
        return Long.parseLong(headerLength.strip());
    }

    private static long parseLength(String value) {
        try {
            long n = Long.parseLong(value.strip());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new InvalidInferenceRequestException(HEADER_LENGTH + " must be a non-negative integer, got '" + value + "'");
    }

    private byte[] readPart(InputStream body, String name, long size) throws IOException {
        byte[] part = body.readNBytes((int) size); // size <= max-request-bytes, checked by the caller
        if (part.length < size) {
            throw endedEarly(name, size);
        }
        return part;
    }

    /** Fills the buffer from the body through a small chunk: the tensor's one copy. */
    private static void readInto(InputStream body, ByteBuffer buffer, String name) throws IOException {
        long size = buffer.remaining();
        byte[] chunk = new byte[(int) Math.min(CHUNK, Math.max(1, size))];
        while (buffer.hasRemaining()) {
            int n = body.read(chunk, 0, Math.min(chunk.length, buffer.remaining()));
            if (n < 0) {
                throw endedEarly(name, size);
            }
            buffer.put(chunk, 0, n);
        }
    }

    private static InvalidInferenceRequestException endedEarly(String name, long size) {
        return new InvalidInferenceRequestException("the body ended within the " + size + " bytes of input '" + name + "'");
    }

    /** BYTES binary data: each element is a 4-byte little-endian length and that many bytes. */
    static List<byte[]> splitBytes(String name, byte[] data) {
        List<byte[]> elements = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (b.remaining() < 4) {
                throw new InvalidInferenceRequestException("input '" + name + "': BYTES data ends within an element's length");
            }
            int n = b.getInt();
            if (n < 0 || n > b.remaining()) {
                throw new InvalidInferenceRequestException("input '" + name + "': a BYTES element's length " + n
                        + " runs past its data");
            }
            byte[] e = new byte[n];
            b.get(e);
            elements.add(e);
        }
        return elements;
    }

    private TensorTooLargeException tooLarge(String what) {
        return new TensorTooLargeException(what + " exceeds the limit of " + maxRequestBytes + " bytes ("
                + MAX_REQUEST_BYTES_KEY + ")");
    }
}
