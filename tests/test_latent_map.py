"""Tests of genmusic.analysis.latent_map: the interactive map's HTML, drawn from one model of results.json."""

from __future__ import annotations

import json
import re

from genmusic.analysis.latent_map import HEIGHT, MARGIN, MARGIN_BOTTOM, MARGIN_LEFT, WIDTH, render_map
from genmusic.analysis.plotting import genre_colours

SONGS = [("a.1", "jazz", "train", [0.0, 0.0], [1.0, 1.0]),
         ("a.2", "jazz", "test", [1.0, 2.0], [2.0, 0.0]),
         ("b.1", "rock", "validation", [4.0, -1.0], [0.0, 5.0]),
         ("x</script><b>", "", "train", [2.0, 1.0], [3.0, 3.0])]


def _model(tsne: bool = True, audio: bool = True) -> dict:
    songs = [{"song_id": s, "genre": g, "split": sp, "pca2": p, "tsne": t if tsne else None} for s, g, sp, p, t in SONGS]
    clips = {s["song_id"]: {"original": f"audio/songs/{i}.ogg", "original_kind": "original",
                            "reconstruction": f"audio/m/songs/{i}.ogg", "seconds": 10.0, "mel_distance": 0.5}
             for i, s in enumerate(songs[:3])}  # the last song has no clips
    return {"name": "m", "pca": {"2d": {"explained_variance_ratio": [0.5, 0.25]}},
            "map": {"songs": songs, "new_songs": [{"name": "mine.wav", "pca2": [3.0, 3.0]}]},
            "new_songs": [{"name": "mine.wav", "predicted_genre": "rock"}],
            "listening": {"songs": clips, "new_songs": {"mine.wav": {"original": "audio/new/mine.ogg",
                                                                     "reconstruction": "audio/m/new/mine.ogg"}}}
            if audio else None}


def _data(html: str) -> dict:
    (raw,) = re.findall(r'<script type="application/json" class="map-data">(.*?)</script>', html, re.S)
    return json.loads(raw)


def test_map_draws_every_song_in_both_views_with_genre_colours():
    colours = genre_colours([s[1] for s in SONGS])
    html = render_map(_model(), colours)
    assert html.count("<svg") == 2 and "PC1 (50.0% of variance)" in html and "t-SNE 1" in html
    points = re.findall(r'<(circle|path) class="pt([^"]*)" data-key="([sn]\d+)" data-genre="([^"]*)"', html)
    assert sorted(k for _, _, k, _ in points) == sorted(["s0", "s1", "s2", "s3"] * 2 + ["n0"])
    assert [shape for shape, _, k, _ in points if k == "s1"] == ["path", "path"]  # the test song: a triangle
    assert [shape for shape, _, k, _ in points if k == "s0"] == ["circle", "circle"]
    assert [cls for _, cls, k, _ in points if k == "n0"] == [" new"]  # new music: in the PCA view only
    for genre in ("jazz", "rock"):
        assert f'data-genre="{genre}" tabindex="0" role="button" fill="{colours[genre]}"' in html
    legend = re.findall(r'class="legend-item" data-genre="([^"]*)" aria-pressed="true"', html)
    assert legend == ["", "jazz", "rock"] and "(no genre) <span class=\"count\">(1)</span>" in html
    # Every point lies inside its view.
    for x, y in re.findall(r'cx="([\d.]+)" cy="([\d.]+)"', html):
        assert MARGIN_LEFT <= float(x) <= WIDTH - MARGIN and MARGIN <= float(y) <= HEIGHT - MARGIN_BOTTOM


def test_map_data_escapes_markup_and_names_the_clips():
    html = render_map(_model(), genre_colours([s[1] for s in SONGS]))
    assert "x</script><b>" not in html  # neither in the JSON nor in labels
    data = _data(html)
    assert [s["name"] for s in data["songs"]] == [s[0] for s in SONGS]
    assert data["songs"][1] == {"name": "a.2", "genre": "jazz", "split": "test", "original": "audio/songs/1.ogg",
                                "original_kind": "original", "reconstruction": "audio/m/songs/1.ogg", "seconds": 10.0,
                                "mel_distance": 0.5}
    assert data["songs"][3]["original"] is None  # drawn, but silent
    assert data["new_songs"][0]["predicted_genre"] == "rock" and data["new_songs"][0]["split"] == "new"
    # The player starts loaded with the first song that has clips.
    assert 'class="map-original" controls preload="metadata" src="audio/songs/0.ogg"' in html
    assert 'class="map-reconstruction" controls preload="metadata" src="audio/m/songs/0.ogg"' in html


def test_map_without_tsne_or_audio_says_what_is_missing():
    html = render_map(_model(tsne=False, audio=False), genre_colours(["jazz", "rock", ""]))
    assert html.count("<svg") == 1
    assert "t-SNE view: not computed" in html and "audio: no song of the map has clips" in html
    assert 'class="map-original" controls preload="metadata">' in html  # no source
    assert render_map({"name": "m", "map": None}, {}) is None
