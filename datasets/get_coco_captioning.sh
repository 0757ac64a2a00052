#!/bin/sh
# Download the real COCO captioning features (about 1 GB) into datasets/coco_captioning/, only when
# that folder is missing, with a progress bar. Options: see `get_coco_captioning.sh --help`.
# Set PYTHON to choose the interpreter (default: python3).
exec "${PYTHON:-python3}" "$(dirname "$0")/get_coco_captioning.py" "$@"
