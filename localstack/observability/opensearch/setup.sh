#!/usr/bin/env bash
# Builds the local OpenSearch node (OpenSearch 2.19.6 and three plugins from Maven Central, run
# embedded by LocalOpenSearch.java) into target/: the launcher jar and its classpath in target/lib.
# Idempotent: does nothing when the build matches pom.xml and the launcher source. Artifacts are
# cached in ~/.m2, so a rebuild needs no network. With a folder as first argument (an installed
# package's per-user cache), the build happens there, on a copy of pom.xml and the source.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../maven-setup.sh
source "$here/../maven-setup.sh"
work="$(build_folder "$here" "${1:-}" pom.xml src)"
jar="$work/target/local-opensearch-1.0.0.jar"
stamp="$work/target/.build.sha256"

require_java_and_maven "the local OpenSearch node"
want="$(cat "$here/pom.xml" "$here"/src/main/java/serverlessmsa/opensearch/*.java | sha256sum | cut -d' ' -f1)"
if [ -f "$jar" ] && [ -d "$work/target/lib" ] && stamp_matches "$stamp" "$want"; then
  exit 0
fi
echo "serverless-msa: building the local OpenSearch node (Maven Central, cached in ~/.m2) into $work/target" >&2
# Offline first: after the first build everything is in ~/.m2.
mvn --batch-mode --quiet -Dstyle.color=never --offline --file "$work/pom.xml" package 2>/dev/null ||
  mvn --batch-mode --quiet -Dstyle.color=never --file "$work/pom.xml" package
echo "$want" > "$stamp"
