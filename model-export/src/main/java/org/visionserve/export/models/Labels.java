package org.visionserve.export.models;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Class-name lists bundled with the exporter ({@code labels/<name>.txt}, one name a line, index order). */
public final class Labels {

    private Labels() {
    }

    public static List<String> load(String name) {
        String resource = "/labels/" + name + ".txt";
        try (InputStream in = Labels.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no label list " + resource);
            }
            return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines()
                    .filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
