# The platform server: HTTP API, web UI and the scheduler that submits Kubernetes Jobs.
#   docker build -f deploy/docker/api.Dockerfile -t vision-platform/api:0.1.0 .
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/home/vp \
    VP_HOME=/var/lib/vp \
    VP_EXECUTOR=kubernetes

RUN groupadd --gid 10001 vp && useradd --uid 10001 --gid vp --create-home --home-dir /home/vp vp

WORKDIR /opt/vp/src
COPY requirements.lock pyproject.toml README.md ./
COPY src ./src
RUN pip install --constraint requirements.lock '.[kubernetes]' \
    && mkdir -p /var/lib/vp && chown vp:vp /var/lib/vp

USER 10001:10001
WORKDIR /var/lib/vp
EXPOSE 8000
CMD ["vp", "serve", "--host", "0.0.0.0", "--port", "8000"]
