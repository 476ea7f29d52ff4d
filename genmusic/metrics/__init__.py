"""How close a sound is to another, and a set of pieces to real music.

Compare a rebuilt signal with its original:

* :func:`mel_distance` -- multi-resolution log-mel L1 distance (the figure genmusic trains for);
* :func:`chroma_similarity` -- pitch content kept: frame-wise cosine of CQT chroma, 1 = same notes;
* :func:`tonal_peak_f1` -- partials kept: F1 of the spectral peaks (the spectrogram's horizontal lines) of
  a 4096-point STFT, 0 for a wash of noise (which chroma scores above another song);
* :func:`log_spectral_distance` -- dB difference of STFT magnitudes, optionally in a band
  (``sr=sr, n_fft=4096, fmin=1000``: the harmonics above 1 kHz);
* :func:`spectral_convergence`, :func:`seam_statistics`.

Compare sets of pieces, with no reference per piece:

* :func:`music_tagger_embedding` -- an independent listener: musicnn's pretrained MSD tagger, run in numpy
  from weights shipped with genmusic, one 200-d vector per 3 s (:mod:`genmusic.metrics.tagger`);
* :func:`frechet_audio_distance` -- FAD over those per-patch embeddings; :class:`StyleRecogniser` -- a
  classifier fitted on real songs' embeddings that says which pieces are heard as their style
  (:mod:`genmusic.metrics.sets`);
* :func:`music_embedding` / :func:`frechet_distance` -- the same idea with MFCC and log-mel statistics.

Modules: :mod:`~genmusic.metrics.spectral` (signal distances), :mod:`~genmusic.metrics.pitch`,
:mod:`~genmusic.metrics.tagger`, :mod:`~genmusic.metrics.sets`. This package imports only genmusic's
plumbing (``_checks``, ``errors``), numpy, scipy, librosa and scikit-learn; never models or generation.
"""

from .pitch import CHROMA_HOP_LENGTH, CHROMA_MIN_SAMPLE_RATE, chroma_similarity, tonal_peak_f1, tonal_peaks
from .sets import StyleRecogniser, frechet_audio_distance, song_vectors
from .spectral import (MEL_BANDS, MEL_FFT_SIZES, MEL_FLOOR, frechet_distance, log_mel_spectrogram,
                       log_spectral_distance, mel_distance, music_embedding, seam_statistics, spectral_convergence)
from .tagger import (MUSIC_TAGGER_TAGS, TAGGER_PATCH_SECONDS, TAGGER_SAMPLE_RATE, MusicTagger, TaggerWeightsError,
                     music_tagger_embedding, music_tagger_taggram)

__all__ = ["mel_distance", "spectral_convergence", "log_spectral_distance", "seam_statistics",
           "music_embedding", "frechet_distance", "log_mel_spectrogram", "MEL_FFT_SIZES", "MEL_BANDS", "MEL_FLOOR",
           "chroma_similarity", "CHROMA_HOP_LENGTH", "CHROMA_MIN_SAMPLE_RATE", "tonal_peak_f1", "tonal_peaks",
           "music_tagger_embedding", "music_tagger_taggram", "MusicTagger", "MUSIC_TAGGER_TAGS",
           "TAGGER_SAMPLE_RATE", "TAGGER_PATCH_SECONDS", "TaggerWeightsError",
           "frechet_audio_distance", "song_vectors", "StyleRecogniser"]
