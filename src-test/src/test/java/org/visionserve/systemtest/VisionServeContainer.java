package org.visionserve.systemtest;

import com.github.dockerjava.api.command.BuildImageCmd;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * The service image built from the repository's Dockerfile ({@code --target image-host}: the jars built
 * on the host) and run as it is deployed: host network with the port as an environment variable,
 * read-only root filesystem, tmpfs for /tmp and the models folder (the service exports its default
 * model into the empty folder on first start).
 */
final class VisionServeContainer extends GenericContainer<VisionServeContainer> {

    static final Path REPO = Path.of(System.getProperty("repo.root", "..")).toAbsolutePath().normalize();

    final int port;
    /** The Open Inference Protocol's gRPC port (on the host network: never the image's 8081). */
    final int grpcPort;

    VisionServeContainer() {
        this(freePort(), freePort());
    }

    private VisionServeContainer(int port, int grpcPort) {
        super(image());
        this.port = port;
        this.grpcPort = grpcPort;
        withNetworkMode("host");
        withEnv("SERVER_PORT", Integer.toString(port));
        withEnv("VISIONSERVE_GRPC_PORT", Integer.toString(grpcPort));
        // the image's user owns the models tmpfs (a mode= option is not honoured by this engine)
        withTmpFs(Map.of("/tmp", "rw", "/models", "rw,uid=10001,gid=10001"));
        withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withReadonlyRootfs(true));
        waitingFor(new ReadinessWaitStrategy(port).withStartupTimeout(Duration.ofMinutes(7)));
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    private static ImageFromDockerfile image() {
        Path jar = REPO.resolve("service/target/service-0.1.0-SNAPSHOT.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: ./mvnw -DskipTests package -pl service -am");
        }
        // an absolute Dockerfile path: Testcontainers' relative-path handling fails here
        return new StageAwareImage("visionserve-systemtest")
                .withDockerfile(REPO.resolve("Dockerfile"))
                .withTarget("image-host")
                .withBuildArg("BASE_IMAGE", System.getProperty("systemtest.baseImage", "local/jre17:bookworm"))
                .withBuildImageCmdModifier(cmd -> cmd.withNetworkMode("host"));
    }

    /**
     * Testcontainers pre-pulls every {@code FROM} name of the Dockerfile, stage names included
     * ({@code FROM runtime AS ...}); with no registry each such try waits out the pull timeout. Keep
     * only real images (the resolved base) in the pre-pull set.
     */
    private static final class StageAwareImage extends ImageFromDockerfile {

        StageAwareImage(String name) {
            super(name, false);
        }

        @Override
        protected void configure(BuildImageCmd cmd) {
            super.configure(cmd);
            Set<String> stages = new HashSet<>();
            try {
                for (String line : Files.readAllLines(REPO.resolve("Dockerfile"))) {
                    Matcher m = STAGE.matcher(line);
                    if (m.matches()) {
                        stages.add(m.group(1));
                    }
                }
                getDependencyImageNames().removeIf(n -> stages.contains(n) || n.contains("${"));
            } catch (IOException | UnsupportedOperationException e) {
                // pre-pulling then only costs time
            }
        }

        private static final Pattern STAGE = Pattern.compile("(?i)^FROM\\s+\\S+\\s+AS\\s+(\\S+)\\s*$");
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
