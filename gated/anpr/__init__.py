"""ANPR: RTSP frames in, voted plate decisions out.

``stream`` (camera reader), ``detector`` + ``ocr`` = ``reader`` (one frame -> plate reads),
``voting`` (reads across frames -> one decision per vehicle), ``cli`` (``gatectl anpr``).
"""
