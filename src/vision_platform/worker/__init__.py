"""What a job's process needs, whatever it runs (`vp train`, `vp infer-batch`): stop requests
(signals, the stage deadline) and reporting its events to the platform over HTTP.

Training and batch inference both import this room; it imports only settings.
"""
