"""Tests of genmusic.generation.generator: whole-song encode / decode, overlap-add, seams, output files.

Most tests use :class:`IdentityModel` (a perfect "model" that passes spectrograms through) so that the
window / overlap-add / Griffin-Lim path is checked without training; the seam and interpolation
tests use the briefly trained VAE of ``tiny_model_folder``.

Measured (seed 0, 32 Griffin-Lim iterations, librosa method):

* resynth, default config (22050 Hz, n_fft 1024, hop 256, top_db 120), 1 s: sine 440 Hz mel distance 0.105,
  chirp 200-4000 Hz 0.075 (the same as ``inversion.resynthesize``: the path adds nothing).
* seams, tiny VAE (8 kHz, 128-sample segments of 16 frames), a steady 2 s harmonic tone on 1200 Hz,
  measured at the 15 segment borders (radius 20 ms): overlap 0 -> seam / other mel 0.88 / 0.73 = 1.21,
  level jumps (20 ms RMS after vs before, minus the original's) mean |jump| 6.9 dB, max 8.1 dB;
  overlap 0.5 (the default) -> 0.72 / 0.73 = 0.99, mean 1.4 dB, max 2.3 dB, no worse than at
  mid-window control points (0.98; mean 1.8 dB, max 4.0 dB).
"""

from __future__ import annotations

import numpy as np
import pytest

from genmusic.config import AudioConfig, GenmusicConfig, SpectrogramConfig
from genmusic.generation.generator import SongLatents, SoundGenerator
from genmusic.metrics import mel_distance, seam_statistics
from tests.conftest import IdentityModel, make_chirp, make_sine

SMALL = GenmusicConfig(audio=AudioConfig(sample_rate=8000),
                       spectrogram=SpectrogramConfig(n_fft=128, hop_length=64, segment_frames=16))
SEG = SMALL.spectrogram.segment_samples  # 1024


def identity_generator(config: GenmusicConfig = SMALL, **kwargs) -> SoundGenerator:
    return SoundGenerator(IdentityModel(config.spectrogram.segment_shape), config, **kwargs)


def steady_tone(sr: int, seconds: float, f0: float, seed: int = 0) -> np.ndarray:
    """Four harmonics of ``f0`` with a slow 0.7 Hz tremolo and a little noise: the same content everywhere."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    y = sum(0.3 / h * np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 2 * np.pi)) for h in (1, 2, 3, 4))
    y = y * (1 + 0.2 * np.sin(2 * np.pi * 0.7 * t)) + 0.01 * rng.standard_normal(len(t))
    return y.astype(np.float32)


@pytest.fixture(scope="module")
def tiny_generator(tiny_model_folder):
    return SoundGenerator.from_folder(tiny_model_folder)


def test_analyse_matches_preprocessing(chirp):
    from genmusic.data.pipeline import PreprocessingPipeline
    from genmusic.features.spectrogram import LogSpectrogramExtractor, MinMaxNormaliser

    gen = identity_generator()
    y = make_chirp(sr=8000, seconds=0.9, f1=3000)
    song = gen.analyse(y)
    segments, db_min, db_max, n = PreprocessingPipeline(SMALL).process_signal(y)
    assert (song.db_min, song.db_max, song.n_samples, song.n_segments) == (db_min, db_max, n, len(segments))
    assert song.frames.shape == (64, (len(segments) + 1) * 16)
    assert np.array_equal(song.frames[:, : len(segments) * 16], np.concatenate(list(segments), axis=1))
    # The tail is the same STFT, one segment further into the zero padding.
    db = LogSpectrogramExtractor(SMALL.spectrogram).extract(np.pad(y, (0, (len(segments) + 1) * SEG - len(y))))
    expected = np.clip(MinMaxNormaliser.from_stats(db_min, db_max).transform(db[:, : song.frames.shape[1]]), 0, 1)
    np.testing.assert_allclose(song.frames, expected, atol=1e-6)


def test_stored_segments_give_the_same_spectrogram(tiny_store):
    gen = identity_generator(tiny_store.config)
    record = tiny_store.songs[0]
    stored = gen.spectrogram_from_segments(tiny_store.song_array(record.song_id), record.db_min, record.db_max,
                                           record.n_samples, source=record.song_id)
    fresh = gen.analyse(gen.load(record.source))
    n = record.n_segments * 16
    assert stored.frames.shape == fresh.frames.shape
    # the store keeps float16: half a step at 1.0 is 2**-12, i.e. <= 0.04 dB over a 140 dB range
    np.testing.assert_allclose(stored.frames[:, :n], fresh.frames[:, :n], atol=2 ** -12)
    np.testing.assert_allclose(stored.db(), fresh.db(), atol=(fresh.db_max - fresh.db_min) * 2 ** -12 + 1e-4)
    assert (stored.db_min, stored.n_samples) == (pytest.approx(fresh.db_min, abs=1e-4), fresh.n_samples)


# ---- whole songs ---------------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:n_fft=.* is too large")
@pytest.mark.parametrize("n", [1, 333, SEG - 1, SEG, SEG + 1, 3 * SEG + 77, 4 * SEG])
@pytest.mark.parametrize("overlap", [0.0, 0.5])
def test_whole_song_keeps_its_exact_length(n, overlap):
    gen = identity_generator(n_iter=2)
    y = make_sine(300.0, seconds=n / 8000, sr=8000) if n > 1 else np.array([0.3], np.float32)
    song = gen.encode_song(y, overlap=overlap)
    assert song.n_samples == n
    n_segments = max(1, -(-n // SEG))
    # half-segment hops: a window at every segment start and one across every border between two segments
    assert song.n_windows == (2 * n_segments - 1 if overlap else n_segments)
    out = gen.decode_song(song)
    assert out.shape == (n,) and out.dtype == np.float32 and np.all(np.isfinite(out))
    assert gen.resynth(y).shape == (n,)
    assert gen.decode_song(song, length=n + 5).shape == (n + 5,)


def test_identity_reconstruction_is_resynthesis_exactly():
    """With a perfect model, the overlap-added windows give back the song's spectrogram: no seams added."""
    gen = identity_generator()
    y = steady_tone(8000, 1.3, 440.0)
    reference = gen.resynth(y)
    for overlap in (0.0, 0.5, 0.75):
        np.testing.assert_allclose(gen.reconstruct(y, overlap=overlap), reference, rtol=0, atol=1e-6)
    plain = gen.encode_song(y, overlap=0.0)
    stats = seam_statistics(y, reference, plain.window_borders(), 8000, n_fft=256)
    assert stats["ratio"] < 1.1 and stats["max_level_jump_db"] < 1.0  # measured 0.93 and 0.4 dB


def test_keras_griffin_lim_gives_the_same_song():
    y = steady_tone(8000, 0.7, 440.0)
    ours = identity_generator(method="keras", n_iter=8).reconstruct(y)
    theirs = identity_generator(method="librosa", n_iter=8).reconstruct(y)
    assert ours.shape == y.shape
    assert np.max(np.abs(ours - theirs)) < 1e-4 * np.max(np.abs(theirs))  # measured 4e-6 of a 0.85 peak


def test_resynth_of_known_signals_is_close():
    """The ceiling of the representation (default config), the same as inversion.resynthesize."""
    from genmusic.features.inversion import resynthesize

    config = GenmusicConfig()
    gen = identity_generator(config)
    for y, bound in ((make_sine(), 0.12), (make_chirp(), 0.09)):  # measured 0.105 and 0.075
        out = gen.resynth(y)
        assert out.shape == y.shape
        assert mel_distance(y, out, 22050) < bound
        np.testing.assert_allclose(out, resynthesize(y, config.spectrogram), atol=1e-4)  # normalisation round-off


def test_short_audio_is_padded_and_trimmed_back():
    gen = identity_generator(n_iter=2)
    short = make_sine(500.0, seconds=0.05, sr=8000)
    song = gen.encode_song(short)
    assert song.n_windows == 1 and gen.decode_song(song).shape == short.shape


def test_encode_file_reads_any_rate_and_channels(tmp_path):
    import soundfile as sf

    gen = identity_generator(n_iter=2)
    stereo = np.stack([make_sine(440.0, 0.7, sr=44100), make_sine(660.0, 0.7, sr=44100)], axis=1)
    sf.write(tmp_path / "stereo.flac", stereo, 44100)
    song = gen.encode_file(tmp_path / "stereo.flac")
    assert song.n_samples == round(0.7 * 8000) and song.source.endswith("stereo.flac")


def test_plain_latents_use_the_dataset_statistics():
    from genmusic.features.spectrogram import MinMaxNormaliser

    gen = identity_generator(n_iter=2)
    z = gen.encode_song(make_sine(300.0, 0.5, sr=8000)).latents
    gen.dataset_normaliser = MinMaxNormaliser.from_stats(-80.0, 0.0)
    assert gen.decode_song(z).shape == (len(z) * SEG,)
    assert gen.decode_latents(z).shape == (len(z), SEG)


# ---- with the trained tiny VAE -------------------------------------------------------------------------

def test_seams_are_crossfaded(tiny_generator):
    """Reconstruction near segment borders is not worse than elsewhere, and the level does not jump there."""
    gen = tiny_generator
    sr = gen.sample_rate
    y = steady_tone(sr, 2.0, 1200.0)
    borders = gen.encode_song(y, overlap=0.0).window_borders()
    controls = borders - SEG // 2  # mid-segment points: the middle of a window with overlap 0.5 as well
    assert len(borders) == 15
    plain = seam_statistics(y, gen.reconstruct(y, overlap=0.0), borders, sr, n_fft=256)
    default = gen.reconstruct(y)  # overlap 0.5
    seams = seam_statistics(y, default, borders, sr, n_fft=256)
    control = seam_statistics(y, default, controls, sr, n_fft=256)
    assert seams["seam_mel"] <= 1.25 * seams["other_mel"] + 0.02  # measured 0.72 vs 0.73 (overlap 0: 0.88)
    assert np.mean(np.abs(seams["level_jumps_db"])) <= 3.0  # measured 1.4 dB
    assert seams["max_level_jump_db"] <= max(6.0, control["max_level_jump_db"] + 1.5)  # 2.3 vs 4.0 dB
    # Trained on windows at any frame (random crops), the model has no segment borders to betray: even
    # segments decoded independently keep their level across them (measured 0.5 dB; 6.9 dB before crops).
    assert np.mean(np.abs(plain["level_jumps_db"])) <= 3.0


def test_reconstruct_keeps_length_and_is_close(tiny_generator, tiny_store):
    gen = tiny_generator
    record = tiny_store.songs_in("test")[0]
    y = gen.load(record.source)
    for n in (len(y), 2 * SEG + 333, 500):
        out = gen.reconstruct(y[:n])
        assert out.shape == (n,) and np.all(np.isfinite(out))
    out = gen.reconstruct(y)
    other = gen.load(next(r for r in tiny_store.songs if r.genre != record.genre).source)
    own, cross = mel_distance(y, out, gen.sample_rate), mel_distance(other, out, gen.sample_rate)
    assert own < cross


def test_interpolation_endpoints_decode_to_the_songs(tiny_generator, tiny_store):
    from genmusic.generation.latent_ops import interpolate

    gen = tiny_generator
    ra, rb = tiny_store.songs[0], tiny_store.songs[-1]
    a, b = gen.encode_file(ra.source), gen.encode_file(rb.source)
    n = min(a.n_windows, b.n_windows)
    for method in ("linear", "slerp"):
        path = interpolate(a.latents[:n], b.latents[:n], 4, method=method)
        assert np.array_equal(path[0], a.latents[:n]) and np.array_equal(path[-1], b.latents[:n])
        np.testing.assert_array_equal(gen.decode_frames(path[0]), gen.decode_frames(a.latents[:n]))
        np.testing.assert_array_equal(gen.decode_frames(path[-1]), gen.decode_frames(b.latents[:n]))
    assert a.n_windows == n  # the tiny songs have equal lengths: the endpoints are the whole songs
    np.testing.assert_array_equal(gen.decode_song(path[0], normaliser=a.normaliser, length=a.n_samples),
                                  gen.decode_song(a))


def test_sample(tiny_generator, tiny_model_folder, tmp_path):
    gen = tiny_generator
    sounds = gen.sample(3, temperature=0.8, seed=1)
    assert len(sounds) == 3 and all(s.shape == (SEG,) for s in sounds)
    assert not np.allclose(sounds[0], sounds[1])
    longer = gen.sample(2, seed=1, n_segments=3)
    assert [s.shape for s in longer] == [(3 * SEG,)] * 2
    np.testing.assert_array_equal(gen.sample(3, temperature=0.8, seed=1)[2], sounds[2])


def test_song_latents_borders():
    song = SongLatents(np.zeros((5, 4), np.float32), -80.0, 0.0, n_samples=3 * SEG - 10, segment_frames=16,
                       hop_frames=8, hop_length=64)
    assert song.overlap == 0.5
    assert list(song.window_borders()) == [512, 1024, 1536, 2048, 2560]
