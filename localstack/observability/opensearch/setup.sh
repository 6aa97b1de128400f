#!/usr/bin/env bash
# Builds the local OpenSearch node (OpenSearch 2.19.6 and three plugins from Maven Central, run
# embedded by LocalOpenSearch.java) into target/: the launcher jar and its classpath in target/lib.
# Idempotent: does nothing when the build matches pom.xml and the launcher source. Artifacts are
# cached in ~/.m2, so a rebuild needs no network.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jar="$here/target/local-opensearch-1.0.0.jar"
stamp="$here/target/.build.sha256"

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "serverless-msa: $tool is required for the local OpenSearch node (install a JDK 17+ and Maven)" >&2
    exit 1
  fi
done
want="$(cat "$here/pom.xml" "$here"/src/main/java/serverlessmsa/opensearch/*.java | sha256sum | cut -d' ' -f1)"
if [ -f "$jar" ] && [ -d "$here/target/lib" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "serverless-msa: building the local OpenSearch node (Maven Central, cached in ~/.m2) into $here/target" >&2
# Offline first: after the first build everything is in ~/.m2.
mvn --batch-mode --quiet -Dstyle.color=never --offline --file "$here/pom.xml" package 2>/dev/null ||
  mvn --batch-mode --quiet -Dstyle.color=never --file "$here/pom.xml" package
echo "$want" > "$stamp"
