package dev.gort;

import dev.gort.sched.G;
import dev.gort.sched.Scheduler;
import dev.gort.sched.SpinLock;
import dev.gort.sync.Semaphore;
import dev.gort.sync.WaitGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Goroutines run as one unit (Go's {@code errgroup}, structured concurrency): the first failure
 * cancels the rest, and no member outlives the group.
 *
 * <pre>{@code
 * try (Group g = Group.withContext(ctx)) {
 *     for (String url : urls) g.go(() -> fetch(g.context(), url));
 *     g.await();                  // throws the first failure, the others suppressed
 * }                               // close(): cancels and waits, also when the block throws
 * }</pre>
 *
 * <ul>
 *   <li>{@link #go} starts a member goroutine; with a {@link #setLimit limit}, {@code go} parks
 *       its caller while the group is full and {@link #tryGo} says false instead.</li>
 *   <li>A member's <b>failure</b> (an exception escaping its body, but see cancellation below)
 *       cancels the group: its {@link #context()} is cancelled and every other member is
 *       interrupted (so a member parked in a channel operation, a select, {@link Go#sleep}, a
 *       socket read of runtime-netpoll or any other interruptible wait ends with an
 *       {@link InterruptedException}). Members started after that start interrupted.</li>
 *   <li>The group's context is a child of the one given to {@link #withContext}: cancelling
 *       that one (its deadline, its {@code cancel()}, an enclosing group's failure) cancels the
 *       group the same way. A member that ends after the group was cancelled with an
 *       {@code InterruptedException} of its interrupt
 *       (or the {@link java.io.InterruptedIOException} of an interrupted socket wait), or by
 *       throwing {@code context().err()}, was <em>cut short</em>: that is its answer to the
 *       cancellation, not a failure.</li>
 *   <li>{@link #await()} waits until every member has ended, then throws the first failure
 *       (the later ones attached as {@linkplain Throwable#getSuppressed() suppressed}); with no
 *       failure but a member cut short, it throws the context's
 *       {@link Context#err() err()} ({@link Context#CANCELED} or
 *       {@link Context#DEADLINE_EXCEEDED}); otherwise it returns.</li>
 *   <li>{@link #close()} cancels the group and waits until every member has ended, so no
 *       member outlives its group, even when the owner's block throws.</li>
 *   <li>A member's failure also goes to the uncaught-exception handler
 *       ({@link Go#setUncaughtExceptionHandler}) as it happens, as any goroutine's does (the
 *       rule of {@link GoRunnable}): a failure is never lost, even when the owner never awaits.
 *       A member cut short by a cancellation is not a failure and is not reported.</li>
 * </ul>
 * The owner (who creates the group) may be a goroutine or a platform thread: its waits in
 * {@code go}, {@code await} and {@code close} park a goroutine (its carrier runs others) and a
 * platform thread. Groups nest: a member that owns a group of its own is cancelled with the
 * enclosing group through its context; {@link Go#dump()} shows each goroutine under its group
 * and each group under its owner, as a tree.
 *
 * <p>For maintainers: {@link #lock} guards the member list, {@code cancelled}, {@code closed},
 * the failures and the limit. A member is counted ({@link #running}) and linked under the lock,
 * after a check of {@code closed}, which close() sets under it: close() waits for every member
 * counted before, and none starts after. Members are linked before they are spawned and unlink
 * themselves as they end; a member's goroutine is stored under the lock after its spawn. The cancel action
 * (run once, by whoever cancels the context) sets {@code cancelled} and reads the members'
 * goroutines under the lock, and the spawner stores the goroutine and reads {@code cancelled}
 * under it: so either the cancel action interrupts the new member, or its spawner does, or
 * both (a second interrupt of a cancelled member is harmless). {@link #running} counts members
 * from before the spawn until their goroutine has ended: a member records its outcome under the
 * lock as its body ends; its carrier, once the goroutine is DEAD, gives its place back and counts
 * it out ({@link Node#exited}: {@code done()}, an atomic decrement); {@code await()} and
 * {@code close()} read the outcomes under the lock after they saw the count at zero, so they see
 * every outcome (the decrement and the waiter's read of the count are the happens-before edge),
 * and no member's goroutine is alive when they return.
 */
public final class Group implements AutoCloseable {
    private static final AtomicLong IDS = new AtomicLong();

    // immutable state
    private final Context.Cancellable context;
    private final Node node;
    private final WaitGroup running = new WaitGroup();

    // mutable state, guarded by lock
    private final SpinLock lock = new SpinLock();
    private Member members; // live members: a doubly linked list, newest first
    private boolean cancelled; // the context is cancelled: members are interrupted
    private boolean closed;
    private Semaphore limit; // null: no limit
    private final List<Member> failed = new ArrayList<>(); // in the order they failed
    private int reported; // failed[0..reported) were thrown by an await (the first, the others suppressed in it)
    private boolean cutShort;

    /** A group whose context is a child of {@link Context#background()}. */
    public Group() {
        this(Context.background());
    }

    private Group(Context parent) {
        this.context = Context.withCancel(parent);
        G owner = Scheduler.currentG();
        this.node = new Node(IDS.incrementAndGet(), owner, owner == null ? Thread.currentThread().getName() : null);
        context.afterCancel(this::onCancel); // after the fields above: it may run at once
    }

    /**
     * A group whose context is a child of {@code parent}: cancelling {@code parent} cancels the
     * group (its members are interrupted), and the group's cancellation never reaches
     * {@code parent}.
     */
    public static Group withContext(Context parent) {
        return new Group(Objects.requireNonNull(parent, "parent"));
    }

    /** The group's context: cancelled by the first failure, by {@link #close()}, or with its parent. */
    public Context context() {
        return context;
    }

    /**
     * Bounds how many members run at once ({@code n}), or removes the bound ({@code n < 0}).
     *
     * @throws IllegalArgumentException if {@code n} is 0 (no member could ever start)
     * @throws IllegalStateException if members are running, or the group is closed
     */
    public void setLimit(int n) {
        if (n == 0) throw new IllegalArgumentException("gort: a group's limit must be positive, or negative for none: 0");
        Semaphore s = n < 0 ? null : new Semaphore(n);
        lock.lock();
        try {
            if (closed) throw new IllegalStateException("gort: group " + node.id + " is closed");
            if (running.count() != 0) {
                throw new IllegalStateException("gort: setLimit while " + running.count() + " members of group " + node.id + " run");
            }
            limit = s;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Starts {@code body} as a member goroutine; parks the caller while the group is at its
     * limit. On a cancelled group the member starts interrupted.
     *
     * @throws InterruptedException if the caller is interrupted while it waits for room (then
     *         nothing starts)
     * @throws IllegalStateException if the group is closed
     */
    public void go(GoRunnable body) throws InterruptedException {
        Objects.requireNonNull(body, "body");
        Semaphore s = limitForStart();
        if (s != null) s.acquire();
        start(body, s);
    }

    /** {@link #go(GoRunnable)} for a {@code Runnable} variable or class. */
    public void go(Runnable task) throws InterruptedException {
        Objects.requireNonNull(task, "task");
        go((GoRunnable) task::run);
    }

    /**
     * Starts {@code body} as a member goroutine if the group is below its limit.
     *
     * @return false if the group is full (nothing started)
     * @throws IllegalStateException if the group is closed
     */
    public boolean tryGo(GoRunnable body) {
        Objects.requireNonNull(body, "body");
        Semaphore s = limitForStart();
        if (s != null && !s.tryAcquire(1)) return false;
        start(body, s);
        return true;
    }

    /** {@link #tryGo(GoRunnable)} for a {@code Runnable} variable or class. */
    public boolean tryGo(Runnable task) {
        Objects.requireNonNull(task, "task");
        return tryGo((GoRunnable) task::run);
    }

    /**
     * Waits until every member has ended; then throws the first failure, with the later ones
     * suppressed, or the context's error if a member was cut short by a cancellation (see the
     * class comment). A checked failure is thrown as it is; a {@code Throwable} that is neither
     * an {@code Exception} nor an {@code Error} is wrapped in a {@link CompletionException}.
     * May be called again (after more {@code go} calls, say): each call reports the failures
     * so far.
     *
     * @throws InterruptedException if the caller is interrupted while it waits (the members run
     *         on; {@link #close()} cancels them)
     * @throws IllegalStateException if called from a member of this group (it would wait for itself)
     */
    public void await() throws Exception {
        checkNotMember("await");
        running.await();
        Throwable first;
        boolean cut;
        lock.lock();
        try {
            first = failed.isEmpty() ? null : failed.get(0).failure;
            for (int i = Math.max(1, reported); i < failed.size(); i++) suppress(first, failed.get(i).failure);
            reported = failed.size();
            cut = cutShort;
        } finally {
            lock.unlock();
        }
        if (first instanceof Exception e) throw e;
        if (first instanceof Error e) throw e;
        if (first != null) throw new CompletionException(first);
        if (cut) throw context.err();
    }

    /**
     * Cancels the group and waits until every member has ended; idempotent. The wait is not
     * interruptible (the members were interrupted already, so it is short): an interrupt
     * meanwhile is kept (the caller's status is set again after).
     *
     * @throws IllegalStateException if called from a member of this group (it would wait for itself)
     */
    @Override
    public void close() {
        checkNotMember("close");
        lock.lock();
        closed = true;
        lock.unlock();
        context.cancel();
        boolean interrupted = false;
        for (;;) {
            try {
                running.await();
                break;
            } catch (InterruptedException e) { // status cleared: the next await parks
                interrupted = true;
            }
        }
        if (interrupted) {
            G self = Scheduler.currentG();
            if (self != null) self.interrupt(); else Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "group " + node.id + " of " + node.ownerText();
    }

    // ---- members

    /** A member: the body, its goroutine, its permit, its outcome, its links in the member list. */
    private final class Member implements GoRunnable {
        final GoRunnable body;
        final Semaphore permit; // the limit it holds a permit of, or null
        G goroutine; // set under the lock after the spawn
        Throwable failure; // set under the lock as it ends
        Member prev, next; // guarded by lock

        Member(GoRunnable body, Semaphore permit) {
            this.body = body;
            this.permit = permit;
        }

        Group group() {
            return Group.this;
        }

        /** The member goroutine's body: never throws, so its outcome goes to the group only. */
        @Override
        public void call() {
            Throwable t = null;
            try {
                body.call();
            } catch (Throwable e) {
                t = e;
            }
            ended(this, t);
        }
    }

    private IllegalStateException closedException() {
        return new IllegalStateException("gort: go on group " + node.id + ", which is closed");
    }

    /** await and close wait for every member: from a member they would wait for themselves. */
    private void checkNotMember(String what) {
        G self = Scheduler.currentG();
        if (self != null && self.scope() == node) {
            throw new IllegalStateException("gort: " + what + " of group " + node.id + " from one of its members would wait for itself");
        }
    }

    /** The limit to take a permit of (null: none), checking that the group is open. */
    private Semaphore limitForStart() {
        lock.lock();
        try {
            if (closed) throw closedException();
            return limit;
        } finally {
            lock.unlock();
        }
    }

    private void start(GoRunnable body, Semaphore permit) {
        Member m;
        try {
            m = new Member(body, permit);
        } catch (Throwable t) {
            if (permit != null) permit.release();
            throw t;
        }
        lock.lock();
        if (closed) { // closed while this caller waited for a place
            lock.unlock();
            if (permit != null) permit.release();
            throw closedException();
        }
        // Counted under the lock that close() sets closed under: a member counted before close()
        // is waited for by it, and none is started after.
        running.add(1);
        link(m);
        lock.unlock();
        G g;
        try {
            g = Scheduler.get().spawn(m, null, false, node);
        } catch (Throwable t) { // nothing started
            lock.lock();
            unlink(m);
            lock.unlock();
            if (permit != null) permit.release();
            running.done();
            throw t;
        }
        boolean interrupt;
        lock.lock();
        m.goroutine = g;
        interrupt = cancelled;
        lock.unlock();
        if (interrupt) g.interrupt(); // see the class comment: the cancel action may have missed it
    }

    /** A member's end, on its goroutine: records the outcome, cancels on a failure, frees its place. */
    private void ended(Member m, Throwable t) {
        G self = Scheduler.currentG();
        boolean fails = false;
        lock.lock();
        try {
            unlink(m);
            if (t != null) {
                CancellationException err = context.err();
                boolean interruptedOut = t instanceof InterruptedException
                    || t.getClass() == java.io.InterruptedIOException.class; // a socket wait's (runtime-netpoll)
                boolean answer = err != null && (t == err || (interruptedOut && self.wasInterrupted()));
                if (answer) {
                    cutShort = true;
                } else {
                    m.failure = t;
                    m.goroutine = self;
                    failed.add(m);
                    fails = true;
                }
            }
        } finally {
            lock.unlock();
        }
        if (fails) {
            context.cancel(); // interrupts the others (onCancel); Node.exited counts m out
            Scheduler.get().reportUncaught(self, t); // as any goroutine's failure (GoRunnable's rule)
        }
    }

    /** The context's cancel action: interrupts every member (runs once). */
    private void onCancel() {
        List<G> toInterrupt = new ArrayList<>();
        lock.lock();
        try {
            cancelled = true;
            for (Member m = members; m != null; m = m.next) {
                if (m.goroutine != null) toInterrupt.add(m.goroutine);
            }
        } finally {
            lock.unlock();
        }
        for (G g : toInterrupt) g.interrupt();
    }

    /** Adds s to first's suppressed, unless it is first itself or first is a shared constant. */
    private static void suppress(Throwable first, Throwable s) {
        if (s == first || first == Context.CANCELED || first == Context.DEADLINE_EXCEEDED) return;
        first.addSuppressed(s);
    }

    private void link(Member m) {
        m.next = members;
        if (members != null) members.prev = m;
        members = m;
    }

    private void unlink(Member m) {
        if (m.prev != null) m.prev.next = m.next; else if (members == m) members = m.next;
        if (m.next != null) m.next.prev = m.prev;
        m.prev = m.next = null;
    }

    /** The group as the dump sees it (see {@link G.Scope}). */
    private record Node(long id, G owner, String ownerThread) implements G.Scope {
        @Override
        public long scopeId() {
            return id;
        }

        @Override
        public G scopeOwner() {
            return owner;
        }

        @Override
        public String scopeOwnerThread() {
            return ownerThread;
        }

        /** A member's goroutine has ended (on its carrier): its place back, then counted out. */
        @Override
        public void exited(G g, Runnable task) {
            Member m = (Member) task;
            if (m.permit != null) m.permit.release();
            m.group().running.done();
        }

        String ownerText() {
            return owner != null ? "goroutine " + owner.id() : "thread \"" + ownerThread + "\"";
        }
    }
}
