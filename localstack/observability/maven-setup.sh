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

# Prints the folder a build runs in: $1 (the script's own) when $2 is empty or names it; else
# $2, created, with copies of the build's inputs ($3...) from $1, so that the output (target/)
# lands outside the package (which may sit in a consumer's node_modules).
build_folder() {
  local here="$1" work="$2" input
  shift 2
  if [ -z "$work" ] || [ "$(cd "$here" && pwd -P)" = "$(mkdir -p "$work" && cd "$work" && pwd -P)" ]; then
    echo "$here"
    return
  fi
  for input in "$@"; do
    rm -rf "${work:?}/$input"
    cp -R "$here/$input" "$work/$input"
  done
  echo "$work"
}
