#!/usr/bin/env bash
# Imaging benchmark, by hand: a 12-megapixel JPEG to every thumbnail (150, 300, 600) through
# our Java pipeline and through libvips' vipsthumbnail on the same machine, images per second
# and peak heap; then a 50-megapixel upload under a 1 GB heap. See README.md.
set -euo pipefail

RUNS=${RUNS:-20}           # timed images per measurement (the 50 MP case does a quarter)
HEAP=${HEAP:-1g}           # the heap the Java side runs in: a 50 MP upload must fit in 1 GB
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-$(mktemp -d /tmp/edm-imaging-bench.XXXXXX)}

log() { printf '== %s\n' "$*" >&2; }

command -v vipsthumbnail >/dev/null || {
  echo "vipsthumbnail missing: apt-get install libvips-tools" >&2; exit 2; }

log "building the imaging module"
(cd "$ROOT" && mvn -q -B -o install -DskipTests -pl common,imaging)
(cd "$ROOT" && mvn -q -B -o dependency:build-classpath -pl imaging \
  -Dmdep.outputFile="$WORK/classpath" -Dmdep.includeScope=runtime)
CP="$ROOT/imaging/target/classes:$(cat "$WORK/classpath")"

log "Java pipeline (heap $HEAP), working in $WORK"
JAVA_OUT=$(java -Xmx"$HEAP" -Xms"$HEAP" -cp "$CP" "$ROOT/bench/imaging/ImagingBench.java" \
  "$WORK" "$RUNS")
echo "$JAVA_OUT"

log "vipsthumbnail $(vips --version 2>/dev/null | head -1)"
IN="$WORK/photo-12mp.jpg"
for i in 1 2; do # warm the page cache
  vipsthumbnail "$IN" --size 600 -o "$WORK/warm.jpg[Q=85]" >/dev/null
done
start=$(date +%s.%N)
for i in $(seq "$RUNS"); do
  for size in 150 300 600; do
    vipsthumbnail "$IN" --size "$size" -o "$WORK/vips-$size.jpg[Q=85]"
  done
done
end=$(date +%s.%N)
VIPS_RATE=$(echo "$RUNS / ($end - $start)" | bc -l)
VIPS_RSS=$( { /usr/bin/time -f '%M' vipsthumbnail "$IN" --size 600 \
  -o "$WORK/vips-rss.jpg[Q=85]" ; } 2>&1 | tail -1)
printf 'vips  %-46s %6.2f images/s  %7.1f ms each  peak RSS %5d MB  (3 processes an image)\n' \
  "12MP -> 150,300,600 thumbnails" "$VIPS_RATE" "$(echo "1000 / $VIPS_RATE" | bc -l)" \
  "$((VIPS_RSS / 1024))"

JAVA_RATE=$(echo "$JAVA_OUT" | grep 'thumbnails' | head -1 \
  | sed -E 's/.* ([0-9.]+) images\/s.*/\1/')
printf 'ratio: vipsthumbnail is %.2fx the Java pipeline on thumbnails (target: within 3x)\n' \
  "$(echo "$VIPS_RATE / $JAVA_RATE" | bc -l)"
