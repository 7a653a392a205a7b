/**
 * Testing concurrent code with virtual time: {@link dev.gort.test.GoTest} runs a body in a
 * bubble whose clock moves only when every goroutine in it is durably blocked (Go's
 * {@code testing/synctest}).
 */
package dev.gort.test;
