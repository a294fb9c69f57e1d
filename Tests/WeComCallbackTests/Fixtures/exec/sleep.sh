#!/bin/sh
# A grandchild that would write a marker file after the deadline, and a child that sleeps.
( sleep 3; touch "$MARKER" ) &
sleep 10
