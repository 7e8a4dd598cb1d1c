#!/usr/bin/env bash
# Renders the chart with default and production values into deploy/examples/ (or --out DIR).
# test/deploy/helm-render.test.ts fails when the committed examples differ from a fresh render.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deploy=$(dirname "$here")
out="$deploy/examples"
if [ "${1:-}" = "--out" ]; then out=$2; fi
mkdir -p "$out"
chart="$deploy/helm/signing-proxy"
header="# Rendered by deploy/tools/render-examples.sh from deploy/helm/signing-proxy; do not edit."
{
  echo "$header"
  echo "# Values: values.yaml (defaults). Release signing-proxy, namespace memory-layer."
  "$here/helm-render.sh" --name signing-proxy --namespace memory-layer "$chart"
} >"$out/default.yaml"
{
  echo "$header"
  echo "# Values: values.yaml + values-production.yaml. Release signing-proxy, namespace memory-layer."
  "$here/helm-render.sh" --name signing-proxy --namespace memory-layer -f "$chart/values-production.yaml" "$chart"
} >"$out/production.yaml"
echo "rendered $out/default.yaml and $out/production.yaml"
