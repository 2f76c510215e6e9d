#!/bin/sh
# This script's own MD5 starts with {{prefix:whereami}}, so it knows where it lives.
echo "I live at {{url:whereami}}"
