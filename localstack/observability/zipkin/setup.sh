#!/usr/bin/env bash
# Fetches the local Zipkin server (io.zipkin:zipkin-server 3.6.1, classifier exec) from Maven
# Central into target/zipkin-server.jar. Idempotent: does nothing when the jar matches pom.xml.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jar="$here/target/zipkin-server.jar"
stamp="$here/target/.pom.sha256"

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "serverless-msa: $tool is required for the local Zipkin server (install a JDK 17+ and Maven)" >&2
    exit 1
  fi
done
want="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"
if [ -f "$jar" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "serverless-msa: fetching the Zipkin server from Maven Central into $here/target" >&2
mvn --batch-mode --quiet --file "$here/pom.xml" package
echo "$want" > "$stamp"
