"""Greenroom, the application: the Qt-free real-time engine (``app.engine``), the window (``app.ui``) and the
``greenroom`` command (``app.cli``)."""
