package org.visionserve.export.weights;

/** Demo weights from {@link SeededInit}: deterministic, untrained, any architecture. */
public final class SeededWeights implements WeightSource {

    private final long seed;

    public SeededWeights(long seed) {
        this.seed = seed;
    }

    @Override
    public Tensor load(String key, long[] shape) {
        return SeededInit.tensor(key, shape, seed);
    }

    @Override
    public Provenance provenance() {
        return Provenance.seeded(seed);
    }
}
