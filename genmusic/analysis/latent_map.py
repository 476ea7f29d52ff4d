"""The interactive latent map of ``report.html``: inline SVG and a little plain JavaScript.

:func:`render_map` draws one model's song latents in 2-D (PCA and, when computed, t-SNE, side by side),
coloured by genre as the PNG figures are (:func:`genmusic.analysis.plotting.genre_colours`); test songs are
triangles, new music from ``--input`` black stars. Hovering over (or tabbing to) a point shows the song, its
genre and split; clicking it plays the song's clip, then its reconstruction, in the player under the
map, and marks the song in both views; the legend's buttons show and hide genres.

Why SVG and a few lines of JavaScript rather than a plotting library: the page must work from ``file://``
with no network, stay small and keep working for years. A map of a few hundred points needs no more than
the browser already has; a bundled library would add megabytes of JavaScript to every report for
features this map does not use. The points are drawn by Python, so the map is there (and prints) even
with JavaScript off; the script only adds hovering, playing and the legend. :data:`MAP_CSS` and
:data:`MAP_JS` go into the page once, whatever the number of maps.
"""

from __future__ import annotations

import html
import json
from typing import Dict, List, Optional, Sequence, Tuple

__all__ = ["render_map", "MAP_CSS", "MAP_JS"]

#: Size of one view (SVG user units) and its margins: left and bottom hold the axis titles.
WIDTH, HEIGHT = 520, 420
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN = 30, 30, 12


def _attr(value) -> str:
    return html.escape(str(value), quote=True)


def _scale(points: Sequence[Sequence[float]]):
    """A function from data coordinates to SVG coordinates that fits every point (6 % padding)."""
    xs = [p[0] for p in points] or [0.0]
    ys = [p[1] for p in points] or [0.0]

    def span(lo: float, hi: float) -> Tuple[float, float]:
        if hi - lo < 1e-12:
            return lo - 1.0, hi + 1.0
        pad = 0.06 * (hi - lo)
        return lo - pad, hi + pad

    (x0, x1), (y0, y1) = span(min(xs), max(xs)), span(min(ys), max(ys))
    left, right = MARGIN_LEFT, WIDTH - MARGIN
    top, bottom = MARGIN, HEIGHT - MARGIN_BOTTOM

    def to_svg(p: Sequence[float]) -> Tuple[float, float]:
        return (round(left + (p[0] - x0) / (x1 - x0) * (right - left), 1),
                round(bottom - (p[1] - y0) / (y1 - y0) * (bottom - top), 1))
    return to_svg


def _triangle(x: float, y: float, r: float = 6.5) -> str:
    return f"M{x:.1f},{y - r:.1f}L{x + 0.87 * r:.1f},{y + 0.5 * r:.1f}L{x - 0.87 * r:.1f},{y + 0.5 * r:.1f}Z"


def _star(x: float, y: float, r: float = 11.0) -> str:
    import math

    corners = []
    for k in range(10):
        radius = r if k % 2 == 0 else 0.42 * r
        angle = -math.pi / 2 + k * math.pi / 5
        corners.append(f"{x + radius * math.cos(angle):.1f},{y + radius * math.sin(angle):.1f}")
    return "M" + "L".join(corners) + "Z"


def _view(title: str, axis_labels: Tuple[str, str], songs: List[dict], coords: List[Sequence[float]],
          colours: Dict[str, str], new_coords: List[Sequence[float]], new_songs: List[dict]) -> str:
    """One ``<figure>``: an SVG scatter of the songs (and new songs, when ``new_coords``)."""
    to_svg = _scale(list(coords) + list(new_coords))
    parts = [f'<svg class="map-svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{_attr(title)}">',
             f'<rect class="map-frame" x="{MARGIN_LEFT}" y="{MARGIN}" width="{WIDTH - MARGIN - MARGIN_LEFT}" '
             f'height="{HEIGHT - MARGIN - MARGIN_BOTTOM - MARGIN}"/>',
             f'<text class="map-axis" x="{(MARGIN_LEFT + WIDTH - MARGIN) / 2}" y="{HEIGHT - 9}" '
             f'text-anchor="middle">{html.escape(axis_labels[0])}</text>',
             f'<text class="map-axis" x="14" y="{(MARGIN + HEIGHT - MARGIN_BOTTOM) / 2}" text-anchor="middle" '
             f'transform="rotate(-90 14 {(MARGIN + HEIGHT - MARGIN_BOTTOM) / 2})">{html.escape(axis_labels[1])}</text>']
    order = sorted(range(len(songs)), key=lambda i: songs[i]["split"] == "test")  # test songs on top
    for i in order:
        song = songs[i]
        x, y = to_svg(coords[i])
        common = (f'class="pt" data-key="s{i}" data-genre="{_attr(song["genre"])}" tabindex="0" role="button" '
                  f'fill="{colours[song["genre"]]}" aria-label="{_attr(_label(song))}"')
        if song["split"] == "test":
            parts.append(f'<path {common} d="{_triangle(x, y)}"/>')
        else:
            parts.append(f'<circle {common} cx="{x}" cy="{y}" r="5"/>')
    for j, (song, point) in enumerate(zip(new_songs, new_coords)):
        x, y = to_svg(point)
        parts.append(f'<path class="pt new" data-key="n{j}" data-genre="" tabindex="0" role="button" '
                     f'aria-label="{_attr(_label(song))}" d="{_star(x, y)}"/>')
        parts.append(f'<text class="map-new-label" x="{x + 12}" y="{y - 8}">{html.escape(song["name"])}</text>')
    parts.append("</svg>")
    return f'<figure class="map-view">{"".join(parts)}<figcaption>{html.escape(title)}</figcaption></figure>'


def _label(song: dict) -> str:
    if song.get("split") == "new":
        return f'{song["name"]}, new music'
    return f'{song["name"]}, {song.get("genre") or "no genre"}, {song.get("split")}'


def render_map(model: dict, colours: Dict[str, str], *, no_genre: str = "(no genre)") -> Optional[str]:
    """The HTML of one model's interactive latent map, or None when the model has no map.

    Parameters
    ----------
    model : dict
        One model of ``results.json`` (``name``, ``map``, ``listening``, ``pca``, ``tsne``, ``new_songs``).
    colours : dict
        Genre (``""``: none) -> CSS colour.
    """
    points = model.get("map")
    if not points or not points["songs"]:
        return None
    listening = model.get("listening") or {}
    clips = listening.get("songs") or {}
    new_clips = listening.get("new_songs") or {}
    songs, coords, tsne = [], [], []
    for song in points["songs"]:
        clip = clips.get(song["song_id"], {})
        songs.append({"name": song["song_id"], "genre": song["genre"], "split": song["split"],
                      "original": clip.get("original"), "original_kind": clip.get("original_kind"),
                      "reconstruction": clip.get("reconstruction"), "seconds": clip.get("seconds"),
                      "mel_distance": clip.get("mel_distance")})
        coords.append(song["pca2"])
        tsne.append(song["tsne"])
    predicted = {s["name"]: s for s in model.get("new_songs") or []}
    new_songs, new_coords = [], []
    for song in points["new_songs"]:
        clip = new_clips.get(song["name"], {})
        guess = predicted.get(song["name"], {}).get("predicted_genre")
        new_songs.append({"name": song["name"], "genre": "", "split": "new", "predicted_genre": guess,
                          "original": clip.get("original"), "original_kind": clip.get("original_kind"),
                          "reconstruction": clip.get("reconstruction"), "seconds": clip.get("seconds")})
        new_coords.append(song["pca2"])

    ev = (model.get("pca") or {}).get("2d", {}).get("explained_variance_ratio") or [None, None]
    pc = [f"PC{i + 1}" + ("" if v is None else f" ({100 * v:.1f}% of variance)") for i, v in enumerate(ev[:2])]
    views = [_view("PCA 2-D of the song latents", (pc[0], pc[1]), songs, coords, colours, new_coords, new_songs)]
    missing = []
    if all(t is not None for t in tsne):
        views.append(_view("t-SNE of the song latents" + (" (new music: PCA view only)" if new_songs else ""),
                           ("t-SNE 1", "t-SNE 2"), songs, tsne, colours, [], []))
    else:
        missing.append("t-SNE view: not computed (--no-tsne, or fewer than 3 songs)")

    counts: Dict[str, int] = {}
    for song in songs:
        counts[song["genre"]] = counts.get(song["genre"], 0) + 1
    legend = [f'<button type="button" class="legend-item" data-genre="{_attr(genre)}" aria-pressed="true" '
              f'title="show or hide {_attr(genre or no_genre)}"><span class="swatch" style="background:{colour}">'
              f'</span>{html.escape(genre or no_genre)} <span class="count">({counts.get(genre, 0)})</span></button>'
              for genre, colour in colours.items() if genre in counts]
    key = "&#9679; train / validation &#9650; test" + (" &#9733; new music (--input)" if new_songs else "")
    first = next((s for s in songs + new_songs if s["original"]), None)
    if first is None:
        missing.append("audio: no song of the map has clips (the report was made without audio)")
    sources = ("" if first is None else f' src="{_attr(first["original"])}"',
               "" if first is None or not first["reconstruction"] else f' src="{_attr(first["reconstruction"])}"')
    now = ("Click a point to hear the song, then its reconstruction." if first is None else
           f"Click a point to hear the song, then its reconstruction. Loaded: {first['name']}.")
    data = json.dumps({"songs": songs, "new_songs": new_songs}, separators=(",", ":")).replace("</", "<\\/")
    notes = "".join(f"<li>{html.escape(m)}</li>" for m in missing)
    return (f'<section class="latent-map" data-model="{_attr(model["name"])}">'
            f'<div class="map-legend" role="group" aria-label="genres: click to show or hide">{"".join(legend)}'
            f'<span class="legend-key">{key}</span></div>'
            f'<div class="map-views">{"".join(views)}</div>'
            f'<div class="map-tip" hidden></div>'
            f'<div class="map-player"><p class="map-now" aria-live="polite">{html.escape(now)}</p>'
            f'<div class="map-audio"><span>song</span><audio class="map-original" controls preload="metadata"'
            f'{sources[0]}></audio></div>'
            f'<div class="map-audio"><span>reconstruction</span><audio class="map-reconstruction" controls '
            f'preload="metadata"{sources[1]}></audio></div></div>'
            + (f'<ul class="map-notes">{notes}</ul>' if notes else "")
            + f'<script type="application/json" class="map-data">{data}</script></section>')


#: The map's styles (and the players'), written once into the page's ``<style>``.
MAP_CSS = """
.latent-map { position: relative; margin: 1em 0; }
.map-legend { display: flex; flex-wrap: wrap; gap: .3em; align-items: center; margin-bottom: .4em; }
.legend-item { font: inherit; font-size: .88em; border: 1px solid #bbb; border-radius: 1em; background: #fff;
               padding: .1em .7em; cursor: pointer; }
.legend-item[aria-pressed="false"] { opacity: .4; text-decoration: line-through; }
.legend-item .swatch { display: inline-block; width: .8em; height: .8em; border-radius: 50%; margin-right: .35em;
                       vertical-align: -.05em; }
.legend-item .count { color: #777; }
.legend-key { font-size: .85em; color: #555; margin-left: .6em; }
.map-views { display: flex; flex-wrap: wrap; gap: 12px; }
.map-view { flex: 1 1 440px; margin: 0; }
.map-svg { width: 100%; height: auto; display: block; border: 1px solid #ddd; background: #fff; }
.map-frame { fill: none; stroke: #e4e4e4; }
.map-axis { font-size: 12px; fill: #555; }
.map-new-label { font-size: 11px; font-weight: bold; fill: #111; pointer-events: none; }
.pt { stroke: #fff; stroke-width: .8; cursor: pointer; opacity: .9; }
.pt:hover, .pt:focus { stroke: #222; stroke-width: 2; opacity: 1; outline: none; }
.pt.new { fill: #111; stroke: #f5c400; stroke-width: 1.4; }
.pt.selected { stroke: #000; stroke-width: 3; opacity: 1; }
.pt.off { display: none; }
.map-tip { position: absolute; pointer-events: none; background: rgba(20, 20, 20, .9); color: #fff;
           font-size: .82em; padding: .3em .55em; border-radius: 4px; white-space: nowrap; z-index: 2; }
.map-player { display: flex; flex-wrap: wrap; gap: .4em 1.2em; align-items: center; margin-top: .5em;
              padding: .5em .8em; background: #f5f5f5; border: 1px solid #ddd; border-radius: 4px; }
.map-now { flex: 1 1 100%; margin: 0; font-size: .92em; }
.map-audio { display: flex; align-items: center; gap: .5em; font-size: .88em; color: #444; }
.map-audio audio { width: 300px; }
.map-notes { font-size: .88em; color: #666; }
td audio { width: 100%; min-width: 230px; }
.clip audio { width: 100%; }
.clips { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: .6em; margin: .6em 0; }
.clip { margin: 0; padding: .4em; border: 1px solid #e0e0e0; border-radius: 4px; background: #fafafa; }
.clip figcaption { font-size: .84em; color: #444; margin-bottom: .2em; }
.detail { display: block; font-size: .84em; color: #555; }
"""

#: The map's behaviour (hover, click to play, legend) and "one player at a time", once per page.
MAP_JS = r"""
(function () {
  "use strict";
  function quietly(promise) { if (promise && promise.catch) { promise.catch(function () {}); } }

  document.addEventListener("play", function (event) {
    document.querySelectorAll("audio").forEach(function (other) {
      if (other !== event.target && !other.paused) { other.pause(); }
    });
  }, true);

  function setup(section) {
    var data = JSON.parse(section.querySelector("script.map-data").textContent);
    var tip = section.querySelector(".map-tip");
    var now = section.querySelector(".map-now");
    var original = section.querySelector("audio.map-original");
    var rebuilt = section.querySelector("audio.map-reconstruction");
    var points = Array.prototype.slice.call(section.querySelectorAll(".pt"));
    var chained = false;

    function song(point) {
      var key = point.getAttribute("data-key");
      return key.charAt(0) === "n" ? data.new_songs[+key.slice(1)] : data.songs[+key.slice(1)];
    }
    function describe(s) {
      var genre = s.split === "new" ? "new music" + (s.predicted_genre ? ", sounds like " + s.predicted_genre : "")
                                    : (s.genre || "no genre") + ", " + s.split;
      var text = s.name + " (" + genre + ")";
      if (typeof s.mel_distance === "number") { text += ", mel distance " + s.mel_distance.toFixed(3); }
      return text;
    }
    function showTip(point) {
      var box = point.getBoundingClientRect(), outer = section.getBoundingClientRect();
      tip.textContent = describe(song(point));
      tip.hidden = false;
      tip.style.left = (box.right - outer.left + 8) + "px";
      tip.style.top = (box.top - outer.top - 6) + "px";
    }
    function hideTip() { tip.hidden = true; }
    function select(point) {
      var s = song(point), key = point.getAttribute("data-key");
      points.forEach(function (p) { p.classList.toggle("selected", p.getAttribute("data-key") === key); });
      if (!s.original) {
        now.textContent = describe(s) + ": no audio for this song.";
        return;
      }
      original.src = s.original;
      if (s.reconstruction) { rebuilt.src = s.reconstruction; } else { rebuilt.removeAttribute("src"); }
      chained = Boolean(s.reconstruction);
      now.textContent = "Playing " + describe(s) + ": the " + (s.original_kind === "resynth" ? "resynthesised song"
        : "song") + (s.seconds ? " (first " + s.seconds + " s)" : "") + (chained ? ", then its reconstruction." : ".");
      quietly(original.play());
    }
    original.addEventListener("ended", function () {
      if (chained) { chained = false; rebuilt.currentTime = 0; quietly(rebuilt.play()); }
    });
    points.forEach(function (point) {
      point.addEventListener("mouseenter", function () { showTip(point); });
      point.addEventListener("mouseleave", hideTip);
      point.addEventListener("focus", function () { showTip(point); });
      point.addEventListener("blur", hideTip);
      point.addEventListener("click", function () { select(point); });
      point.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); select(point); }
      });
    });
    section.querySelectorAll(".legend-item").forEach(function (button) {
      button.addEventListener("click", function () {
        var show = button.getAttribute("aria-pressed") !== "true";
        var genre = button.getAttribute("data-genre");
        button.setAttribute("aria-pressed", show ? "true" : "false");
        points.forEach(function (p) {
          if (!p.classList.contains("new") && p.getAttribute("data-genre") === genre) { p.classList.toggle("off", !show); }
        });
      });
    });
  }
  document.querySelectorAll("section.latent-map").forEach(setup);
})();
"""
