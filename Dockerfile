# Mnemo image: one static binary on distroless, running as nonroot.
# Build: docker build -t mnemo .   (BuildKit cross-compiles for --platform.)
# make image builds the same image without Docker (hack/image): the static
# binary as /mnemo, the entrypoint, run as 65532:65532.

FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
# Modules first, so a source change does not download them again.
COPY go.mod go.sum* ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -o /mnemo .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /mnemo /mnemo
# Numeric, so that Kubernetes runAsNonRoot can verify it (the nonroot user).
USER 65532:65532
ENTRYPOINT ["/mnemo"]
