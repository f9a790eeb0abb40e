#!/usr/bin/env bash
# The whole flow on two events in one workspace (the bundled #PolicingInConflict sample and a
# second event, #PeaceTech2027), against the local X API simulator: no credentials, no network. Run by `make demo`; everything it makes lands in the folder $1.
set -euo pipefail

out=${1:-demo}
here=$(cd "$(dirname "$0")/.." && pwd)
data="$here/campaign/data"
rm -rf "$out" && mkdir -p "$out"
export CAMPAIGN_DB="$out/campaign.db" CAMPAIGN_USER=demo

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

step "1. Import the event page: metadata YAML for a person to check"
show campaign import-page "$data/policing-in-conflict-page.txt" --year 2026 > "$out/imported.yaml"
head -n 24 "$out/imported.yaml"
echo "…  (the whole file: $out/imported.yaml)"

step "2. Load the bundled sample campaign, its event moved to three weeks from today, and plan its drafts"
# The sample's event is on a fixed day; the demo moves it ahead, so it shows a campaign still
# to come on whatever day it runs.
event_day=$(python -c 'from datetime import date, timedelta; print(date.today() + timedelta(days=21))')
sed -E "s/^(  (start|end): )[0-9]{4}-[0-9]{2}-[0-9]{2}/\1$event_day/" \
  "$data/policing-in-conflict.yaml" > "$out/campaign.yaml"
show campaign init
show campaign load "$out/campaign.yaml"

step "2b. A second event in the same workspace: its own hashtag, slug and date, the same account"
second_day=$(python -c 'from datetime import date, timedelta; print(date.today() + timedelta(days=35))')
sed -E -e "s/^(  (start|end): )[0-9]{4}-[0-9]{2}-[0-9]{2}/\1$second_day/" \
  -e "s/'#PolicingInConflict'/'#PeaceTech2027'/" \
  -e "s/^campaign:$/campaign:\n  slug: peace-tech-2027/" \
  -e "s/^(  name: ).*/\1Peace Tech 2027/" -e "s/^(  title: ).*/\1Peace Tech 2027/" \
  "$data/policing-in-conflict.yaml" > "$out/second.yaml"
show campaign load "$out/second.yaml"
show campaign campaigns list
show campaign plan   # plans every active campaign; neither touches the other's posts
show campaign plan   # a second run changes nothing

step "3. The queue (every campaign's; --campaign SLUG for one) and the calendar of both events"
show campaign posts list --campaign peace-tech-2027
show campaign calendar --days 10

step "4. Start the local X API simulator, serving a generated #PolicingInConflict conversation"
port=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
campaign fake-x --port "$port" --conversation 300 --seed 6 > "$out/fake-x.log" 2>&1 &
pids+=($!)
python - "$port" <<'PY'
import socket, sys, time
for _ in range(100):  # wait up to 10 s for the simulator to listen
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2).close()
        break
    except OSError:
        time.sleep(0.1)
PY
export X_API_BASE_URL="http://127.0.0.1:$port"
export X_API_KEY=sim-key X_API_SECRET=sim-secret X_ACCESS_TOKEN=sim-token \
       X_ACCESS_TOKEN_SECRET=sim-token-secret X_BEARER_TOKEN=sim-bearer
echo "simulator at $X_API_BASE_URL (fake credentials exported)"

step "5. Approve drafts of both events, timed a few seconds apart, and let one daemon publish them"
first=$(campaign posts list --campaign policinginconflict --status draft --json | python -c 'import json,sys; print(" ".join(str(p["id"]) for p in json.load(sys.stdin)[:3]))')
second=$(campaign posts list --campaign peace-tech-2027 --status draft --json | python -c 'import json,sys; print(" ".join(str(p["id"]) for p in json.load(sys.stdin)[:2]))')
ids="$first $second"
i=0
for id in $ids; do
  i=$((i + 1))
  at=$(python -c "from datetime import datetime, timedelta, timezone; print((datetime.now(timezone.utc) + timedelta(seconds=3 + 2 * $i)).isoformat(timespec='seconds'))")
  show campaign posts edit "$id" --at "$at"
done
first=${ids%% *}
python - "$out/panel-room.png" <<'PY'
import sys
from PIL import Image, ImageDraw
img = Image.new("RGB", (640, 360), (236, 240, 244))
draw = ImageDraw.Draw(img)
for i in range(5):  # five chairs facing the room
    draw.rectangle((90 + i * 100, 150, 150 + i * 100, 230), fill=(30, 70, 120))
img.save(sys.argv[1])
PY
show campaign posts edit "$first" --image "$out/panel-room.png" --alt "Five blue chairs on a stage, facing an empty room before the panel"
show campaign posts approve $ids
campaign daemon --no-collect > "$out/daemon.log" 2>&1 &
daemon=$!
pids+=($daemon)
for _ in $(seq 120); do
  n=$(campaign posts list --status published --json | python -c 'import json,sys; print(len(json.load(sys.stdin)))')
  [ "$n" -ge 5 ] && break
  python -c 'import time; time.sleep(0.5)'
done
kill -TERM "$daemon"; wait "$daemon" || true
show campaign status
echo
echo "What went out, with the ids X returned:"
campaign posts list --status published --json | python -c '
import json, sys
for p in json.load(sys.stdin):
    first = p["text"].splitlines()[0][:60]
    print("  tweet", p["tweet_id"], " ", p["campaign"], " ", first)'
echo
echo "The image X received with post $first, and its alt text:"
python - "$X_API_BASE_URL" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/_sim/tweets?source=api", timeout=5) as r:
    for t in json.load(r):
        for media_id, alt in zip(t["media_ids"], t["media_alt"]):
            print("  tweet", t["id"], " media", media_id, " alt:", alt)
PY

step "6. Alerts: the team hears of trouble at once (here, at a webhook on this machine)"
hookport=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python - "$hookport" "$out/alerts.jsonl" > "$out/webhook.log" 2>&1 <<'PY' &
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with open(sys.argv[2], "a") as f:
            f.write(json.dumps(body) + "\n")
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass

HTTPServer(("127.0.0.1", int(sys.argv[1])), Hook).serve_forever()
PY
pids+=($!)
python - "$hookport" <<'PY'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2).close()
        break
    except OSError:
        time.sleep(0.1)
PY
export CAMPAIGN_NOTIFY="json://127.0.0.1:$hookport/alerts"
echo "alerts go to $CAMPAIGN_NOTIFY (an Apprise URL: slack://, msteams://, mailto:// work the same)"
show campaign notify test
soon=$(campaign posts list --status draft --json | python -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
at=$(python -c "from datetime import datetime, timedelta, timezone; print((datetime.now(timezone.utc) + timedelta(minutes=10)).isoformat(timespec='seconds'))")
show campaign posts edit "$soon" --at "$at"
show campaign posts approve "$soon"
echo "(a post due in 10 minutes, and no daemon running)"
show campaign status --check || true
show campaign notify watch
echo
echo "What arrived at the webhook:"
python - "$out/alerts.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    print("  ──", m["title"])
    for text in m["message"].splitlines():
        print("    ", text)
PY
show campaign posts cancel "$soon"

step "7. Collect both events' conversations in one search, and review them"
python - "$X_API_BASE_URL" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/_sim/conversation", method="POST",
    data=json.dumps({"n": 120, "seed": 7, "hashtag": "PeaceTech2027"}).encode(),
    headers={"Content-Type": "application/json"})
print("the simulator adds", json.load(urllib.request.urlopen(req))["created"], "#PeaceTech2027 posts")
PY
show campaign collect
show campaign mentions list --campaign peace-tech-2027 --limit 5
show campaign report --output-dir "$out/report"

step "8. Answer the conversation, and see how our posts did"
mention=$(campaign mentions list --not-ours --limit 1 --json | python -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
show campaign mentions reply "$mention" --approve \
  --text "Thank you for joining the conversation: the recording will be online after the panel."
show campaign publish
echo "The collected post now shows our reply:"
campaign mentions show "$mention" | python -c '
import json, sys
m = json.load(sys.stdin)
print("  @%s: %s" % (m["author_username"], m["text"].splitlines()[0][:70]))
print("  %s → %s" % (m["replied"]["label"], m["replied"]["url"]))'
# An hour later on the simulator's clock, so the posts have been seen a little.
python -c 'import json, os, urllib.request as u; u.urlopen(u.Request(os.environ["X_API_BASE_URL"] + "/_sim/clock", data=json.dumps({"advance_seconds": 3600}).encode(), headers={"Content-Type": "application/json"})).read()'
show campaign metrics --html "$out/performance.html"

step "Done"
echo "Everything is in $out/: the database, the YAML, the daemon log, the alerts received (alerts.jsonl), the report (report.html, report.png) and how our posts did (performance.html)."
