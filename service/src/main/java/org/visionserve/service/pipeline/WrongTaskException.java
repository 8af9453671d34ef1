package org.visionserve.service.pipeline;

/** The request's task is not the model's task (e.g. classify on a segmentation model). */
public class WrongTaskException extends RuntimeException {

    public WrongTaskException(String modelId, String modelTask, String requestedTask) {
        super("model '" + modelId + "' is a " + modelTask + " model; it cannot serve " + requestedTask);
    }
}
