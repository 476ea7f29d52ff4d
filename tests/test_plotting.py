"""genmusic.analysis.plotting: every figure is written as a PNG, atomically, and closed."""

from __future__ import annotations

import numpy as np
import pytest

from genmusic.analysis import plotting
from genmusic.errors import OutputError


@pytest.fixture
def plt():
    import matplotlib.pyplot as pyplot

    pyplot.close("all")
    yield pyplot
    assert pyplot.get_fignums() == []  # every figure function closes its figure


def png_size(path):
    """(height, width) in pixels of a PNG, checking that it is one."""
    from matplotlib.image import imread

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return imread(path).shape[:2]


def test_spectrograms_stack_one_panel_per_spectrogram(plt, tmp_path, rng):
    one = plotting.plot_spectrograms([rng.random((64, 40))], tmp_path / "one.png", titles=["a"])
    three = plotting.plot_spectrograms([rng.random((64, 40))] * 3, tmp_path / "three.png", suptitle="three")
    (h1, w1), (h3, w3) = png_size(one), png_size(three)
    assert h3 > 2.5 * h1 and abs(w3 - w1) < 0.1 * w1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.png", "three.png"]


def test_history_has_one_panel_per_loss(plt, tmp_path):
    single = plotting.plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.6]}, tmp_path / "a.png")
    double = plotting.plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.6], "kl_loss": [3.0, 2.0]},
                                   tmp_path / "b.png")
    assert png_size(double)[1] > 1.6 * png_size(single)[1]


def test_a_failed_save_leaves_nothing_and_closes_the_figure(plt, tmp_path):
    fig = plt.figure()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    fig.savefig = broken
    with pytest.raises(OutputError, match="x.png: disk full"):  # an output failure, named as one
        plotting.save_figure(fig, tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


def test_latent_space_figures(plt, tmp_path, rng):
    genres = ["a"] * 5 + ["b"] * 5
    splits = ["train"] * 8 + ["test"] * 2
    coords = rng.random((10, 3))
    paths = [
        plotting.plot_projection(coords, genres, tmp_path / "p2.png", title="2-D", splits=splits,
                                 new_coords=rng.random((1, 2)), new_names=["new"]),
        plotting.plot_projection_3d(coords, genres, tmp_path / "p3.png", title="3-D"),
    ]
    sweep = {"rows": [{"k": k, "inertia": 10.0 / k, "homogeneity": 0.5, "completeness": 0.4, "v_measure": 0.45,
                       "adjusted_rand": 0.3} for k in (2, 3, 4)], "labelled": True}
    paths.append(plotting.plot_elbow({"latent": sweep, "pca2": sweep}, tmp_path / "elbow.png"))
    paths.append(plotting.plot_cluster_scores({"latent": sweep}, tmp_path / "scores.png", n_genres=2))
    matrix = np.array([[3, 1], [0, 4]])
    paths.append(plotting.plot_confusions([("latents: logistic regression", ["a", "b"], matrix)] * 4,
                                          tmp_path / "confusion.png", max_columns=3))
    for path in paths:
        assert min(png_size(path)) > 100
    # four panels in rows of three: a second row
    h, w = png_size(paths[-1])
    assert h > 0.5 * w


def test_genre_colours_are_tab10_in_sorted_order_and_tab20_beyond_ten():
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    from genmusic.analysis.plotting import genre_colours

    tab10 = [to_hex(c) for c in colormaps["tab10"].colors]
    assert genre_colours(["rock", "jazz", "rock", ""]) == {"": tab10[0], "jazz": tab10[1], "rock": tab10[2]}
    many = genre_colours([f"g{i:02d}" for i in range(12)])
    assert list(many) == sorted(many) and len(set(many.values())) == 12
    assert many["g01"] == to_hex(colormaps["tab20"].colors[1])


def test_figure_title_never_overlaps_the_panel_title():
    """A sample's picture has one panel: its figure title must sit above the panel's title, not on it."""
    from genmusic.analysis.plotting import spectrogram_figure

    for n_panels in (1, 2, 4):
        fig = spectrogram_figure([np.zeros((64, 100))] * n_panels, titles=[f"result {i}" for i in range(n_panels)],
                                 suptitle="sample (genre statistics)")
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        sup = fig._suptitle.get_window_extent(renderer)
        top = fig.axes[0].title.get_window_extent(renderer)
        assert sup.y0 > top.y1, (n_panels, sup, top)
        import matplotlib.pyplot as plt

        plt.close(fig)
