/**
 * Gort's examples as a module, to run with the runtime on the module path:
 * <pre>
 * java --module-path runtime-core.jar:runtime-netpoll.jar:runtime-gc-assist.jar:&lt;their dependencies&gt;:examples-&lt;version&gt;.jar \
 *      --add-exports java.base/jdk.internal.vm=dev.gort.core --enable-native-access=dev.gort.netpoll \
 *      -m dev.gort.examples/dev.gort.examples.Main tour
 * </pre>
 * {@code examples.jar}, the shaded jar, leaves this descriptor out and runs on the class path.
 */
@SuppressWarnings("requires-automatic")
module dev.gort.examples {
    requires dev.gort.core;
    requires dev.gort.netpoll;
    requires dev.gort.gcassist;
    requires dev.gort.micrometer;
    // the HTTP example's /metrics; an automatic module (its name is in its manifest)
    requires micrometer.registry.prometheus;
    requires java.management;
}
