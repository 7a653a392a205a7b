# Sourced by the project's scripts: finds a JDK >= 25 and exports JAVA_HOME and PATH for it.
# Order: $JAVA_HOME if it is a JDK >= 25, else the newest JDK >= 25 under /usr/lib/jvm
# (then /usr/java, /opt). Fails with one line when there is none.
# GORT_RUNTIME_ONLY=1 (scripts that only run prebuilt jars, e.g. benchmarks/run.sh with NO_BUILD=1):
# a Java runtime is enough (a jlink image without javac) and Maven is not needed.

gort_jdk_major() { # java-home -> major version, or nothing
  local rel="$1/release" v
  [ -x "$1/bin/java" ] || return 0
  [ -n "${GORT_RUNTIME_ONLY:-}" ] || [ -x "$1/bin/javac" ] || return 0
  if [ -f "$rel" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel")
  fi
  if [ -z "${v:-}" ]; then
    v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
  fi
  echo "${v:-}"
}

gort_find_jdk() {
  local cand major best="" best_major=0
  if [ -n "${JAVA_HOME:-}" ]; then
    major=$(gort_jdk_major "$JAVA_HOME")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then echo "$JAVA_HOME"; return 0; fi
  fi
  for cand in /usr/lib/jvm/* /usr/java/* /opt/*jdk* /opt/java/*; do
    [ -d "$cand" ] || continue
    major=$(gort_jdk_major "$cand")
    if [ -n "$major" ] && [ "$major" -ge 25 ] && [ "$major" -gt "$best_major" ]; then
      best=$cand best_major=$major
    fi
  done
  [ -n "$best" ] && echo "$best"
}

GORT_JDK=$(gort_find_jdk)
if [ -z "$GORT_JDK" ]; then
  echo "gort: no JDK 25 or newer found (JAVA_HOME=${JAVA_HOME:-unset}, searched /usr/lib/jvm); install one, e.g. temurin-25-jdk, or point JAVA_HOME at it" >&2
  exit 1
fi
export JAVA_HOME="$GORT_JDK"
export PATH="$JAVA_HOME/bin:$PATH"
# The JVM flags Gort needs on the class path: the Continuation export (all of Gort), native
# access for runtime-netpoll's foreign calls, and Unsafe access for runtime-netpoll's libraries
# (JNR-FFI, Agrona), which JDK 25 warns about at the first socket without it; a program that uses
# runtime-core alone needs only the first (README, "JVM flags").
GORT_JVM_FLAGS=(--add-exports java.base/jdk.internal.vm=ALL-UNNAMED --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)
# Maven's own libraries call sun.misc.Unsafe too: keep JDK 25 from warning about it.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
if [ -z "${GORT_RUNTIME_ONLY:-}" ] && ! command -v mvn >/dev/null 2>&1; then
  echo "gort: Maven (mvn) not found; install it (apt-get install -y maven)" >&2
  exit 1
fi
