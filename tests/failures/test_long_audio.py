"""Issue 11 case 5: memory does not grow with the length of the audio, and absurd requests are refused up
front with a message.

Long audio is decoded, resampled, analysed, encoded, decoded and turned into sound in blocks. These tests
shrink the block sizes so that a few seconds of audio take the block-wise paths, check that the results equal
the one-pass results, and measure (``tracemalloc``) that the peak does not grow with the length.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from genmusic.audio import decode as audio
from genmusic.audio import signal as audio_signal
from genmusic.features import inversion, spectrogram
from genmusic.generation import outputs as generate_outputs
from genmusic.audio import Loader
from genmusic.commands import generate, preprocess
from genmusic.config import AudioConfig, GenmusicConfig, SpectrogramConfig
from genmusic.errors import AudioLoadError
from genmusic.data.pipeline import PreprocessingPipeline
from genmusic.data.store import Saver
from tests.conftest import make_chirp
from tests.failures._helpers import SMALL, raw_wav

CFG = GenmusicConfig(audio=AudioConfig(sample_rate=8000),
                     spectrogram=SpectrogramConfig(n_fft=128, hop_length=64, segment_frames=16))


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of a few hundred milliseconds, so that seconds of audio take the block-wise paths."""
    monkeypatch.setattr(audio, "DECODE_BLOCK_FRAMES", 1000)
    monkeypatch.setattr(audio_signal, "IN_MEMORY_SAMPLES", 4000)
    monkeypatch.setattr(spectrogram, "ANALYSIS_BLOCK_FRAMES", 64)
    monkeypatch.setattr(spectrogram, "KEEP_FRAMES", 100)
    monkeypatch.setattr(inversion, "GL_BLOCK_FRAMES", 256)
    monkeypatch.setattr(generate_outputs, "PICTURE_FRAMES", 128)  # the picture's width stops growing early


def _song(path, seconds: float, sr: int = 22050):
    """A 22.05 kHz stereo song: chirps and a beat, so every block differs."""
    t = np.arange(int(seconds * sr)) / sr
    left = 0.3 * np.sin(2 * np.pi * (200 + 40 * np.sin(0.7 * t)) * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t) ** 2)
    right = 0.5 * np.roll(left, 300)
    sf.write(path, np.stack([left, right], axis=1).astype(np.float32), sr, subtype="FLOAT")
    return path


# --------------------------------------------------------------------------------------------------
# absurd requests


def test_5_a_header_declaring_1_hz_is_refused_up_front(tmp_path, tiny_model_folder, capsys):
    one_hz = raw_wav(tmp_path / "in" / "one_hz.wav", sample_rate=1, n_frames=100_000)  # 200 kB: 27.8 h at 1 Hz
    with pytest.raises(AudioLoadError, match=r"one_hz.wav: the header declares a sample rate of 1 Hz; audio has at "
                                             r"least 1000 Hz"):
        Loader().open(one_hz)
    assert preprocess.main(["--input", str(tmp_path / "in"), "--output", str(tmp_path / "o"), *SMALL]) == 1
    assert "declares a sample rate of 1 Hz" in capsys.readouterr().err
    assert generate.main(["--model", str(tiny_model_folder), "--mode", "reconstruct", "--input", str(one_hz),
                          "--output", str(tmp_path / "g")]) == 1
    assert "declares a sample rate of 1 Hz" in capsys.readouterr().err
    assert not (tmp_path / "g").exists()


def test_5_more_audio_than_one_piece_may_hold_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(audio, "MAX_SECONDS", 1.5)
    path = raw_wav(tmp_path / "long.wav", sample_rate=8000, n_frames=16000)
    with pytest.raises(AudioLoadError, match=r"long.wav: the header declares 2.0 s of audio, more than genmusic "
                                             r"reads in one piece \(1.5 s\)"):
        Loader(AudioConfig(sample_rate=8000)).open(path)
    assert len(Loader(AudioConfig(sample_rate=8000, duration=1.0)).open(path)) == 8000  # a part of it is fine


# --------------------------------------------------------------------------------------------------
# block-wise results equal one-pass results


def test_5_decoding_in_blocks_spools_long_audio_and_matches_one_pass(tmp_path, small_blocks):
    path = _song(tmp_path / "song.wav", 3.0)
    loader = Loader(AudioConfig(sample_rate=8000))
    with loader.open(path, spool_dir=tmp_path) as signal:
        assert not signal.in_memory and signal.n_samples == 24000
        blocked = signal.to_array()
        np.testing.assert_array_equal(signal.read(-5, 3), np.r_[np.zeros(5), blocked[:3]].astype(np.float32))
    import librosa

    y, sr = sf.read(path, dtype="float32")
    one_pass = librosa.resample(y.mean(axis=1), orig_sr=sr, target_sr=8000, res_type="soxr_hq")
    np.testing.assert_allclose(blocked, one_pass, atol=1e-6)
    assert list(tmp_path.iterdir()) == [path]  # the spool file had no name and is gone


def test_5_preprocessing_in_blocks_matches_one_pass(tmp_path, small_blocks, monkeypatch):
    path = _song(tmp_path / "song.wav", 4.0)
    y = Loader(CFG.audio).load(path)
    saver = Saver(tmp_path / "store", CFG)
    record = PreprocessingPipeline(CFG).process_file(path, "song", "", saver)
    stored = np.load(saver.song_path("song"))
    monkeypatch.setattr(spectrogram, "KEEP_FRAMES", 10 ** 6)  # one pass, kept in memory
    monkeypatch.setattr(spectrogram, "ANALYSIS_BLOCK_FRAMES", 10 ** 6)
    segments, db_min, db_max, n_samples = PreprocessingPipeline(CFG).process_signal(y)
    assert (record.n_segments, record.n_samples) == (len(segments), n_samples) == (32, 32000)
    assert (record.db_min, record.db_max) == pytest.approx((db_min, db_max), abs=1e-4)
    np.testing.assert_allclose(stored.astype(np.float32), segments, atol=2 ** -11)  # float16 in the store


def test_5_griffin_lim_in_blocks_sounds_like_one_pass(small_blocks):
    from genmusic.metrics import spectral_convergence
    from genmusic.features.spectrogram import LogSpectrogramExtractor, MinMaxNormaliser

    sr, spec = 8000, CFG.spectrogram
    y = np.concatenate([make_chirp(300, 2500, 2.0, sr), make_chirp(2500, 300, 2.0, sr)])
    db = LogSpectrogramExtractor(spec).extract(y)
    norm = MinMaxNormaliser().fit(db)
    frames = np.clip(norm.transform(db), 0.0, 1.0)
    one = inversion.db_to_audio(norm.inverse_transform(frames), spec, len(y), n_iter=16)
    pieces = list(inversion.frames_to_audio_blocks(lambda a, b: frames[:, a:b], frames.shape[1], norm, spec, len(y),
                                                   n_iter=16, block_frames=100))
    blocked = np.concatenate(pieces)
    # 501 frames in 5 blocks of 100: each block's audio and a crossfade between neighbours
    assert len(pieces) == 2 * 5 - 1 and len(blocked) == len(y)

    def convergence(x):  # how far the sound's STFT is from the magnitude Griffin-Lim was given
        return spectral_convergence(y, x, n_fft=spec.n_fft, hop_length=spec.hop_length)

    assert convergence(blocked) < convergence(one) + 0.01  # measured 0.097 (blocks) and 0.112 (one pass)
    rms = [float(np.sqrt(np.mean(blocked[i:i + 800] ** 2))) for i in range(0, len(y) - 800, 400)]
    assert min(rms) > 0.8 * np.median(rms)  # no dip where blocks meet (measured 0.92)

    # with the fixture's 256-frame blocks the default splits the same song in 2; the whole song is one pass
    assert len(list(inversion.frames_to_audio_blocks(lambda a, b: frames[:, a:b], frames.shape[1], norm, spec,
                                                     len(y), n_iter=1))) == 3
    whole = inversion.frames_to_audio_blocks(lambda a, b: frames[:, a:b], frames.shape[1], norm, spec, len(y),
                                             n_iter=16, block_frames=len(y))
    np.testing.assert_array_equal(np.concatenate(list(whole)), one)


# --------------------------------------------------------------------------------------------------
# the peak does not grow with the length


def _peak_mib(run) -> float:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2 ** 20
    finally:
        tracemalloc.stop()


def test_5_peak_memory_of_preprocessing_does_not_grow_with_length(tmp_path, small_blocks):
    peaks = {}
    for seconds in (4.0, 16.0):
        path = _song(tmp_path / f"song{seconds:g}.wav", seconds)
        saver = Saver(tmp_path / f"store{seconds:g}", CFG)
        peaks[seconds] = _peak_mib(lambda: PreprocessingPipeline(CFG).process_file(path, "s", "", saver))
    # 4x the audio (the decoded signal alone is 0.5 MiB more): the same peak within 0.2 MiB
    assert peaks[16.0] < peaks[4.0] + 0.2, peaks


def test_5_peak_memory_of_generation_does_not_grow_with_length(tmp_path, small_blocks, tiny_model_folder):
    peaks = {}
    for seconds in (4.0, 4.0, 16.0):  # the first run of each mode imports what it needs: not counted
        path = _song(tmp_path / f"song{seconds:g}.wav", seconds)
        for mode, extra in (("reconstruct", ["--input", str(path)]), ("sample", ["--seconds", str(seconds)])):
            argv = ["--model", str(tiny_model_folder), "--mode", mode, *extra, "--n", "1", "--n-iter", "2",
                    "--output", str(tmp_path / f"{mode}{seconds:g}"), "--overwrite"]
            peaks[mode, seconds] = _peak_mib(lambda: generate.main(argv))
    for mode in ("reconstruct", "sample"):  # 4x the audio: the same peak within 0.5 MiB (measured 0.03)
        assert peaks[mode, 16.0] < peaks[mode, 4.0] + 0.5, peaks
