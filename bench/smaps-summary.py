#!/usr/bin/env python3
"""Resident memory of one process by mapping, from a copy of /proc/PID/smaps.

Usage: bench/smaps-summary.py FILE [FILE...]
Prints, per file, the resident KiB (Rss) of each mapped file (all its segments together), of the heap
(brk), of anonymous mappings (malloc arenas, thread stacks, Swift's metadata caches) and of the
stacks the kernel names, largest first, with the total. run-compare.sh keeps one such copy per row
and pass in bench/.run/ROW.passN.smaps, taken at the end of the measured run.
"""
import collections
import re
import sys

HEADER = re.compile(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$")


def summarize(path):
    totals = collections.Counter()
    name = None
    with open(path) as smaps:
        for line in smaps:
            match = HEADER.match(line)
            if match:
                target = match.group(1).strip()
                if not target:
                    name = "[anonymous: malloc arenas, thread stacks, runtime caches]"
                elif target.startswith("/"):
                    name = target.rsplit("/", 1)[-1]
                else:
                    name = target
                continue
            if line.startswith("Rss:"):
                totals[name] += int(line.split()[1])
    return totals


def main(paths):
    for path in paths:
        totals = summarize(path)
        print(f"{path}: {sum(totals.values()) / 1024:.1f} MiB resident")
        for name, kib in totals.most_common():
            if kib >= 64:
                print(f"  {kib / 1024:6.1f} MiB  {name}")
        small = sum(kib for kib in totals.values() if kib < 64)
        print(f"  {small / 1024:6.1f} MiB  (mappings under 64 KiB each)")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
