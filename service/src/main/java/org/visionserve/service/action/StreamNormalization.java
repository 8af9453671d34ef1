package org.visionserve.service.action;

import org.visionserve.export.models.ModelDef;

/**
 * Per-channel statistics of the two streams in [0, 1] units: RGB (3: R, G, B) and flow (20: y then
 * x for each of the ten fields), from the reference's feature extraction (spec sections 3-4).
 */
public record StreamNormalization(float[] rgbMean, float[] rgbStd, float[] flowMean, float[] flowStd) {

    public static final StreamNormalization UCF101 = new StreamNormalization(
            new float[] {0.39743499656438f, 0.38846055375943f, 0.35173909269078f},
            new float[] {0.24145608138375f, 0.23480329347676f, 0.2306657093885f},
            alternate(0.49308556329956f, 0.42114283484146f), alternate(0.060068045559535f, 0.058203296730741f));

    public static final StreamNormalization HMDB51 = new StreamNormalization(
            new float[] {0.36410178082273f, 0.36032826208483f, 0.31140866484224f},
            new float[] {0.20658244577568f, 0.20174469333003f, 0.19790770088352f},
            alternate(0.34654865925634f, 0.49215155492952f), alternate(0.050646484297722f, 0.073084135799887f));

    public StreamNormalization {
        if (rgbMean.length != 3 || rgbStd.length != 3 || flowMean.length != 20 || flowStd.length != 20) {
            throw new IllegalArgumentException("need 3 RGB and 20 flow statistics");
        }
    }

    /** The statistics the exported stream models declare in their preprocessing. */
    public static StreamNormalization of(ModelDef rgb, ModelDef flow) {
        return new StreamNormalization(rgb.preprocessing().mean(), rgb.preprocessing().std(),
                flow.preprocessing().mean(), flow.preprocessing().std());
    }

    private static float[] alternate(float y, float x) {
        float[] s = new float[20];
        for (int c = 0; c < 20; c += 2) {
            s[c] = y;
            s[c + 1] = x;
        }
        return s;
    }
}
