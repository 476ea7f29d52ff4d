"""Figures without a screen (matplotlib's Agg backend), each saved atomically: the plumbing every stage
that draws shares.

* :func:`pyplot` -- ``matplotlib.pyplot`` on the Agg backend, imported on first use.
* :func:`save_figure` -- save a figure atomically and close it.
* :func:`plot_spectrograms` / :func:`spectrogram_figure` -- spectrograms stacked on a shared colour scale
  (generation's pictures).
* :func:`plot_history` -- loss curves of a training run (``loss.png``).

The latent-space study's figures are :mod:`genmusic.analysis.plotting`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Optional, Sequence

import numpy as np

from ._io import atomic_path

__all__ = ["pyplot", "save_figure", "plot_spectrograms", "spectrogram_figure", "plot_history"]


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend (no screen needed)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | os.PathLike, *, dpi: int = 110) -> Path:
    """Save a figure atomically (temporary name, then rename) and close it."""
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
    finally:
        pyplot().close(fig)
    return path


def plot_spectrograms(panels: Sequence[np.ndarray], path: str | os.PathLike, *, titles: Optional[Sequence[str]] = None,
                      sample_rate: int = 22050, hop_length: int = 256, n_fft: int = 1024,
                      suptitle: Optional[str] = None, vmin: Optional[float] = None,
                      vmax: Optional[float] = None, unit: str = "dB") -> Path:
    """Stack spectrograms vertically with time (s) and frequency (kHz) axes on a shared colour scale.

    Parameters
    ----------
    panels : sequence of np.ndarray [shape=(n_freq, n_frames)]
        dB (or normalised) spectrograms, e.g. source then result.
    """
    return save_figure(spectrogram_figure(panels, titles=titles, sample_rate=sample_rate, hop_length=hop_length,
                                          n_fft=n_fft, suptitle=suptitle, vmin=vmin, vmax=vmax, unit=unit), path)


#: Space above the top panel, in inches: the panel's title, and the figure's title above it.
_PANEL_TITLE_INCHES = 0.35
_SUPTITLE_INCHES = 0.4


def spectrogram_figure(panels: Sequence[np.ndarray], *, titles: Optional[Sequence[str]] = None,
                       sample_rate: int = 22050, hop_length: int = 256, n_fft: int = 1024,
                       suptitle: Optional[str] = None, vmin: Optional[float] = None,
                       vmax: Optional[float] = None, unit: str = "dB"):
    """The figure of :func:`plot_spectrograms`, not saved.

    The figure's title gets a band of its own above the top panel's title (fixed in inches, so it
    never overlaps the panel title however few panels there are).
    """
    plt = pyplot()
    panels = [np.asarray(p, dtype=np.float32) for p in panels]
    titles = list(titles or [f"#{i}" for i in range(len(panels))])
    lo = vmin if vmin is not None else float(min(p.min() for p in panels))
    hi = vmax if vmax is not None else float(max(p.max() for p in panels))
    head = _PANEL_TITLE_INCHES + (_SUPTITLE_INCHES if suptitle else 0.0)
    height = 2.6 * len(panels) + head
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, height), squeeze=False)
    # room for each panel's title below the tick labels above it, and for the titles above the top panel
    fig.subplots_adjust(hspace=0.5, top=1.0 - head / height)
    image = None
    for ax, panel, title in zip(axes[:, 0], panels, titles):
        seconds = panel.shape[1] * hop_length / sample_rate
        top_khz = panel.shape[0] * sample_rate / n_fft / 1000
        image = ax.imshow(panel, origin="lower", aspect="auto", cmap="magma", vmin=lo, vmax=hi,
                          extent=(0, seconds, 0, top_khz))
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("kHz")
    axes[-1, 0].set_xlabel("time (s)")
    if suptitle:
        fig.suptitle(suptitle, y=1.0 - 0.08 / height, va="top")
    fig.colorbar(image, ax=axes[:, 0].tolist(), label=unit, fraction=0.025, pad=0.01)
    return fig


def plot_history(history: Dict[str, Sequence[float]], path: str | os.PathLike, *, title: str = "training") -> Path:
    """Loss curves: every ``*loss`` key, training solid and validation dashed, one panel per loss."""
    plt = pyplot()
    names = [k for k in history if k.endswith("loss") and not k.startswith("val_")]
    fig, axes = plt.subplots(1, max(1, len(names)), figsize=(4.2 * max(1, len(names)), 3.2), squeeze=False)
    for ax, name in zip(axes[0], names):
        values = np.asarray(history[name], dtype=float)
        epochs = np.arange(1, len(values) + 1)
        ax.plot(epochs, values, label="train")
        if f"val_{name}" in history:
            ax.plot(epochs, np.asarray(history[f"val_{name}"], dtype=float), "--", label="validation")
        ax.set_title(name.replace("_", " "), fontsize=10)
        ax.set_xlabel("epoch")
        if np.all(values[np.isfinite(values)] > 0):
            ax.set_yscale("log")
        ax.legend(fontsize=8)
    fig.suptitle(title, y=1.04)
    return save_figure(fig, path)
