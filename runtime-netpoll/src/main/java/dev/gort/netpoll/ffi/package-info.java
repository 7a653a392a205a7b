/**
 * JNR-FFI bindings (the only package that declares native calls): {@link dev.gort.netpoll.ffi.LibC},
 * the platform constants ({@link dev.gort.netpoll.ffi.Native}), errno to exception mapping
 * ({@link dev.gort.netpoll.ffi.Errno}), and the kernel structs with their C definitions and the
 * start-up check that the kernel agrees ({@link dev.gort.netpoll.ffi.Layouts},
 * {@link dev.gort.netpoll.ffi.SockAddr}; io_uring's are in {@code dev.gort.netpoll.uring}).
 * Internal to Gort.
 */
package dev.gort.netpoll.ffi;
