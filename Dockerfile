# The hub's image: `icomm` as a non-root user, the node's data in a 0700 volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 icomm \
 && useradd --system --uid 10001 --gid icomm --home-dir /srv/icomm --no-create-home \
            --shell /usr/sbin/nologin icomm

WORKDIR /build
COPY pyproject.toml README.md ./
COPY hub ./hub
COPY adapters ./adapters
COPY message_schemas ./message_schemas
COPY keys ./keys
COPY storage ./storage
COPY bench ./bench
RUN pip install . && rm -rf /build

# the node's data: private keys, trust store, encrypted blobs (and SQLite, if no PostgreSQL)
RUN install -d -o icomm -g icomm -m 0700 /srv/icomm
ENV ICOMM_DATA_DIR=/srv/icomm
VOLUME ["/srv/icomm"]
WORKDIR /srv/icomm
USER icomm

ENTRYPOINT ["icomm"]
CMD ["serve", "--workers", "2"]
