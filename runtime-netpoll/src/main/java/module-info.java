/**
 * Gort's network poller: goroutine sockets ({@code dev.gort.netpoll}) that park in epoll,
 * io_uring or kqueue instead of blocking their carrier.
 *
 * <p>The scheduler finds the poller through {@code dev.gort.sched.NetpollDriver} (a service of
 * {@code dev.gort.core}, which exports {@code dev.gort.sched} to this module only). The drivers
 * stay inside the module; the native bindings ({@code dev.gort.netpoll.ffi}) are exported for
 * JNR-FFI's sake only.
 *
 * <p>JVM flags on the module path: {@code --enable-native-access=dev.gort.netpoll,org.jnrproject.jffi}
 * (the foreign function calls of {@code dev.gort.netpoll.ffi}, and jffi's loading of its JNI
 * stub); JNR-FFI and Agrona call {@code sun.misc.Unsafe}, so
 * {@code --sun-misc-unsafe-memory-access=allow} keeps JDK 25 from warning at the first socket.
 */
module dev.gort.netpoll {
    requires transitive dev.gort.core;
    requires org.jnrproject.ffi;
    requires org.agrona.core;
    // JNR-FFI and Agrona are automatic modules, which declare nothing: they call sun.misc.Unsafe,
    // so its module must be in the graph.
    requires jdk.unsupported;

    exports dev.gort.netpoll;
    // Not API: JNR-FFI implements the libc binding (ffi.LibC) with a class it generates into an
    // unnamed module of its own class loader, which only an unqualified export can reach.
    exports dev.gort.netpoll.ffi;

    provides dev.gort.sched.NetpollDriver with dev.gort.netpoll.NetpollService;
}
