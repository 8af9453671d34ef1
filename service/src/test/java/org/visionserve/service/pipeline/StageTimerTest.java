package org.visionserve.service.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One request's stages: accumulated per stage and model, recorded once each at the end. */
class StageTimerTest {

    private record Recorded(String model, String device, Stage stage, long nanos) {
    }

    @Test
    void accumulatesPerStageAndModelAndRecordsEachOnceWithTheTotal() {
        StageTimer timer = new StageTimer("head", "cpu");
        timer.add(Stage.DECODE, 1_000);
        timer.add(Stage.DECODE, 2_000); // a second image, a second read
        timer.add(Stage.QUEUE, 10);
        timer.add("rgb", "cuda", Stage.QUEUE, 20);
        timer.add("rgb", "cuda", Stage.INFERENCE, 300);
        timer.add("rgb", "cuda", Stage.INFERENCE, 400); // a second sub-batch
        timer.add("head", "cpu", Stage.INFERENCE, 5); // the request's model named explicitly: the same stage

        assertThat(timer.nanos(Stage.DECODE)).isEqualTo(3_000);
        assertThat(timer.nanos(Stage.QUEUE)).as("over every model").isEqualTo(30);
        assertThat(timer.nanos(Stage.INFERENCE)).isEqualTo(705);
        assertThat(timer.nanos("rgb", Stage.INFERENCE)).isEqualTo(700);
        assertThat(timer.nanos("head", Stage.INFERENCE)).isEqualTo(5);
        assertThat(timer.nanos("head", Stage.QUEUE)).isEqualTo(10);
        assertThat(timer.nanos(Stage.ENCODE)).as("a stage never added").isZero();

        List<Recorded> recorded = new ArrayList<>();
        timer.finish((model, device, stage, nanos) -> recorded.add(new Recorded(model, device, stage, nanos)));

        assertThat(recorded).hasSize(6);
        assertThat(recorded.subList(0, 5)).containsExactly(
                new Recorded("head", "cpu", Stage.DECODE, 3_000),
                new Recorded("head", "cpu", Stage.QUEUE, 10),
                new Recorded("rgb", "cuda", Stage.QUEUE, 20),
                new Recorded("rgb", "cuda", Stage.INFERENCE, 700),
                new Recorded("head", "cpu", Stage.INFERENCE, 5));
        Recorded total = recorded.get(5);
        assertThat(total.model()).isEqualTo("head");
        assertThat(total.device()).isEqualTo("cpu");
        assertThat(total.stage()).isEqualTo(Stage.TOTAL);
        assertThat(total.nanos()).isNotNegative().isEqualTo(timer.nanos(Stage.TOTAL));
    }

    @Test
    void timesWorkAndLapsIntoTheirStages() throws IOException {
        StageTimer timer = new StageTimer("m", "cpu");
        assertThat(timer.time(Stage.POSTPROCESS, () -> "done")).isEqualTo("done");
        StageTimer.Lap lap = timer.start(Stage.ENCODE);
        long lapNanos = lap.stop();
        assertThat(timer.nanos(Stage.ENCODE)).isEqualTo(lapNanos).isNotNegative();

        // a failed stage adds nothing (a failed request records nothing either) and its exception goes through
        assertThatThrownBy(() -> timer.time(Stage.DECODE, () -> {
            throw new IOException("truncated");
        })).isInstanceOf(IOException.class).hasMessage("truncated");
        List<Stage> recorded = new ArrayList<>();
        timer.finish((model, device, stage, nanos) -> recorded.add(stage));
        assertThat(recorded).containsExactly(Stage.POSTPROCESS, Stage.ENCODE, Stage.TOTAL);
    }

    @Test
    void millisecondsToTheMicrosecond() {
        StageTimer timer = new StageTimer("m", "cpu");
        timer.add(Stage.INFERENCE, 61_812_499);
        timer.add(Stage.QUEUE, 500);
        assertThat(timer.millis(Stage.INFERENCE)).isEqualTo(61.812);
        assertThat(timer.millis(Stage.QUEUE)).isEqualTo(0.001);
        assertThat(timer.millis("m", Stage.INFERENCE)).isEqualTo(61.812);
        assertThat(timer.millis(Stage.DECODE)).isZero();
    }

    @Test
    void theTotalIsTheTimersOwnAndItFinishesOnce() {
        StageTimer timer = new StageTimer("m", "cpu");
        assertThatThrownBy(() -> timer.add(Stage.TOTAL, 1)).isInstanceOf(IllegalArgumentException.class);
        timer.add(Stage.DECODE, -5); // a clock that went backwards counts as nothing
        assertThat(timer.nanos(Stage.DECODE)).isZero();
        timer.finish((model, device, stage, nanos) -> { });
        assertThatThrownBy(() -> timer.finish((model, device, stage, nanos) -> { }))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> timer.add(Stage.DECODE, 1)).isInstanceOf(IllegalStateException.class);

        StageTimer tool = new StageTimer();
        tool.add(Stage.FLOW, 7);
        assertThat(tool.nanos(Stage.FLOW)).isEqualTo(7);
        assertThatThrownBy(() -> tool.finish((model, device, stage, nanos) -> { }))
                .as("a timer without a request's model records nothing").isInstanceOf(IllegalStateException.class);
    }

    @Test
    void stageIdsAreTheLabelValues() {
        assertThat(List.of(Stage.values()).stream().map(Stage::id)).containsExactly("decode", "flow", "preprocess",
                "queue", "inference", "postprocess", "encode", "total");
    }
}
