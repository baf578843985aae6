# The trainer's base image: Python, PyTorch and the platform's core (timm included).
# Build from the repository root:
#   docker build -f deploy/docker/trainer-base.Dockerfile -t vision-platform/trainer-base:0.1.0 .
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/home/vp

# The same uid/gid the Job manifests run as (runAsUser/runAsGroup 10001).
RUN groupadd --gid 10001 vp && useradd --uid 10001 --gid vp --create-home --home-dir /home/vp vp

WORKDIR /opt/vp/src
COPY requirements.lock pyproject.toml README.md ./
COPY src ./src
# Every version comes from requirements.lock: the image trains exactly what the tests tested.
RUN pip install --constraint requirements.lock . \
    && mkdir -p /work /opt/vp/data && chown vp:vp /work /opt/vp/data

USER 10001:10001
WORKDIR /work
CMD ["vp", "--help"]
