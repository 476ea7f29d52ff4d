"""The synthetic dataset's genres: a song is a beat grid (tempo, metre, swing), a key, a chord per bar and four
tracks (drums, bass, chords, melody); each genre arranges them its own way (:data:`GENRES`, one arranger each).
"""

from __future__ import annotations

import math
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from scipy import signal

from .instruments import (_QUALITIES, _SCALES, Instrument, _acid, _clap, _drum_kit, _fm, _hat, _kick, _layer,
                          _metal_cymbal, _midi_hz, _parse_chord, _pluck, _power_chord, _rim, _rolloff, _snare, _voice,
                          _Wavetable)

__all__ = ["GENRES"]

#: Genres of the synthetic dataset, in a fixed order (a genre's position seeds its songs: append only).
GENRES: Tuple[str, ...] = ("blues", "classical", "disco", "hiphop", "jazz", "metal", "reggae", "techno")


# --------------------------------------------------------------------------------------------------
# The song: a beat grid and four tracks
# --------------------------------------------------------------------------------------------------

class _Song:
    """A beat grid (tempo, metre, swing), a key, a scale, a chord per bar and four tracks to play into."""

    TRACKS = ("drums", "bass", "chords", "melody")

    def __init__(self, rng: np.random.Generator, n: int, sr: int, *, tempo: float, scale: str,
                 progression: str, key: Optional[int] = None, beats_per_bar: int = 4, swing: float = 0.5,
                 swing_unit: float = 0.5, humanise: float = 0.004) -> None:
        self.rng, self.n, self.sr = rng, n, sr
        self.key = int(rng.integers(12)) if key is None else key
        self.tempo = tempo
        self.spb = 60.0 / tempo
        self.bpb = beats_per_bar
        self.swing, self.swing_unit, self.humanise = swing, swing_unit, humanise
        self.scale = _SCALES[scale]
        self.progression = [_parse_chord(s) for s in str(progression).split()]
        self.n_bars = max(1, int(math.ceil(n / sr / (self.spb * beats_per_bar))))
        self.tracks = {t: np.zeros(n + 3 * sr) for t in self.TRACKS}
        self._cache: Dict[tuple, np.ndarray] = {}

    # -- harmony --
    def chord(self, bar: int) -> Tuple[int, Tuple[int, ...]]:
        return self.progression[bar % len(self.progression)]

    def chord_pcs(self, bar: int) -> set:
        root, ivs = self.chord(bar)
        return {(self.key + root + iv) % 12 for iv in ivs}

    def root(self, bar: int, lo: int) -> int:
        """The chord root of ``bar`` as the lowest midi note >= ``lo``."""
        pc = (self.key + self.chord(bar)[0]) % 12
        return lo + (pc - lo) % 12

    def voicing(self, bar: int, lo: int) -> List[int]:
        """Chord tones of ``bar`` in close position within ``[lo, lo + 12)`` (power chords: root + intervals)."""
        root, ivs = self.chord(bar)
        if ivs == _QUALITIES["5"]:
            r = self.root(bar, lo)
            return [r + iv for iv in ivs]
        return sorted({lo + ((self.key + root + iv) % 12 - lo) % 12 for iv in ivs})

    def scale_notes(self, lo: int, hi: int, scale: Optional[Sequence[int]] = None) -> np.ndarray:
        scale = self.scale if scale is None else scale
        return np.array([m for m in range(lo, hi + 1) if (m - self.key) % 12 in scale])

    # -- time --
    def time(self, beat: float) -> float:
        """Seconds at ``beat`` after swing (offbeats of ``swing_unit`` moved to ``swing`` of the pair)."""
        s = self.swing
        if s != 0.5:
            pair = 2.0 * self.swing_unit
            q = beat / pair + 1e-9
            k = math.floor(q)
            r = q - k
            r = r * 2 * s if r < 0.5 else s + (r - 0.5) * 2 * (1 - s)
            beat = (k + r) * pair
        return beat * self.spb

    def place(self, track: str, beat: float, sig: np.ndarray, gain: float = 1.0) -> None:
        t = self.time(beat)
        if self.humanise:
            t += self.humanise * float(self.rng.standard_normal())
        start = max(0, int(round(t * self.sr)))
        if start >= self.n:
            return
        buf = self.tracks[track]
        end = min(start + len(sig), len(buf))
        buf[start:end] += gain * sig[:end - start]

    def note(self, track: str, inst: Instrument, midi: int, beat: float, length: float,
             gain: float = 1.0) -> None:
        """Play ``midi`` on ``inst`` at ``beat`` for ``length`` beats (renders are cached per song)."""
        if self.time(beat) * self.sr >= self.n:
            return
        gate = max(1, int(round(length * self.spb * self.sr)))
        key = (id(inst), int(midi), gate)
        sig = self._cache.get(key)
        if sig is None:
            sig = inst(_midi_hz(midi), gate)
            self._cache[key] = sig
        self.place(track, beat, sig, gain)

    def notes(self, track: str, inst: Instrument, midis: Iterable[int], beat: float, length: float,
              gain: float = 1.0) -> None:
        midis = list(midis)
        for m in midis:
            self.note(track, inst, m, beat, length, gain / math.sqrt(len(midis)))

    def hit(self, kit: Dict[str, np.ndarray], name: str, beat: float, gain: float = 1.0) -> None:
        self.place("drums", beat, kit[name], gain)

    def pattern(self, kit: Dict[str, np.ndarray], steps: Dict[str, str], bar: int, *, step: float = 0.25,
                gain: float = 1.0, vary: float = 0.15) -> None:
        """Play drum patterns written one character per step: ``x`` accent, ``o`` normal, ``.`` ghost,
        ``-`` rest."""
        levels = {"x": 1.0, "o": 0.7, ".": 0.3}
        for name, pat in steps.items():
            for i, ch in enumerate(pat):
                if ch in levels:
                    g = gain * levels[ch] * (1.0 - vary * float(self.rng.random()))
                    self.hit(kit, name, bar * self.bpb + i * step, g)

    def fill(self, kit: Dict[str, np.ndarray], bar: int, *, name: str = "snare", beats: float = 1.0,
             step: float = 0.25, gain: float = 0.8) -> None:
        """A crescendo of ``name`` hits over the last ``beats`` of ``bar``."""
        start = (bar + 1) * self.bpb - beats
        k = int(round(beats / step))
        for i in range(k):
            self.hit(kit, name, start + i * step, gain * (0.5 + 0.5 * (i + 1) / k))

    def echo(self, track: str, beats: float, feedback: float, taps: int = 3) -> None:
        """A dub-style echo: ``taps`` delayed, decaying copies of ``track``."""
        delay = int(round(beats * self.spb * self.sr))
        buf = self.tracks[track]
        dry = buf.copy()
        for k in range(1, taps + 1):
            if k * delay >= len(buf):
                break
            buf[k * delay:] += feedback ** k * dry[:len(buf) - k * delay]

    # -- melody --
    def melody(self, inst: Instrument, *, lo: int, hi: int, step: float, density: float, rest: float = 0.1,
               motif_bars: int = 2, repeat: float = 0.6, legato: float = 0.9, max_len: float = 2.0,
               gain: float = 1.0, bars: Optional[Callable[[int], bool]] = None,
               scale: Optional[Sequence[int]] = None, track: str = "melody") -> None:
        """A phrase-based random melody: a ``motif_bars`` motif (onsets on a ``step`` grid with probability
        ``density``, a random walk on the scale) repeated with probability ``repeat``; notes starting on
        a beat are moved to the nearest chord tone."""
        rng = self.rng
        pitches = self.scale_notes(lo, hi, scale)
        span = motif_bars * self.bpb
        motif: Optional[list] = None
        for b0 in range(0, self.n_bars, motif_bars):
            if motif is None or rng.random() > repeat:
                grid = np.arange(0.0, span, step)
                onsets = grid[(rng.random(len(grid)) < density) | (grid == 0)]
                ends = np.append(onsets[1:], span)
                idx = int(rng.integers(len(pitches) // 3, max(len(pitches) // 3 + 1, 2 * len(pitches) // 3)))
                motif = []
                for on, end in zip(onsets, ends):
                    idx += int(rng.choice([-3, -2, -1, -1, 0, 1, 1, 2, 3], p=[.05, .15, .2, .1, .05, .2, .1, .1, .05]))
                    if idx < 0 or idx >= len(pitches):
                        idx = int(np.clip(-idx if idx < 0 else 2 * (len(pitches) - 1) - idx, 0, len(pitches) - 1))
                    if rng.random() >= rest:
                        motif.append((float(on), float(min(end - on, max_len)), idx))
            for on, length, idx in motif:
                bar = b0 + int(on // self.bpb)
                if bar >= self.n_bars or (bars is not None and not bars(bar)):
                    continue
                midi = int(pitches[idx])
                if abs(on - round(on)) < 1e-6:  # on a beat: nearest chord tone
                    pcs = self.chord_pcs(bar)
                    near = [int(p) for p in pitches[max(0, idx - 2):idx + 3] if int(p) % 12 in pcs]
                    if near:
                        midi = min(near, key=lambda p: abs(p - midi))
                self.note(track, inst, midi, b0 * self.bpb + on, length * legato, gain)

    # -- mix --
    def mix(self, levels: Dict[str, float], *, reverb: float = 0.0, rt60: float = 1.2,
            reverb_tracks: Sequence[str] = ("chords", "melody")) -> np.ndarray:
        """Scale each track to an RMS of ``levels[track]`` (with a little random variation), add a
        noise-impulse reverb to ``reverb_tracks``, sum, and tilt the spectrum a little at random."""
        rng, n, sr = self.rng, self.n, self.sr
        out = np.zeros(n)
        bus = np.zeros(n)
        for name, level in levels.items():
            x = self.tracks[name][:n]
            rms = float(np.sqrt(np.mean(x * x)))
            if rms < 1e-9:
                continue
            x = x * (level * 10 ** (rng.uniform(-1.5, 1.5) / 20) / rms)
            out += x
            if name in reverb_tracks:
                bus += x
        if reverb > 0:
            size = int(min(rt60, 2.0) * sr)
            t = np.arange(size) / sr
            ir = rng.standard_normal(size) * np.exp(-6.9 * t / rt60)
            ir = signal.lfilter([0.35], [1.0, -0.65], ir)
            ir[: int(0.01 * sr)] = 0.0  # pre-delay
            ir /= np.sqrt(np.sum(ir * ir)) + 1e-12
            out += reverb * signal.fftconvolve(bus, ir)[:n]
        # a random, gentle "recording" tilt: treble boosted or cut by a few dB around 1.5 kHz
        pole = math.exp(-2 * math.pi * min(1500.0, 0.2 * sr) / sr)
        low = signal.lfilter([1.0 - pole], [1.0, -pole], out)
        return out + rng.uniform(-0.5, 0.5) * (out - low)


# --------------------------------------------------------------------------------------------------
# Genres
# --------------------------------------------------------------------------------------------------

def _blues(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    progression = rng.choice(["I7 I7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 V7",
                              "I7 IV7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 V7",
                              "I7 IV7 I7 I7 IV7 IV7 I7 I7 V7 V7 I7 I7"])
    song = _Song(rng, n, sr, tempo=rng.uniform(66, 100), scale="blues", progression=progression,
                 swing=rng.uniform(0.62, 0.7))
    kit = _drum_kit(rng, sr, kick=(_kick, dict(f_start=120, f_end=55, decay=0.18)),
                    snare=(_snare, dict(tone=rng.uniform(170, 210), noise_decay=0.1)),
                    hat=(_hat, dict(decay=0.035)), ride=(_metal_cymbal, dict(decay=0.8, base=380)))
    guitar = _pluck(rng, sr, tau=rng.uniform(0.5, 0.9), brightness=rng.uniform(0.5, 0.8),
                    drive=rng.uniform(1.5, 3.0), lowpass=3500)
    organ = _voice(_Wavetable([1, 0.9, 0.6, 0.5, 0, 0.3, 0, 0.25]), sr, attack=0.01, decay=0.05, sustain=0.9,
                   release=0.08, tremolo=rng.uniform(0.15, 0.35), tremolo_rate=rng.uniform(5.5, 7))
    bass = _voice(_Wavetable(_rolloff(8, 1.6)), sr, attack=0.005, decay=0.15, sustain=0.6, release=0.05)
    walk = [[0, 4, 7, 9, 10, 9, 7, 4], [0, 0, 7, 7, 9, 9, 7, 7], [0, 7, 9, 7, 10, 9, 7, 4]][rng.integers(3)]
    cymbal = "hat" if rng.random() < 0.6 else "ride"
    for bar in range(song.n_bars):
        song.pattern(kit, {"kick": "o-o-", "snare": "-x-x"}, bar, step=1.0)
        song.pattern(kit, {cymbal: "o.o.o.o."}, bar, step=0.5, gain=0.8)
        if bar % 12 == 11:
            song.fill(kit, bar, beats=1.0, step=1 / 3)
        root = song.root(bar, 36)
        for i, iv in enumerate(walk):
            song.note("bass", bass, root + iv, bar * 4 + i * 0.5, 0.45)
        song.notes("chords", organ, song.voicing(bar, 55), bar * 4, 3.9)
    song.melody(guitar, lo=57 + song.key, hi=76 + song.key, step=0.5, density=0.5, rest=0.15, motif_bars=2,
                bars=lambda b: b % 4 < 2 or rng.random() < 0.3, legato=0.95)
    return song.mix({"drums": 0.3, "bass": 0.22, "chords": 0.12, "melody": 0.25}, reverb=0.25, rt60=1.0)


def _classical(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    if rng.random() < 0.65:
        scale, progression = "major", rng.choice(["I IV V I", "I vi IV V", "I vi ii V", "I V vi iii IV I IV V"])
    else:
        scale, progression = "harmonic_minor", rng.choice(["i iv V i", "i VI iv V", "i iv bVII bIII"])
    bpb = 3 if rng.random() < 0.35 else 4
    song = _Song(rng, n, sr, tempo=rng.uniform(58, 96), scale=scale, progression=progression,
                 beats_per_bar=bpb, humanise=0.008)
    strings = _voice(_Wavetable(_rolloff(24, 1.1, cutoff=10)), sr, attack=rng.uniform(0.15, 0.35), decay=0.2,
                     sustain=0.85, release=0.4, vibrato=0.004, detune=rng.uniform(4, 9))
    violin = _voice(_Wavetable(_rolloff(30, 0.9, cutoff=14)), sr, attack=rng.uniform(0.05, 0.12), decay=0.1,
                    sustain=0.9, release=0.25, vibrato=rng.uniform(0.004, 0.008), vibrato_rate=rng.uniform(5, 6.5))
    cello = _voice(_Wavetable(_rolloff(20, 1.0, cutoff=8)), sr, attack=0.08, decay=0.2, sustain=0.8,
                   release=0.3, vibrato=0.003)
    piano = _layer((0.6, _voice(_Wavetable(_rolloff(16, 1.3)), sr, attack=0.003, decay=0.05, sustain=1.0,
                                release=0.3, tau=0.25)),
                   (0.7, _voice(_Wavetable(_rolloff(4, 2.0)), sr, attack=0.003, decay=0.05, sustain=1.0,
                                release=0.3, tau=rng.uniform(0.8, 1.4))))
    alberti = bpb == 4 and rng.random() < 0.5
    for bar in range(song.n_bars):
        b = bar * bpb
        chord = song.voicing(bar, 52)
        if alberti:
            order = [0, 2, 1, 2] * 2
        else:
            order = ([0, 1, 2, 1] * 3)[: bpb * 2] if rng.random() < 0.5 else list(range(3)) * 3
            order = order[: bpb * 2]
        for i, k in enumerate(order):
            song.note("drums", piano, chord[k % len(chord)], b + i * 0.5, 0.5, 0.8 if i % 2 else 1.0)
        song.note("bass", cello, song.root(bar, 36), b, bpb - 0.05)
        song.notes("chords", strings, song.voicing(bar, 60), b, bpb)
    song.melody(violin, lo=67 + song.key % 7, hi=86 + song.key % 7, step=0.5, density=0.4, rest=0.05,
                motif_bars=2, repeat=0.5, legato=1.0)
    return song.mix({"drums": 0.2, "bass": 0.16, "chords": 0.1, "melody": 0.22}, reverb=0.45,
                    rt60=rng.uniform(1.6, 2.2), reverb_tracks=("drums", "bass", "chords", "melody"))


def _disco(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    scale, progression = [("dorian", "i7 IV7"), ("minor", "i7 iv7 i7 v7"), ("minor", "i bVII bVI bVII"),
                          ("major", "Imaj7 vi7 ii7 V7"), ("dorian", "i7 i7 IV7 IV7")][rng.integers(5)]
    song = _Song(rng, n, sr, tempo=rng.uniform(112, 128), scale=scale, progression=progression, humanise=0.002)
    kit = _drum_kit(rng, sr, kick=(_kick, dict(f_start=160, f_end=52, decay=0.22)),
                    snare=(_snare, dict(tone=200, noise_decay=0.13)), clap=(_clap, {}),
                    hat=(_hat, dict(decay=0.025)), open=(_hat, dict(decay=0.18, cutoff=6000)))
    bass = _voice(_Wavetable(_rolloff(32, 1.0, cutoff=6)), sr, attack=0.004, decay=0.12, sustain=0.4,
                  release=0.03)
    pad = _voice(_Wavetable(_rolloff(32, 1.0, cutoff=5)), sr, attack=0.25, decay=0.2, sustain=0.8, release=0.3,
                 detune=rng.uniform(8, 15), vibrato=0.002)
    chops = _pluck(rng, sr, tau=0.3, brightness=0.9, release=0.02)
    lead = _voice(_Wavetable(_rolloff(32, 1.0, cutoff=9)), sr, attack=0.03, decay=0.1, sustain=0.8,
                  release=0.12, vibrato=0.005, detune=6)
    snare = "clap" if rng.random() < 0.5 else "snare"
    for bar in range(song.n_bars):
        song.pattern(kit, {"kick": "xxxx", snare: "-x-x"}, bar, step=1.0)
        song.pattern(kit, {"open": "-o-o-o-o", "hat": "o.o.o.o."}, bar, step=0.5, gain=0.6)
        if bar % 8 == 7:
            song.fill(kit, bar, name="snare")
        root = song.root(bar, 33)
        for i in range(8):
            song.note("bass", bass, root + (12 if i % 2 else 0), bar * 4 + i * 0.5, 0.4)
        song.notes("chords", pad, song.voicing(bar, 60), bar * 4, 4.0, 0.6)
        for i in (1, 3, 6, 9, 11, 14):
            song.notes("chords", chops, song.voicing(bar, 64), bar * 4 + i * 0.25, 0.15, 0.5)
    song.melody(lead, lo=69 + song.key % 5, hi=88, step=rng.choice([0.25, 0.5]), density=0.45, rest=0.15,
                motif_bars=2, repeat=0.7)
    return song.mix({"drums": 0.32, "bass": 0.24, "chords": 0.14, "melody": 0.16}, reverb=0.15, rt60=0.8)


def _hiphop(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    scale, progression = [("minor", "i7 iv7"), ("minor", "i9 bVImaj7"), ("dorian", "i9 iv9 i9 v7"),
                          ("minor", "i7 bVImaj7 iv7 v7"), ("major", "Imaj7 vi9 ii9 V7")][rng.integers(5)]
    song = _Song(rng, n, sr, tempo=rng.uniform(80, 96), scale=scale, progression=progression,
                 swing=rng.uniform(0.54, 0.62), swing_unit=0.25, humanise=0.006)
    kit = _drum_kit(rng, sr, kick=(_kick, dict(f_start=110, f_end=48, sweep=0.05, decay=0.3, click=0.5)),
                    snare=(_snare, dict(tone=rng.uniform(160, 200), noise_decay=0.16, band=(900, 6000),
                                        noise_gain=1.0)),
                    hat=(_hat, dict(decay=rng.uniform(0.02, 0.05), cutoff=6500)))
    kicks = ["x------o--x-----", "x-----x---x--o--", "x--o---x--x-----", "x------x-o--o---"][rng.integers(4)]
    sub = _voice(_Wavetable([1, 0.05, 0.15]), sr, attack=0.004, decay=0.3, sustain=0.7, release=0.1,
                 glide=rng.uniform(0.2, 0.6), drive=rng.uniform(1.2, 2.5))
    keys = _fm(sr, ratio=1.0, index=rng.uniform(1.0, 2.0), index_tau=0.4, attack=0.004, decay=0.4, sustain=0.6,
               release=0.3, tau=1.5, tremolo=rng.uniform(0.1, 0.3), tremolo_rate=4.5)
    bell = _fm(sr, ratio=rng.choice([3.5, 2.0, 4.0]), index=rng.uniform(1.5, 3.0), index_tau=0.15,
               attack=0.002, decay=0.3, sustain=0.3, release=0.3, tau=0.6)
    for bar in range(song.n_bars):
        song.pattern(kit, {"kick": kicks, "snare": "----x-------x---"}, bar, step=0.25)
        song.pattern(kit, {"hat": "xoxoxoxo" if rng.random() < 0.7 else "xoxoxoxx"}, bar, step=0.5, gain=0.7,
                     vary=0.4)
        root = song.root(bar, 29)
        song.note("bass", sub, root, bar * 4, 1.5)
        song.note("bass", sub, root + (0 if rng.random() < 0.6 else 7), bar * 4 + 2.5, 1.2)
        song.notes("chords", keys, song.voicing(bar, 57), bar * 4, 3.8)
    song.melody(bell, lo=72, hi=91, step=0.5, density=0.3, rest=0.2, motif_bars=2, repeat=0.85,
                scale=_SCALES["minor_pentatonic"] if scale != "major" else _SCALES["major_pentatonic"])
    y = song.mix({"drums": 0.35, "bass": 0.25, "chords": 0.13, "melody": 0.08}, reverb=0.1, rt60=0.6)
    # lo-fi: hiss and vinyl crackle
    hiss = signal.lfilter([0.2], [1.0, -0.8], rng.standard_normal(n))
    crackle = (rng.random(n) < 12.0 / sr) * rng.uniform(-1, 1, n)
    return y + 0.004 * hiss / (np.std(hiss) + 1e-12) + 0.15 * crackle * rng.uniform(0.2, 1.0)


def _jazz(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    progression = rng.choice(["ii7 V7 Imaj7 Imaj7", "Imaj7 vi7 ii7 V7", "ii7 V7 iii7 VI7 ii7 V7 Imaj7 Imaj7",
                              "Imaj7 IV7 iii7 VI7 ii7 V7 Imaj7 V7"])
    song = _Song(rng, n, sr, tempo=rng.uniform(120, 190), scale="major", progression=progression,
                 swing=rng.uniform(0.62, 0.68), humanise=0.006)
    kit = _drum_kit(rng, sr, ride=(_metal_cymbal, dict(decay=rng.uniform(0.6, 1.2), base=rng.uniform(420, 520),
                                                       cutoff=4000, noise=0.2)),
                    pedal=(_hat, dict(decay=0.02, cutoff=5000)),
                    kick=(_kick, dict(f_start=90, f_end=60, decay=0.15, click=0.05)),
                    brush=(_hat, dict(decay=0.09, cutoff=2500, attack=0.02)))
    upright = _pluck(rng, sr, tau=rng.uniform(0.3, 0.6), brightness=0.3, release=0.05, lowpass=1500)
    piano = _layer((0.5, _voice(_Wavetable(_rolloff(16, 1.3)), sr, attack=0.003, decay=0.05, sustain=1.0,
                                release=0.15, tau=0.2)),
                   (0.7, _voice(_Wavetable(_rolloff(5, 1.8)), sr, attack=0.003, decay=0.05, sustain=1.0,
                                release=0.15, tau=0.9)))
    sax = _voice(_Wavetable([1, 0.9, 0.75, 0.6, 0.45, 0.35, 0.3, 0.22, 0.16, 0.12, 0.08, 0.05]), sr,
                 attack=0.03, decay=0.08, sustain=0.85, release=0.06, vibrato=rng.uniform(0.004, 0.009),
                 vibrato_rate=rng.uniform(4.5, 6), drive=0.8)
    for bar in range(song.n_bars):
        b = bar * 4
        song.pattern(kit, {"ride": "x-x-x-x-"}, bar, step=0.5, gain=0.8)
        song.pattern(kit, {"ride": "---o---o", "pedal": "--o---o-", "kick": "........"}, bar, step=0.5, gain=0.8)
        for i in range(8):
            if rng.random() < 0.18:
                song.hit(kit, "brush", b + i * 0.5, 0.4)
        # walking bass: root, two chord/scale tones, chromatic approach to the next root
        root = song.root(bar, 36)
        nxt = song.root(bar + 1, 36)
        tones = song.voicing(bar, 36)
        walk = [root, int(rng.choice(tones)), int(rng.choice(tones)) + 12 * int(rng.random() < 0.3),
                nxt + int(rng.choice([-1, 1]))]
        for i, m in enumerate(walk):
            song.note("bass", upright, m, b + i, 0.9)
        comp = [(0.0, 0.4), (1.5, 0.4)] if rng.random() < 0.6 else [(0.5, 0.4), (2.5, 0.8)]
        for on, length in comp:
            song.notes("chords", piano, song.voicing(bar, 55), b + on, length)
    song.melody(sax, lo=62 + song.key % 6, hi=82, step=0.5, density=0.7, rest=0.1, motif_bars=2, repeat=0.35,
                legato=0.95, max_len=1.5)
    return song.mix({"drums": 0.16, "bass": 0.22, "chords": 0.12, "melody": 0.22}, reverb=0.3, rt60=1.1,
                    reverb_tracks=("drums", "chords", "melody"))


def _metal(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    scale, progression = [("minor", "i5 bVI5 bVII5 i5"), ("phrygian", "i5 bII5 i5 bVII5"),
                          ("minor", "i5 i5 bVI5 bVII5"), ("harmonic_minor", "i5 iv5 V5 i5"),
                          ("phrygian", "i5 i5 bII5 i5")][rng.integers(5)]
    song = _Song(rng, n, sr, tempo=rng.uniform(140, 190), scale=scale, progression=progression,
                 key=int(rng.integers(4, 12)), humanise=0.002)
    kit = _drum_kit(rng, sr, kick=(_kick, dict(f_start=200, f_end=60, sweep=0.015, decay=0.09, click=0.8)),
                    snare=(_snare, dict(tone=rng.uniform(200, 240), noise_decay=0.12, noise_gain=1.0)),
                    hat=(_hat, dict(decay=0.04)),
                    crash=(_metal_cymbal, dict(decay=1.2, base=350, cutoff=5000, noise=0.8)))
    chugs = _power_chord(sr, drive=rng.uniform(6, 12), palm=True, lowpass=rng.uniform(3500, 5000),
                         detune=rng.uniform(5, 12))
    open_chord = _power_chord(sr, drive=rng.uniform(6, 12), palm=False, lowpass=rng.uniform(3500, 5000),
                              detune=rng.uniform(5, 12))
    bass = _voice(_Wavetable(_rolloff(16, 1.2)), sr, attack=0.003, decay=0.1, sustain=0.8, release=0.03,
                  drive=2.0, lowpass=1200)
    lead = _voice(_Wavetable(_rolloff(48, 1.0)), sr, attack=0.01, decay=0.1, sustain=0.9, release=0.08,
                  vibrato=rng.uniform(0.008, 0.015), vibrato_rate=rng.uniform(5.5, 7), drive=rng.uniform(4, 8),
                  lowpass=4500)
    double = rng.random() < 0.6
    halftime = rng.random() < 0.3
    riff = (rng.random(16) < 0.7) | (np.arange(16) % 4 == 0)
    for bar in range(song.n_bars):
        b = bar * 4
        kicks = "x" * 16 if double else "x-x-x-x-x-x-x-x-"
        snares = "--------x-------" if halftime else "----x-------x---"
        song.pattern(kit, {"kick": kicks, "snare": snares, "hat": "o-o-o-o-o-o-o-o-"}, bar, step=0.25, gain=0.9)
        if bar % 4 == 0:
            song.hit(kit, "crash", b, 0.8)
        if bar % 8 == 7:
            song.fill(kit, bar, name="snare", beats=1.0)
        root = song.root(bar, 28)
        for i in range(16):
            if riff[i]:
                song.note("chords", chugs, root + 12, b + i * 0.25, 0.22)
                song.note("bass", bass, root, b + i * 0.25, 0.22)
        if bar % 2 == 1:
            song.note("chords", open_chord, root + 12, b + 3, 1.0, 1.2)
    song.melody(lead, lo=60 + song.key, hi=79 + song.key, step=rng.choice([0.25, 0.5]), density=0.55, rest=0.1,
                motif_bars=2, repeat=0.5, bars=lambda bar: bar % 8 >= 4)
    return song.mix({"drums": 0.3, "bass": 0.18, "chords": 0.26, "melody": 0.16}, reverb=0.12, rt60=0.9)


def _reggae(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    scale, progression = [("major", "I IV I V"), ("major", "I IV"), ("major", "I V vi IV"),
                          ("minor", "i iv"), ("minor", "i bVII"), ("dorian", "i7 iv7")][rng.integers(6)]
    song = _Song(rng, n, sr, tempo=rng.uniform(64, 84), scale=scale, progression=progression,
                 swing=rng.uniform(0.5, 0.58), humanise=0.005)
    kit = _drum_kit(rng, sr, kick=(_kick, dict(f_start=100, f_end=50, decay=0.25, click=0.1)),
                    rim=(_rim, dict(tone=rng.uniform(1400, 2000))), hat=(_hat, dict(decay=0.03)),
                    open=(_hat, dict(decay=0.2, cutoff=6000)))
    one_drop = rng.random() < 0.7
    bass = _voice(_Wavetable([1, 0.35, 0.1]), sr, attack=0.01, decay=0.2, sustain=0.8, release=0.08,
                  lowpass=700)
    skank = _pluck(rng, sr, tau=0.15, brightness=0.95, release=0.02, lowpass=5000)
    bubble = _voice(_Wavetable([1, 0.9, 0.5, 0.6, 0, 0.3]), sr, attack=0.005, decay=0.05, sustain=0.8,
                    release=0.04)
    melodica = _voice(_Wavetable(_rolloff(16, 1.0, odd=1.0, even=0.25)), sr, attack=0.02, decay=0.05,
                      sustain=0.9, release=0.1, vibrato=0.003, tremolo=0.1, tremolo_rate=5)
    bass_rhythm = rng.choice(["-x-o--o-", "x--o-o--", "--x-o-o-", "x-o--xo-"])
    for bar in range(song.n_bars):
        b = bar * 4
        if one_drop:
            song.pattern(kit, {"kick": "--x-", "rim": "--x-"}, bar, step=1.0)
        else:
            song.pattern(kit, {"kick": "xxxx", "rim": "-x-x"}, bar, step=1.0)
        song.pattern(kit, {"hat": "xoxoxoxo"}, bar, step=0.5, gain=0.5, vary=0.3)
        if bar % 4 == 3:
            song.hit(kit, "open", b + 3.5, 0.6)
        chord = song.voicing(bar, 62)
        for k in range(4):
            song.notes("chords", skank, chord, b + k + 0.5, 0.2)
            song.notes("chords", bubble, song.voicing(bar, 55), b + k + 0.5, 0.2, 0.5)
        root = song.root(bar, 31)
        tones = [root, root + 7, root + 12, root + (3 if scale != "major" else 4)]
        for i, ch in enumerate(bass_rhythm):
            if ch != "-":
                m = root if ch == "x" else int(rng.choice(tones))
                song.note("bass", bass, m, b + i * 0.5, 0.9)
    song.melody(melodica, lo=64 + song.key % 5, hi=84, step=0.5, density=0.4, rest=0.15, motif_bars=2,
                repeat=0.7, scale=_SCALES["major_pentatonic"] if scale == "major" else _SCALES["minor_pentatonic"])
    song.echo("melody", 0.75, 0.4, taps=3)
    return song.mix({"drums": 0.22, "bass": 0.3, "chords": 0.12, "melody": 0.15}, reverb=0.15, rt60=0.9)


def _techno(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    scale, progression = [("minor", "i"), ("minor", "i i bVI bVII"), ("phrygian", "i i bII i"),
                          ("minor", "i7 i7 iv7 iv7")][rng.integers(4)]
    song = _Song(rng, n, sr, tempo=rng.uniform(124, 136), scale=scale, progression=progression, humanise=0.0)
    kit = _drum_kit(rng, sr, kick=(_kick, dict(f_start=rng.uniform(140, 200), f_end=rng.uniform(42, 50),
                                               sweep=0.04, decay=rng.uniform(0.25, 0.45), click=0.3)),
                    clap=(_clap, dict(decay=0.1)), hat=(_hat, dict(decay=0.015, cutoff=9000)),
                    open=(_hat, dict(decay=0.09, cutoff=8000)),
                    shaker=(_hat, dict(decay=0.03, cutoff=5000, attack=0.01)))
    acid = _acid(sr, q=rng.uniform(3, 7), cutoffs=(rng.uniform(1500, 3000), rng.uniform(250, 500)),
                 decay=rng.uniform(0.08, 0.15))
    stab = _voice(_Wavetable(_rolloff(32, 1.0, cutoff=4)), sr, attack=0.003, decay=0.15, sustain=0.0,
                  release=0.05, detune=10)
    bleep = _fm(sr, ratio=rng.choice([1.0, 2.0, 0.5]), index=rng.uniform(2, 5), index_tau=0.05, attack=0.002,
                decay=0.08, sustain=0.2, release=0.05)
    clap = rng.random() < 0.7
    seq = None
    for bar in range(song.n_bars):
        b = bar * 4
        song.pattern(kit, {"kick": "xxxx"}, bar, step=1.0, vary=0.0)
        song.pattern(kit, {"open": "-o-o-o-o"}, bar, step=0.5, gain=0.6, vary=0.05)
        song.pattern(kit, {"hat": "o" * 16, "shaker": "-.-.-.-.-.-.-.-."}, bar, step=0.25,
                     gain=0.4, vary=0.3)
        if clap and bar >= 2:
            song.pattern(kit, {"clap": "-x-x"}, bar, step=1.0)
        if seq is None or bar % 8 == 0:
            steps = rng.random(16) < 0.7
            steps[0] = True
            seq = [(i, int(rng.choice([0, 0, 0, 12, 7, 3, 10]))) for i in range(16) if steps[i]]
        root = song.root(bar, 33)
        for i, iv in seq:
            song.note("bass", acid, root + iv, b + i * 0.25, 0.2)
        for on in (0.75, 2.5):
            song.notes("chords", stab, song.voicing(bar, 57), b + on, 0.25)
    song.echo("chords", 0.75, 0.45, taps=4)
    song.melody(bleep, lo=72, hi=91, step=0.25, density=0.35, rest=0.2, motif_bars=1, repeat=0.9,
                legato=0.5, bars=lambda bar: bar >= 2)
    return song.mix({"drums": 0.38, "bass": 0.22, "chords": 0.1, "melody": 0.08}, reverb=0.12, rt60=0.7)


_ARRANGERS: Dict[str, Callable[[np.random.Generator, int, int], np.ndarray]] = {
    "blues": _blues, "classical": _classical, "disco": _disco, "hiphop": _hiphop,
    "jazz": _jazz, "metal": _metal, "reggae": _reggae, "techno": _techno,
}
assert tuple(_ARRANGERS) == GENRES
