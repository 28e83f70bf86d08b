#!/usr/bin/env bash
# Installs everything exscan needs to build, test and demo on Debian 12.
# One package per line so that additions merge cleanly.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
PACKAGES=(
	build-essential
	clang
	clang-format
	meson
	ninja-build
	pkg-config
	python3
	python3-jsonschema
	python3-yaml
	ansible-core
	libssl-dev
	openssl
	libcurl4-openssl-dev
	libyara-dev
	yara
	libmagic-dev
	libjson-c-dev
	libxml2-dev
	libcmocka-dev
	libevtx-dev
	libbfio-dev
	libregf-dev
	libhivex-bin
	libtsk-dev
	libqcow-dev
	libewf-dev
	ntfs-3g
	qemu-utils
	ewf-tools
	fdisk
	gcc-mingw-w64-x86-64
	binutils-mingw-w64-x86-64
	util-linux
	nginx-light
	nmap
	chromium
	fonts-dejavu-core
	debhelper
	devscripts
	dpkg-dev
	lintian
	rpm
	groff-base
	mandoc
	zsh
	time
)
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
