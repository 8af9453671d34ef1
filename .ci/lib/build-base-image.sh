#!/usr/bin/env bash
# Build a local Java 17 runtime base image WITHOUT any container registry.
#
#   bash build-base-image.sh [TAG]            # default TAG: local/jre17:bookworm
#
# Environment knobs (all optional):
#   METHOD=debootstrap  (default) debootstrap --variant=minbase <suite> from the Debian mirror that
#                       apt on this machine is configured with (read from /etc/apt at run time),
#                       plus openjdk-17-jre-headless and ca-certificates. A real Debian userland:
#                       sh, useradd/groupadd, apt, dpkg, so a Dockerfile may RUN things in it.
#   METHOD=hostfs       copies the host's own JRE (/usr/lib/jvm/java-17-openjdk-amd64, its /etc
#                       config and the shared libraries ldd finds) + busybox. Faster, smaller, no
#                       mirror needed, but no package manager and no useradd.
#   SUITE=bookworm      Debian suite for debootstrap.
#   EXTRA_PACKAGES=     extra Debian packages for debootstrap, comma separated (e.g. curl).
#   FORCE=1             rebuild even when TAG already exists.
#
# Idempotent: exits 0 at once when TAG already exists (unless FORCE=1).
# Needs root and a running docker engine (see start-docker.sh).
set -euo pipefail

TAG="${1:-local/jre17:bookworm}"
METHOD="${METHOD:-debootstrap}"
SUITE="${SUITE:-bookworm}"
EXTRA_PACKAGES="${EXTRA_PACKAGES:-}"
JVM_DIR=/usr/lib/jvm/java-17-openjdk-amd64

log() { echo "[build-base-image] $*"; }

if [ "${FORCE:-0}" != 1 ] && docker image inspect "$TAG" >/dev/null 2>&1; then
  log "image $TAG already exists: $(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}') (FORCE=1 rebuilds)"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then log "must run as root"; exit 1; fi
docker info >/dev/null 2>&1 || { log "docker engine does not answer (run start-docker.sh first)"; exit 1; }

START=$(date +%s)
WORK=$(mktemp -d /tmp/base-image.XXXXXX)
cleanup() {
  # debootstrap may leave /proc etc. mounted inside the target if it failed half way
  for m in proc sys dev/pts dev; do umount -l "$WORK/rootfs/$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
ROOT="$WORK/rootfs"
mkdir -p "$ROOT"

# --- Debian mirror from apt's own configuration (deb822 *.sources and one-line *.list) -------
debian_mirror() {
  local f
  # deb822: paragraph with URIs: and Suites: containing the plain suite name
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$SUITE" '
      BEGIN { RS=""; FS="\n" }
      {
        uris=""; suites=""; enabled="yes"
        for (i = 1; i <= NF; i++) {
          line = $i
          if (line ~ /^[Uu][Rr][Ii][Ss]:/)        { sub(/^[^:]*:[ \t]*/, "", line); uris = line }
          else if (line ~ /^[Ss]uites:/)          { sub(/^[^:]*:[ \t]*/, "", line); suites = line }
          else if (line ~ /^[Ee]nabled:[ \t]*no/) { enabled = "no" }
        }
        if (enabled == "no") next
        n = split(suites, s, /[ \t]+/)
        for (j = 1; j <= n; j++) if (s[j] == suite) { split(uris, u, /[ \t]+/); print u[1]; exit }
      }' "$f"
  done
  # one-line format
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v suite="$SUITE" '
      $1 == "deb" {
        i = 2
        if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
        if ($(i+1) == suite) { print $i; exit }
      }' "$f"
  done
}

build_debootstrap() {
  command -v debootstrap >/dev/null 2>&1 || { log "installing debootstrap"; apt-get install -y -q debootstrap >/dev/null 2>&1 || { apt-get update -q >/dev/null; apt-get install -y -q debootstrap >/dev/null 2>&1; }; }
  local mirror
  mirror="$(debian_mirror | sed -n 1p)"
  [ -n "$mirror" ] || { log "no Debian mirror for suite $SUITE found in /etc/apt"; exit 1; }
  log "debootstrap --variant=minbase $SUITE from the configured apt mirror"
  local include="openjdk-17-jre-headless,ca-certificates${EXTRA_PACKAGES:+,$EXTRA_PACKAGES}"
  debootstrap --variant=minbase --include="$include" "$SUITE" "$ROOT" "$mirror" > "$WORK/debootstrap.log" 2>&1 || {
    tail -n 30 "$WORK/debootstrap.log"; [ -f "$ROOT/debootstrap/debootstrap.log" ] && tail -n 30 "$ROOT/debootstrap/debootstrap.log"; exit 1; }
  # slim it down: caches, lists, docs, man pages, locales
  rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/lib/apt/lists/* \
         "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* "$ROOT"/var/log/*.log \
         "$ROOT"/var/cache/debconf/*-old "$ROOT"/debootstrap
  find "$ROOT"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} + 2>/dev/null || true
  # the image's apt points at the same mirror, so `RUN apt-get update && apt-get install ...` works in a build
  echo "deb $mirror $SUITE main" > "$ROOT/etc/apt/sources.list"
  : > "$ROOT/etc/resolv.conf"
}

build_hostfs() {
  [ -x "$JVM_DIR/bin/java" ] || { log "$JVM_DIR not found on the host"; exit 1; }
  local bb
  bb="$(command -v busybox || true)"
  [ -n "$bb" ] || { apt-get install -y -q busybox-static >/dev/null; bb="$(command -v busybox)"; }
  log "copying the host JRE ($JVM_DIR) and the libraries it links to"
  # Debian's merged-/usr layout: /bin, /lib, /lib64, /sbin are links into /usr
  mkdir -p "$ROOT"/{usr/bin,usr/sbin,usr/lib/jvm,usr/lib64,etc,tmp,var/tmp,proc,sys,dev,root}
  for d in bin lib lib64 sbin; do ln -s "usr/$d" "$ROOT/$d"; done
  chmod 1777 "$ROOT/tmp" "$ROOT/var/tmp"
  # The JDK dir holds symlinks into /etc/java-17-openjdk (conf, jvm.cfg) and /etc/ssl/certs/java
  # (cacerts): copy those trees as well. Leave out what only a JDK needs (jmods, headers, ct.sym).
  cp -a "$JVM_DIR" "$ROOT/usr/lib/jvm/"
  rm -rf "$ROOT$JVM_DIR"/{jmods,include,demo,man,legal,lib/src.zip,lib/ct.sym} 2>/dev/null || true
  for d in /etc/java-17-openjdk /etc/ssl /usr/share/ca-certificates; do
    [ -e "$d" ] && { mkdir -p "$ROOT$(dirname "$d")"; cp -a "$d" "$ROOT$(dirname "$d")/"; }
  done
  # every shared library that java and the JRE's own .so files need (ldd resolves them transitively)
  { ldd "$JVM_DIR/bin/java"; find "$JVM_DIR" -name '*.so' -exec ldd {} \; ; } 2>/dev/null \
    | awk '/=> \//{print $3} /^[ \t]*\/[^ ]*ld-linux/{print $1}' | sort -u > "$WORK/libs.txt"
  while read -r lib; do
    [ -e "$lib" ] || continue
    mkdir -p "$ROOT$(dirname "$lib")"
    cp -L "$lib" "$ROOT$lib"
  done < "$WORK/libs.txt"
  cp "$bb" "$ROOT/usr/bin/busybox"
  for a in sh ls cat echo mkdir rm cp mv env id ps wget sleep grep sed tr head tail chmod chown ln; do
    ln -s busybox "$ROOT/usr/bin/$a"
  done
  ln -s "$JVM_DIR/bin/java" "$ROOT/usr/bin/java"
  grep -E '^(root|nobody):' /etc/passwd > "$ROOT/etc/passwd"
  grep -E '^(root|nogroup):' /etc/group > "$ROOT/etc/group"
  printf 'hosts: files dns\n' > "$ROOT/etc/nsswitch.conf"
  : > "$ROOT/etc/resolv.conf"
  cp /etc/os-release "$ROOT/etc/os-release"
}

case "$METHOD" in
  debootstrap) build_debootstrap ;;
  hostfs)      build_hostfs ;;
  *) log "unknown METHOD=$METHOD (debootstrap|hostfs)"; exit 1 ;;
esac

log "docker import -> $TAG"
tar --numeric-owner -C "$ROOT" -c . | docker import \
  --change "ENV JAVA_HOME=$JVM_DIR" \
  --change "ENV PATH=$JVM_DIR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["java","-version"]' \
  - "$TAG" >/dev/null

CHECK="$(docker run --rm --network host "$TAG" java -version 2>&1)" || { echo "$CHECK"; log "java -version failed in $TAG"; exit 1; }
log "check: $(echo "$CHECK" | sed -n 1p)"
END=$(date +%s)
log "built $TAG by $METHOD in $((END - START)) s, size $(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}')"
