"""The synthetic dataset's instruments: music theory (scales, chord symbols), sound sources (wavetable,
FM, Karplus-Strong, power chords, an acid bass) and drums, all NumPy / SciPy on a sample grid.

Private to :mod:`genmusic.data.synthetic`: :mod:`~genmusic.data.synthetic.genres` arranges songs from them.
"""

from __future__ import annotations

import math
from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np
from scipy import signal

# --------------------------------------------------------------------------------------------------
# Music theory
# --------------------------------------------------------------------------------------------------

_SCALES: Dict[str, Tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "blues": (0, 3, 5, 6, 7, 10),
    "minor_pentatonic": (0, 3, 5, 7, 10),
    "major_pentatonic": (0, 2, 4, 7, 9),
}

_QUALITIES: Dict[str, Tuple[int, ...]] = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "7": (0, 4, 7, 10), "m7": (0, 3, 7, 10), "maj7": (0, 4, 7, 11),
    "9": (0, 4, 7, 10, 14), "m9": (0, 3, 7, 10, 14), "5": (0, 7, 12), "dim": (0, 3, 6), "sus4": (0, 5, 7),
}

_NUMERALS = {"VII": 11, "III": 4, "VI": 9, "IV": 5, "II": 2, "V": 7, "I": 0}  # longest first when matching


def _parse_chord(symbol: str) -> Tuple[int, Tuple[int, ...]]:
    """Parse a roman-numeral chord (``"bVI"``, ``"ii7"``, ``"Imaj7"``, ``"i5"``) into (root offset, intervals).

    Upper case is a major triad, lower case minor; the suffix ``7``/``9`` makes it a dominant (upper) or
    minor (lower) seventh/ninth, ``maj7`` a major seventh, ``5`` a power chord, ``o`` diminished.
    """
    flat = symbol.startswith("b")
    body = symbol[1:] if flat else symbol
    numeral = next(k for k in _NUMERALS if body.upper().startswith(k))
    head, suffix = body[:len(numeral)], body[len(numeral):]
    minor = head.islower()
    quality = {"": "min" if minor else "maj", "7": "m7" if minor else "7", "9": "m9" if minor else "9",
               "maj7": "maj7", "5": "5", "o": "dim", "sus4": "sus4"}[suffix]
    return _NUMERALS[numeral] - int(flat), _QUALITIES[quality]


def _midi_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


# --------------------------------------------------------------------------------------------------
# Signal helpers
# --------------------------------------------------------------------------------------------------

_TABLE = 2048  # wavetable length (power of two)


def _sos(kind: str, freq, sr: int, order: int = 2) -> np.ndarray:
    """Butterworth second-order sections; cutoffs are clamped inside (20 Hz, 0.45 * sr)."""
    hi = 0.45 * sr
    if kind == "bandpass":
        lo_f = float(np.clip(freq[0], 20.0, hi * 0.8))
        hi_f = float(np.clip(freq[1], lo_f * 1.25, hi))
        wn = (lo_f, hi_f)
    else:
        wn = float(np.clip(freq, 20.0, hi))
    return signal.butter(order, wn, btype=kind, fs=sr, output="sos")


def _envelope(gate: int, sr: int, attack: float, decay: float, sustain: float, release: float) -> np.ndarray:
    """Linear ADSR envelope.

    Parameters
    ----------
    gate : int
        Samples the note is held; the release follows.

    Returns
    -------
    np.ndarray [shape=(gate + release samples,)]
        Starts and ends at exactly 0 (no clicks).
    """
    a = max(int(attack * sr), int(0.002 * sr), 1)
    d = max(int(decay * sr), 1)
    r = max(int(release * sr), int(0.006 * sr), 1)
    xs, ys = [0, a, a + d], [0.0, 1.0, sustain]
    level = float(np.interp(gate, xs, ys))
    keep = [i for i in range(3) if xs[i] < gate]
    xp = [xs[i] for i in keep] + [gate, gate + r]
    fp = [ys[i] for i in keep] + [level, 0.0]
    return np.interp(np.arange(gate + r, dtype=np.float64), xp, fp)


def _fade(y: np.ndarray, sr: int, seconds: float = 0.005) -> np.ndarray:
    """Fade the last ``seconds`` of ``y`` to zero in place and return it."""
    k = min(len(y), max(1, int(seconds * sr)))
    y[-k:] *= np.linspace(1.0, 0.0, k)
    return y


class _Wavetable:
    """A periodic waveform given by harmonic amplitudes, band-limited per note, read with interpolation."""

    def __init__(self, amps: Sequence[float]) -> None:
        self.amps = np.asarray(amps, dtype=np.float64)
        self._tables: Dict[int, np.ndarray] = {}
        self.amps = self.amps / np.max(np.abs(self.table(len(self.amps))))
        self._tables.clear()

    def table(self, n_harm: int) -> np.ndarray:
        table = self._tables.get(n_harm)
        if table is None:
            spec = np.zeros(_TABLE // 2 + 1, dtype=np.complex128)
            spec[1:n_harm + 1] = -0.5j * _TABLE * self.amps[:n_harm]
            table = np.fft.irfft(spec, _TABLE)
            table = np.append(table, table[0])
            self._tables[n_harm] = table
        return table

    def render(self, freq: float, n: int, sr: int, *, vibrato: float = 0.0, vibrato_rate: float = 5.5,
               glide: float = 0.0, glide_time: float = 0.04) -> np.ndarray:
        """``n`` samples at ``freq`` Hz; ``vibrato`` is a relative depth, ``glide`` a relative pitch offset
        at the note start that decays over ``glide_time`` seconds."""
        n_harm = int(np.clip(0.45 * sr / (freq * (1.0 + vibrato + max(glide, 0.0))), 1, len(self.amps)))
        table = self.table(n_harm)
        if vibrato or glide:
            t = np.arange(n) / sr
            f = np.full(n, freq)
            if vibrato:
                f *= 1.0 + vibrato * np.minimum(1.0, t / 0.3) * np.sin(2 * np.pi * vibrato_rate * t)
            if glide:
                f *= 1.0 + glide * np.exp(-t / glide_time)
            phase = np.cumsum(f) / sr
        else:
            phase = np.arange(n) * (freq / sr)
        x = (phase - np.floor(phase)) * _TABLE
        i = x.astype(np.intp)
        frac = x - i
        return table[i] + frac * (table[i + 1] - table[i])


def _rolloff(n: int, power: float = 1.0, odd: float = 1.0, even: float = 1.0, cutoff: float = 0.0) -> np.ndarray:
    """Harmonic amplitudes ``k**-power`` with odd/even weights and an optional ``exp(-k/cutoff)`` low-pass."""
    k = np.arange(1, n + 1, dtype=np.float64)
    amps = k ** -power * np.where(k % 2 == 1, odd, even)
    amps[0] = 1.0
    if cutoff:
        amps *= np.exp(-(k - 1) / cutoff)
    return amps


Instrument = Callable[[float, int], np.ndarray]


def _finish(y: np.ndarray, drive: float, sos: Optional[np.ndarray], sr: int) -> np.ndarray:
    """The end of a voice: optional tanh overdrive (unity gain at full scale), then the optional filter
    (with short fades so the filter's start-up does not click)."""
    if drive:
        y = np.tanh(drive * y) / np.tanh(drive)
    if sos is not None:
        y = _fade(signal.sosfilt(sos, y), sr)
    return y


def _voice(wave: _Wavetable, sr: int, *, attack: float, decay: float, sustain: float, release: float,
           tau: float = 0.0, vibrato: float = 0.0, vibrato_rate: float = 5.5, detune: float = 0.0,
           tremolo: float = 0.0, tremolo_rate: float = 6.0, glide: float = 0.0, drive: float = 0.0,
           lowpass: float = 0.0) -> Instrument:
    """An additive (wavetable) instrument: ADSR, optional exponential decay ``tau``, vibrato, a detuned
    pair (``detune`` cents), tremolo, a pitch glide, ``tanh`` drive and a low-pass filter."""
    sos = _sos("lowpass", lowpass, sr) if lowpass else None

    def render(freq: float, n: int) -> np.ndarray:
        env = _envelope(n, sr, attack, decay, sustain, release)
        size = len(env)
        opts = dict(vibrato=vibrato, vibrato_rate=vibrato_rate, glide=glide)
        if detune:
            c = 2.0 ** (detune / 1200.0)
            y = 0.5 * (wave.render(freq * c, size, sr, **opts) + wave.render(freq / c, size, sr, **opts))
        else:
            y = wave.render(freq, size, sr, **opts)
        if tau or tremolo:
            t = np.arange(size) / sr
            if tau:
                env = env * np.exp(-t / tau)
            if tremolo:
                env = env * (1.0 - tremolo * 0.5 * (1.0 - np.cos(2 * np.pi * tremolo_rate * t)))
        y *= env
        return _finish(y, drive, sos, sr)

    return render


def _layer(*parts: Tuple[float, Instrument]) -> Instrument:
    """Sum of instruments, each with a gain."""

    def render(freq: float, n: int) -> np.ndarray:
        outs = [g * inst(freq, n) for g, inst in parts]
        y = np.zeros(max(len(o) for o in outs))
        for o in outs:
            y[:len(o)] += o
        return y

    return render


def _fm(sr: int, *, ratio: float, index: float, index_tau: float, attack: float, decay: float,
        sustain: float, release: float, tau: float = 0.0, tremolo: float = 0.0,
        tremolo_rate: float = 5.0) -> Instrument:
    """Two-operator FM: ``sin(2 pi f t + I(t) sin(2 pi ratio f t))`` with ``I(t) = index * exp(-t / index_tau)``."""

    def render(freq: float, n: int) -> np.ndarray:
        env = _envelope(n, sr, attack, decay, sustain, release)
        t = np.arange(len(env)) / sr
        # keep the strong sidebands (about index + 1 of them) under Nyquist
        idx = float(np.clip(0.45 * sr / (ratio * freq) - 1.0, 0.0, index))
        mod = idx * np.exp(-t / index_tau) * np.sin(2 * np.pi * ratio * freq * t)
        if tau:
            env = env * np.exp(-t / tau)
        if tremolo:
            env = env * (1.0 - tremolo * 0.5 * (1.0 - np.cos(2 * np.pi * tremolo_rate * t)))
        return np.sin(2 * np.pi * freq * t + mod) * env

    return render


def _pluck(rng: np.random.Generator, sr: int, *, tau: float, brightness: float, release: float = 0.04,
           drive: float = 0.0, lowpass: float = 0.0) -> Instrument:
    """Karplus-Strong plucked string: a noise burst recirculated through a delay line of one period with
    a two-point average (loss), computed one period at a time.

    ``tau`` is the decay time in seconds, ``brightness`` in (0, 1] filters the excitation.
    """
    noise = rng.uniform(-1.0, 1.0, size=max(4096, sr // 10))
    pole = 1.0 - float(np.clip(brightness, 0.05, 1.0))
    excitation = signal.lfilter([1.0 - pole], [1.0, -pole], noise)
    excitation /= np.max(np.abs(excitation)) + 1e-12
    sos = _sos("lowpass", lowpass, sr) if lowpass else None

    def render(freq: float, n: int) -> np.ndarray:
        period = int(np.clip(round(sr / freq - 0.5), 2, len(excitation) - 1))
        gain = math.exp(-1.0 / (tau * freq))
        r = max(int(release * sr), 1)
        total = n + r
        y = np.zeros(1 + max(total, period) + period)
        y[1:1 + period] = excitation[:period] - excitation[:period].mean()
        for s in range(1 + period, len(y), period):
            e = min(s + period, len(y))
            y[s:e] = 0.5 * gain * (y[s - period:e - period] + y[s - period - 1:e - period - 1])
        out = y[1:1 + total]
        env = np.ones(total)
        a = max(int(0.001 * sr), 1)
        env[:a] = np.linspace(0.0, 1.0, a)
        env[n:] = np.linspace(1.0, 0.0, r)
        return _finish(out * env, drive, sos, sr)

    return render


def _power_chord(sr: int, *, drive: float, palm: bool, lowpass: float, detune: float) -> Instrument:
    """Distorted power chord (root, fifth, octave of band-limited saws) as a metal rhythm guitar."""
    saw = _Wavetable(_rolloff(64, 1.0))
    sos = _sos("lowpass", lowpass, sr)
    c = 2.0 ** (detune / 1200.0)

    def render(freq: float, n: int) -> np.ndarray:
        env = _envelope(n, sr, 0.003, 0.08 if palm else 0.3, 0.35 if palm else 0.8, 0.03)
        size = len(env)
        y = np.zeros(size)
        for ratio in (1.0, 1.5, 2.0):
            y += saw.render(freq * ratio * c, size, sr) + saw.render(freq * ratio / c, size, sr)
        y = np.tanh(drive * y * env) / np.tanh(drive)
        return _fade(signal.sosfilt(sos, y), sr)

    return render


def _acid(sr: int, *, q: float, cutoffs: Tuple[float, float], decay: float) -> Instrument:
    """Saw bass through a resonant low-pass whose cutoff falls from ``cutoffs[0]`` to ``cutoffs[1]``
    (two fixed biquads cross-faded: cheap, and it squelches)."""
    saw = _Wavetable(_rolloff(64, 1.0))

    def biquad(fc: float) -> Tuple[np.ndarray, np.ndarray]:
        w0 = 2 * np.pi * min(fc, 0.4 * sr) / sr
        alpha = np.sin(w0) / (2 * q)
        cw = np.cos(w0)
        b = np.array([(1 - cw) / 2, 1 - cw, (1 - cw) / 2])
        a = np.array([1 + alpha, -2 * cw, 1 - alpha])
        return b / a[0], a / a[0]

    hi, lo = biquad(cutoffs[0]), biquad(cutoffs[1])

    def render(freq: float, n: int) -> np.ndarray:
        env = _envelope(n, sr, 0.003, decay, 0.5, 0.02)
        x = saw.render(freq, len(env), sr)
        sweep = np.exp(-np.arange(len(env)) / (0.06 * sr))
        y = sweep * signal.lfilter(*hi, x) + (1 - sweep) * signal.lfilter(*lo, x)
        return np.tanh(1.5 * y * env / q ** 0.5)

    return render


# --------------------------------------------------------------------------------------------------
# Drums
# --------------------------------------------------------------------------------------------------

def _kick(rng, sr, *, f_start=150.0, f_end=50.0, sweep=0.03, decay=0.25, click=0.3) -> np.ndarray:
    """Kick drum: a sine whose pitch falls from ``f_start`` to ``f_end``, plus a short noise click."""
    size = int(sr * min(1.2, decay * 5))
    t = np.arange(size) / sr
    f = f_end + (f_start - f_end) * np.exp(-t / sweep)
    y = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t / decay)
    k = int(0.004 * sr)
    y[:k] += click * rng.uniform(-1, 1, k) * np.linspace(1, 0, k)
    return _fade(y, sr)


def _snare(rng, sr, *, tone=190.0, tone_decay=0.05, noise_decay=0.12, band=(1200.0, 8000.0),
           noise_gain=0.8) -> np.ndarray:
    """Snare: a band-passed noise burst over a short decaying tone."""
    size = int(sr * min(0.8, noise_decay * 6))
    t = np.arange(size) / sr
    noise = signal.sosfilt(_sos("bandpass", band, sr), rng.uniform(-1, 1, size))
    noise /= np.max(np.abs(noise)) + 1e-12
    y = 0.6 * np.sin(2 * np.pi * tone * t) * np.exp(-t / tone_decay) + noise_gain * noise * np.exp(-t / noise_decay)
    a = int(0.001 * sr)
    y[:a] *= np.linspace(0, 1, a)
    return _fade(y, sr)


def _hat(rng, sr, *, decay=0.03, cutoff=7000.0, attack=0.0005) -> np.ndarray:
    """Hi-hat (closed for short ``decay``, open for long), shaker (slow ``attack``): high-passed noise."""
    size = int(sr * min(1.0, decay * 6 + attack))
    t = np.arange(size) / sr
    y = signal.sosfilt(_sos("highpass", cutoff, sr, order=4), rng.uniform(-1, 1, size))
    env = np.exp(-np.maximum(t - attack, 0) / decay) * np.minimum(1.0, t / max(attack, 1.0 / sr))
    return _fade(y * env, sr)


def _metal_cymbal(rng, sr, *, decay=0.6, base=300.0, cutoff=3000.0, noise=0.4) -> np.ndarray:
    """Ride / crash: six inharmonic square-ish partials plus noise, high-passed."""
    size = int(sr * min(2.0, decay * 4))
    t = np.arange(size) / sr
    ratios = np.array([1.0, 1.483, 1.806, 2.546, 2.63, 3.9]) * base * rng.uniform(0.97, 1.03)
    y = np.zeros(size)
    for f in ratios:
        y += np.sign(np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)))
    y = y / 6 + noise * rng.uniform(-1, 1, size)
    y = signal.sosfilt(_sos("highpass", cutoff, sr, order=4), y)
    a = int(0.001 * sr)
    env = np.exp(-t / decay)
    env[:a] *= np.linspace(0, 1, a)
    return _fade(y * env, sr)


def _clap(rng, sr, *, decay=0.12, band=(800.0, 3500.0)) -> np.ndarray:
    """Hand clap: three quick noise bursts and a tail, band-passed."""
    size = int(sr * min(0.8, decay * 6 + 0.03))
    t = np.arange(size) / sr
    env = np.exp(-np.maximum(t - 0.022, 0) / decay) * (t >= 0.022)
    for start in (0.0, 0.011):
        env += np.exp(-(t - start) / 0.004) * (t >= start) * (t < start + 0.011)
    y = signal.sosfilt(_sos("bandpass", band, sr), rng.uniform(-1, 1, size)) * env
    return _fade(y, sr)


def _rim(rng, sr, *, tone=1700.0) -> np.ndarray:
    """Cross-stick / rim shot: a very short bright tone and click."""
    size = int(0.12 * sr)
    t = np.arange(size) / sr
    y = np.sin(2 * np.pi * min(tone, 0.4 * sr) * t) * np.exp(-t / 0.015)
    y += 0.5 * signal.sosfilt(_sos("bandpass", (2000, 6000), sr), rng.uniform(-1, 1, size)) * np.exp(-t / 0.01)
    return _fade(y, sr)


def _drum_kit(rng, sr, **kinds) -> Dict[str, np.ndarray]:
    """Render each drum once per song: ``name=(function, options)``; samples are peak-normalised."""
    kit = {}
    for name, (fn, opts) in kinds.items():
        y = fn(rng, sr, **opts)
        kit[name] = y / (np.max(np.abs(y)) + 1e-12)
    return kit
