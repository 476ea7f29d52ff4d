"""Audio folder -> one normalised log spectrogram per file (.npy) and the files' min-max values (pickle)."""

import sys

from genmusic.tutorial import (Loader, LogSpectrogramExtractor, MinMaxNormaliser, Padder, PreprocessingPipeline,
                               Saver)

FRAME_SIZE = 256
HOP_LENGTH = 128
DURATION = 0.18  # seconds: 3969 samples, 1 + 3969 // 128 = 32 frames
SAMPLE_RATE = 22050
MONO = True


def main(argv=None):
    files_dir, spectrograms_save_dir, min_max_values_save_dir = sys.argv[1:] if argv is None else argv

    # one object per stage, as the tutorial builds them
    loader = Loader(SAMPLE_RATE, DURATION, MONO)
    padder = Padder()
    log_spectrogram_extractor = LogSpectrogramExtractor(FRAME_SIZE, HOP_LENGTH)
    min_max_normaliser = MinMaxNormaliser(0, 1)
    saver = Saver(spectrograms_save_dir, min_max_values_save_dir)

    pipeline = PreprocessingPipeline()
    pipeline.loader = loader
    pipeline.padder = padder
    pipeline.extractor = log_spectrogram_extractor
    pipeline.normaliser = min_max_normaliser
    pipeline.saver = saver
    pipeline.process(files_dir)
    return pipeline


if __name__ == "__main__":
    main()
