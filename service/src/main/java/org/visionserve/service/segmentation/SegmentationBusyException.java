package org.visionserve.service.segmentation;

/** Every slot of the volume pipeline is taken: refused at once (503) rather than queued with its volumes. */
public class SegmentationBusyException extends RuntimeException {

    private final int limit;

    public SegmentationBusyException(int limit) {
        super("the service is segmenting " + limit + " volume" + (limit == 1 ? "" : "s")
                + " already, its limit (" + SegmentationService.MAX_CONCURRENT_KEY + "); retry later");
        this.limit = limit;
    }

    public int limit() {
        return limit;
    }
}
