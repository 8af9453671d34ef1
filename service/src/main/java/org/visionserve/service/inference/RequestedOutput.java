package org.visionserve.service.inference;

import java.util.Map;

/**
 * An output the request asks for, with its parameters: {@code classification} (a positive integer k)
 * turns it into the top k classes as {@code "score:index:label"} BYTES strings; transport parameters
 * such as {@code binary_data} are the protocol layer's and ignored here.
 */
public record RequestedOutput(String name, Map<String, Object> parameters) {

    public static final String CLASSIFICATION = "classification";

    public RequestedOutput {
        parameters = parameters == null ? Map.of() : parameters;
    }

    public static RequestedOutput named(String name) {
        return new RequestedOutput(name, Map.of());
    }

    /**
     * The {@code classification} parameter: 0 when absent.
     *
     * @throws InvalidInferenceRequestException when it is not a positive integer
     */
    public int classification() {
        Object k = parameters.get(CLASSIFICATION);
        if (k == null) {
            return 0;
        }
        if (k instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && n.longValue() >= 1
                && n.longValue() <= Integer.MAX_VALUE) {
            return n.intValue();
        }
        throw new InvalidInferenceRequestException("output '" + name + "': parameter 'classification' must be a"
                + " positive integer, got " + k);
    }
}
