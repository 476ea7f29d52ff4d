"""Tests of genmusic.metrics.chroma_similarity on tones and chords with known pitch content."""

from __future__ import annotations

import numpy as np
import pytest

from genmusic.errors import ParameterError
from genmusic.metrics import chroma_similarity

from tests.conftest import SR


def chord(midi_notes, seconds: float = 2.0, harmonics: int = 1) -> np.ndarray:
    """Equal-tempered notes (A4 = 440 Hz) summed, each with ``harmonics`` partials of amplitude 1/k."""
    t = np.arange(int(seconds * SR)) / SR
    y = sum(np.sin(2 * np.pi * k * 440.0 * 2 ** ((m - 69) / 12) * t) / k
            for m in midi_notes for k in range(1, harmonics + 1))
    return (0.5 * y / len(midi_notes)).astype(np.float32)


C_MAJOR, C_MAJOR_UP, C_MINOR, F_SHARP_MAJOR = (60, 64, 67), (72, 76, 79), (60, 63, 67), (66, 70, 73)


@pytest.mark.parametrize("harmonics", [1, 4])
def test_same_signal_and_a_gain_score_one(harmonics):
    y = chord(C_MAJOR, harmonics=harmonics)
    assert chroma_similarity(y, y.copy(), SR) == pytest.approx(1.0, abs=1e-9)
    assert chroma_similarity(y, 0.25 * y, SR) == pytest.approx(1.0, abs=1e-6)  # each frame is scaled to max 1


@pytest.mark.parametrize("harmonics", [1, 4])
def test_octave_is_the_same_pitch_content(harmonics):
    # the same three pitch classes an octave up: chroma folds octaves (measured 0.9992 and 0.9970)
    assert chroma_similarity(chord(C_MAJOR, harmonics=harmonics), chord(C_MAJOR_UP, harmonics=harmonics),
                             SR) > 0.99


@pytest.mark.parametrize("harmonics", [1, 4])
def test_disjoint_pitch_classes_score_low(harmonics):
    # C E G vs F# A# C#: no pitch class in common, only the constant-Q leakage into neighbouring
    # semitones is shared (measured 0.062 and 0.043)
    assert chroma_similarity(chord(C_MAJOR, harmonics=harmonics), chord(F_SHARP_MAJOR, harmonics=harmonics),
                             SR) < 0.1


def test_two_of_three_notes_in_common_score_two_thirds():
    # C major vs C minor share C and G: ideal chroma vectors give cos = 2 / 3 (measured 0.693)
    assert chroma_similarity(chord(C_MAJOR), chord(C_MINOR), SR) == pytest.approx(2 / 3, abs=0.04)


def test_order_of_quality():
    y = chord(C_MAJOR, harmonics=4)
    noise = 0.1 * np.random.default_rng(0).standard_normal(len(y)).astype(np.float32)
    keeps = chroma_similarity(y, y + 0.3 * noise, SR)
    loses = chroma_similarity(y, noise, SR)
    assert keeps > 0.95 > 0.7 > loses  # measured 0.99 and 0.54


def test_silence():
    silence = np.zeros(SR, np.float32)
    assert chroma_similarity(silence, silence, SR) == 1.0  # no frame to compare: nothing lost
    assert chroma_similarity(silence, chord(C_MAJOR, 1.0), SR) == 0.0  # every frame: one side silent


def test_unequal_lengths_are_compared_over_the_shorter():
    y = chord(C_MAJOR)
    longer = np.concatenate([y, chord(F_SHARP_MAJOR)])
    assert chroma_similarity(y, longer, SR) == pytest.approx(1.0, abs=1e-9)
    assert chroma_similarity(longer, y, SR) == pytest.approx(1.0, abs=1e-9)


def test_matches_the_reference_definition():
    # issue 16's definition, spelled out with librosa alone
    import librosa

    a, b = chord(C_MAJOR, 1.0, harmonics=3), chord((60, 64, 69), 1.0, harmonics=2)
    ca = librosa.feature.chroma_cqt(y=a, sr=SR, hop_length=512)
    cb = librosa.feature.chroma_cqt(y=b, sr=SR, hop_length=512)
    cos = (ca * cb).sum(0) / (np.linalg.norm(ca, axis=0) * np.linalg.norm(cb, axis=0))
    assert chroma_similarity(a, b, SR) == pytest.approx(float(cos.mean()), abs=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    (dict(original=np.zeros((2, 100), np.float32)), "original must be a 1-D signal"),
    (dict(rebuilt=np.array([0.0, np.nan])), "rebuilt holds NaN"),
    (dict(sr=0), "sr must be a positive integer"),
    (dict(sr=8000), "sr must be at least 8216 Hz"),
    (dict(hop_length=0), "hop_length must be an integer >= 1"),
])
def test_bad_input(kwargs, match):
    args = dict(original=chord(C_MAJOR, 0.5), rebuilt=chord(C_MAJOR, 0.5), sr=SR)
    args.update(kwargs)
    sr = args.pop("sr")
    with pytest.raises(ParameterError, match=match):
        chroma_similarity(args.pop("original"), args.pop("rebuilt"), sr, **args)


# ---------------------------------------------------------------- tonal peaks (partials) kept


def tone(midi_note, harmonics, seconds: float = 2.0) -> np.ndarray:
    return chord([midi_note], seconds, harmonics)


def test_tonal_peaks_of_a_harmonic_tone_lie_on_its_partials():
    from genmusic.metrics import tonal_peaks

    peaks = tonal_peaks(tone(57, 4))  # A3 = 220 Hz: partials at 220, 440, 660, 880 Hz
    inner = peaks[:, 2:-2]  # the frames whose window lies wholly inside the signal
    bins = np.flatnonzero(inner.any(axis=1))
    np.testing.assert_array_equal(bins, np.round(np.array([220, 440, 660, 880]) * 4096 / SR).astype(int))
    assert inner[bins].all()  # a horizontal line at each partial


def test_tonal_peak_f1_known_answers():
    from genmusic.metrics import tonal_peak_f1

    y = chord(C_MAJOR, harmonics=4)
    noise = 0.1 * np.random.default_rng(0).standard_normal(len(y)).astype(np.float32)
    assert tonal_peak_f1(y, y.copy()) == 1.0
    # noise of std 0.01 under notes of amplitude 0.17 adds or hides a few of the 484 peaks (measured 0.997)
    assert tonal_peak_f1(y, y + 0.1 * noise) > 0.99
    assert tonal_peak_f1(y, noise) == 0.0                   # no partial in noise (chroma: 0.54)
    assert tonal_peak_f1(y, chord((61, 65, 68), harmonics=4)) < 0.15  # a semitone up: every partial moves
    # half the partials dropped: recall 1/2, precision 1, F1 2/3
    assert tonal_peak_f1(tone(57, 4), tone(57, 2)) == pytest.approx(2 / 3, abs=0.02)
    silence = np.zeros_like(y)
    assert tonal_peak_f1(silence, silence) == 1.0 and tonal_peak_f1(y, silence) == 0.0


def test_a_wash_keeps_chroma_but_loses_the_partials():
    # the chord's magnitude spectrum smoothed over 41 bins (220 Hz) and made audible: the horizontal lines
    # of the spectrogram become a wash, while much of the pitch-class profile survives
    import librosa
    from scipy.ndimage import uniform_filter1d

    from genmusic.metrics import tonal_peak_f1

    y = chord(C_MAJOR, harmonics=4)
    smooth = uniform_filter1d(np.abs(librosa.stft(y, n_fft=4096)), 41, axis=0)
    wash = librosa.griffinlim(smooth, n_iter=8, n_fft=4096, length=len(y), random_state=0).astype(np.float32)
    assert tonal_peak_f1(y, wash) < 0.05                    # measured 0.0
    assert chroma_similarity(y, wash, SR) > 0.4             # measured 0.51


def test_tonal_peak_f1_bad_input():
    from genmusic.metrics import tonal_peak_f1

    y = chord(C_MAJOR, 0.5)
    with pytest.raises(ParameterError, match="tolerance_bins must be an integer >= 0"):
        tonal_peak_f1(y, y, tolerance_bins=-1)
    with pytest.raises(ParameterError, match="hop_length must be an integer in"):
        tonal_peak_f1(y, y, n_fft=512, hop_length=1024)
    with pytest.raises(ParameterError, match="rebuilt holds NaN"):
        tonal_peak_f1(y, np.full(100, np.nan))
