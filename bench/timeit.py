#!/usr/bin/env python3
"""Runs commands alternately N times and prints, per command, the median wall time and the peak
resident memory (from the kernel's rusage of the child). Used by the bench scripts; times are
never asserted in tests.

usage: timeit.py RUNS LABEL1 'CMD1' [LABEL2 'CMD2' ...]   (commands run through bash -c)
Output: one line per command: LABEL median_s min_s max_s peak_rss_mb
"""
import os
import statistics
import subprocess
import sys
import time


def run(cmd):
    start = time.perf_counter()
    proc = subprocess.Popen(["bash", "-c", cmd], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"command failed: {cmd}")
    return elapsed, usage.ru_maxrss / 1024.0


def main():
    runs = int(sys.argv[1])
    pairs = list(zip(sys.argv[2::2], sys.argv[3::2]))
    times = {label: [] for label, _ in pairs}
    peak = {label: 0.0 for label, _ in pairs}
    for label, cmd in pairs:  # warm-up: file cache, page cache
        run(cmd)
    for _ in range(runs):
        for label, cmd in pairs:  # interleaved, so machine noise hits every command alike
            t, rss = run(cmd)
            times[label].append(t)
            peak[label] = max(peak[label], rss)
    for label, _ in pairs:
        ts = times[label]
        print(f"{label} {statistics.median(ts):.3f} {min(ts):.3f} {max(ts):.3f} {peak[label]:.1f}")


if __name__ == "__main__":
    main()
