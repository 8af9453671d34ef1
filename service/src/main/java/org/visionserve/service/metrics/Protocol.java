package org.visionserve.service.metrics;

/**
 * The API a request came through, the {@code protocol} label of the request and stage metrics: the
 * service's own task API ({@code /v1}), or the Open Inference Protocol over REST ({@code /v2}) or gRPC.
 */
public enum Protocol {
    V1("v1"), V2_REST("v2-rest"), V2_GRPC("v2-grpc");

    private final String label;

    Protocol(String label) {
        this.label = label;
    }

    /** The label's value. */
    public String label() {
        return label;
    }
}
