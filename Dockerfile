# visionserve image: the Spring Boot service on ONNX Runtime (CUDA when a GPU is present, else CPU).
#
#   docker build -t visionserve .                       # jars built here by ./mvnw (needs Maven Central)
#   docker build --target image-host -t visionserve .   # jars built beforehand on the host:
#                                                       #   ./mvnw -B -DskipTests package -pl service -am
# Build arguments:
#   BASE_IMAGE     runtime base: a CUDA 12 + cuDNN 9 runtime (what onnxruntime_gpu 1.24 needs); a JRE 17
#                  is installed into it when it has none. CI passes local/jre17:bookworm (CPU only).
#   BUILD_IMAGE    the JDK the Maven stage builds with (default target only).
#   ORT_CUDA       true (default): keep ORT's CUDA/TensorRT providers (330 MB); false: CPU-only image.
#   APPCDS         true (default): a class-data-sharing archive made at build time (+50 MB, ~1/3
#                  faster Spring start-up); false: none.
#   EXPORT_MODELS  model ids exported into /models at build time (seeded demo weights), e.g.
#                  "inception_next_atto inception_next_tiny". Empty (default): mount a models volume.
# The legacy builder (no BuildKit) builds every stage before its target, so the default target needs
# BuildKit or the host jars; `--target image-host` never touches the Maven stage. See docs/DEPLOYMENT.md.
ARG BASE_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04
ARG BUILD_IMAGE=eclipse-temurin:17-jdk

# ---- runtime: JRE, user, writable folders, start and health scripts (no application yet) --------
FROM ${BASE_IMAGE} AS runtime
# libgtk2.0-0: OpenCV's optflow module (TV-L1) links highgui, which needs GTK 2 (bytedeco's build).
RUN if ! command -v java >/dev/null 2>&1; then jre="openjdk-17-jre-headless ca-certificates"; else jre=""; fi \
 && apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      $jre libgtk2.0-0 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && groupadd --gid 10001 visionserve \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin visionserve \
 && mkdir -p /models && chown visionserve:visionserve /models
COPY docker/entrypoint.sh /usr/local/bin/visionserve
COPY docker/healthcheck.sh /usr/local/bin/visionserve-healthcheck
COPY docker/appcds.sh /usr/local/bin/visionserve-appcds
COPY docker/javacpp.sh /usr/local/bin/visionserve-javacpp
# ORT's natives are loaded from /opt/onnxruntime/lib (unpacked at build), never copied to /tmp.
# The heap gets half the container's memory: model weights and ORT's arenas live outside it.
# JavaCV's natives (FFmpeg, OpenCV) are unpacked at build into /app/javacpp and loaded in place.
ENV VISIONSERVE_MODELS_DIR=/models \
    SERVER_PORT=8080 \
    VISIONSERVE_GRPC_PORT=8081 \
    ORT_NATIVE_PATH=/opt/onnxruntime/lib \
    JAVA_OPTS="-XX:MaxRAMPercentage=50 -XX:InitialRAMPercentage=10 -XX:+ExitOnOutOfMemoryError -XX:+UseG1GC"
# 8080: HTTP (/v1 task API, /v2 Open Inference Protocol, actuator); 8081: the protocol over gRPC
EXPOSE 8080 8081
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 CMD ["/usr/local/bin/visionserve-healthcheck"]
ENTRYPOINT ["/usr/local/bin/visionserve"]

# ---- layout: Spring Boot's extracted jar layout plus ORT's linux natives taken out of its jar -----
FROM runtime AS layout-tools
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends unzip zip
COPY docker/layout.sh /usr/local/bin/layout

# ---- jars built on the host (CI, or when Maven runs outside Docker) ------------------------------
FROM layout-tools AS layout-host
COPY service/target/service-0.1.0-SNAPSHOT.jar /tmp/service.jar
ARG ORT_CUDA=true
RUN layout /tmp/service.jar

FROM runtime AS image-host
COPY --from=layout-host /opt/onnxruntime /opt/onnxruntime
COPY --from=layout-host /app /app
RUN visionserve-javacpp
ARG APPCDS=true
RUN [ "$APPCDS" != true ] || visionserve-appcds
USER 10001:10001
ARG EXPORT_MODELS=""
RUN [ -z "$EXPORT_MODELS" ] || java -cp '/app/lib/*' org.visionserve.export.ExportCli \
      --model "$(echo $EXPORT_MODELS | tr ' ' ',')" --out /models

# ---- jars built here by the Maven wrapper; poms first so the dependency layer survives code edits -
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn .mvn
COPY model-export/pom.xml model-export/
COPY service/pom.xml service/
# the root pom's reactor lists the Java client: its pom must be there, though it is not built here
COPY clients/java/pom.xml clients/java/
RUN ./mvnw -B -ntp -q -pl service -am dependency:go-offline
COPY model-export/src model-export/src
COPY service/src service/src
RUN ./mvnw -B -ntp -q -pl service -am -DskipTests package

FROM layout-tools AS layout-build
COPY --from=build /src/service/target/service-0.1.0-SNAPSHOT.jar /tmp/service.jar
ARG ORT_CUDA=true
RUN layout /tmp/service.jar

# ---- default target ----------------------------------------------------------------------------
FROM runtime AS image
COPY --from=layout-build /opt/onnxruntime /opt/onnxruntime
COPY --from=layout-build /app /app
RUN visionserve-javacpp
ARG APPCDS=true
RUN [ "$APPCDS" != true ] || visionserve-appcds
USER 10001:10001
ARG EXPORT_MODELS=""
RUN [ -z "$EXPORT_MODELS" ] || java -cp '/app/lib/*' org.visionserve.export.ExportCli \
      --model "$(echo $EXPORT_MODELS | tr ' ' ',')" --out /models
