"""Other person segmenters Greenroom measures itself against and distils from (``mediapipe``). Optional
dependencies, loaded only by the benchmarks, the evaluation and training; never by the app's render path."""
