#!/usr/bin/env bash
# Install the reference implementations the full benchmark compares against
# (BouncyCastle on a JDK; OpenSSL is assumed present). Only the full benchmark
# needs this: the tests skip any missing reference, so CI's test step must not
# call it.
set -euo pipefail

missing=()
dpkg -s libbcprov-java >/dev/null 2>&1 || missing+=(libbcprov-java)
command -v javac >/dev/null 2>&1 || missing+=(default-jdk-headless)

if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
