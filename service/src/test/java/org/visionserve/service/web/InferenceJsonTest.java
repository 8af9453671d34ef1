package org.visionserve.service.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.visionserve.service.inference.InferResponse;
import org.visionserve.service.inference.InvalidInferenceRequestException;
import org.visionserve.service.inference.OutputTensor;

/** The protocol's JSON as the streaming reader and writer see it, without a server. */
class InferenceJsonTest {

    private static InferenceJson.Request read(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return InferenceJson.read(b, 0, b.length);
    }

    @Test
    void readsFlatNestedAndScalarDataAndTreatsNullAsAbsent() {
        InferenceJson.Request r = read("""
                {"id": "7", "parameters": {"binary_data_output": false, "x": [1, {"y": 2}]}, "extra": {"a": [1]},
                 "inputs": [
                   {"data": [[1, 2.5], [true, -3e2]], "name": "a", "shape": [2, 2], "datatype": "FP32", "parameters": null},
                   {"name": "b", "shape": [1], "datatype": "BYTES", "data": "text"},
                   {"name": "c", "shape": [3], "datatype": "FP32", "parameters": {"binary_data_size": 12}, "data": null}],
                 "outputs": [{"name": "o", "parameters": {"classification": 3}}, {"name": "p", "parameters": null}]}
                """);
        assertThat(r.id).isEqualTo("7");
        assertThat(r.parameters).containsEntry("binary_data_output", false).containsKey("x");
        assertThat(r.inputs).hasSize(3);
        InferenceJson.Input a = r.inputs.get(0);
        assertThat(a.shape).containsExactly(2, 2);
        assertThat(java.util.Arrays.copyOf(a.numbers, a.count)).containsExactly(1f, 2.5f, 1f, -300f);
        assertThat(a.parameters).isEmpty();
        assertThat(new String(r.inputs.get(1).strings.get(0), StandardCharsets.UTF_8)).isEqualTo("text");
        assertThat(r.inputs.get(2).hasData).isFalse();
        assertThat(r.inputs.get(2).binarySize()).isEqualTo(12);
        assertThat(r.outputs.get(0).classification()).isEqualTo(3);
        assertThat(r.outputs.get(1).parameters()).isEmpty();
    }

    @Test
    void refusesWhatIsNoProtocolRequest() {
        assertBad("[1]", "JSON object");
        assertBad("{\"inputs\": [", "not valid JSON");
        assertBad("{}", "no 'inputs'");
        assertBad("{\"inputs\": []} {}", "more than one JSON value");
        assertBad("{\"inputs\": [{\"name\": \"a\", \"shape\": [1]}]}", "'datatype'");
        assertBad("{\"inputs\": [{\"name\": \"a\", \"shape\": [-1], \"datatype\": \"FP32\", \"data\": [1]}]}", "negative");
        assertBad("{\"inputs\": [{\"name\": \"a\", \"shape\": [2], \"datatype\": \"FP32\", \"data\": [1, \"x\"]}]}", "mixes");
        assertBad("{\"inputs\": [{\"name\": \"a\", \"shape\": [1], \"datatype\": \"FP32\", \"data\": [{\"v\": 1}]}]}",
                "no number");
        assertBad("{\"inputs\": [{\"name\": \"a\", \"shape\": [1], \"datatype\": \"FP32\", \"data\": "
                + "[".repeat(70) + "1" + "]".repeat(70) + "}]}", "nested too deeply");
        assertBad("{\"id\": 5, \"inputs\": []}", "id must be a string");
        assertBad("{\"inputs\": [{\"name\": \"a\", \"shape\": [1], \"datatype\": \"FP32\", "
                + "\"parameters\": {\"binary_data_size\": 1.5}}]}", null);
    }

    private static void assertBad(String json, String message) {
        if (message == null) {
            InferenceJson.Request r = read(json);
            assertThatThrownBy(() -> r.inputs.get(0).binarySize()).isInstanceOf(InvalidInferenceRequestException.class);
            return;
        }
        assertThatThrownBy(() -> read(json)).isInstanceOf(InvalidInferenceRequestException.class).hasMessageContaining(message);
    }

    @Test
    void bytesElementsAreLengthPrefixedAndBoundedByTheirData() {
        ByteBuffer b = ByteBuffer.allocate(4 + 3 + 4).order(ByteOrder.LITTLE_ENDIAN).putInt(3).put(new byte[] {1, 2, 3})
                .putInt(0);
        List<byte[]> elements = InferenceProtocolController.splitBytes("x", b.array());
        assertThat(elements).hasSize(2);
        assertThat(elements.get(0)).containsExactly(1, 2, 3);
        assertThat(elements.get(1)).isEmpty();
        byte[] overrun = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN).putInt(5).array();
        assertThatThrownBy(() -> InferenceProtocolController.splitBytes("x", overrun)).hasMessageContaining("runs past");
        assertThatThrownBy(() -> InferenceProtocolController.splitBytes("x", new byte[] {1, 0}))
                .hasMessageContaining("ends within");
    }

    @Test
    void writesDataOrBinarySizeAndRawIsLittleEndian() {
        OutputTensor logits = OutputTensor.fp32("logits", new long[] {1, 2}, new float[] {0.5f, -1.25f});
        OutputTensor top = OutputTensor.bytes("top", new long[] {1, 1}, List.of("0.5:0:a".getBytes(StandardCharsets.UTF_8)));
        InferResponse r = new InferResponse("m", "1", "id", Map.of(), List.of(logits, top));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        InferenceJson.write(r, Set.of("logits"), out);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("{\"model_name\":\"m\",\"model_version\":\"1\","
                + "\"id\":\"id\",\"outputs\":[{\"name\":\"logits\",\"datatype\":\"FP32\",\"shape\":[1,2],"
                + "\"parameters\":{\"binary_data_size\":8}},{\"name\":\"top\",\"datatype\":\"BYTES\",\"shape\":[1,1],"
                + "\"data\":[\"0.5:0:a\"]}]}");
        ByteBuffer raw = logits.raw().order(ByteOrder.LITTLE_ENDIAN);
        assertThat(raw.getFloat(0)).isEqualTo(0.5f);
        assertThat(raw.getFloat(4)).isEqualTo(-1.25f);
        assertThat(top.raw().order(ByteOrder.LITTLE_ENDIAN).getInt(0)).isEqualTo(7);
        assertThat(top.rawSize()).isEqualTo(11);
    }
}
