"""Generation: sound from a trained model.

* :mod:`~genmusic.generation.generator` -- :class:`SoundGenerator`: whole songs in and out of the latent
  space (crossfaded windows, one Griffin-Lim per song), prior samples.
* :mod:`~genmusic.generation.latent_ops` -- interpolate, average, remix, noise, scale, smooth.
* :mod:`~genmusic.generation.prior` -- :class:`LatentPrior`: a Gaussian mixture per genre (``prior.npz``).
* :mod:`~genmusic.generation.sequence` -- :class:`LatentSequenceModel`: a GRU over latent frames.
* :mod:`~genmusic.generation.composer` -- :func:`fit_priors`, :class:`Composer`: pieces of any length.
* :mod:`~genmusic.generation.inputs` -- a mode's inputs: files, or songs of the training store.
* :mod:`~genmusic.generation.modes` -- the ``generate`` modes (:data:`MODES`) and :func:`plan`.
* :mod:`~genmusic.generation.outputs` -- what a job makes and how it is written (WAV + PNG + JSON).

Every public name of the submodules is importable from ``genmusic.generation`` (loaded on first use),
except the mode functions: ``interpolate``, ``average``, ... here are the latent operations; the modes of
the same names are in :mod:`genmusic.generation.modes`.
"""

from __future__ import annotations

from .._lazy import lazy_names

_NAMES = {
    "SoundGenerator": ".generator", "SongSpectrogram": ".generator", "SongLatents": ".generator",
    "WINDOW_BATCH": ".generator",
    "interpolate": ".latent_ops", "slerp": ".latent_ops", "average": ".latent_ops", "remix": ".latent_ops",
    "remix_spans": ".latent_ops", "splice": ".latent_ops", "add_noise": ".latent_ops", "scale": ".latent_ops",
    "smooth": ".latent_ops", "INTERPOLATION_METHODS": ".latent_ops", "AVERAGE_MODES": ".latent_ops",
    "PRIOR_FILE": ".prior", "PRIOR_VERSION": ".prior", "COVARIANCE_TYPES": ".prior", "LatentPrior": ".prior",
    "load_prior": ".prior",
    "SEQUENCE_FILE": ".sequence", "LatentSequenceModel": ".sequence", "gaussian_nll": ".sequence",
    "latents_to_frames": ".sequence", "frames_to_windows": ".sequence", "fit_sequence_model": ".sequence",
    "roll_out": ".sequence", "choose_segments": ".sequence", "load_sequence_model": ".sequence",
    "PRIORS_SUMMARY_FILE": ".composer", "fit_priors": ".composer",
    "Composer": ".composer", "Piece": ".composer",
    "MODES": ".modes", "GenerateOptions": ".modes", "InputSong": ".inputs", "Output": ".outputs", "Job": ".outputs",
    "Written": ".outputs", "Plan": ".modes", "plan": ".modes", "load_inputs": ".inputs", "plan_jobs": ".modes",
    "write_output": ".outputs",
}
__all__ = list(_NAMES)
__getattr__, __dir__ = lazy_names(__name__, _NAMES)
