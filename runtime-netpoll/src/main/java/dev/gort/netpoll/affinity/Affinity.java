package dev.gort.netpoll.affinity;

import dev.gort.netpoll.ffi.Errno;
import dev.gort.netpoll.ffi.Native;
import dev.gort.netpoll.ffi.NativeMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * CPU affinity and cache topology (Linux). {@code -Dgort.affinity=true} pins carrier i to the
 * i-th online CPU (mod their number) with {@code sched_setaffinity}; the cache group of a CPU is
 * the lowest CPU sharing its last-level cache ({@code cpuN/cache/index*}'s highest level
 * {@code shared_cpu_list}), or, without cache information, its NUMA node's lowest CPU.
 *
 * <p>The mask is a {@code cpu_set_t}: 1024 bits (128 bytes), CPU n at bit n % 8 of byte n / 8.
 */
public final class Affinity {
    private Affinity() {}

    static final int CPU_SET_BYTES = 128;
    private static final Path SYS_CPU = Path.of("/sys/devices/system/cpu");

    /** Pins the calling thread to these CPUs. */
    public static void set(int... cpus) throws IOException {
        if (!Native.LINUX) throw new UnsupportedOperationException("gort: CPU affinity is Linux only");
        NativeMemory mask = new NativeMemory(CPU_SET_BYTES);
        mask.view.setMemory(0, CPU_SET_BYTES, (byte) 0);
        for (int c : cpus) {
            if (c < 0 || c >= CPU_SET_BYTES * 8) throw new IllegalArgumentException("cpu out of range: " + c);
            mask.view.putByte(c / 8, (byte) (mask.view.getByte(c / 8) | 1 << (c % 8)));
        }
        Errno.check("sched_setaffinity", Native.C.sched_setaffinity(0, CPU_SET_BYTES, mask.address));
    }

    /** The CPUs the calling thread may run on. */
    public static int[] get() throws IOException {
        if (!Native.LINUX) throw new UnsupportedOperationException("gort: CPU affinity is Linux only");
        NativeMemory mask = new NativeMemory(CPU_SET_BYTES);
        mask.view.setMemory(0, CPU_SET_BYTES, (byte) 0);
        Errno.check("sched_getaffinity", Native.C.sched_getaffinity(0, CPU_SET_BYTES, mask.address));
        List<Integer> out = new ArrayList<>();
        for (int c = 0; c < CPU_SET_BYTES * 8; c++) {
            if ((mask.view.getByte(c / 8) & 1 << (c % 8)) != 0) out.add(c);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The online CPUs ({@code /sys/devices/system/cpu/online}), or 0..availableProcessors-1. */
    public static int[] onlineCpus() {
        try {
            return parseList(Files.readString(SYS_CPU.resolve("online")).trim());
        } catch (IOException | RuntimeException e) {
            int n = Runtime.getRuntime().availableProcessors();
            int[] cpus = new int[n];
            for (int i = 0; i < n; i++) cpus[i] = i;
            return cpus;
        }
    }

    /** Parses a kernel CPU list such as "0-3,8,10-11". */
    public static int[] parseList(String s) {
        TreeSet<Integer> set = new TreeSet<>();
        if (!s.isBlank()) {
            for (String part : s.split(",")) {
                String[] r = part.trim().split("-");
                int lo = Integer.parseInt(r[0].trim());
                int hi = r.length > 1 ? Integer.parseInt(r[1].trim()) : lo;
                if (hi < lo) throw new IllegalArgumentException("bad cpu range: " + part);
                for (int c = lo; c <= hi; c++) set.add(c);
            }
        }
        return set.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The CPUs sharing cpu's last-level cache (highest cache level), or empty if unknown. */
    public static int[] llcSiblings(int cpu) {
        Path cache = SYS_CPU.resolve("cpu" + cpu).resolve("cache");
        int bestLevel = -1;
        int[] best = new int[0];
        for (int i = 0; i < 16; i++) {
            Path idx = cache.resolve("index" + i);
            if (!Files.isDirectory(idx)) continue;
            try {
                int level = Integer.parseInt(Files.readString(idx.resolve("level")).trim());
                if (level > bestLevel) {
                    bestLevel = level;
                    best = parseList(Files.readString(idx.resolve("shared_cpu_list")).trim());
                }
            } catch (IOException | RuntimeException e) {
                // unreadable entry: skip
            }
        }
        return best;
    }

    /** The CPUs of cpu's NUMA node, or empty if unknown. */
    public static int[] numaSiblings(int cpu) {
        try (var nodes = Files.list(Path.of("/sys/devices/system/node"))) {
            for (Path node : (Iterable<Path>) nodes.filter(p -> p.getFileName().toString().matches("node\\d+"))::iterator) {
                int[] cpus = parseList(Files.readString(node.resolve("cpulist")).trim());
                for (int c : cpus) if (c == cpu) return cpus;
            }
        } catch (IOException | RuntimeException e) {
            // no NUMA information
        }
        return new int[0];
    }

    /** cpu's cache group: the lowest CPU sharing its last-level cache, else its NUMA node's, else cpu. */
    public static int cacheGroup(int cpu) {
        int[] s = llcSiblings(cpu);
        if (s.length == 0) s = numaSiblings(cpu);
        return s.length == 0 ? cpu : s[0];
    }

    /** The CPU carrier i is pinned to: the i-th online CPU, mod their number. */
    public static int cpuForCarrier(int carrierId, int[] online) {
        return online[Math.floorMod(carrierId, online.length)];
    }
}
