#!/usr/bin/env bash
# Holds api/openapi.yaml to the third-party tools a user of the document
# reaches for, as they come (versions pinned in package-lock.json and
# gencheck/go.mod):
#   1. Redocly (`redocly lint`, its recommended rules): no error, no warning;
#   2. Spectral (`spectral:oas`): no error, no warning;
#   3. oapi-codegen v2.8.2 generates types and a client that compile, and that
#      client, driven through a merchant's day against the sandbox
#      (gencheck/main.go), decodes every answer into its generated types;
#   4. Prism's validating proxy (`prism proxy --errors`) in front of the
#      sandbox sees the same day and finds no request or answer that breaks
#      the document.
# Needs Go and Node.js with npm; as root it installs Debian's nodejs and npm
# when they are missing. Run from .ci/run, or by hand: bash .ci/spectools/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
tools=.ci/spectools

if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing nodejs and npm"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "spectools: no npm and not root: install Node.js and npm to run the OpenAPI tool checks"
    exit 1
  fi
fi

work=$(mktemp -d /tmp/tokenim-spectools.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== spectools: npm ci ($(node --version))"
cp "$tools/package.json" "$tools/package-lock.json" "$work/"
(cd "$work" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
bin="$work/node_modules/.bin"

echo "== spectools: redocly lint"
"$bin/redocly" lint --format=stylish api/openapi.yaml 2>&1 | tee "$work/redocly.txt"
if grep -Eq '(error|warning) ' "$work/redocly.txt"; then
  echo "redocly reported problems"; exit 1
fi

echo "== spectools: spectral lint (spectral:oas)"
"$bin/spectral" lint --fail-severity=warn -r "$tools/spectral.yaml" api/openapi.yaml

echo "== spectools: oapi-codegen (types, client), compiled"
mkdir -p "$tools/gencheck/gen"
(cd "$tools/gencheck" && go tool oapi-codegen -generate types,client -package gen -o gen/gen.go ../../../api/openapi.yaml \
  && go vet ./... && go build -o "$work/gencheck" .)
go build -o "$work/tokenim-sandbox" ./cmd/tokenim-sandbox

# A free loopback port (bash's /dev/tcp, no other tool needed).
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$(shuf -i 20000-60000 -n 1)
    if ! (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  return 1
}
# Waits until something answers on the port: a bounded number of tries.
wait_port() {
  for _ in $(seq 1 300); do
    if (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "nothing answered on 127.0.0.1:$1"; return 1
}

key=sk_test_spectools_4eC39HqLyjWDarjtT1zdp7dc
merchant=mch_spectools
# start_sandbox starts a fresh sandbox and sets sb to its port.
start_sandbox() {
  sb=$(free_port)
  "$work/tokenim-sandbox" -addr "127.0.0.1:$sb" -frozen -api-key "$key" -merchant-id "$merchant" >"$work/sandbox-$sb.log" 2>&1 &
  pids+=($!)
  wait_port "$sb"
}

echo "== spectools: the generated client against the sandbox"
start_sandbox
"$work/gencheck" -base "http://127.0.0.1:$sb" -key "$key" -merchant "$merchant"

echo "== spectools: prism proxy --errors in front of a fresh sandbox"
start_sandbox
pp=$(free_port)
"$bin/prism" proxy api/openapi.yaml "http://127.0.0.1:$sb" --host 127.0.0.1 --port "$pp" --errors >"$work/prism.log" 2>&1 &
pids+=($!)
wait_port "$pp"
"$work/gencheck" -valid-requests-only -base "http://127.0.0.1:$pp" -key "$key" -merchant "$merchant" || { tail -40 "$work/prism.log"; exit 1; }
violations=$(grep -ci 'violation' "$work/prism.log" || true)
forwarded=$(grep -c 'Forwarding' "$work/prism.log" || true)
echo "prism: $forwarded requests forwarded, $violations violations"
if [ "$violations" != 0 ] || [ "$forwarded" = 0 ]; then
  grep -i 'violation' "$work/prism.log" | head -20; exit 1
fi
