package org.visionserve.service.grpc;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.visionserve.service.config.GrpcProperties;

/**
 * The gRPC server ({@code visionserve.grpc.*}): grpc-java on Netty, on its own port, serving every
 * {@link BindableService} bean (the Open Inference Protocol's {@link InferenceGrpcService}). Every
 * {@link ServerInterceptor} bean wraps every call, the lowest {@code @Order} outermost: authentication
 * is one more such bean, with nothing to change here.
 *
 * <p>Started with the web server, once the model repository is (so a call never finds it missing),
 * and stopped before the repository: new calls are refused at once, calls in progress get
 * {@code shutdown-grace-period} to finish on open sessions, the rest are cancelled (their
 * {@code RequestScope}s stop their work).
 */
@Component
@ConditionalOnProperty(name = "visionserve.grpc.enabled", havingValue = "true", matchIfMissing = true)
public class GrpcServer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(GrpcServer.class);

    private final GrpcProperties props;
    private final List<BindableService> services;
    private final List<ServerInterceptor> interceptors;
    private volatile Server server;

    public GrpcServer(GrpcProperties props, ObjectProvider<BindableService> services,
                      ObjectProvider<ServerInterceptor> interceptors) {
        this.props = props;
        this.services = services.orderedStream().toList();
        this.interceptors = interceptors.orderedStream().toList();
    }

    @Override
    public void start() {
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(props.port()))
                .maxInboundMessageSize(Math.toIntExact(Math.min(Integer.MAX_VALUE, props.maxInboundMessageSize().toBytes())));
        // ServerInterceptors.intercept calls the last one first; the first bean in order should see the call first
        List<ServerInterceptor> outermostLast = new ArrayList<>(interceptors);
        Collections.reverse(outermostLast);
        for (BindableService s : services) {
            builder.addService(ServerInterceptors.intercept(s, outermostLast));
        }
        try {
            server = builder.build().start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen for gRPC on port " + props.port()
                    + " (visionserve.grpc.port; visionserve.grpc.enabled=false turns the server off)", e);
        }
        log.info("gRPC (Open Inference Protocol) listening on port {}, {} interceptor(s)", port(), interceptors.size());
    }

    @Override
    public void stop() {
        Server s = server;
        if (s == null) {
            return;
        }
        s.shutdown();
        try {
            if (!s.awaitTermination(props.shutdownGracePeriod().toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("gRPC calls still running after {}: cancelling them", props.shutdownGracePeriod());
                s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            s.shutdownNow();
            Thread.currentThread().interrupt();
        }
        server = null;
    }

    @Override
    public boolean isRunning() {
        return server != null;
    }

    /** After the model repository (which starts first and stops last), with the web server. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 1024;
    }

    /** The port listened on (the one picked when configured as 0); -1 when not running. */
    public int port() {
        Server s = server;
        return s == null ? -1 : s.getPort();
    }
}
