"""A trained VAE and stored spectrograms -> WAVs of the model's reconstructions and of the originals."""

import os
import pickle
import sys

import numpy as np
import soundfile as sf

from genmusic.tutorial import VAE, SoundGenerator

HOP_LENGTH = 128
SAMPLE_RATE = 22050


def load_spectrograms_and_paths(spectrograms_path):
    spectrograms, file_paths = [], []
    for root, _, names in os.walk(spectrograms_path):
        for name in sorted(names):
            file_path = os.path.join(root, name)
            spectrograms.append(np.load(file_path))
            file_paths.append(file_path)
    return np.array(spectrograms)[..., np.newaxis], file_paths


def select_spectrograms(spectrograms, file_paths, min_max_values, num_spectrograms, seed=0):
    """A few spectrograms (without repeats) and the min-max values of their files."""
    indexes = np.random.default_rng(seed).choice(len(spectrograms), num_spectrograms, replace=False)
    chosen_paths = [file_paths[i] for i in indexes]
    return spectrograms[indexes], [min_max_values[path] for path in chosen_paths], chosen_paths


def save_signals(signals, save_dir, sample_rate=SAMPLE_RATE):
    os.makedirs(save_dir, exist_ok=True)
    for i, signal in enumerate(signals):
        sf.write(os.path.join(save_dir, f"{i}.wav"), signal, sample_rate)


def main(argv=None):
    model_dir, spectrograms_path, min_max_values_path, original_dir, generated_dir = \
        sys.argv[1:6] if argv is None else argv[:5]
    vae = VAE.load(model_dir)
    sound_generator = SoundGenerator(vae, HOP_LENGTH)

    with open(min_max_values_path, "rb") as handle:  # this script's own choice of file format
        min_max_values = pickle.load(handle)
    specs, file_paths = load_spectrograms_and_paths(spectrograms_path)
    sampled_specs, sampled_min_max_values, chosen = select_spectrograms(specs, file_paths, min_max_values, 3)

    signals, _ = sound_generator.generate(sampled_specs, sampled_min_max_values)
    original_signals = sound_generator.convert_spectrograms_to_audio(sampled_specs, sampled_min_max_values)
    save_signals(signals, generated_dir)
    save_signals(original_signals, original_dir)
    return chosen


if __name__ == "__main__":
    main()
