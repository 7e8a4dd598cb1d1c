#!/usr/bin/env bash
# Runs deploy/tools/helm-render (the chart's templates through Go text/template + sprig v3, with
# Helm's own functions; see main.go) for machines without helm. Arguments go to the renderer:
#   deploy/tools/helm-render.sh [-f values.yaml]... deploy/helm/signing-proxy
# Needs Go and Debian's Go sources of sprig and sigs.k8s.io/yaml:
#   apt-get install golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev
# The binary is built once per main.go version under ${XDG_CACHE_HOME:-~/.cache}.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gopath=/usr/share/gocode
if ! command -v go >/dev/null || [ ! -d "$gopath/src/github.com/Masterminds/sprig" ] ||
  [ ! -d "$gopath/src/sigs.k8s.io/yaml" ]; then
  echo "helm-render: needs Go and Debian's sprig and sigs.k8s.io/yaml sources:" >&2
  echo "  apt-get install golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev" >&2
  exit 3
fi
version=$(cat "$here/helm-render/main.go" "$here/helm-render/go.mod" | sha256sum | cut -c1-16)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/signing-proxy-helm-render
bin="$cache/helm-render-$version"
if [ ! -x "$bin" ]; then
  mkdir -p "$cache"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  # GOPATH mode against Debian's packaged sources (no module download): the package must sit in a
  # GOPATH so that its sprig/v3 import resolves to the packaged sprig.
  pkg="$work/src/signing-proxy.example/helm-render"
  mkdir -p "$pkg"
  cp "$here/helm-render/main.go" "$here/helm-render/go.mod" "$pkg/"
  (cd "$pkg" && GO111MODULE=off GOFLAGS= GOPATH="$work:$gopath" go build -o "$bin.tmp" .)
  mv "$bin.tmp" "$bin"
fi
exec "$bin" "$@"
