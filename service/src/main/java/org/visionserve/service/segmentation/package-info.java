/**
 * The volume pipeline of the disc-segmentation endpoint, without the web layer (IVD-Net, spec
 * {@code shared/spec/ivd-net.md}). What the web layer calls, in order:
 *
 * <pre>{@code
 * VolumeLimits limits = new VolumeLimits(maxBytes, maxVoxels);         // visionserve.limits.max-volume-*
 * Volume fat = VolumeInput.read(part.getInputStream(), limits);        // NIfTI-1/2, .nii/.nii.gz, or PNG
 * ...                                                                   // VolumeFormatException -> 400 (TOO_LARGE -> 413)
 * MultiModalVolume exam = MultiModalVolume.of(fat, inn, opp, wat);     // ModalityMismatchException -> 422
 * VolumeSegmenter.Result seg = new VolumeSegmenter(256, 256, batch)    // model's fixed H, W (0 = dynamic)
 *         .segment(exam, (input, shape) -> ortLogits(input, shape));  // [n,4,H,W] -> [n,2,H,W]
 * DiscAnalysis discs = new DiscLocaliser(minDiscVolumeMm3)
 *         .locate(exam.geometry(), seg.mask().mask(), seg.mask().probability());
 * byte[] nii = NiftiWriter.writeMask(exam.geometry(), seg.mask().mask(), gzip);   // 3-D input
 * byte[] png = PngSlices.writeMask(exam.geometry(), seg.mask().mask());           // 2-D (PNG) input
 * PreviewRenderer.Preview preview = PreviewRenderer.midSagittal(exam.get(Modality.WAT), discs);
 * }</pre>
 *
 * {@link org.visionserve.service.segmentation.SegmentationService} does exactly this for
 * {@code POST /v1/models/{id}/segment} (docs/SEGMENTATION.md), with the model's runner as the slice model.
 *
 * <p>Stage timings ({@link org.visionserve.service.pipeline.StageTimer}): decode = the header probes and
 * the reads, preprocess = the batch filling (normalisation) and postprocess = the argmax, both timed by
 * {@link org.visionserve.service.segmentation.VolumeSegmenter}, plus the localisation in postprocess;
 * queue and inference from the model's runner; encode = the writers and the preview.
 */
package org.visionserve.service.segmentation;
