#!/bin/bash
# make demo: publishes one scripted user journey into the daemon `make run`
# started (its embedded cluster's address is in <state_dir>/embedded.bootstrap),
# then prints every event the journey caused, as a tree of causation links.
# Usage: docs/demo.sh [RUNDIR]   (default .build-run)
set -euo pipefail
RUNDIR="${1:-.build-run}"
BOOT="$RUNDIR/state/embedded.bootstrap"
[ -s "$BOOT" ] || { echo "demo: no $BOOT: start the daemon with 'make run' in another terminal first" >&2; exit 69; }
B="$(cat "$BOOT")"
RESULTS="$RUNDIR/state/mission-results"
U="demo-$(date +%s)"            # a new user per run, so runs do not mix
T="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

# envelope TYPE ID PAYLOAD: a catalog JSON envelope (key and subject = the user).
envelope() { printf '{"eventId":"%s","eventType":"%s","occurredAt":"%s","source":"demo","subject":"%s","payload":%s}' "$2" "$1" "$T" "$U" "$3"; }
# send TOPIC TYPE ID PAYLOAD
send() { envelope "$2" "$3" "$4" | kcat -b "$B" -P -t "$1" -k "$U" -X enable.idempotence=true; echo "  published $2 ($3) on $1"; }

echo "demo: user $U, broker $B"
# 1. Registration: on auth-events, and on user-events for mission and payment (the same event id).
for topic in auth-events user-events; do
  send "$topic" user.registered "$U-registered" "{\"userId\":\"$U\",\"email\":\"$U@example.com\",\"displayName\":\"Demo User\",\"plan\":\"basic\"}"
done
# Each step lands after the one before is handled, as a real user's would: services read them from
# different topics, and Kafka orders nothing across topics.
step() { sleep "${DEMO_STEP_SECONDS:-2}"; }
step
# 2. A mission started and completed, its result object stored where ai-evaluation reads it.
send resource-events resource.created "$U-resource" "{\"userId\":\"$U\",\"missionId\":\"intro-1\",\"resourceId\":\"r-$U\"}"
send mission-events mission.started "$U-started" "{\"userId\":\"$U\",\"missionId\":\"intro-1\",\"ticketCost\":1}"
mkdir -p "$RESULTS/$U"
step   # the user works on the mission (payment reads the completion on two topics: after the start)
echo '{"tests":[{"name":"login works","passed":true},{"name":"logout works","passed":true},{"name":"profile","passed":false}],"lintWarnings":1,"durationSeconds":900}' > "$RESULTS/$U/intro-1.json"
for topic in mission.completed mission-events; do
  send "$topic" mission.completed "$U-completed" "{\"userId\":\"$U\",\"missionId\":\"intro-1\",\"resultKey\":\"$U/intro-1.json\",\"durationSeconds\":900}"
done
# 3. Three renewal failures: auth suspends the account, user management restricts the service.
for n in 1 2 3; do
  send payment-events payment.subscription-renewal-failed "$U-renewal-failed-$n" "{\"userId\":\"$U\",\"subscriptionId\":\"sub-$U\",\"plan\":\"basic\",\"amount\":9900,\"reason\":\"card declined\"}"
done
# 4. A plan change, published on both catalog topics (one event id, each topic's spelling).
send payment-events payment.subscription-changed "$U-plan-changed" "{\"userId\":\"$U\",\"subscriptionId\":\"sub-$U\",\"fromPlan\":\"basic\",\"toPlan\":\"pro\"}"
send subscription-events subscription.changed "$U-plan-changed" "{\"userId\":\"$U\",\"subscriptionId\":\"sub-$U\",\"fromPlan\":\"basic\",\"toPlan\":\"pro\"}"

echo "demo: waiting ${DEMO_WAIT:-6} s for the chains to run"
sleep "${DEMO_WAIT:-6}"
TOPICS="auth-events user-events mission-events mission.completed resource-events payment-events subscription-events evaluation-events evaluation.completed notification-events"
for t in $TOPICS; do
  kcat -b "$B" -C -t "$t" -o beginning -e -q -X fetch.wait.max.ms=10 -f "$t\t%k\t%s\n" 2>/dev/null || true
done | python3 -c '
import json, sys
user = sys.argv[1]
events, order = {}, []
for line in sys.stdin:
    topic, key, value = (line.rstrip("\n").split("\t", 2) + ["", ""])[:3]
    if key != user:
        continue
    try:
        e = json.loads(value)
    except ValueError:
        continue
    if e["eventId"] in events:
        events[e["eventId"]]["topics"].append(topic)
        continue
    e["topics"] = [topic]
    events[e["eventId"]] = e
    order.append(e["eventId"])
children = {}
for i in order:
    children.setdefault(events[i].get("causationId"), []).append(i)
def label(e):
    p = e.get("payload", {})
    extra = p.get("template") or (("score %s, passed %s" % (p["score"], p["passed"])) if "score" in p and "passed" in p else "")
    return "%s [%s] %s%s" % (e["eventType"], ",".join(e["topics"]), e["eventId"], (" -- " + extra) if extra else "")
def show(i, depth):
    print("  " * depth + ("<- " if depth else "") + label(events[i]))
    for c in children.get(i, []):
        show(c, depth + 1)
roots = [i for i in order if events[i].get("causationId") not in events]
print("\nevents of %s, each under the event that caused it (causationId):" % user)
for r in roots:
    show(r, 0)
done = [e for e in events.values() if e["eventType"] == "evaluation.completed"]
print("\nevaluation completed: %s" % ("yes, score %s" % done[0]["payload"]["score"] if done else "NO (see the daemon log and *.dlq topics)"))
sys.exit(0 if done else 1)
' "$U"
