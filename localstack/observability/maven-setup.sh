# Shared by the Maven set-up scripts (sourced, not run): what each checks before it builds.

# Exits with a clear message when java or mvn is not on PATH; $1 names what needs them.
require_java_and_maven() {
  local tool
  for tool in java mvn; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "serverless-msa: $tool is required for $1 (install a JDK 17+ and Maven)" >&2
      exit 1
    fi
  done
}

# True when stamp file $1 records digest $2, the inputs of the build that is there.
stamp_matches() {
  [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]
}
