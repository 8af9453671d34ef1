package org.visionserve.export;

import java.io.PrintStream;
import java.util.Locale;
import org.visionserve.export.graph.Graph;

/**
 * The export command's progress: the model, the step, and the values (parameters and buffers) loaded
 * of those the model has. On a terminal one line redrawn in place ({@code \r}, at most ten times a
 * second); otherwise (a log, a pipe) one line per step: each step's start and each tenth of the values
 * loaded.
 */
final class ExportProgress implements Graph.ProgressListener {

    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final boolean terminal;
    private final String model;
    private final long total;
    private String stage = "starting";
    private long values;
    private int tenthsShown = -1;
    private long lastDraw;
    private int drawnWidth;

    /** @param total the values the model loads, -1 when unknown (the count then has no total) */
    ExportProgress(PrintStream out, boolean terminal, String model, long total) {
        this.out = out;
        this.terminal = terminal;
        this.model = model;
        this.total = total;
    }

    @Override
    public void stage(String stage) {
        this.stage = stage;
        if (terminal) {
            draw();
        } else {
            out.println(line());
            tenthsShown = 0;
        }
    }

    @Override
    public void loaded(String key, long n) {
        values += n;
        if (terminal) {
            long now = System.nanoTime();
            if (now - lastDraw >= REDRAW_NANOS || values == total) {
                draw();
            }
        } else if (total > 0) {
            int tenths = (int) Math.min(10, values * 10 / total);
            if (tenths > tenthsShown) {
                tenthsShown = tenths;
                out.println(line());
            }
        }
    }

    /** Ends the redrawn line on a terminal, so what follows starts on a line of its own. */
    void end() {
        if (terminal && drawnWidth > 0) {
            draw();
            out.println();
            drawnWidth = 0;
        }
    }

    String line() {
        StringBuilder b = new StringBuilder(model).append(": ").append(stage);
        if (stage.equals(ModelExporter.STAGE_LOAD)) {
            b.append(String.format(Locale.ROOT, ": %,d", values));
            if (total > 0) {
                b.append(String.format(Locale.ROOT, " / %,d values (%d%%)", total, values * 100 / total));
            } else {
                b.append(" values");
            }
        }
        return b.toString();
    }

    private void draw() {
        String line = line();
        // spaces over what is left of a longer line before
        out.print("\r" + line + " ".repeat(Math.max(0, drawnWidth - line.length())));
        out.flush();
        drawnWidth = line.length();
        lastDraw = System.nanoTime();
    }
}
