package org.visionserve.service.web;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.Paths;
import io.swagger.v3.oas.models.info.Contact;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.tags.Tag;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.info.BuildProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI description's document-level parts (info, tags) and the errors every operation can give.
 * The document is committed as docs/openapi.json and the client SDKs are generated from it, so it must
 * not change between runs: paths and schemas are sorted by name (springdoc lists them in discovery order).
 */
@Configuration(proxyBeanMethods = false)
public class OpenApiConfig {

    static final String TAG_MODELS = "models";
    static final String TAG_CLASSIFICATION = "classification";
    static final String TAG_ACTION = "action-recognition";
    static final String TAG_SEGMENTATION = "segmentation";
    static final String TAG_OPERATIONS = "operations";
    static final String PROBLEM_REF = "#/components/schemas/Problem";
    static final String BEARER = "bearerAuth";

    private static final String DESCRIPTION = """
            Inference on ONNX Runtime for three vision tasks: image classification (top-k ImageNet classes), \
            action recognition on video clips (UCF101 classes, two-stream ResNet-101 features and a TS-LSTM or \
            Temporal-Inception head) and intervertebral-disc segmentation of Dixon MRI examinations (IVD-Net).

            Every response names the weights its model serves: `seeded` demo weights are deterministic and \
            untrained (their predictions are meaningless), `checkpoint` weights are real. Every error is an \
            RFC 9457 problem (`application/problem+json`, schema `Problem`) with a `code` per kind of problem.

            With authentication on (an API keys file or a JWT issuer configured; the Docker image and the Helm \
            chart turn it on) every operation needs `Authorization: Bearer <API key or JWT>` with the role \
            `infer` (`admin` includes it); without it the service is open and the header is ignored.""";

    @Bean
    OpenAPI visionServeOpenApi(ObjectProvider<BuildProperties> build) {
        BuildProperties b = build.getIfAvailable();
        return new OpenAPI()
                .info(new Info()
                        .title("visionserve")
                        // the project version, from META-INF/build-info.properties (spring-boot-maven-plugin)
                        .version(b != null ? b.getVersion() : "unknown")
                        .description(DESCRIPTION)
                        .license(new License().name("Apache-2.0").url("https://www.apache.org/licenses/LICENSE-2.0"))
                        .contact(new Contact().name("visionserve").url("https://github.com/visionserve/visionserve")))
                .components(new Components().addSecuritySchemes(BEARER, new SecurityScheme()
                        .type(SecurityScheme.Type.HTTP).scheme("bearer")
                        .description("An API key (visionserve.security.api-keys-file) or a JWT from the configured issuer")))
                .addSecurityItem(new SecurityRequirement().addList(BEARER))
                .tags(List.of(
                        new Tag().name(TAG_MODELS).description("The models served: their status, inputs, labels and weights"),
                        new Tag().name(TAG_CLASSIFICATION).description("Image classification (top-k ImageNet classes)"),
                        new Tag().name(TAG_ACTION).description("Action recognition on a video clip or a list of frames "
                                + "(top-k UCF101 classes)"),
                        new Tag().name(TAG_SEGMENTATION).description("Intervertebral disc segmentation of Dixon MRI "
                                + "volumes (IVD-Net)"),
                        new Tag().name(TAG_OPERATIONS).description("Asynchronous operations (Prefer: respond-async on "
                                + "recognize and segment): progress, cancel, result, events")));
    }

    /**
     * Sorts paths, schemas and each operation's responses, and adds the 406 and 500 problems to each operation
     * that does not list them. An inference operation mapped on both its unversioned path and
     * {@code .../versions/{version}/...} is named {@code <operation>Version} on the latter (springdoc would
     * number it {@code <operation>_1}).
     */
    private static final String VERSIONED = "/versions/{version}/";

    @Bean
    OpenApiCustomizer stableDocumentWithCommonErrors() {
        return openApi -> {
            Paths sorted = new Paths();
            new TreeMap<>(openApi.getPaths()).forEach((path, item) -> {
                for (Operation op : item.readOperations()) {
                    if (path.contains(VERSIONED) && op.getOperationId() != null) {
                        op.setOperationId(op.getOperationId().replaceAll("_\\d+$", "") + "Version");
                        op.setSummary(op.getSummary() + " (a given version of the model)");
                    }
                    String instance = instance(path, op);
                    op.getResponses().putIfAbsent("406", problem("the Accept header names nothing this operation "
                            + "produces", 406, "not-acceptable", "Not Acceptable",
                            "Acceptable representations: [application/json].", instance));
                    op.getResponses().putIfAbsent("401", problem("no valid credential (with authentication on): "
                            + "WWW-Authenticate names the scheme, `reason` the failure", 401, "unauthenticated",
                            "Unauthenticated", "this endpoint needs an API key: send it as 'Authorization: Bearer "
                                    + "<credential>'", instance));
                    op.getResponses().putIfAbsent("403", problem("the caller lacks the role the operation needs",
                            403, "forbidden", "Forbidden", "caller 'key-1a2b3c4d' lacks the role this endpoint "
                                    + "needs (infer)", instance));
                    op.getResponses().putIfAbsent("429", problem("the caller's rate limit is used up: Retry-After, "
                            + "RateLimit and RateLimit-Policy say when to retry", 429, "rate-limited",
                            "Rate limit exceeded", "the rate limit of 100 requests per 60 s (policy 'infer') is "
                                    + "used up; retry in 1 s", instance));
                    op.getResponses().putIfAbsent("500", problem("an unexpected failure on the server (the log has "
                            + "the details)", 500, "internal-error", "Internal error",
                            "the request failed on the server; the log has the details", instance));
                    ApiResponses byCode = new ApiResponses();
                    new TreeMap<>(op.getResponses()).forEach(byCode::addApiResponse);
                    op.setResponses(byCode);
                }
                sorted.addPathItem(path, item);
            });
            openApi.setPaths(sorted);
            if (openApi.getComponents() != null && openApi.getComponents().getSchemas() != null) {
                openApi.getComponents().setSchemas(new LinkedHashMap<>(new TreeMap<>(openApi.getComponents().getSchemas())));
            }
        };
    }

    /** The path with each path parameter replaced by its example, as a request would have it. */
    private static String instance(String path, Operation op) {
        String p = path;
        for (Parameter param : op.getParameters() == null ? List.<Parameter>of() : op.getParameters()) {
            if ("path".equals(param.getIn()) && param.getExample() != null) {
                p = p.replace("{" + param.getName() + "}", param.getExample().toString());
            }
        }
        return p;
    }

    private static ApiResponse problem(String description, int status, String code, String title, String detail,
                                       String instance) {
        Map<String, Object> example = new LinkedHashMap<>();
        example.put("type", "urn:visionserve:problem:" + code);
        example.put("title", title);
        example.put("status", status);
        example.put("detail", detail);
        example.put("instance", instance);
        example.put("code", code);
        return new ApiResponse().description(description).content(new Content().addMediaType(
                org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                new MediaType().schema(new Schema<>().$ref(PROBLEM_REF)).example(example)));
    }
}
