"""Three scripts that do what the tutorial's final preprocess.py, train.py and generate.py do, with its calls.

Written for genmusic's tests (tests/test_tutorial.py runs them on synthetic audio); only their import lines
name genmusic. Each takes its folders as arguments: ``python tests/tutorial_scripts/preprocess.py AUDIO
SPECTROGRAMS MIN_MAX_DIR``, ``train.py SPECTROGRAMS MODEL``, ``generate.py MODEL SPECTROGRAMS MIN_MAX_PKL
ORIGINAL_DIR GENERATED_DIR``. The sizes are small (spectrograms of 128 x 32) so that they run in seconds.
"""
