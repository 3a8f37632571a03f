# backprop-course in a container: `make demo` and `make test` on any machine with Docker
# (macOS, Windows, or Linux without bubblewrap). Debian bookworm with its Python 3.11 and
# the system packages scripts/setup-system checks for.
#
#   docker build -t backprop-course .
#   docker run --rm --cap-add SYS_ADMIN --cap-add NET_ADMIN \
#       --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
#       backprop-course                   # make demo; append `make test` for the tests
#
# The flags let bubblewrap build the grading sandbox inside the container (README,
# "Containers", says why each is needed); `--privileged` works too. Without them the demo
# stops and says so; `docker run --rm backprop-course make demo SANDBOX=0` runs it
# without the sandbox.

# The system: what `make venv`, `make demo` and `make test` need (the devcontainer's image).
FROM debian:bookworm-slim AS system
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 PIP_DISABLE_PIP_VERSION_CHECK=1
# bubblewrap + util-linux (prlimit, setpriv): the sandbox; postgresql: the shared-gradebook
# test; chromium + fonts: the browser tests; git, make, python3-venv: the project's commands.
# Not pinned (DL3008): bookworm's point releases replace versions, and its security
# updates are what we want.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        bubblewrap util-linux \
        postgresql \
        chromium fonts-dejavu-core fonts-liberation \
        python3 python3-venv make git ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# The course, installed into /backprop-course/.venv.
FROM system AS course
WORKDIR /backprop-course
COPY . .
RUN make venv
# As root in the container: bubblewrap needs no user namespace of its own then, and the
# sandbox drops every student process to an unprivileged uid (60000 and up).
CMD ["make", "demo"]
