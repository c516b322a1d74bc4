#!/usr/bin/env bash
# Three tiers with the `fedge` binary, as operators run them: a root server,
# a site aggregator (`fedge server` with upstream:, on a PKI of its own,
# secure aggregation with its devices) and three devices under the site.
# The site's upload is the root's only update; the root's log verifies and
# never names a device; every process exits 0.
#   three_tier_cli_test.sh PATH_TO_FEDGE
set -euo pipefail
FEDGE=$1
T=$(mktemp -d /tmp/fedge_tiers_XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Two federations: the root's (the site is one of its devices) and the
# site's own (its phones).
"$FEDGE" pki init --dir "$T/root-pki" > /dev/null
"$FEDGE" pki issue-client --dir "$T/root-pki" --id site-oslo > /dev/null
"$FEDGE" pki init --dir "$T/site-pki" > /dev/null
for id in phone-1 phone-2 phone-3; do
  "$FEDGE" pki issue-client --dir "$T/site-pki" --id "$id" > /dev/null
done

ROOT_PORT=$(free_port)
SITE_PORT=$(free_port)
cat > "$T/root.yaml" <<YAML
run: {id: root-run, dir: root-run, purpose: tiers-test}
listen: 127.0.0.1:$ROOT_PORT
metrics_listen: ""
tls: {ca: root-pki/ca.crt, cert: root-pki/server.crt, key: root-pki/server.key, crl: root-pki/crl.pem}
model: {kind: mlp}
rounds: 2
cohort: {min_clients: 1}
deadlines: {selection: 2m, training: 2m}
secure_aggregation: {enabled: false}
evaluation: {central_every: 0}
YAML
cat > "$T/site.yaml" <<YAML
run: {id: site-run, dir: site-run, purpose: tiers-test}
listen: 127.0.0.1:$SITE_PORT
metrics_listen: ""
tls: {ca: site-pki/ca.crt, cert: site-pki/server.crt, key: site-pki/server.key, crl: site-pki/crl.pem}
model: {kind: mlp}
cohort: {min_clients: 3}
deadlines: {selection: 2m, training: 1m}
training: {batch_size: 32, learning_rate: 0.05, max_examples: 300}
secure_aggregation: {enabled: true, clip_range: 0.5}
evaluation: {central_every: 0}
upstream:
  server: localhost:$ROOT_PORT
  region: eu-north
  tls: {ca: root-pki/ca.crt, cert: root-pki/clients/site-oslo.crt, key: root-pki/clients/site-oslo.key}
  reconnect: {initial: 100ms, max: 1s}
YAML
for i in 1 2 3; do
  cat > "$T/phone-$i.yaml" <<YAML
server: localhost:$SITE_PORT
tls: {ca: site-pki/ca.crt, cert: site-pki/clients/phone-$i.crt, key: site-pki/clients/phone-$i.key}
region: eu-north
consent: {purpose: tiers-test, version: "1", given_at: 2026-01-01T00:00:00Z}
data:
  format: fashion_mnist
  split: test
  partition: {index: $((i-1)), count: 3, scheme: iid, seed: 1}
reconnect: {initial: 100ms, max: 1s}
YAML
done

# A site config with rounds: is refused, naming the key.
sed 's/^cohort:/rounds: 3\ncohort:/' "$T/site.yaml" > "$T/bad-site.yaml"
code=0
"$FEDGE" server --config "$T/bad-site.yaml" 2> "$T/bad.err" || code=$?
[[ $code == 2 ]] || fail "site config with rounds: exit $code, expected 2"
grep -q "rounds: a site aggregator" "$T/bad.err" || fail "bad site: $(cat "$T/bad.err")"

# The site first: it keeps retrying the root until the root is up.
"$FEDGE" server --config "$T/site.yaml" --no-progress > "$T/site.out" 2> "$T/site.err" &
SITE=$!
PIDS+=("$SITE")
for i in 1 2 3; do
  "$FEDGE" client --config "$T/phone-$i.yaml" > "$T/phone-$i.log" 2>&1 &
  PIDS+=("$!")
done
sleep 1
"$FEDGE" server --config "$T/root.yaml" --no-progress > "$T/root.out" 2> "$T/root.err" &
ROOT=$!
PIDS+=("$ROOT")

wait "$ROOT" || fail "root exited with $?: $(tail -5 "$T/root.err")"
wait "$SITE" || fail "site exited with $?: $(tail -5 "$T/site.err")"
for pid in "${PIDS[@]:1:3}"; do wait "$pid" || fail "a phone exited with $?"; done
PIDS=()

grep -q '"round":2,"status":"completed"' "$T/root-run/metrics.jsonl" \
  || fail "root round 2 not completed: $(cat "$T/root-run/metrics.jsonl")"
grep -q '"round":2,"status":"completed"' "$T/site-run/metrics.jsonl" \
  || fail "site round 2 not completed: $(cat "$T/site-run/metrics.jsonl")"
grep -q "accepted update from site-oslo" "$T/root.err" \
  || fail "root log: $(tail -5 "$T/root.err")"
grep -q "the upstream ended its run" "$T/phone-1.log" \
  || fail "phone log: $(tail -5 "$T/phone-1.log")"
for run in root site; do
  "$FEDGE" audit verify --run "$T/$run-run" --key "$T/$run-pki/audit.pub" > "$T/$run.verify" \
    || fail "$run audit verify: $(cat "$T/$run.verify")"
  grep -q "invariants:   OK" "$T/$run.verify" || fail "$run verify: $(cat "$T/$run.verify")"
done
# The root's report lists the site as its participant, and no phone.
"$FEDGE" audit report --run "$T/root-run" --key "$T/root-pki/audit.pub" \
  --out "$T/root.json" > /dev/null || fail "root audit report"
grep -q "site-oslo" "$T/root.json" || fail "the root's report does not name the site"
! grep -q "phone-" "$T/root.json" || fail "the root's report names a device of the site"
# The site's own report is where its devices are accountable.
"$FEDGE" audit report --run "$T/site-run" --key "$T/site-pki/audit.pub" \
  --out "$T/site.json" > /dev/null || fail "site audit report"
for i in 1 2 3; do
  grep -q "phone-$i" "$T/site.json" || fail "the site's report does not name phone-$i"
done
echo "PASS"
