#!/usr/bin/env sh
# Builds the endpoint server as one CommonJS bundle plus the Linux x64 onnxruntime it loads natively.
# Used by endpoint/Dockerfile and by the tests. Usage: sh endpoint/build.sh [out-dir]
set -eu
out=${1:-.build/endpoint}
rm -rf "$out"
mkdir -p "$out/node_modules/onnxruntime-node/bin/napi-v3/linux"
npx esbuild cli/endpoint.ts --bundle --platform=node --target=node20 --format=cjs --minify --log-level=warning \
  --outfile="$out/endpoint.cjs" --external:onnxruntime-node --alias:sharp=./functions/sharp-stub.cjs \
  --define:import.meta.url=importMetaUrl \
  --banner:js="const importMetaUrl = require('url').pathToFileURL(__filename).href;"
ort=node_modules/onnxruntime-node
cp -r "$ort/package.json" "$ort/dist" "$out/node_modules/onnxruntime-node/"
cp -r "$ort/bin/napi-v3/linux/x64" "$out/node_modules/onnxruntime-node/bin/napi-v3/linux/"
cp -r node_modules/onnxruntime-common "$out/node_modules/"
cp endpoint/serve "$out/serve"
