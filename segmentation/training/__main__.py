"""``python -m segmentation.training [--flag value ...]``: train the person segmenter (see ``config.py``)."""

from segmentation.training.train import main

main()
