package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour of Go's {@code test/chan/powser1.go}: Doug McIlroy's power series, where a series
 * is a pipeline of goroutines and each coefficient is produced on demand: a consumer sends a
 * request on the series' {@code req} channel and receives the coefficient on its {@code dat}
 * channel. Series combine recursively (multiplication splits its inputs, the exponential feeds
 * its own output back into itself), so the test builds deep, dynamically growing graphs of
 * goroutines talking through unbuffered channels and two-way selects, and checks the exact
 * rational coefficients. Written here from the algorithm, not from Go's code.
 *
 * <p>Goroutines that still wait for demand when a check ends stay parked (the Go program exits
 * with them parked); they are unreachable and collected with their channels.
 */
class PowserTest {
    @AfterEach
    void schedulerAtRest() throws InterruptedException {
        GoTestSupport.assertSchedulerAtRest();
    }

    /** An exact rational, always reduced, denominator > 0; den == 0 marks the end of a series. */
    record Rat(long num, long den) {
        static final Rat ZERO = new Rat(0, 1), ONE = new Rat(1, 1), END = new Rat(1, 0);

        static Rat of(long num, long den) {
            if (den == 0) throw new ArithmeticException("zero denominator");
            long g = gcd(Math.abs(num), Math.abs(den));
            if (den < 0) g = -g;
            return new Rat(num / g, den / g);
        }

        static Rat of(long n) {
            return new Rat(n, 1);
        }

        private static long gcd(long a, long b) {
            while (b != 0) {
                long t = a % b;
                a = b;
                b = t;
            }
            return a == 0 ? 1 : a;
        }

        boolean isEnd() {
            return den == 0;
        }

        Rat plus(Rat o) {
            return of(Math.addExact(Math.multiplyExact(num, o.den), Math.multiplyExact(o.num, den)), Math.multiplyExact(den, o.den));
        }

        Rat times(Rat o) {
            return of(Math.multiplyExact(num, o.num), Math.multiplyExact(den, o.den));
        }

        Rat negate() {
            return new Rat(-num, den);
        }

        Rat inverse() {
            return of(den, num);
        }

        @Override
        public String toString() {
            return den == 1 ? Long.toString(num) : num + "/" + den;
        }
    }

    /** A power series: a demand channel (request, then the coefficient). */
    static final class PS {
        final Chan<Boolean> req = Chan.make();
        final Chan<Rat> dat = Chan.make();

        /** The next coefficient. */
        Rat get() throws InterruptedException {
            req.send(Boolean.TRUE);
            return dat.receive();
        }

        /** Waits for a request, then answers it with c. */
        void put(Rat c) throws InterruptedException {
            req.receive();
            dat.send(c);
        }

        /** Answers every further request with in's coefficients. */
        void copyFrom(PS in) throws InterruptedException {
            for (;;) {
                req.receive();
                dat.send(in.get());
            }
        }
    }

    interface Body {
        void run() throws InterruptedException;
    }

    private static void go(Body b) {
        Go.spawn(() -> {
            try {
                b.run();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
    }

    /** One coefficient from each of two series, requested and received in whatever order is ready. */
    static Rat[] get2(PS u, PS v) throws InterruptedException {
        Rat[] out = new Rat[2];
        PS[] in = {u, v};
        boolean[] asked = new boolean[2], got = new boolean[2];
        for (int step = 0; step < 4; step++) {
            Select s = new Select();
            for (int i = 0; i < 2; i++) {
                int k = i;
                if (!asked[k]) s.send(in[k].req, Boolean.TRUE, () -> asked[k] = true);
                else if (!got[k]) s.recv(in[k].dat, r -> {
                    out[k] = r;
                    got[k] = true;
                });
            }
            s.run();
        }
        return out;
    }

    /**
     * Two copies of a series that may be read at different rates: each coefficient is fetched
     * from u once, when either side first asks for it, and queued for the other side. The one
     * goroutine never blocks on a single channel: every step is a select over both sides'
     * requests, the answers it can give, and the fetch in flight, because the series may depend
     * on its own copies (exp and recip feed their output back in), so a side must be served
     * while a fetch waits. (McIlroy's split gets the same effect with a chain of goroutines.)
     */
    static PS[] split(PS u) {
        PS[] out = {new PS(), new PS()};
        go(() -> {
            @SuppressWarnings("unchecked")
            java.util.ArrayDeque<Rat>[] queued = new java.util.ArrayDeque[] {new java.util.ArrayDeque<Rat>(), new java.util.ArrayDeque<Rat>()};
            boolean[] asked = new boolean[2];
            int[] fetch = {0}; // 0: none, 1: request to send, 2: coefficient to receive
            boolean[] ended = new boolean[1];
            for (;;) {
                for (int k = 0; k < 2; k++) {
                    if (asked[k] && queued[k].isEmpty() && fetch[0] == 0) {
                        if (ended[0]) queued[k].add(Rat.END); else fetch[0] = 1;
                    }
                }
                Select s = new Select();
                for (int k = 0; k < 2; k++) {
                    int side = k;
                    if (!asked[side]) {
                        s.recv(out[side].req, x -> asked[side] = true);
                    } else if (!queued[side].isEmpty()) {
                        s.send(out[side].dat, queued[side].peek(), () -> {
                            queued[side].poll();
                            asked[side] = false;
                        });
                    }
                }
                if (fetch[0] == 1) s.send(u.req, Boolean.TRUE, () -> fetch[0] = 2);
                if (fetch[0] == 2) s.recv(u.dat, r -> {
                    queued[0].add(r);
                    queued[1].add(r);
                    if (r.isEnd()) ended[0] = true;
                    fetch[0] = 0;
                });
                s.run();
            }
        });
        return out;
    }

    static PS rep(Rat c) {
        PS z = new PS();
        go(() -> {
            for (;;) z.put(c);
        });
        return z;
    }

    static PS add(PS u, PS v) {
        PS z = new PS();
        go(() -> {
            for (;;) {
                z.req.receive();
                Rat[] uv = get2(u, v);
                if (uv[0].isEnd() && uv[1].isEnd()) {
                    z.dat.send(Rat.END);
                    return;
                } else if (uv[0].isEnd()) {
                    z.dat.send(uv[1]);
                    z.copyFrom(v);
                } else if (uv[1].isEnd()) {
                    z.dat.send(uv[0]);
                    z.copyFrom(u);
                } else {
                    z.dat.send(uv[0].plus(uv[1]));
                }
            }
        });
        return z;
    }

    static PS cmul(Rat c, PS u) {
        PS z = new PS();
        go(() -> {
            for (;;) {
                z.req.receive();
                Rat x = u.get();
                if (x.isEnd()) {
                    z.dat.send(Rat.END);
                    return;
                }
                z.dat.send(c.times(x));
            }
        });
        return z;
    }

    static PS sub(PS u, PS v) {
        return add(u, cmul(Rat.ONE.negate(), v));
    }

    /** c followed by u's coefficients: c + x*U. */
    static PS shift(Rat c, PS u) {
        PS z = new PS();
        go(() -> {
            z.put(c);
            z.copyFrom(u);
        });
        return z;
    }

    /** U*V = u*v + x*(u*VV + v*UU) + x^2*UU*VV, for U = u + x*UU and V = v + x*VV. */
    static PS mul(PS u, PS v) {
        PS z = new PS();
        go(() -> {
            z.req.receive();
            Rat[] uv = get2(u, v);
            if (uv[0].isEnd() || uv[1].isEnd()) {
                z.dat.send(Rat.END);
                return;
            }
            z.dat.send(uv[0].times(uv[1]));
            PS[] uu = split(u), vv = split(v);
            PS w = add(cmul(uv[0], vv[0]), cmul(uv[1], uu[0]));
            z.req.receive();
            z.dat.send(w.get());
            z.copyFrom(add(w, mul(uu[1], vv[1])));
        });
        return z;
    }

    static PS diff(PS u) {
        PS z = new PS();
        go(() -> {
            z.req.receive();
            Rat x = u.get(); // the constant term goes away
            if (!x.isEnd()) {
                for (int i = 1; ; i++) {
                    x = u.get();
                    if (x.isEnd()) break;
                    z.dat.send(Rat.of(i).times(x));
                    z.req.receive();
                }
            }
            z.dat.send(Rat.END);
        });
        return z;
    }

    /** The integral with constant of integration c. */
    static PS integ(Rat c, PS u) {
        PS z = new PS();
        go(() -> {
            z.put(c);
            for (int i = 1; ; i++) {
                z.req.receive();
                Rat x = u.get();
                if (x.isEnd()) {
                    z.dat.send(Rat.END);
                    return;
                }
                z.dat.send(Rat.of(1, i).times(x));
            }
        });
        return z;
    }

    /** exp(U) for U with constant term 0: Z' = Z * U', Z(0) = 1; Z feeds back into itself. */
    static PS exp(PS u) {
        PS fed = new PS();
        PS[] zz = split(integ(Rat.ONE, mul(fed, diff(u))));
        go(() -> fed.copyFrom(zz[0]));
        return zz[1];
    }

    /** U(c * x^n). */
    static PS monSubst(PS u, Rat c0, int n) {
        PS z = new PS();
        go(() -> {
            Rat c = Rat.ONE;
            for (;;) {
                z.req.receive();
                Rat x = u.get();
                if (x.isEnd()) {
                    z.dat.send(Rat.END);
                    return;
                }
                z.dat.send(x.times(c));
                c = c.times(c0);
                for (int i = 1; i < n; i++) {
                    z.req.receive();
                    z.dat.send(Rat.ZERO);
                }
            }
        });
        return z;
    }

    /** 1/U: Z = z + x*ZZ with z = 1/u and ZZ = -z*UU*Z (so Z feeds back into itself). */
    static PS recip(PS u) {
        PS z = new PS();
        go(() -> {
            z.req.receive();
            Rat first = u.get();
            Rat inv = first.inverse();
            z.dat.send(inv);
            PS fed = new PS();
            PS[] zz = split(mul(cmul(inv.negate(), u), shift(inv, fed)));
            go(() -> fed.copyFrom(zz[0]));
            z.copyFrom(zz[1]);
        });
        return z;
    }

    static void check(PS u, Rat[] want, String what) throws InterruptedException {
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], u.get(), what + ": coefficient " + i);
        }
    }

    static Rat[] each(int n, java.util.function.IntFunction<Rat> f) {
        Rat[] a = new Rat[n];
        for (int i = 0; i < n; i++) a[i] = f.apply(i);
        return a;
    }

    private static final int N = 10;

    /** Go's checks of powser1, in order. */
    static void checks() throws InterruptedException {
        PS ones = rep(Rat.ONE), twos = rep(Rat.of(2));
        check(ones, each(5, i -> Rat.ONE), "Ones");
        check(add(ones, twos), each(N, i -> Rat.of(3)), "Add Ones Twos");
        check(diff(rep(Rat.ONE)), each(N, i -> Rat.of(i + 1)), "Diff"); // 1 2 3 4 ...
        check(integ(Rat.ZERO, rep(Rat.ONE)), each(N, i -> i == 0 ? Rat.ZERO : Rat.of(1, i)), "Integ");
        check(cmul(Rat.ONE.negate(), rep(Rat.of(2))), each(N, i -> Rat.of(-2)), "Cmul");
        check(sub(rep(Rat.ONE), rep(Rat.of(2))), each(N, i -> Rat.of(-1)), "Sub");
        check(mul(rep(Rat.ONE), rep(Rat.ONE)), each(N, i -> Rat.of(i + 1)), "Mul"); // 1/(1-x)^2
        Rat[] e = {Rat.of(1), Rat.of(1), Rat.of(3, 2), Rat.of(13, 6), Rat.of(73, 24), Rat.of(167, 40),
            Rat.of(4051, 720), Rat.of(37633, 5040), Rat.of(43817, 4480), Rat.of(4596553, 362880)};
        check(exp(rep(Rat.ONE)), e, "Exp"); // exp(x/(1-x))
        // atan(x) = integral of 1/(1+x^2): 0 1 0 -1/3 0 1/5 ...
        check(integ(Rat.ZERO, monSubst(rep(Rat.ONE), Rat.ONE.negate(), 2)),
            each(N, i -> i % 2 == 0 ? Rat.ZERO : Rat.of((i / 2) % 2 == 0 ? 1 : -1, i)), "ATan");
        // powser2's reciprocal: 1/(1-x) has the series 1 -1 0 0 ...: 1/ones = 1 - x.
        check(recip(rep(Rat.ONE)), each(N, i -> i == 0 ? Rat.ONE : i == 1 ? Rat.of(-1) : Rat.ZERO), "Recip");
    }

    @Test
    void powserFromGoroutines() throws Exception {
        for (int procs : new int[] {1, 2}) {
            GoTestSupport.withMaxProcs(procs, () -> GoTestSupport.runMain(PowserTest::checks));
        }
    }

    /** The same pipelines driven from a platform thread (the goroutines answer its demands). */
    @Test
    void powserFromPlatformThread() throws InterruptedException {
        checks();
    }
}
