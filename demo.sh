#!/usr/bin/env bash
# Builds Gort and runs the demo: a short tour of goroutines.
#   ./demo.sh            # the tour
#   ./demo.sh <example>  # another example (./demo.sh help lists them)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
. scripts/jdk.sh
if [ ! -f examples/target/examples.jar ]; then
  # mvn -q prints nothing while it works: say what the first minute is spent on.
  echo "demo.sh: building Gort (the first build fetches its Maven dependencies: about a minute)" >&2
fi
mvn -q -B -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true -pl examples -am package
# -javaagent: the safepoint agent (examples.jar names it in its manifest), so that the tour's
# plain loops are preempted too.
exec "$JAVA_HOME/bin/java" "${GORT_JVM_FLAGS[@]}" -javaagent:examples/target/examples.jar -jar examples/target/examples.jar "${@:-tour}"
