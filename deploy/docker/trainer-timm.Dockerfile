# The timm trainer: what a Kubernetes Job runs for resnet18, efficientnet_b0, …
#   docker build -f deploy/docker/trainer-timm.Dockerfile -t vision-platform/trainer-timm:0.1.0 .
ARG BASE_IMAGE=vision-platform/trainer-base:0.1.0
FROM ${BASE_IMAGE}

# timm is a core dependency (already in the base); the demo data set lets a fresh cluster
# train without any storage set up (--dataset-path /opt/vp/data/digits).
RUN vp data digits /opt/vp/data/digits --size 32

CMD ["vp", "train", "--help"]
