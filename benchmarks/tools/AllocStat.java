import com.sun.tools.attach.VirtualMachine;
import java.lang.management.ManagementFactory;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * benchmarks/http.sh's probe of a running JVM server: {@code java -cp <dir> AllocStat PID} prints
 * {@code ALLOC <bytes> GC <collections>}, the bytes its Java threads allocated since it started
 * (ThreadMXBean.getTotalThreadAllocatedBytes: carriers included, so virtual threads' and
 * goroutines' allocation too; GC threads excluded) and the collections of its stop-the-world
 * collectors (G1's young and full collections; "G1 Concurrent GC", which counts concurrent
 * marking cycles whose pauses are separate beans' business, is left out). Works on any HotSpot
 * JVM of the same user without changing it (the anchors' server too): it attaches, starts the
 * JVM's local management agent once (an idle JMX connector; later probes reuse it) and reads the
 * platform MXBeans. Reading them allocates a few KB in the server, against the hundreds of MB a
 * measured window sees.
 */
public final class AllocStat {
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: AllocStat PID");
            System.exit(2);
        }
        VirtualMachine vm = VirtualMachine.attach(args[0]);
        String address;
        try {
            address = vm.startLocalManagementAgent();
        } finally {
            vm.detach();
        }
        try (JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
            MBeanServerConnection s = c.getMBeanServerConnection();
            long alloc = (Long) s.getAttribute(new ObjectName(ManagementFactory.THREAD_MXBEAN_NAME), "TotalThreadAllocatedBytes");
            long gcs = 0;
            for (ObjectName n : s.queryNames(new ObjectName(ManagementFactory.GARBAGE_COLLECTOR_MXBEAN_DOMAIN_TYPE + ",*"), null)) {
                if (n.getKeyProperty("name").contains("Concurrent")) continue;
                gcs += (Long) s.getAttribute(n, "CollectionCount");
            }
            System.out.println("ALLOC " + alloc + " GC " + gcs);
        }
    }
}
