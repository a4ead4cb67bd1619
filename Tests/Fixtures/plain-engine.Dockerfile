# A plain-PostgreSQL stand-in for the engine image, for CI machines without
# Babelfish: Debian's PostgreSQL + bbf-entrypoint (BABELFISH_ENABLED=false),
# laid out like the real engine image (uid 999, PGDATA, no VOLUME, health check).
# .ci/run builds it FROM a debootstrap root file system that has postgresql-15.
ARG BASE=bbf-ci/bookworm-postgresql
FROM ${BASE}
ARG POSTGRES_MAJOR=15
ARG POSTGRES_VERSION
RUN set -eux; usermod -u 999 postgres; groupmod -g 999 postgres; \
    mkdir -p /var/lib/babelfish/data /var/run/postgresql /docker-entrypoint-initdb.d; \
    chown -R 999:999 /var/lib/babelfish /var/run/postgresql /var/lib/postgresql; \
    chmod 0700 /var/lib/babelfish/data; chmod 3775 /var/run/postgresql; \
    rm -rf /var/lib/postgresql/${POSTGRES_MAJOR}/main /etc/postgresql/${POSTGRES_MAJOR}/main
COPY bbf-entrypoint /usr/local/bin/bbf-entrypoint
ENV PATH=/usr/lib/postgresql/${POSTGRES_MAJOR}/bin:$PATH \
    PGDATA=/var/lib/babelfish/data \
    BABELFISH_ENABLED=false \
    LANG=C.UTF-8
LABEL babelfish-dev.postgresql.version="${POSTGRES_VERSION}" \
      babelfish-dev.line="plain-test"
EXPOSE 5432
STOPSIGNAL SIGINT
HEALTHCHECK --interval=2s --timeout=5s --start-period=30s --retries=3 CMD ["bbf-entrypoint", "healthcheck"]
USER 999:999
ENTRYPOINT ["bbf-entrypoint"]
CMD ["postgres"]
