#!/usr/bin/env python3
# Writes 10 MiB to stdout and 10 MiB to stderr without reading stdin first.
import sys
chunk = b"x" * 65536
for _ in range(160):
    sys.stderr.buffer.write(chunk)
    sys.stdout.buffer.write(chunk)
