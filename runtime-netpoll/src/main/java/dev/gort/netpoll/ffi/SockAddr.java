package dev.gort.netpoll.ffi;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Encodes and decodes socket addresses as the kernel lays them out.
 *
 * <pre>
 * struct sockaddr_in {            // 16 bytes
 *     sa_family_t    sin_family;  // Linux: u16 at 0. BSD/macOS: u8 sin_len at 0, u8 family at 1
 *     in_port_t      sin_port;    // u16 at 2, network byte order
 *     struct in_addr sin_addr;    // u32 at 4, network byte order
 *     unsigned char  sin_zero[8]; // at 8
 * };
 * struct sockaddr_in6 {           // 28 bytes
 *     sa_family_t     sin6_family;   // as above
 *     in_port_t       sin6_port;     // u16 at 2, network byte order
 *     uint32_t        sin6_flowinfo; // at 4
 *     struct in6_addr sin6_addr;     // 16 bytes at 8
 *     uint32_t        sin6_scope_id; // at 24
 * };
 * </pre>
 * The sizes are checked against the kernel at start-up ({@link Layouts#check()}: the length
 * getsockname returns).
 */
public final class SockAddr {
    private SockAddr() {}

    public static final int SIZEOF_SOCKADDR_IN = 16;
    public static final int SIZEOF_SOCKADDR_IN6 = 28;
    /** Room for either (struct sockaddr_storage is larger; we only use these two). */
    public static final int MAX = 28;

    /** Encodes addr into a new array; returns it (its length is the sockaddr length). */
    public static byte[] encode(InetSocketAddress addr) {
        InetAddress ip = addr.getAddress();
        if (ip == null) throw new IllegalArgumentException("unresolved address: " + addr);
        int port = addr.getPort();
        if (ip instanceof Inet4Address) {
            byte[] b = new byte[SIZEOF_SOCKADDR_IN];
            family(b, Native.AF_INET, SIZEOF_SOCKADDR_IN);
            b[2] = (byte) (port >>> 8);
            b[3] = (byte) port;
            System.arraycopy(ip.getAddress(), 0, b, 4, 4);
            return b;
        }
        Inet6Address ip6 = (Inet6Address) ip;
        byte[] b = new byte[SIZEOF_SOCKADDR_IN6];
        family(b, Native.AF_INET6, SIZEOF_SOCKADDR_IN6);
        b[2] = (byte) (port >>> 8);
        b[3] = (byte) port;
        System.arraycopy(ip6.getAddress(), 0, b, 8, 16);
        int scope = ip6.getScopeId();
        b[24] = (byte) scope;
        b[25] = (byte) (scope >>> 8);
        b[26] = (byte) (scope >>> 16);
        b[27] = (byte) (scope >>> 24);
        return b;
    }

    private static void family(byte[] b, int family, int len) {
        if (Native.BSD) {
            b[0] = (byte) len;
            b[1] = (byte) family;
        } else {
            b[0] = (byte) family; // little-endian u16 (x86_64, aarch64)
            b[1] = (byte) (family >>> 8);
        }
    }

    /** The address family stored in b. */
    public static int familyOf(byte[] b) {
        return Native.BSD ? b[1] & 0xff : (b[0] & 0xff) | (b[1] & 0xff) << 8;
    }

    public static InetSocketAddress decode(byte[] b, int len) {
        int family = familyOf(b);
        int port = (b[2] & 0xff) << 8 | (b[3] & 0xff);
        try {
            if (family == Native.AF_INET && len >= SIZEOF_SOCKADDR_IN) {
                return new InetSocketAddress(InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, 4, 8)), port);
            }
            if (family == Native.AF_INET6 && len >= SIZEOF_SOCKADDR_IN6) {
                int scope = (b[24] & 0xff) | (b[25] & 0xff) << 8 | (b[26] & 0xff) << 16 | (b[27] & 0xff) << 24;
                byte[] a = java.util.Arrays.copyOfRange(b, 8, 24);
                return new InetSocketAddress(scope != 0 ? Inet6Address.getByAddress(null, a, scope) : InetAddress.getByAddress(a), port);
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // only thrown for a wrong length
        }
        throw new IllegalArgumentException("unknown address family " + family + " (length " + len + ")");
    }
}
