"""Signals other apps listen to, so creatives (and ingestion) never import them.

`images_added` is sent after new images are committed; the generation app answers by queuing
a describe job. Sent with `image_ids` (list[int]).
"""

from __future__ import annotations

from django.dispatch import Signal

images_added = Signal()
