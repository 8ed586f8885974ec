"""Measuring tools, each a ``python -m segmentation.tools.NAME`` command: ``evaluate`` (IoU, boundary F, flicker),
``compare`` (two evaluation reports, photo by photo), ``bench`` (latency per backend and input size), ``average``
(weight averaging of checkpoints), ``label_audit`` (hand masks against the models), and ``comparison_sheet`` (the
PNG sheets they draw). They may use training's data code; the runtime and the app never import them."""
