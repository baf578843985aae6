# The Ultralytics trainer (YOLO detection, segmentation, pose). Ultralytics is AGPL-3.0.
#   docker build -f deploy/docker/trainer-ultralytics.Dockerfile \
#     -t vision-platform/trainer-ultralytics:0.1.0 .
ARG BASE_IMAGE=vision-platform/trainer-base:0.1.0
FROM ${BASE_IMAGE}

USER root
# Ultralytics' OpenCV needs these shared libraries even without a display.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/vp/src
RUN pip install --constraint requirements.lock '.[ultralytics]'
USER 10001:10001

# Ultralytics writes its settings file here instead of a read-only or missing home.
ENV YOLO_CONFIG_DIR=/tmp/ultralytics
WORKDIR /work

CMD ["vp", "train", "--help"]
