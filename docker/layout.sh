#!/bin/sh
# Lays out the service jar for the image (runs at build time):
#  - Spring Boot's extracted form (/app/service.jar + /app/lib/*.jar): starts faster than the fat jar
#    and keeps the library layer apart from the application classes;
#  - ONNX Runtime's linux-x64 natives unpacked once into /opt/onnxruntime/lib and deleted from its jar
#    (with the win-x64 ones). With the natives out of the jar, ORT loads them from
#    -Donnxruntime.native.path and never copies its 316 MB CUDA provider to /tmp at start.
set -eu
jar=$1
java -Djarmode=tools -jar "$jar" extract --destination /app
ort=$(ls /app/lib/onnxruntime*.jar)
mkdir -p /opt/onnxruntime/lib
unzip -q -j "$ort" 'ai/onnxruntime/native/linux-x64/*' -d /opt/onnxruntime/lib
zip -q -d "$ort" 'ai/onnxruntime/native/*'
rm -f "$jar"
if [ "${ORT_CUDA:-true}" = false ]; then
  rm -f /opt/onnxruntime/lib/libonnxruntime_providers_cuda.so /opt/onnxruntime/lib/libonnxruntime_providers_tensorrt.so
fi
ls -l /opt/onnxruntime/lib
