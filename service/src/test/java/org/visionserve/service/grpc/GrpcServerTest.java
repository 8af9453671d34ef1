package org.visionserve.service.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.annotation.Order;
import org.visionserve.service.config.GrpcProperties;
import org.visionserve.service.grpc.v2.GRPCInferenceServiceGrpc;
import org.visionserve.service.grpc.v2.ServerLiveRequest;
import org.visionserve.service.grpc.v2.ServerLiveResponse;

/**
 * The gRPC server's Spring wiring on its own (the protocol is GrpcInferenceApiTest's): it serves the
 * {@code BindableService} beans through every {@code ServerInterceptor} bean, lowest order outermost
 * (where an authentication interceptor goes), starts and stops with the context, and is absent when
 * {@code visionserve.grpc.enabled=false}.
 */
class GrpcServerTest {

    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final ApplicationContextRunner context = new ApplicationContextRunner()
            .withUserConfiguration(Setup.class)
            .withPropertyValues("visionserve.grpc.port=0");

    @Test
    void interceptorBeansWrapEveryCallLowestOrderFirst() {
        context.run(ctx -> {
            GrpcServer server = ctx.getBean(GrpcServer.class);
            assertThat(server.isRunning()).isTrue();
            List<String> seen = ctx.getBean(Setup.class).seen;
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            try {
                var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
                assertThatThrownBy(() -> stub.serverLive(ServerLiveRequest.getDefaultInstance()))
                        .isInstanceOfSatisfying(StatusRuntimeException.class,
                                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
                assertThat(seen).containsExactly("outer", "auth");

                seen.clear();
                Metadata headers = new Metadata();
                headers.put(AUTHORIZATION, "Bearer test");
                assertThat(stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                        .serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
                assertThat(seen).containsExactly("outer", "auth", "service");
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        });
    }

    @Test
    void stopsWithTheContext() {
        GrpcServer[] server = new GrpcServer[1];
        context.run(ctx -> server[0] = ctx.getBean(GrpcServer.class));
        assertThat(server[0].isRunning()).isFalse();
        assertThat(server[0].port()).isEqualTo(-1);
    }

    @Test
    void offWhenDisabled() {
        context.withPropertyValues("visionserve.grpc.enabled=false")
                .run(ctx -> assertThat(ctx).doesNotHaveBean(GrpcServer.class));
    }

    @Configuration
    @EnableConfigurationProperties(GrpcProperties.class)
    @Import(GrpcServer.class)
    static class Setup {

        final List<String> seen = new CopyOnWriteArrayList<>();

        /** A service answering ServerLive only: what is tested here is the server around it. */
        @Bean
        GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase service() {
            return new GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase() {
                @Override
                public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
                    seen.add("service");
                    out.onNext(ServerLiveResponse.newBuilder().setLive(true).build());
                    out.onCompleted();
                }
            };
        }

        /** Stands where an authentication interceptor would: it refuses calls without credentials. */
        @Bean
        @Order(2)
        ServerInterceptor auth() {
            return new ServerInterceptor() {
                @Override
                public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                                   ServerCallHandler<Q, R> next) {
                    seen.add("auth");
                    if (headers.get(AUTHORIZATION) == null) {
                        call.close(Status.UNAUTHENTICATED.withDescription("no credentials"), new Metadata());
                        return new ServerCall.Listener<>() { };
                    }
                    return next.startCall(call, headers);
                }
            };
        }

        @Bean
        @Order(1)
        ServerInterceptor outer() {
            return new ServerInterceptor() {
                @Override
                public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                                   ServerCallHandler<Q, R> next) {
                    seen.add("outer");
                    return next.startCall(call, headers);
                }
            };
        }
    }
}
