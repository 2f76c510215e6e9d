#!/bin/sh
# Where the meeting is.
place="the old oak"
echo "Meet me at $place at noon."
printf '%s\n' "Bring the map."
