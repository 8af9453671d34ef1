package org.visionserve.service.security;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Set;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.visionserve.service.metrics.ServiceMetrics;

/**
 * The HTTP rules over gRPC, with the same {@link Authenticator} and rate limits: with authentication on,
 * every call but the probes ({@code ServerLive}, {@code ServerReady}) needs {@code authorization: Bearer
 * KEY} metadata with the role {@code infer}, Triton's repository RPCs ({@code RepositoryIndex},
 * {@code RepositoryModelLoad}, {@code RepositoryModelUnload}) the role {@code admin}; else {@code UNAUTHENTICATED} (no or a bad credential),
 * {@code PERMISSION_DENIED} (no role) or {@code RESOURCE_EXHAUSTED} (rate limit). The caller is in
 * {@link #CALLER} for the call's handlers. Outermost of the server's interceptors.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class GrpcAuthentication implements ServerInterceptor {

    /** The authenticated caller of the current call (absent with authentication off). */
    public static final Context.Key<Caller> CALLER = Context.key("visionserve-caller");

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Set<String> PROBES = Set.of("ServerLive", "ServerReady");
    /** The methods that need the admin role, as {@code /v2/repository/**} does over HTTP: model control. */
    private static final Set<String> ADMIN_METHODS = Set.of("inference.GRPCInferenceService/RepositoryIndex",
            "inference.GRPCInferenceService/RepositoryModelLoad", "inference.GRPCInferenceService/RepositoryModelUnload");

    private final Authenticator authenticator;
    private final RateLimiter rateLimiter;
    private final ServiceMetrics metrics;

    public GrpcAuthentication(Authenticator authenticator, RateLimiter rateLimiter, ServiceMetrics metrics) {
        this.authenticator = authenticator;
        this.rateLimiter = rateLimiter;
        this.metrics = metrics;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        if (!authenticator.enabled() || PROBES.contains(call.getMethodDescriptor().getBareMethodName())) {
            return next.startCall(call, headers);
        }
        Authenticator.Result r = authenticator.authenticate(headers.get(AUTHORIZATION));
        if (!r.ok()) {
            return refuse(call, Status.UNAUTHENTICATED.withDescription(r.message() + " (reason " + r.failure().tag + ")"));
        }
        String role = ADMIN_METHODS.contains(call.getMethodDescriptor().getFullMethodName()) ? Caller.ADMIN : Caller.INFER;
        if (!r.caller().hasRole(role)) {
            return refuse(call, Status.PERMISSION_DENIED.withDescription("caller '" + r.caller().name()
                    + "' lacks the role this method needs (" + role + ")"));
        }
        RateLimiter.Decision d = rateLimiter.acquire(r.caller());
        if (d != null && !d.allowed()) {
            metrics.countRateLimited(d.policy().name());
            return refuse(call, Status.RESOURCE_EXHAUSTED.withDescription(new RateLimitedException(d).getMessage()));
        }
        return Contexts.interceptCall(Context.current().withValue(CALLER, r.caller()), call, headers, next);
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
        call.close(status, new Metadata());
        return new ServerCall.Listener<>() {
        };
    }
}
