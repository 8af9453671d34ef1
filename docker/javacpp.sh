#!/bin/sh
# Build-time check of the clip endpoint's natives (docker/layout.sh put them in /app/javacpp on the
# class path): loads FFmpeg and OpenCV once as the service does, which also creates the version-less
# links JavaCPP wants beside them, and fails if any library had to be unpacked into JavaCPP's cache
# (at run time that would be the noexec /tmp tmpfs) or a shared library is missing from the image.
set -eu
cache=/tmp/javacpp-check
java -Djava.io.tmpdir=/tmp -Dorg.bytedeco.javacpp.cachedir=$cache \
  -cp /app/service.jar org.visionserve.service.action.ClipNatives
unpacked=$(find $cache -type f -name '*.so*' 2>/dev/null || true)
[ -z "$unpacked" ] || { echo "javacpp: libraries unpacked into the cache instead of loaded in place: $unpacked" >&2; exit 1; }
rm -rf /tmp/* /tmp/.[!.]* 2>/dev/null || true
