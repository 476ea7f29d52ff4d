#!/usr/bin/env bash
# A second real-music set for bench_pretrained.py: 30 s clips of four styles that realmusic-v1 never heard,
# from the music of four free games packaged by Debian (never committed; needs apt-get download and ffmpeg).
#   wesnoth-1.16-music (GPL-2+), hyperrogue-music (GPL-2+), planetblupi-music-ogg (GPL-3+),
#   singularity-music (CC BY-SA)
# usage: benchmarks/make_unseen_corpus.sh OUT   ->  OUT/genres_original/<style>/<style>.000NN.wav (22050 Hz mono)
# Like make_dev_corpus.sh: tracks sorted by name, at most N per style, each clip 30 s from 30 s in (5 s in for
# tracks of 70 s or less), tracks shorter than 35 s or that ffmpeg cannot read skipped.
set -euo pipefail
OUT=$(realpath -m "${1:?usage: $0 OUT}")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
apt-get download wesnoth-1.16-music hyperrogue-music planetblupi-music-ogg singularity-music >/dev/null
for deb in *.deb; do dpkg-deb -x "$deb" x; done
clip() {  # clip STYLE DIR N
  local style=$1 dir=$2 n=$3 i=0 f dur off
  mkdir -p "$OUT/genres_original/$style"
  while IFS= read -r f; do
    [ "$i" -ge "$n" ] && break
    dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f" 2>/dev/null | cut -d. -f1 || true)
    [ -z "$dur" ] && continue
    [ "$dur" -lt 35 ] && continue
    off=$(( dur > 70 ? 30 : 5 ))
    if ffmpeg -nostdin -v error -y -ss "$off" -t 30 -i "$f" -ac 1 -ar 22050 -sample_fmt s16 \
        "$OUT/genres_original/$style/$style.$(printf %05d "$i").wav"; then i=$((i + 1)); fi
  done < <(find "$dir" -maxdepth 1 \( -name '*.ogg' -o -name '*.wav' \) | sort)
  echo "$style: $i clips"
}
clip wesnoth x/usr/share/games/wesnoth/1.16/data/core/music 12
clip hyperrogue x/usr/share/hyperrogue/music 12
clip planetblupi x/usr/share/planetblupi/music 10
clip singularity x/usr/share/games/singularity/music 12
