/**
 * The safepoint agent ({@code -javaagent:runtime-core.jar}; examples.jar and benchmarks.jar name
 * it in their manifests too): preemption of goroutines that loop or recurse without calling the
 * runtime, which JDK virtual threads cannot do. See {@link dev.gort.agent.SafepointAgent} for
 * what it instruments and its options, and docs/DESIGN.md ("The safepoint agent") for the
 * choices and what they cost.
 */
package dev.gort.agent;
