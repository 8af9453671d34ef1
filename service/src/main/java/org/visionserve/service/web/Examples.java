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

    static final String OPERATION_NOT_FOUND = """
            {"type": "urn:visionserve:problem:unknown-operation", "title": "Unknown operation", "status": 404,
             "detail": "no operation '5b0c2f4e-3d1a-4c1e-9f0b-2a7c3e8d9f10' (finished operations are kept for visionserve.operations.retention); GET /v1/operations lists them",
             "instance": "/v1/operations/5b0c2f4e-3d1a-4c1e-9f0b-2a7c3e8d9f10", "code": "unknown-operation"}""";

    static final String OPERATION_NOT_SUCCEEDED = """
            {"type": "urn:visionserve:problem:operation-not-succeeded", "title": "No result", "status": 409,
             "detail": "operation 5b0c2f4e-3d1a-4c1e-9f0b-2a7c3e8d9f10 is running: it has no result",
             "instance": "/v1/operations/5b0c2f4e-3d1a-4c1e-9f0b-2a7c3e8d9f10/result", "code": "operation-not-succeeded"}""";

    static final String OPERATION = """
            {"id": "5b0c2f4e-3d1a-4c1e-9f0b-2a7c3e8d9f10", "kind": "recognize", "model": "ts_lstm_ucf101",
             "status": "running", "progress": {"stage": "flow", "completed": 31, "total": 49, "fraction": 0.44},
             "createdAt": "2026-12-03T16:00:00Z", "startedAt": "2026-12-03T16:00:00.2Z", "updatedAt": "2026-12-03T16:00:09Z"}""";

    static final String NOT_FOUND = """
            {"type": "urn:visionserve:problem:unknown-model", "title": "Unknown model", "status": 404,
             "detail": "no model 'resnet9000'; GET /v1/models lists the models served",
             "instance": "/v1/models/resnet9000/classify", "code": "unknown-model"}""";

    static final String NOT_FOUND_MODEL = """
            {"type": "urn:visionserve:problem:unknown-model", "title": "Unknown model", "status": 404,
             "detail": "no model 'resnet9000'; GET /v1/models lists the models served",
             "instance": "/v1/models/resnet9000", "code": "unknown-model"}""";

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

    static final String OVERLOADED = """
            {"type": "urn:visionserve:problem:overloaded", "title": "At capacity", "status": 503,
             "detail": "'inception_next_tiny' is at capacity (10 in progress, 64 waiting; visionserve.models.settings.inception_next_tiny.concurrency / .queue-capacity); retry in 3 s",
             "instance": "/v1/models/inception_next_tiny/classify", "code": "overloaded",
             "concurrency": 10, "queueCapacity": 64, "retryAfterSeconds": 3}""";

    /** Shared by the inference operations (see {@link Deadline}), hence no instance. */
    static final String DEADLINE_EXCEEDED = """
            {"type": "urn:visionserve:problem:deadline-exceeded", "title": "Deadline exceeded", "status": 504,
             "detail": "the request did not finish within its deadline of 2.5 s; its work was stopped. Deadlines: visionserve.deadlines.*, or less with a Request-Timeout header or a timeout parameter (seconds)",
             "code": "deadline-exceeded", "timeoutSeconds": 2.5}""";

    /** Illustrative (as with trained checkpoints; seeded weights give a flat TS-LSTM answer); TV-L1 on 2 cores. */
    static final String RECOGNIZED = """
            {"model": "ts_lstm_ucf101", "head": "ts_lstm", "device": "cpu", "weights": "checkpoint",
             "models": {"rgb": {"id": "resnet101_rgb", "device": "cpu", "weights": "checkpoint"},
                        "flow": {"id": "resnet101_flow", "device": "cpu", "weights": "checkpoint"},
                        "head": {"id": "ts_lstm_ucf101", "device": "cpu", "weights": "checkpoint"}},
             "clip": {"source": "mov,mp4,m4a,3gp,3g2,mj2/h264", "width": 320, "height": 240, "fps": 25.0, "frames": 250},
             "flow": "tvl1", "flowPairs": 226,
             "frameIndices": [4, 13, 22, 31, 40, 49, 58, 67, 76, 85, 94, 103, 112, 121, 130, 139, 148, 157, 166, 175, 184, 193, 202, 211, 220],
             "flowStacks": [0, 9, 18, 27, 36, 45, 54, 63, 72, 81, 90, 99, 108, 117, 126, 135, 144, 153, 162, 171, 180, 189, 198, 207, 216],
             "predictions": [{"index": 8, "label": "BasketballDunk", "probability": 0.71},
                             {"index": 7, "label": "Basketball", "probability": 0.18}],
             "baseline": [{"index": 8, "label": "BasketballDunk", "probability": 0.64},
                          {"index": 7, "label": "Basketball", "probability": 0.2}],
             "streams": {"rgb": [{"index": 7, "label": "Basketball", "probability": 0.52},
                                 {"index": 8, "label": "BasketballDunk", "probability": 0.33}],
                         "flow": [{"index": 8, "label": "BasketballDunk", "probability": 0.58},
                                  {"index": 44, "label": "JavelinThrow", "probability": 0.09}]},
             "timings": {"decode": 120.0, "flow": 28000.0, "preprocess": 400.0, "queue": 0.1,
                         "features_rgb": 1500.0, "features_flow": 1700.0, "head": 12.0, "total": 31800.0}}""";

    static final String CLIP_BAD_FLOW = """
            {"type": "urn:visionserve:problem:invalid-parameter", "title": "Invalid parameter", "status": 400,
             "detail": "flow must be tvl1 or farneback, got 'optical'",
             "instance": "/v1/models/ts_lstm_ucf101/recognize", "code": "invalid-parameter", "parameter": "flow"}""";

    static final String CLIP_NOT_FOUND = """
            {"type": "urn:visionserve:problem:unknown-model", "title": "Unknown model", "status": 404,
             "detail": "no model 'ts_lstm'; GET /v1/models lists the models served",
             "instance": "/v1/models/ts_lstm/recognize", "code": "unknown-model"}""";

    static final String CLIP_WRONG_TASK = """
            {"type": "urn:visionserve:problem:wrong-task", "title": "Wrong task for the model", "status": 409,
             "detail": "model 'inception_next_tiny' is a classification model; it cannot serve action-recognition",
             "instance": "/v1/models/inception_next_tiny/recognize", "code": "wrong-task"}""";

    static final String CLIP_TOO_LARGE = """
            {"type": "urn:visionserve:problem:payload-too-large", "title": "Payload too large", "status": 413,
             "detail": "video of 70000000 bytes exceeds the limit of 67108864 bytes (visionserve.action.limits.max-bytes)",
             "instance": "/v1/models/ts_lstm_ucf101/recognize", "code": "payload-too-large", "limit": 67108864,
             "configKey": "visionserve.action.limits.max-bytes"}""";

    static final String CLIP_UNSUPPORTED = """
            {"type": "urn:visionserve:problem:unsupported-media-type", "title": "Unsupported media type", "status": 415,
             "detail": "container 'jpeg_pipe' is not supported: expected an MP4, MOV, WebM or AVI file",
             "instance": "/v1/models/ts_lstm_ucf101/recognize", "code": "unsupported-media-type"}""";

    static final String CLIP_TOO_SHORT = """
            {"type": "urn:visionserve:problem:clip-too-short", "title": "Clip too short", "status": 422,
             "detail": "the clip has 1 frames; the sampling needs at least 11 (one 10-field optical-flow stack)",
             "instance": "/v1/models/ts_lstm_ucf101/recognize", "code": "clip-too-short"}""";

    static final String CLIP_BUSY = """
            {"type": "urn:visionserve:problem:overloaded", "title": "At capacity", "status": 503,
             "detail": "'pipeline/clips' is at capacity (1 in progress, 2 waiting; visionserve.action.concurrency / queue-capacity); retry in 40 s",
             "instance": "/v1/models/ts_lstm_ucf101/recognize", "code": "overloaded", "concurrency": 1,
             "queueCapacity": 2, "retryAfterSeconds": 40}""";

    /** A real answer (seeded weights, synthetic 36x256x256 examination: hence the one large "disc"). */
    static final String SEGMENTED = """
            {"model": "ivd_net", "device": "cpu", "weights": "seeded",
             "weightsNote": "seeded demo weights (shared/spec/seeded-init.md), not trained: predictions are meaningless",
             "input": {"kind": "nifti", "shape": [36, 256, 256], "spacingMm": [2.0, 1.25, 1.25],
                       "affine": [[1.98054, -0.17016, -0.03617, -4.35174], [0.27835, 1.21079, 0.25736, -214.05965],
                                  [0.0, 0.25989, -1.22268, 153.75635]],
                       "affineSource": "sform", "sliceAxis": 0, "slices": 36, "sliceSize": [256, 256],
                       "netSize": [256, 256], "batchSize": 2, "batches": 18, "craniocaudalAxis": 2},
             "discs": [{"position": 1, "label": "L5-S1", "voxels": 14517, "volumeMm3": 45365.62,
                        "centroidVoxel": [17.487, 126.921, 254.632], "centroidMm": [-0.526, 10.014, -124.593],
                        "boundingBox": {"min": [0, 0, 254], "max": [35, 255, 255]}, "meanProbability": 0.6514}],
             "componentsDropped": 13, "minDiscVolumeMm3": 100.0, "foregroundVoxels": 14536,
             "timings": {"decode": 85.584, "normalise": 78.712, "queue": 0.233, "inference": 28909.195,
                         "postprocess": 30.862, "encode": 0.053, "total": 29105.337}}""";

    static final String BAD_VOLUME = """
            {"type": "urn:visionserve:problem:invalid-volume", "title": "Invalid volume", "status": 400,
             "detail": "part 'wat' (water): header says 36x256x256 int16 = 4718592 bytes from vox_offset 352, file has 1000000",
             "instance": "/v1/models/ivd_net/segment", "code": "invalid-volume", "reason": "size-mismatch", "part": "wat"}""";

    static final String VOLUME_TOO_LARGE = """
            {"type": "urn:visionserve:problem:payload-too-large", "title": "Payload too large", "status": 413,
             "detail": "part 'fat' (fat): header says 400x512x512 int16 from vox_offset 352: 104857600 voxels, over the limit of 33554432 (visionserve.limits.max-volume-voxels)",
             "instance": "/v1/models/ivd_net/segment", "code": "payload-too-large", "limit": 33554432,
             "configKey": "visionserve.limits.max-volume-voxels", "part": "fat"}""";

    static final String MODALITY_MISMATCH = """
            {"type": "urn:visionserve:problem:modality-mismatch", "title": "Modalities do not match", "status": 422,
             "detail": "modality opp (opposed-phase) has shape 36x256x240 but fat has 36x256x256; the four volumes must share one grid",
             "instance": "/v1/models/ivd_net/segment", "code": "modality-mismatch", "part": "opp"}""";

    static final String SEGMENT_NOT_ACCEPTABLE = """
            {"type": "urn:visionserve:problem:not-acceptable", "title": "Not Acceptable", "status": 406,
             "detail": "Acceptable representations: [application/json, application/gzip, application/octet-stream, image/png].",
             "instance": "/v1/models/ivd_net/segment", "code": "not-acceptable"}""";

    static final String SEGMENT_UNSUPPORTED = """
            {"type": "urn:visionserve:problem:unsupported-media-type", "title": "Unsupported media type", "status": 415,
             "detail": "content type application/json is not accepted here; send multipart/form-data with the parts fat, inn, opp and wat",
             "instance": "/v1/models/ivd_net/segment", "code": "unsupported-media-type"}""";

    static final String SEGMENT_BUSY = """
            {"type": "urn:visionserve:problem:overloaded", "title": "At capacity", "status": 503,
             "detail": "'pipeline/volumes' is at capacity (1 in progress, 2 waiting; visionserve.segmentation.max-concurrent / .queue-capacity); retry in 96 s",
             "instance": "/v1/models/ivd_net/segment", "code": "overloaded", "concurrency": 1, "queueCapacity": 2,
             "retryAfterSeconds": 96}""";

    static final String WRONG_TASK_SEGMENT = """
            {"type": "urn:visionserve:problem:wrong-task", "title": "Wrong task for the model", "status": 409,
             "detail": "model 'inception_next_tiny' is a classification model; it cannot serve segmentation",
             "instance": "/v1/models/inception_next_tiny/segment", "code": "wrong-task"}""";
}
