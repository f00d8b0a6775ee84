#!/bin/sh
# Regenerates the simulators' throwaway TLS material. Test-only: the CA key is committed on
# purpose, so nothing signed by it may ever be trusted outside tests, the demo and benchmarks.
# Long expiry (100 years) so a checkout never starts failing on a date.
set -eu
cd "$(dirname "$0")"
openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj "/CN=calstatus simulator test CA (do not trust)" \
  -keyout ca-key.pem -out ca.pem -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server-key.pem -out server.csr
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 36500 -out server.pem -extfile server.ext
rm -f server.csr server.ext ca.srl
