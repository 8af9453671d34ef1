package org.visionserve.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.visionserve.service.ErrorsApiTest.assertProblem;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import javax.imageio.ImageIO;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.visionserve.export.ModelExporter;
import org.visionserve.export.models.ModelRegistry;
import org.visionserve.export.weights.SeededWeights;
import org.visionserve.service.grpc.GrpcServer;
import org.visionserve.service.grpc.v2.GRPCInferenceServiceGrpc;
import org.visionserve.service.grpc.v2.ModelMetadataRequest;
import org.visionserve.service.grpc.v2.RepositoryIndexRequest;
import org.visionserve.service.grpc.v2.RepositoryModelLoadRequest;
import org.visionserve.service.grpc.v2.ServerLiveRequest;

/**
 * Authentication on, as the image and chart run it: API keys from a file (a plain key, a {@code sha256:}
 * line, a rate-limited one, one that is rotated), JWTs signed by a key pair made here and checked against
 * the JWK set this test serves over HTTP, and the probes and Prometheus on a separate management port.
 * Its own context (the shared one, ServiceTestBase, runs with authentication off).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "visionserve.models.export-defaults=false",
        "visionserve.runtime.intra-op-threads=1",
        "visionserve.security.api-keys-reload-interval=50ms",
        "visionserve.security.rate-limit.callers.limited.capacity=2",
        "visionserve.security.rate-limit.callers.limited.period=1h",
        "visionserve.security.rate-limit.roles.infer.capacity=1000",
        "visionserve.security.rate-limit.roles.infer.period=1m",
        "management.server.port=0"})
class SecurityApiTest {

    static final String INFER_KEY = "infer-key-0123456789abcdef";
    static final String ADMIN_KEY = "admin-key-0123456789abcdef";
    static final String LIMITED_KEY = "limited-key-0123456789abcdef";
    static final String OTHER_KEY = "other-key-0123456789abcdef";
    static final String ROTATED_OLD = "rotated-old-0123456789abcdef";
    static final String ROTATED_NEW = "rotated-new-0123456789abcdef";
    static final String ISSUER = "https://issuer.visionserve.test";
    static final String CLASSIFY = "/v1/models/" + TestModels.ATTO + "/classify";

    static RSAKey signingKey;
    static HttpServer jwks;
    static Path keysFile;

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @Autowired
    GrpcServer grpc;

    Http http;
    Http management;

    /** Answers with the caller's name as other components read it: the request's principal. */
    @TestConfiguration
    static class WhoAmI {
        @Bean
        WhoAmIController whoAmIController() {
            return new WhoAmIController();
        }
    }

    @RestController
    static class WhoAmIController {
        @GetMapping("/v1/test/whoami")
        String whoami(HttpServletRequest request) {
            return request.getUserPrincipal() == null ? "(none)" : request.getUserPrincipal().getName();
        }
    }

    @DynamicPropertySource
    static void setup(DynamicPropertyRegistry registry) throws Exception {
        Path dir = Files.createTempDirectory("visionserve-security");
        TestModels.exportAtto(dir);
        try (SeededWeights w = new SeededWeights(0)) {
            ModelExporter.export(ModelRegistry.get(TestModels.IVD), w, dir, (k, n) -> { });
        }
        TestModels.deleteOnExit(dir);
        keysFile = dir.resolve("api-keys");
        writeKeys(ROTATED_OLD);
        registry.add("visionserve.models.dir", dir::toString);
        registry.add("visionserve.security.api-keys-file", keysFile::toString);

        signingKey = new RSAKeyGenerator(2048).keyID("test-key").generate();
        byte[] set = new JWKSet(signingKey.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        jwks.createContext("/jwks", ex -> {
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, set.length);
            ex.getResponseBody().write(set);
            ex.close();
        });
        jwks.start();
        registry.add("spring.security.oauth2.resourceserver.jwt.jwk-set-uri",
                () -> "http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks");
        registry.add("spring.security.oauth2.resourceserver.jwt.issuer-uri", () -> ISSUER);
    }

    /** The keys file: a plain infer key, the admin key as its SHA-256 with a name, a limited key, a rotated one. */
    static void writeKeys(String rotated) {
        String text = """
                # test keys
                infer %s
                admin sha256:%s ops-admin
                infer %s limited
                infer %s rotated
                infer %s other
                """.formatted(INFER_KEY, sha256(ADMIN_KEY), LIMITED_KEY, rotated, OTHER_KEY);
        try {
            // write then rename, as a rotation should: the reader never sees half a file
            Path tmp = keysFile.resolveSibling("api-keys.tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, keysFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void stopJwks() {
        jwks.stop(0);
    }

    @BeforeEach
    void awaitReady() throws InterruptedException {
        http = new Http(port);
        management = new Http(managementPort);
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (management.get("/actuator/health/readiness").status() != 200) {
            assertThat(System.nanoTime()).as("readiness within 2 minutes").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @Test
    void withoutACredentialInferenceIs401WithAChallenge() {
        double before = failures("missing");
        Http.Response r = classify();
        assertProblem(r, 401, "unauthenticated");
        assertThat(r.json().get("reason").asString()).isEqualTo("missing");
        assertThat(r.raw().headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"visionserve\"");
        assertThat(failures("missing")).isEqualTo(before + 1);
        assertProblem(http.get("/v1/models"), 401, "unauthenticated");
    }

    @Test
    void inferKeyClassifiesAndIsNamedAsThePrincipal() {
        Http.Response r = classify("Authorization", "Bearer " + INFER_KEY);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("images").get(0).get("predictions").size()).isPositive();
        // a key without a name is known by its fingerprint, never by itself
        String name = http.get("/v1/test/whoami", "Authorization", "Bearer " + INFER_KEY).body();
        assertThat(name).isEqualTo("key-" + sha256(INFER_KEY).substring(0, 8)).doesNotContain(INFER_KEY);
        assertThat(http.get("/v1/test/whoami", "Authorization", "Bearer " + ADMIN_KEY).body()).isEqualTo("ops-admin");
    }

    @Test
    void repositoryApiIsAdminOnly() {
        Http.Response r = http.post("/v2/repository/index", "application/json", "{}".getBytes(),
                "Authorization", "Bearer " + INFER_KEY);
        // under /v2 errors take the protocol's form, {"error": ...} (web/ProblemHandler), with the same status and headers
        assertV2Error(r, 403);
        assertThat(r.json().get("error").asString()).contains("admin");
        Http.Response anonymous = http.post("/v2/repository/index", "application/json", "{}".getBytes());
        assertV2Error(anonymous, 401);
        assertThat(anonymous.raw().headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"visionserve\"");
        // the admin key (a sha256: line) passes authorization: whatever the endpoint answers, not 401/403
        Http.Response admin = http.post("/v2/repository/index", "application/json", "{}".getBytes(),
                "Authorization", "Bearer " + ADMIN_KEY);
        assertThat(admin.status()).as(admin.body()).isNotIn(401, 403);
        // admin includes infer
        assertThat(classify("Authorization", "Bearer " + ADMIN_KEY).status()).isEqualTo(200);
    }

    @Test
    void badCredentialsAre401ByReasonAndCounted() {
        double invalid = failures("invalid-key");
        Http.Response r = classify("Authorization", "Bearer not-a-key-of-ours-at-all");
        assertProblem(r, 401, "unauthenticated");
        assertThat(r.json().get("reason").asString()).isEqualTo("invalid-key");
        assertThat(r.body()).doesNotContain("not-a-key-of-ours-at-all");
        assertThat(failures("invalid-key")).isEqualTo(invalid + 1);

        double malformed = failures("malformed");
        r = classify("Authorization", "Basic dXNlcjpwYXNz");
        assertProblem(r, 401, "unauthenticated");
        assertThat(r.json().get("reason").asString()).isEqualTo("malformed");
        assertThat(failures("malformed")).isEqualTo(malformed + 1);
    }

    @Test
    void probesAndPrometheusAreOpenOnTheManagementPortTheRestIsAdmin() {
        assertThat(management.get("/actuator/health/liveness").status()).isEqualTo(200);
        assertThat(management.get("/actuator/health/readiness").json().get("components").get("models")).isNotNull();
        assertThat(management.get("/actuator/prometheus").body()).contains("visionserve_");
        // health: the status for anyone, its components only for admin
        Http.Response anon = management.get("/actuator/health");
        assertThat(anon.status()).isEqualTo(200);
        assertThat(anon.json().has("components")).isFalse();
        assertThat(management.get("/actuator/health", "Authorization", "Bearer " + INFER_KEY).json()
                .has("components")).isFalse();
        assertThat(management.get("/actuator/health", "Authorization", "Bearer " + ADMIN_KEY).json()
                .get("components").has("diskSpace")).isTrue();
        assertProblem(management.get("/actuator/metrics"), 401, "unauthenticated");
        assertProblem(management.get("/actuator/metrics", "Authorization", "Bearer " + INFER_KEY), 403, "forbidden");
        assertThat(management.get("/actuator/metrics", "Authorization", "Bearer " + ADMIN_KEY).status()).isEqualTo(200);
        // the main port has no actuator endpoint at all
        assertThat(http.get("/actuator/prometheus", "Authorization", "Bearer " + ADMIN_KEY).status()).isEqualTo(404);
        // the OpenAPI description stays open (visionserve.security.api-docs-public)
        assertThat(http.get("/v3/api-docs").status()).isEqualTo(200);
    }

    @Test
    void rotatedKeyFileIsReadAgainWithoutARestart() throws InterruptedException {
        assertThat(modelsWith(ROTATED_OLD)).isEqualTo(200);
        assertThat(modelsWith(ROTATED_NEW)).isEqualTo(401);
        writeKeys(ROTATED_NEW);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (modelsWith(ROTATED_NEW) != 200) {
            assertThat(System.nanoTime()).as("new key accepted within 30 s").isLessThan(deadline);
            Thread.sleep(20);
        }
        assertThat(modelsWith(ROTATED_OLD)).isEqualTo(401);
        assertThat(modelsWith(INFER_KEY)).as("the other keys stay").isEqualTo(200);
    }

    @Test
    void rateLimitIs429WithRetryAfterAndRateLimitHeaders() {
        double before = Metrics.counterOrZero(scrape(), "visionserve_rate_limited_total", "policy", "caller");
        Http.Response first = http.get("/v1/models", "Authorization", "Bearer " + LIMITED_KEY);
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.raw().headers().firstValue("RateLimit-Policy")).hasValue("\"caller\";q=2;w=3600");
        assertThat(first.raw().headers().firstValue("RateLimit").orElseThrow()).startsWith("\"caller\";r=1;t=");
        Http.Response second = http.get("/v1/models", "Authorization", "Bearer " + LIMITED_KEY);
        assertThat(second.raw().headers().firstValue("RateLimit").orElseThrow()).startsWith("\"caller\";r=0;t=");
        Http.Response third = http.get("/v1/models", "Authorization", "Bearer " + LIMITED_KEY);
        assertProblem(third, 429, "rate-limited");
        // one token per 1800 s at 2 per hour
        long retry = Long.parseLong(third.raw().headers().firstValue("Retry-After").orElseThrow());
        assertThat(retry).isBetween(1700L, 1800L);
        assertThat(third.raw().headers().firstValue("RateLimit").orElseThrow()).isEqualTo("\"caller\";r=0;t=" + retry);
        assertThat(third.raw().headers().firstValue("RateLimit-Policy")).hasValue("\"caller\";q=2;w=3600");
        assertThat(Metrics.value(scrape(), "visionserve_rate_limited_total", "policy", "caller")).isEqualTo(before + 1);
        // others have their own buckets (the infer role's policy)
        Http.Response other = http.get("/v1/models", "Authorization", "Bearer " + INFER_KEY);
        assertThat(other.status()).isEqualTo(200);
        assertThat(other.raw().headers().firstValue("RateLimit-Policy")).hasValue("\"infer\";q=1000;w=60");
    }

    @Test
    void validJwtWithInferRoleClassifies() throws Exception {
        String token = jwt(signingKey, ISSUER, "alice", List.of("infer"), Instant.now().plusSeconds(300));
        assertThat(classify("Authorization", "Bearer " + token).status()).isEqualTo(200);
        assertThat(http.get("/v1/test/whoami", "Authorization", "Bearer " + token).body()).isEqualTo("alice");
        assertV2Error(http.post("/v2/repository/index", "application/json", "{}".getBytes(),
                "Authorization", "Bearer " + token), 403);
        String admin = jwt(signingKey, ISSUER, "bob", List.of("admin", "other"), Instant.now().plusSeconds(300));
        assertThat(http.post("/v2/repository/index", "application/json", "{}".getBytes(),
                "Authorization", "Bearer " + admin).status()).isNotIn(401, 403);
    }

    @Test
    void jwtWithoutAKnownRoleIs403() throws Exception {
        String token = jwt(signingKey, ISSUER, "carol", List.of("viewer"), Instant.now().plusSeconds(300));
        assertProblem(classify("Authorization", "Bearer " + token), 403, "forbidden");
    }

    @Test
    void expiredWrongIssuerOrForeignSignatureJwtIs401() throws Exception {
        double expiredBefore = failures("expired-token");
        String expired = jwt(signingKey, ISSUER, "alice", List.of("infer"), Instant.now().minusSeconds(600));
        Http.Response r = classify("Authorization", "Bearer " + expired);
        assertProblem(r, 401, "unauthenticated");
        assertThat(r.json().get("reason").asString()).isEqualTo("expired-token");
        assertThat(r.raw().headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_token\"");
        assertThat(failures("expired-token")).isEqualTo(expiredBefore + 1);

        String wrongIssuer = jwt(signingKey, "https://elsewhere.test", "alice", List.of("infer"),
                Instant.now().plusSeconds(300));
        r = classify("Authorization", "Bearer " + wrongIssuer);
        assertProblem(r, 401, "unauthenticated");
        assertThat(r.json().get("reason").asString()).isEqualTo("invalid-token");

        RSAKey foreign = new RSAKeyGenerator(2048).keyID("test-key").generate();
        r = classify("Authorization", "Bearer " + jwt(foreign, ISSUER, "mallory", List.of("admin"),
                Instant.now().plusSeconds(300)));
        assertProblem(r, 401, "unauthenticated");
        assertThat(r.json().get("reason").asString()).isEqualTo("invalid-token");
    }

    /** The same Authenticator behind the gRPC interceptor: probes open, the rest needs an infer credential. */
    @Test
    void grpcCallsNeedACredentialExceptTheProbes() throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
        try {
            var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
            assertThat(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
            ModelMetadataRequest atto = ModelMetadataRequest.newBuilder().setName(TestModels.ATTO).build();
            assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class,
                    () -> stub.modelMetadata(atto)).getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(stub.withInterceptors(bearer(INFER_KEY)).modelMetadata(atto).getName()).isEqualTo(TestModels.ATTO);
            String noRole = jwt(signingKey, ISSUER, "dave", List.of("viewer"), Instant.now().plusSeconds(300));
            assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class,
                    () -> stub.withInterceptors(bearer(noRole)).modelMetadata(atto)).getStatus().getCode())
                    .isEqualTo(Status.Code.PERMISSION_DENIED);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** Triton's repository RPCs need admin over gRPC too, as /v2/repository/** does; the audit line names the caller. */
    @Test
    void grpcRepositoryRpcsAreAdminOnly() throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
        try (AuditLines audit = new AuditLines()) {
            var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
            RepositoryIndexRequest index = RepositoryIndexRequest.getDefaultInstance();
            RepositoryModelLoadRequest load = RepositoryModelLoadRequest.newBuilder().setModelName(TestModels.ATTO).build();
            StatusRuntimeException denied = org.assertj.core.api.Assertions.catchThrowableOfType(
                    StatusRuntimeException.class, () -> stub.withInterceptors(bearer(INFER_KEY)).repositoryIndex(index));
            assertThat(denied.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(denied.getStatus().getDescription()).contains("admin");
            assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class,
                    () -> stub.withInterceptors(bearer(INFER_KEY)).repositoryModelLoad(load)).getStatus().getCode())
                    .isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class,
                    () -> stub.repositoryIndex(index)).getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(audit.lines()).as("refused before any change").isEmpty();

            var admin = stub.withInterceptors(bearer(ADMIN_KEY));
            assertThat(admin.repositoryIndex(index).getModelsList())
                    .anySatisfy(m -> assertThat(m.getName() + " " + m.getState()).isEqualTo(TestModels.ATTO + " READY"));
            admin.repositoryModelLoad(load); // a reload: a hot swap, the model serves throughout
            assertThat(audit.lines()).anySatisfy(l -> assertThat(l)
                    .startsWith("action=load model=" + TestModels.ATTO + " by=ops-admin outcome=ok"));
            assertThat(classify("Authorization", "Bearer " + INFER_KEY).status()).isEqualTo(200);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static io.grpc.ClientInterceptor bearer(String credential) {
        Metadata m = new Metadata();
        m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + credential);
        return MetadataUtils.newAttachHeadersInterceptor(m);
    }

    private static void assertV2Error(Http.Response r, int status) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.contentType()).startsWith("application/json");
        assertThat(r.json().get("error").asString()).isNotBlank();
    }

    private Http.Response classify(String... headers) {
        return http.post(CLASSIFY, "image/png", Images.gradientPng(64, 48), headers);
    }

    private int modelsWith(String key) {
        return http.get("/v1/models", "Authorization", "Bearer " + key).status();
    }

    private String scrape() {
        return management.get("/actuator/prometheus").body();
    }

    private double failures(String reason) {
        return Metrics.counterOrZero(scrape(), "visionserve_auth_failures_total", "reason", reason);
    }

    static String jwt(RSAKey key, String issuer, String subject, List<String> roles, Instant expiry)
            throws JOSEException {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer).subject(subject)
                .issueTime(Date.from(expiry.minusSeconds(900))).expirationTime(Date.from(expiry))
                .claim("roles", roles).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * With authentication on, an operation belongs to the caller who submitted it: another caller neither
     * lists it nor reads, fetches or cancels it (404, as for an id that does not exist).
     */
    @Test
    void operationsAreVisibleOnlyToTheirCaller() throws Exception {
        OperationsClient ops = new OperationsClient(port);
        String owner = "Bearer " + INFER_KEY;
        String other = "Bearer " + OTHER_KEY;
        String segment = "/v1/models/" + TestModels.IVD + "/segment";
        assertThat(ops.submit(segment, greyExam(), "Authorization", other).statusCode()).isEqualTo(202);
        String id = OperationsClient.accepted(ops.submit(segment, greyExam(), "Authorization", owner));

        assertThat(ids(ops.send("GET", "/v1/operations", null, "Authorization", owner))).contains(id);
        assertThat(ids(ops.send("GET", "/v1/operations", null, "Authorization", other))).isNotEmpty().doesNotContain(id);
        for (String[] call : new String[][] {{"GET", ""}, {"GET", "/result"}, {"GET", "/events"}, {"DELETE", ""}}) {
            HttpResponse<byte[]> r = ops.send(call[0], "/v1/operations/" + id + call[1], null, "Authorization", other);
            assertThat(r.statusCode()).as("%s %s by another caller: %s", call[0], call[1], OperationsClient.text(r))
                    .isEqualTo(404);
        }
        assertThat(ops.send("GET", "/v1/operations/" + id, null).statusCode()).isEqualTo(401);
        HttpResponse<byte[]> mine = ops.send("GET", "/v1/operations/" + id, null, "Authorization", owner);
        assertThat(mine.statusCode()).isEqualTo(200);
        assertThat(OperationsClient.json(mine).get("id").asString()).isEqualTo(id);
    }

    private static List<String> ids(HttpResponse<byte[]> list) {
        assertThat(list.statusCode()).as(OperationsClient.text(list)).isEqualTo(200);
        tools.jackson.databind.JsonNode body = OperationsClient.json(list);
        tools.jackson.databind.JsonNode items = body.isArray() ? body : body.get("operations");
        List<String> ids = new java.util.ArrayList<>();
        items.forEach(o -> ids.add(o.get("id").asString()));
        return ids;
    }

    /** Four one-slice 64x64 grey PNG modalities: the smallest examination the segment endpoint takes. */
    private static List<Http.Part> greyExam() throws IOException {
        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                img.getRaster().setSample(x, y, 0, (x * 7 + y * 3) % 256);
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(img, "png", png);
        List<Http.Part> parts = new java.util.ArrayList<>();
        for (String m : new String[] {"fat", "inn", "opp", "wat"}) {
            parts.add(new Http.Part(m, m + ".png", "image/png", png.toByteArray()));
        }
        return parts;
    }
}
