package org.visionserve.export.models;

import com.fasterxml.jackson.annotation.JsonValue;

/** What a model is for; the service routes requests by it. */
public enum Task {
    CLASSIFICATION("classification"),
    /** A per-frame feature extractor of an action-recognition pipeline (one stream). */
    ACTION_FEATURES("action-features"),
    /** A temporal head over per-frame features of a clip. */
    ACTION_RECOGNITION("action-recognition"),
    SEGMENTATION("segmentation");

    private final String id;

    Task(String id) {
        this.id = id;
    }

    @JsonValue
    public String id() {
        return id;
    }
}
