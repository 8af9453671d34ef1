package org.visionserve.service.web;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.catalina.Pipeline;
import org.apache.catalina.Valve;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;
import org.visionserve.service.config.TempDirs;
import org.visionserve.service.config.VisionServeProperties;

/**
 * The embedded Tomcat's files and its own error answers.
 *
 * <ul>
 * <li>Its base directory (work files, the multipart upload spool) and document root go in one folder per
 *     process ({@link TempDirs#serverDir()}), deleted when the context closes; Spring Boot's defaults are
 *     two {@code tomcat.*} / {@code tomcat-docbase.*} folders per start that are never removed.
 *     {@code server.tomcat.basedir}, when set, is left as it is.</li>
 * <li>What Tomcat refuses before any servlet (an encoded {@code /} in the path: 400) is answered by
 *     {@link ProblemReportValve} as problem+json, instead of its HTML page. Runs after Spring Boot's own
 *     customizer, which adds that HTML valve.</li>
 * <li>A request body with no byte for {@code visionserve.limits.upload-read-timeout} fails its read (a
 *     {@code SocketTimeoutException}, answered 408): Tomcat's upload timeout, which otherwise is the
 *     header timeout ({@code server.tomcat.connection-timeout}). The minimum rate is {@link UploadRateFilter}'s.</li>
 * <li>Each request gets {@link ConnectionProbeValve}'s probe, so work for a client that went away stops.</li>
 * </ul>
 */
@Component
public class TomcatSetup implements WebServerFactoryCustomizer<TomcatServletWebServerFactory>, Ordered,
        DisposableBean {

    private final long uploadReadTimeoutMillis;
    private Path dir;

    public TomcatSetup(VisionServeProperties props) {
        this.uploadReadTimeoutMillis = props.limits().uploadReadTimeout().toMillis();
    }

    @Override
    public void customize(TomcatServletWebServerFactory factory) {
        if (factory.getBaseDirectory() == null) {
            try {
                dir = TempDirs.serverDir();
                Path docBase = Files.createDirectory(dir.resolve("docbase"));
                factory.setBaseDirectory(dir.toFile());
                factory.setDocumentRoot(docBase.toFile());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the server's folder in java.io.tmpdir", e);
            }
        }
        factory.addConnectorCustomizers(connector -> {
            connector.setProperty("disableUploadTimeout", "false");
            connector.setProperty("connectionUploadTimeout", Long.toString(uploadReadTimeoutMillis));
        });
        factory.addContextCustomizers(context -> {
            StandardHost host = (StandardHost) context.getParent();
            Pipeline pipeline = host.getPipeline();
            for (Valve v : pipeline.getValves()) {
                if (v instanceof ErrorReportValve) {
                    pipeline.removeValve(v);
                }
            }
            host.setErrorReportValveClass(ProblemReportValve.class.getName());
            pipeline.addValve(new ProblemReportValve());
            context.getPipeline().addValve(new ConnectionProbeValve());
        });
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }

    @Override
    public void destroy() {
        if (dir != null) {
            TempDirs.deleteTree(dir);
        }
    }
}
