#!/usr/bin/env python3
"""What Gort's carriers ran, from a perf.data of a benchmark process (benchmarks/hop-profile.sh).

    perf-categories.py perf.data [TOP]

Keeps the samples of the carrier threads (gort-m*), puts each symbol in one category (the JDK's
continuation switch; Gort's channel code and scheduler loop, with what the JIT inlined into them;
the benchmark's own body; the kernel; the rest) and prints each category's share of the carrier
samples, then the TOP symbols. JIT code freed before the process exited has no name in the perf
map: "unresolved JIT"; code recompiled at an address that later held another method takes that
method's name (a carrier seen in Sysmon.retake is such a case).
"""
import collections
import re
import subprocess
import sys

CATEGORIES = [
    ("kernel", lambda s: "[k]" in s),
    ("interpreter (warm-up)", lambda s: "Interpreter" in s),
    ("JDK continuation switch (freeze, thaw, stubs, Continuation.run/yield0)", lambda s: re.search(
        r"Freeze|freeze|Thaw|thaw|Continuation::|StackChunk|stackChunk|requires_barriers|oop_access_barrier"
        r"|memmove|continuationstubs|jdk\.internal\.vm\.Continuation|frame::|OopMap|CodeCache|CodeBlob", s)),
    ("benchmark body (the W5/W2 lambda, Integer boxing)", lambda s: "dev.gort.bench" in s or "java.lang.Integer" in s),
    ("Chan (send, sendNow, receive, receiveOrNull; inlined: lock, waiter, ready, park)", lambda s: "dev.gort.Chan" in s),
    ("Schedule (schedule, execute, findRunnable; inlined: runnext poll, status)", lambda s: "sched.Schedule." in s),
    ("other dev.gort (not inlined: CarrierLookup, Waiter, SpinLock, ...)", lambda s: "dev.gort" in s),
    ("unresolved JIT (code freed before exit)", lambda s: s.startswith("[.] 0x")),
    ("other JVM and libc (GC barriers, the harness between repetitions)", lambda s: True),
]


def main():
    data = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    out = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "comm,dso,sym",
                          "--stdio", "-t", "|"], capture_output=True, text=True, check=True).stdout
    shares = collections.Counter()
    rows = []
    total = 0.0
    for line in out.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 4 or not parts[1].startswith("gort-m"):
            continue
        pct = float(parts[0].rstrip("%"))
        sym = "|".join(parts[3:])
        cat = next(name for name, match in CATEGORIES if match(sym))
        shares[cat] += pct
        rows.append((pct, cat, sym))
        total += pct
    if total == 0:
        sys.exit("no samples of gort-m* threads in " + data)
    print("carrier threads: %.2f%% of all samples" % total)
    for cat, pct in shares.most_common():
        print("%6.2f%%  %s" % (100 * pct / total, cat))
    for pct, cat, sym in sorted(rows, reverse=True)[:top]:
        print("   %5.2f  %-28s %s" % (100 * pct / total, cat[:28], sym[:120]))


if __name__ == "__main__":
    main()
