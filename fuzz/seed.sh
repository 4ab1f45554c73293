#!/usr/bin/env bash
# Fill corpus/<target>/ with the project's examples and the shared corpus.
set -eu
cd "$(dirname "$0")"
for t in parse_lower explore_bounded lkmm; do
    mkdir -p "corpus/$t"
    find ../examples -name '*.kvet' -o -name '*.litmus' | while read -r f; do cp "$f" "corpus/$t/"; done
    if [ -d ../../shared/litmus ]; then
        find ../../shared/litmus -name '*.litmus' | sort | sed -n '1~3p' | while read -r f; do cp "$f" "corpus/$t/$(basename "$f")"; done
    fi
done
mkdir -p corpus/cat_parser corpus/generated
if [ -d ../../shared/lkmm ]; then cp ../../shared/lkmm/*.cat corpus/cat_parser/; fi
