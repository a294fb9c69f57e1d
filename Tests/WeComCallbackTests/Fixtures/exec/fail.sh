#!/bin/sh
cat >/dev/null
echo "partial output"
echo "something broke" >&2
exit 3
