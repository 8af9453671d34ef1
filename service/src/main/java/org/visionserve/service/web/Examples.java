package org.visionserve.service.web;

/** Example bodies for the OpenAPI description. */
final class Examples {

    private Examples() {
    }

    static final String CLASSIFIED = """
            {"model": "inception_next_tiny", "device": "cpu", "weights": "checkpoint",
             "images": [{"name": "cat.jpg", "width": 640, "height": 480, "predictions": [
               {"index": 281, "label": "tabby", "probability": 0.62},
               {"index": 285, "label": "Egyptian cat", "probability": 0.21},
               {"index": 282, "label": "tiger cat", "probability": 0.11}]}],
             "timings": {"decode": 4.1, "preprocess": 2.3, "queue": 0.05, "inference": 61.8,
                         "postprocess": 0.2, "total": 68.5}}""";

    static final String NOT_FOUND = """
            {"type": "urn:visionserve:problem:unknown-model", "title": "Unknown model", "status": 404,
             "detail": "no model 'resnet9000'; GET /v1/models lists the models served",
             "instance": "/v1/models/resnet9000/classify", "code": "unknown-model"}""";

    static final String BAD_REQUEST = """
            {"type": "urn:visionserve:problem:invalid-parameter", "title": "Invalid parameter", "status": 400,
             "detail": "top_k must be between 1 and 100 (visionserve.limits.max-top-k), got 0",
             "instance": "/v1/models/inception_next_tiny/classify", "code": "invalid-parameter", "parameter": "top_k"}""";

    static final String TOO_LARGE = """
            {"type": "urn:visionserve:problem:payload-too-large", "title": "Payload too large", "status": 413,
             "detail": "image 0: the image is 10000x10000 = 100000000 pixels, more than the limit of 40000000 pixels (visionserve.limits.max-image-pixels)",
             "instance": "/v1/models/inception_next_tiny/classify", "code": "payload-too-large",
             "limit": 40000000, "configKey": "visionserve.limits.max-image-pixels", "image": 0}""";

    static final String UNSUPPORTED = """
            {"type": "urn:visionserve:problem:unsupported-media-type", "title": "Unsupported media type", "status": 415,
             "detail": "image 0: the data is not a JPEG, PNG, BMP, GIF or WebP image (declared as image/tiff)",
             "instance": "/v1/models/inception_next_tiny/classify", "code": "unsupported-media-type", "image": 0}""";

    static final String CORRUPT = """
            {"type": "urn:visionserve:problem:corrupt-image", "title": "Corrupt image", "status": 422,
             "detail": "image 0 (cat.jpg) could not be decoded: the JPEG image is corrupt or truncated: Premature end of JPEG file",
             "instance": "/v1/models/inception_next_tiny/classify", "code": "corrupt-image", "image": 0}""";

    static final String WRONG_TASK = """
            {"type": "urn:visionserve:problem:wrong-task", "title": "Wrong task for the model", "status": 409,
             "detail": "model 'ivd_net' is a segmentation model; it cannot serve classification",
             "instance": "/v1/models/ivd_net/classify", "code": "wrong-task"}""";

    static final String BUSY = """
            {"type": "urn:visionserve:problem:model-busy", "title": "Model at capacity", "status": 503,
             "detail": "model 'inception_next_tiny' is at capacity (1 running, 64 queued); retry later",
             "instance": "/v1/models/inception_next_tiny/classify", "code": "model-busy"}""";
}
