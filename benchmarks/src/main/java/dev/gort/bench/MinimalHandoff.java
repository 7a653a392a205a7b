package dev.gort.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import jdk.internal.vm.Continuation;
import jdk.internal.vm.ContinuationScope;

/**
 * The least a correct channel hand-off between continuations does, measured in W5's and W2's
 * shapes ({@code floor-ring-chan}, {@code floor-switch-chan} in {@link Floor}): what separates
 * the bare switch of {@code floor-ring} from a goroutine runtime's hop, with nothing a runtime
 * adds beyond the hand-off itself.
 *
 * <p>Each member is a bare continuation that receives from its channel and sends the value,
 * decremented and boxed, to the next member's channel, as W5's members do. The steps are those
 * a runtime with several carriers cannot leave out, each with the atomic it needs there:
 * <ul>
 *   <li>a channel is guarded by a spin lock: a CAS to take it, a release store to give it back;</li>
 *   <li>a receiver that finds no sender links itself as the channel's waiter and yields; its
 *       carrier, once the continuation is unmounted, publishes it as WAITING and only then
 *       releases the channel's lock (the park's commit: nobody can resume a stack that is still
 *       being frozen);</li>
 *   <li>a sender that finds a waiter unlinks it, hands it the value, unlocks, and readies it:
 *       a CAS of its status from WAITING to RUNNABLE (a waker may race a cancel), then a release
 *       store into the processor's {@code runnext} slot;</li>
 *   <li>the carrier takes {@code runnext} with a CAS (a thief may take it too), marks the
 *       goroutine RUNNING (release store) and resumes it.</li>
 * </ul>
 * Orderings, each with its partner: a lock's release store pairs with the next CAS that takes it
 * (the value and the unlinking done under it are seen by the next holder); the commit's release
 * store of WAITING comes before its unlock, so a waker that takes the lock sees WAITING and its
 * status CAS cannot fail; the waker's release store into runnext pairs with the carrier's
 * volatile read and CAS of it (the handed value, written before, is seen by the resumed member).
 *
 * <p>Left out, because a hand-off needs none of them: interrupts, timers, preemption, statistics,
 * select, close, a dump, run queues other than runnext, more than one waiter per channel, any
 * failure handling. It runs on one platform thread; the atomics are paid as if others could
 * race. Not a runtime: a member that would block with nothing runnable ends the measurement.
 */
final class MinimalHandoff {
    private MinimalHandoff() {}

    private static final ContinuationScope SCOPE = new ContinuationScope("floor-chan");
    private static final int RUNNING = 0, WAITING = 1, RUNNABLE = 2;
    private static final VarHandle STATUS, LOCK, RUNNEXT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATUS = l.findVarHandle(Member.class, "status", int.class);
            LOCK = l.findVarHandle(Channel.class, "lock", int.class);
            RUNNEXT = l.findVarHandle(Carrier.class, "runnext", Member.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A member: its stack, its status, the value handed to it, the lock its park releases. */
    private static final class Member extends Continuation {
        volatile int status = RUNNABLE;
        Object item;
        Channel commit;

        Member(Runnable body) {
            super(SCOPE, body);
        }
    }

    /** An unbuffered channel with one waiting receiver or one waiting sender at most. */
    private static final class Channel {
        volatile int lock;
        Member receiver, sender;
        Object sent;

        void lock() {
            while (!LOCK.compareAndSet(this, 0, 1)) Thread.onSpinWait();
        }

        void unlock() {
            LOCK.setRelease(this, 0);
        }
    }

    /** The one carrier: the member mounted now and the slot of the member to run next. */
    private static final class Carrier {
        volatile Member runnext;
        Member current;

        void ready(Member m) {
            if (!STATUS.compareAndSet(m, WAITING, RUNNABLE)) throw new IllegalStateException("floor: ready of a member not waiting");
            RUNNEXT.setRelease(this, m); // empty here: only its owner fills it, and it just took the last one
        }

        /** Parks the current member: links nothing itself; the carrier commits after the unmount. */
        void park(Channel locked) {
            current.commit = locked;
            Continuation.yield(SCOPE);
        }

        void send(Channel ch, Object v) {
            ch.lock();
            Member r = ch.receiver;
            if (r != null) {
                ch.receiver = null;
                r.item = v;
                ch.unlock();
                ready(r);
                return;
            }
            Member me = current;
            ch.sender = me;
            ch.sent = v;
            park(ch); // the receiver takes the value and readies this member
        }

        Object receive(Channel ch) {
            ch.lock();
            Member s = ch.sender;
            if (s != null) {
                Object v = ch.sent;
                ch.sender = null;
                ch.sent = null;
                ch.unlock();
                ready(s);
                return v;
            }
            Member me = current;
            ch.receiver = me;
            park(ch);
            Object v = me.item;
            me.item = null;
            return v;
        }

        /** Runs members from runnext until none is runnable; returns how many resumptions. */
        long loop() {
            long n = 0;
            for (;;) {
                Member m = runnext;
                if (m == null || !RUNNEXT.compareAndSet(this, m, null)) return n;
                resume(m);
                n++;
            }
        }

        /** Mounts m until it yields; if it parked, publishes it as waiting, then lets wakers at it. */
        void resume(Member m) {
            STATUS.setRelease(m, RUNNING);
            current = m;
            m.run();
            current = null;
            Channel c = m.commit;
            if (c != null) {
                m.commit = null;
                STATUS.setRelease(m, WAITING);
                c.unlock();
            }
        }
    }

    /**
     * A ring of {@code k} members passing a token of {@code hops}: ns per hop. With k = 503 it is
     * W5; with k = 2 it is W2 (a round trip is two hops).
     */
    static double ring(int k, int hops) {
        Carrier carrier = new Carrier();
        Channel[] chs = new Channel[k];
        for (int i = 0; i < k; i++) chs[i] = new Channel();
        int[] last = {-1};
        Member[] ms = new Member[k];
        for (int i = 0; i < k; i++) {
            Channel in = chs[i], out = chs[(i + 1) % k];
            int me = i;
            ms[i] = new Member(() -> {
                for (;;) {
                    int v = (Integer) carrier.receive(in);
                    if (v == 0) {
                        last[0] = me;
                        carrier.receive(in); // parks with nothing runnable: the loop ends
                    }
                    carrier.send(out, v - 1);
                }
            });
        }
        for (Member m : ms) carrier.resume(m); // each parks in its first receive
        long t0 = System.nanoTime();
        carrier.send(chs[0], hops); // from the driver, outside any member: the receiver is parked
        long resumed = carrier.loop();
        long el = System.nanoTime() - t0;
        if (resumed != (long) hops + 1 || last[0] != hops % k) {
            throw new AssertionError("floor: " + resumed + " resumptions, token ended at member " + last[0] + "; expected " + (hops + 1) + " and " + hops % k);
        }
        return (double) el / hops;
    }
}
