#!/usr/bin/env python3
"""progress.py SOCKET OUT [EXPECT [PROGRESS]]: follows a running daemon through its control
socket (`status`, every 10 ms) until the events it finished (handled + skipped
+ dead-lettered + duplicates, over every group) reach EXPECT, or, without
EXPECT, until that sum has not moved for QUIET seconds (2) after moving once.
Mirrors that sum into the PROGRESS page (first 8 bytes, the producer's pacing).
Writes one line to OUT: first_ns (first sample above zero), last_ns (the sample
that reached the end), and the counters summed over groups."""
import json, os, socket, sys, time

sock_path, out = sys.argv[1], sys.argv[2]
expect = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else 0
quiet = float(os.environ.get("QUIET", "2"))
progress = os.open(sys.argv[4], os.O_RDWR | os.O_CREAT, 0o644) if len(sys.argv) > 4 else None
keys = ("consumed", "handled", "skipped", "retried", "deadLettered", "redelivered", "duplicates", "parked")


def sample():
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(sock_path)
        s.sendall(b'{"v":1,"cmd":"status","args":{}}\n')
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            data += chunk
    reply = json.loads(data)
    total = dict.fromkeys(keys, 0)
    for group in reply["result"]["groups"]:
        for k in keys:
            total[k] += group["counters"].get(k, 0)
    return total


first = last = None
last_done = -1
while True:
    try:
        t = sample()
    except (OSError, ValueError, KeyError):
        time.sleep(0.05)
        continue
    now = time.time_ns()
    done = t["handled"] + t["skipped"] + t["deadLettered"] + t["duplicates"]
    if done > 0 and first is None:
        first = now
    if done != last_done:
        last_done, last = done, now
        if progress is not None:
            os.pwrite(progress, done.to_bytes(8, "little"), 0)
    if expect and done >= expect:
        break
    if not expect and first is not None and now - last > quiet * 1e9:
        break
    time.sleep(0.01)
with open(out, "w") as f:
    f.write("first_ns=%d last_ns=%d done=%d %s\n" % (first, last, last_done, " ".join("%s=%d" % (k, t[k]) for k in keys)))
