package org.visionserve.service.action;

/** How the flow stream's optical flow is computed. */
public enum FlowMethod {
    /**
     * OpenCV's Dual TV-L1 (Zach et al. 2007; Sanchez et al. 2013), the reference's method and the one
     * the flow ResNet was trained on; ~0.3 s per 320x240 frame pair on one core.
     */
    TVL1,
    /**
     * OpenCV's Farneback (2003) polynomial-expansion flow: ~10-20x faster, smoother and less sharp at
     * motion boundaries; the flow stream was not trained on it, so predictions shift.
     */
    FARNEBACK
}
