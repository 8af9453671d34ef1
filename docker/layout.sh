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
# JavaCV's natives (FFmpeg, OpenCV, OpenBLAS, JavaCPP's own; linux-x86_64 jars only) unpacked into
# /app/javacpp, a folder appended to service.jar's Class-Path, and deleted from their jars. JavaCPP
# loads a library found as a plain file on the class path in place; from a jar it would unpack it into
# a writable cache, which in the read-only container is the noexec /tmp tmpfs. docker/javacpp.sh
# checks at build that they all load that way.
mkdir -p /app/javacpp
for j in /app/lib/*-linux-x86_64.jar; do
  unzip -q -o "$j" 'org/bytedeco/*' -d /app/javacpp
  zip -q -d "$j" 'org/bytedeco/*'
done
rm -rf /app/javacpp/org/bytedeco/*/linux-x86_64/include   # C headers
# OpenBLAS' preload names libopenblas.so.0 as libopenblas_nolapack.so.0 (a rename JavaCPP does in its cache)
ln -sf libopenblas.so.0 /app/javacpp/org/bytedeco/openblas/linux-x86_64/libopenblas_nolapack.so.0
mf=$(mktemp -d)
(cd "$mf" && unzip -q /app/service.jar META-INF/MANIFEST.MF)
# a continuation line: its first space is dropped, the second separates the entry from the last jar
awk '{ sub(/\r$/, "") }
     cp && !/^ / { print "  javacpp/"; cp = 0 }
     /^Class-Path: / { cp = 1 }
     { print }' "$mf/META-INF/MANIFEST.MF" > "$mf/m" && mv "$mf/m" "$mf/META-INF/MANIFEST.MF"
grep -q '^  javacpp/$' "$mf/META-INF/MANIFEST.MF" || { echo "layout: no Class-Path in service.jar" >&2; exit 1; }
(cd "$mf" && zip -q /app/service.jar META-INF/MANIFEST.MF)
rm -rf "$mf"
du -sh /app/javacpp
