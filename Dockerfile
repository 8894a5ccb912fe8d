# Folio: release build, then a slim runtime image with libpq. Needs DATABASE_URL at run time. Uploaded files go
# to /var/lib/folio/media (a volume) unless FOLIO_MEDIA_STORE names an S3 bucket.
FROM rust:1-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
RUN cargo build --release --locked --bin folio

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home folio \
    && mkdir -p /var/lib/folio && chown folio /var/lib/folio
COPY --from=build /src/target/release/folio /usr/local/bin/folio
USER folio
ENV FOLIO_BIND=0.0.0.0:8080 FOLIO_DATA_DIR=/var/lib/folio RUST_LOG=info
VOLUME /var/lib/folio
EXPOSE 8080
ENTRYPOINT ["folio"]
CMD ["serve"]
