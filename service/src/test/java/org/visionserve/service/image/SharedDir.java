package org.visionserve.service.image;

import java.nio.file.Files;
import java.nio.file.Path;

/** The shared specs and goldens: system property {@code shared.dir} (set by the parent pom) or ../../shared. */
final class SharedDir {

    private SharedDir() {
    }

    static Path golden(String name) {
        String prop = System.getProperty("shared.dir");
        Path p = prop != null ? Path.of(prop) : Path.of("..", "..", "shared");
        Path dir = p.resolve("golden").resolve(name);
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException(dir.toAbsolutePath() + " not found (set -Dshared.dir=...)");
        }
        return dir;
    }
}
