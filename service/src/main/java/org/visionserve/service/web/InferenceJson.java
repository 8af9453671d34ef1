package org.visionserve.service.web;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.visionserve.service.inference.DataType;
import org.visionserve.service.inference.InferResponse;
import org.visionserve.service.inference.InvalidInferenceRequestException;
import org.visionserve.service.inference.OutputTensor;
import org.visionserve.service.inference.RequestedOutput;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Open Inference Protocol's JSON over REST, read and written with Jackson's streaming API: tensor
 * data goes straight between the text and primitive arrays, never through a tree of nodes (a tree
 * holds tens of bytes per element, a float array four).
 */
final class InferenceJson {

    static final String BINARY_DATA_SIZE = "binary_data_size";
    static final String BINARY_DATA = "binary_data";
    static final String BINARY_DATA_OUTPUT = "binary_data_output";
    /** An input parameter saying that its BYTES elements are base64 text (encoded images in plain JSON). */
    static final String CONTENT_TYPE = "content_type";

    /** Reads and writes; a parameters object is bound from the middle of a request, hence no trailing-token check. */
    private static final JsonMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    private InferenceJson() {
    }

    /** An input as the JSON states it; its data (if in the JSON) flattened in row-major order. */
    static final class Input {
        String name;
        String datatype;
        long[] shape;
        Map<String, Object> parameters = Map.of();
        /** Numbers (and booleans as 0/1) of the data, or null. */
        float[] numbers;
        int count;
        /** Strings of the data (BYTES), or null. */
        List<byte[]> strings;
        boolean hasData;

        /** The {@code binary_data_size} parameter, or -1 when the data is in the JSON. */
        long binarySize() {
            Object v = parameters.get(BINARY_DATA_SIZE);
            if (v == null) {
                return -1;
            }
            if (v instanceof Number n && n.longValue() >= 0 && n.doubleValue() == Math.rint(n.doubleValue())) {
                return n.longValue();
            }
            throw new InvalidInferenceRequestException("input '" + name + "': " + BINARY_DATA_SIZE
                    + " must be a non-negative integer, got " + v);
        }
    }

    /** The request as the JSON states it. */
    static final class Request {
        String id;
        Map<String, Object> parameters = Map.of();
        List<Input> inputs;
        List<RequestedOutput> outputs = List.of();
    }

    /** Parses the request object (at most {@code maxElements} data elements in all, as the body bounds them). */
    static Request read(byte[] json, int offset, int length) {
        try {
            return parse(json, offset, length);
        } catch (tools.jackson.core.JacksonException e) {
            throw new InvalidInferenceRequestException("the request is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static Request parse(byte[] json, int offset, int length) {
        try (JsonParser p = JSON.createParser(json, offset, length)) {
            expect(p.nextToken(), JsonToken.START_OBJECT, "the request must be a JSON object");
            Request r = new Request();
            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if (t == JsonToken.VALUE_NULL) {
                    continue; // a null member is an absent one
                }
                switch (field) {
                    case "id" -> r.id = string(p, t, "id");
                    case "parameters" -> r.parameters = parameters(p, t, "parameters");
                    case "inputs" -> {
                        expect(t, JsonToken.START_ARRAY, "'inputs' must be an array");
                        r.inputs = new ArrayList<>();
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            r.inputs.add(input(p));
                        }
                    }
                    case "outputs" -> {
                        expect(t, JsonToken.START_ARRAY, "'outputs' must be an array");
                        List<RequestedOutput> outs = new ArrayList<>();
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            outs.add(output(p));
                        }
                        r.outputs = outs;
                    }
                    default -> p.skipChildren(); // unknown members are ignored, as the protocol allows extensions
                }
            }
            if (p.nextToken() != null) {
                throw new InvalidInferenceRequestException("the body has more than one JSON value");
            }
            if (r.inputs == null) {
                throw new InvalidInferenceRequestException("the request has no 'inputs'");
            }
            return r;
        } catch (StreamReadException e) {
            throw new InvalidInferenceRequestException("the request is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static Input input(JsonParser p) {
        expect(p.currentToken(), JsonToken.START_OBJECT, "each input must be an object");
        Input in = new Input();
        while (p.nextToken() == JsonToken.PROPERTY_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            if (t == JsonToken.VALUE_NULL) {
                continue;
            }
            switch (field) {
                case "name" -> in.name = string(p, t, "input name");
                case "datatype" -> in.datatype = string(p, t, "input datatype");
                case "shape" -> in.shape = shape(p, t);
                case "parameters" -> in.parameters = parameters(p, t, "input parameters");
                case "data" -> {
                    in.hasData = true;
                    data(p, t, in);
                }
                default -> p.skipChildren();
            }
        }
        if (in.name == null || in.datatype == null || in.shape == null) {
            throw new InvalidInferenceRequestException("every input needs 'name', 'shape' and 'datatype'"
                    + (in.name != null ? " (input '" + in.name + "')" : ""));
        }
        return in;
    }

    private static RequestedOutput output(JsonParser p) {
        expect(p.currentToken(), JsonToken.START_OBJECT, "each requested output must be an object");
        String name = null;
        Map<String, Object> params = Map.of();
        while (p.nextToken() == JsonToken.PROPERTY_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            if (t == JsonToken.VALUE_NULL) {
                continue;
            }
            switch (field) {
                case "name" -> name = string(p, t, "output name");
                case "parameters" -> params = parameters(p, t, "output parameters");
                default -> p.skipChildren();
            }
        }
        if (name == null) {
            throw new InvalidInferenceRequestException("every requested output needs a 'name'");
        }
        return new RequestedOutput(name, params);
    }

    private static long[] shape(JsonParser p, JsonToken t) {
        expect(t, JsonToken.START_ARRAY, "'shape' must be an array of integers");
        long[] dims = new long[4];
        int n = 0;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_INT || n >= 64) {
                throw new InvalidInferenceRequestException("'shape' must be an array of at most 64 integers");
            }
            long d = p.getLongValue();
            if (d < 0) {
                throw new InvalidInferenceRequestException("'shape' dimensions must not be negative, got " + d);
            }
            if (n == dims.length) {
                dims = Arrays.copyOf(dims, n * 2);
            }
            dims[n++] = d;
        }
        return Arrays.copyOf(dims, n);
    }

    /** Flattens nested arrays (or takes a lone scalar) into the input's numbers or strings. */
    private static void data(JsonParser p, JsonToken t, Input in) {
        if (t != JsonToken.START_ARRAY) {
            scalar(p, t, in);
            return;
        }
        int depth = 1;
        while (depth > 0) {
            t = p.nextToken();
            if (t == JsonToken.START_ARRAY) {
                if (++depth > 65) {
                    throw new InvalidInferenceRequestException("input '" + in.name + "': data nested too deeply");
                }
            } else if (t == JsonToken.END_ARRAY) {
                depth--;
            } else {
                scalar(p, t, in);
            }
        }
    }

    private static void scalar(JsonParser p, JsonToken t, Input in) {
        switch (t) {
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> number(in, p.getFloatValue());
            case VALUE_TRUE -> number(in, 1);
            case VALUE_FALSE -> number(in, 0);
            case VALUE_STRING -> {
                if (in.numbers != null) {
                    throw mixed(in);
                }
                if (in.strings == null) {
                    in.strings = new ArrayList<>();
                }
                in.strings.add(p.getString().getBytes(StandardCharsets.UTF_8));
            }
            default -> throw new InvalidInferenceRequestException("input '" + in.name
                    + "': data holds something that is no number, boolean or string");
        }
    }

    private static void number(Input in, float v) {
        if (in.strings != null) {
            throw mixed(in);
        }
        if (in.numbers == null) {
            in.numbers = new float[1024];
        } else if (in.count == in.numbers.length) {
            in.numbers = Arrays.copyOf(in.numbers, in.count * 2);
        }
        in.numbers[in.count++] = v;
    }

    private static InvalidInferenceRequestException mixed(Input in) {
        return new InvalidInferenceRequestException("input '" + in.name + "': data mixes strings and numbers");
    }

    /** The BYTES elements of a JSON input, base64-decoded when its {@code content_type} parameter says so. */
    static List<byte[]> strings(Input in) {
        if (in.strings == null) {
            return List.of();
        }
        if (!"base64".equals(in.parameters.get(CONTENT_TYPE))) {
            return in.strings;
        }
        List<byte[]> decoded = new ArrayList<>(in.strings.size());
        for (byte[] s : in.strings) {
            try {
                decoded.add(Base64.getDecoder().decode(s));
            } catch (IllegalArgumentException e) {
                throw new InvalidInferenceRequestException("input '" + in.name + "': content_type base64, but an"
                        + " element is not base64");
            }
        }
        return decoded;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parameters(JsonParser p, JsonToken t, String what) {
        expect(t, JsonToken.START_OBJECT, "'" + what + "' must be an object");
        return JSON.readValue(p, LinkedHashMap.class);
    }

    private static String string(JsonParser p, JsonToken t, String what) {
        expect(t, JsonToken.VALUE_STRING, what + " must be a string");
        return p.getString();
    }

    private static void expect(JsonToken actual, JsonToken expected, String message) {
        if (actual != expected) {
            throw new InvalidInferenceRequestException(message);
        }
    }

    /**
     * Writes the response object; the outputs named in {@code binary} go without {@code data}, with
     * their {@code binary_data_size} (their bytes follow the JSON, in this order).
     */
    static void write(InferResponse r, java.util.Set<String> binary, OutputStream out) {
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringProperty("model_name", r.model());
            g.writeStringProperty("model_version", r.version());
            if (r.id() != null) {
                g.writeStringProperty("id", r.id());
            }
            g.writeArrayPropertyStart("outputs");
            for (OutputTensor o : r.outputs()) {
                g.writeStartObject();
                g.writeStringProperty("name", o.name());
                g.writeStringProperty("datatype", o.datatype().name());
                g.writeArrayPropertyStart("shape");
                for (long d : o.shape()) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                if (binary.contains(o.name())) {
                    g.writeObjectPropertyStart("parameters");
                    g.writeNumberProperty(BINARY_DATA_SIZE, o.rawSize());
                    g.writeEndObject();
                } else {
                    g.writeArrayPropertyStart("data");
                    if (o.datatype() == DataType.BYTES) {
                        for (byte[] s : o.strings()) {
                            g.writeString(new String(s, StandardCharsets.UTF_8));
                        }
                    } else {
                        for (float v : o.values()) {
                            g.writeNumber(v);
                        }
                    }
                    g.writeEndArray();
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
    }
}
