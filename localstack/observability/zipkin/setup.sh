#!/usr/bin/env bash
# Fetches the local Zipkin server (io.zipkin:zipkin-server 3.6.1, classifier exec) from Maven
# Central into target/zipkin-server.jar. Idempotent: does nothing when the jar matches pom.xml.
# With a folder as first argument (an installed package's per-user cache), it goes there instead.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../maven-setup.sh
source "$here/../maven-setup.sh"
work="$(build_folder "$here" "${1:-}" pom.xml)"
jar="$work/target/zipkin-server.jar"
stamp="$work/target/.pom.sha256"

require_java_and_maven "the local Zipkin server"
want="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"
if [ -f "$jar" ] && stamp_matches "$stamp" "$want"; then
  exit 0
fi
echo "serverless-msa: fetching the Zipkin server from Maven Central into $work/target" >&2
mvn --batch-mode --quiet --file "$work/pom.xml" package
echo "$want" > "$stamp"
