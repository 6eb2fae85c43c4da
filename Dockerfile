# ecs-reconciler: the operator daemon. Runs beside a git-sync sidecar that publishes the manifests on a shared
# volume (see deploy/). Build: docker build -t ecs-reconciler .
# The base, pinned by digest: a tag can be moved to other bytes, a digest cannot. To update, read the digest of the
# new tag (`docker buildx imagetools inspect python:3.11-slim-bookworm`, the multi-arch index digest) and replace
# both parts here; requirements.lock is resolved for the same CPython minor version.
ARG PYTHON=python:3.11.10-slim-bookworm@sha256:5148c0e4bbb64271bca1d3322360ebf4bfb7564507ae32dd639322e4952a6b16

FROM ${PYTHON} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements.lock pyproject.toml README.md ./
COPY reconciler ./reconciler
# Dependencies only from the lock, each checked against its sha256; then the tool itself, resolving nothing (its
# build backend, setuptools, is fetched into an isolated build environment and never reaches the image).
# Without the `embedded` extra: the operator talks to real AWS, so moto's server (and its web framework) stays out.
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-compile --require-hashes --only-binary=:all: -r requirements.lock \
    && /opt/venv/bin/pip install --no-compile --no-deps .

FROM ${PYTHON}
LABEL org.opencontainers.image.title="ecs-reconciler" \
      org.opencontainers.image.description="GitOps operator for Amazon ECS"
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
RUN groupadd --system --gid 10001 reconciler \
    && useradd --system --uid 10001 --gid reconciler --no-create-home --shell /usr/sbin/nologin reconciler
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
EXPOSE 9100
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:9100/healthz', timeout=2); sys.exit(0)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["ecs-reconciler", "--log-level", "info", "run"]
CMD ["/git/manifests", "--metrics-port", "9100"]
