"""Vision Platform: train and serve computer-vision models as resumable jobs.

Importing this package is cheap: no torch, timm or ultralytics until an adapter needs them.
"""

__version__ = "0.1.0"
