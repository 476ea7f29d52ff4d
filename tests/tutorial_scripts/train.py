"""Spectrogram files -> a trained VAE, saved to a folder."""

import os
import sys

import numpy as np

from genmusic.tutorial import VAE

LEARNING_RATE = 0.0005
BATCH_SIZE = 4
EPOCHS = 2


def load_spectrograms(spectrograms_path):
    """Every .npy under the folder, stacked with a channel axis: (n, bins, frames, 1)."""
    spectrograms = []
    for root, _, names in os.walk(spectrograms_path):
        for name in sorted(names):
            spectrograms.append(np.load(os.path.join(root, name)))
    return np.array(spectrograms)[..., np.newaxis]


def train(x_train, learning_rate, batch_size, epochs):
    autoencoder = VAE(
        input_shape=(128, 32, 1),
        conv_filters=(16, 8, 8, 4),
        conv_kernels=(3, 3, 3, 3),
        conv_strides=(2, 2, 2, (2, 1)),
        latent_space_dim=16,
    )
    autoencoder.summary()
    autoencoder.compile(learning_rate)
    autoencoder.train(x_train, batch_size, epochs)
    return autoencoder


def main(argv=None):
    spectrograms_path, model_dir = sys.argv[1:] if argv is None else argv
    x_train = load_spectrograms(spectrograms_path)
    autoencoder = train(x_train, LEARNING_RATE, BATCH_SIZE, EPOCHS)
    autoencoder.save(model_dir)
    return autoencoder


if __name__ == "__main__":
    main()
