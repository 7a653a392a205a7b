package dev.gort.agent;

import dev.gort.Go;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.MethodTransform;
import java.lang.classfile.Opcode;
import java.lang.classfile.Instruction;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.ExceptionCatch;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LabelTarget;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.MonitorInstruction;
import java.lang.classfile.instruction.ReturnInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.lang.instrument.ClassFileTransformer;
import java.lang.reflect.AccessFlag;
import java.security.ProtectionDomain;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Inserts {@code invokestatic dev/gort/Go.safepoint()V} before every backward branch (a loop's
 * back-edge: a jump or switch to a label bound earlier in the method) and at the entry of every
 * method that calls anything (so that recursion without loops is preempted too; a method that
 * calls nothing cannot run long without a loop). Constructors and class initializers get no
 * entry poll (their loops are still polled; a class initializer cannot yield anyway, since the
 * VM calls it through a native frame, which pins the continuation). The call has no effect on
 * the operand stack, so every instruction around it stays valid; the stack maps are computed
 * again by the class-file API, resolving types through the defining loader's class files.
 * Calls of the JDK's sleeps are replaced by {@link Redirects}' (unless {@code sleep=false}), which
 * park a goroutine instead of blocking its carrier.
 * See {@link SafepointAgent} for what is instrumented and why.
 *
 * <p>Thread-safety: the JVM may call {@link #transform} from any thread at once; the per-loader
 * cache is synchronized, the counters are atomic, everything else is per call.
 */
final class SafepointTransformer implements ClassFileTransformer {
    private static final ClassDesc GO = ClassDesc.of("dev.gort.Go");
    private static final MethodTypeDesc VOID = MethodTypeDesc.of(ConstantDescs.CD_void);
    private static final ClassDesc REDIRECTS = ClassDesc.of("dev.gort.agent.Redirects");
    private static final MethodTypeDesc OBJECT_VOID = MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_Object);

    /**
     * Never instrumented: Gort's runtime (a preemption in the middle of a run-queue or channel
     * operation would leave it half done while other carriers wait for it) and the libraries it
     * runs on (JCTools' queues, Agrona, JNR and its helpers, HdrHistogram). {@code dev/gort/}
     * itself means only the classes directly in that package (the public API); examples and
     * benchmarks in sub-packages of their own are application code.
     */
    static final List<String> RUNTIME = List.of(
        "dev/gort/sched/", "dev/gort/internal/", "dev/gort/sync/", "dev/gort/time/", "dev/gort/agent/",
        "dev/gort/netpoll/", "dev/gort/gc/",
        "org/jctools/", "org/agrona/", "jnr/", "com/kenai/", "org/objectweb/asm/", "org/HdrHistogram/");

    private final List<String> exclude, only;
    private final boolean entryPolls, sleeps, verbose;
    private final AtomicLong instrumented = new AtomicLong(), failed = new AtomicLong();
    /** Per defining loader: whether it sees this runtime's dev.gort.Go (null: it does not). */
    private final Map<ClassLoader, ClassHierarchyResolver> loaders = new WeakHashMap<>();

    SafepointTransformer(List<String> exclude, List<String> only, boolean entryPolls, boolean sleeps, boolean verbose) {
        this.exclude = List.copyOf(exclude);
        this.only = List.copyOf(only);
        this.entryPolls = entryPolls;
        this.sleeps = sleeps;
        this.verbose = verbose;
    }

    long instrumented() {
        return instrumented.get();
    }

    long failed() {
        return failed.get();
    }

    /** Whether the class of this internal name ({@code a/b/C}) is one to instrument, by name. */
    boolean wanted(String name) {
        if (name == null) return false;
        if (name.startsWith("dev/gort/") && name.indexOf('/', "dev/gort/".length()) < 0) return false;
        for (String p : RUNTIME) if (name.startsWith(p)) return false;
        for (String p : exclude) if (name.startsWith(p)) return false;
        if (only.isEmpty()) return true;
        for (String p : only) if (name.startsWith(p)) return true;
        return false;
    }

    @Override
    public byte[] transform(Module module, ClassLoader loader, String className, Class<?> redefined,
                            ProtectionDomain pd, byte[] bytes) {
        if (redefined != null || loader == null || loader == ClassLoader.getPlatformClassLoader()) return null;
        if (!wanted(className)) return null;
        if (!module.canRead(Go.class.getModule())) return null; // a named module that cannot call Gort
        ClassHierarchyResolver resolver = resolverFor(loader);
        if (resolver == null) return null; // the loader does not see this Gort
        try {
            byte[] out = instrument(bytes, resolver, entryPolls, sleeps);
            if (out != null) instrumented.incrementAndGet();
            return out;
        } catch (Throwable t) {
            // Whatever went wrong (a type the stack maps need that no class file describes, a
            // malformed class), the class loads unchanged: a missed poll is a slower preemption,
            // an exception here would be a class that fails to load.
            failed.incrementAndGet();
            if (verbose) System.err.println("gort agent: left " + className.replace('/', '.') + " uninstrumented: " + t);
            return null;
        }
    }

    /** The resolver for classes of {@code loader}, or null if the loader does not see this {@code Go}. */
    private ClassHierarchyResolver resolverFor(ClassLoader loader) {
        synchronized (loaders) {
            if (loaders.containsKey(loader)) return loaders.get(loader);
        }
        ClassHierarchyResolver r = null;
        try {
            if (Class.forName("dev.gort.Go", false, loader) == Go.class) {
                r = ClassHierarchyResolver.ofResourceParsing(loader).orElse(ClassHierarchyResolver.defaultResolver()).cached();
            }
        } catch (ClassNotFoundException | LinkageError e) {
            r = null;
        }
        synchronized (loaders) {
            loaders.put(loader, r);
        }
        return r;
    }

    /**
     * The class with its polls, or null when it has no method to poll in (or is too old to carry
     * stack maps, class files before Java 6, which this agent leaves alone).
     */
    static byte[] instrument(byte[] bytes, ClassHierarchyResolver resolver, boolean entryPolls, boolean sleeps) {
        ClassModel cm = ClassFile.of().parse(bytes);
        if (cm.majorVersion() < ClassFile.JAVA_6_VERSION) return null;
        // The class being defined cannot be found through its loader yet when it was generated
        // (no class file resource): describe it from its own bytes first.
        ClassDesc self = cm.thisClass().asSymbol();
        boolean isInterface = cm.flags().has(AccessFlag.INTERFACE);
        ClassHierarchyResolver own = isInterface
            ? ClassHierarchyResolver.of(Set.of(self), Map.of())
            : ClassHierarchyResolver.of(Set.of(), Map.of(self, cm.superclass().map(c -> c.asSymbol()).orElse(ConstantDescs.CD_Object)));
        ClassFile cf = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(own.orElse(resolver)));
        boolean[] any = new boolean[1];
        ClassTransform ct = (clb, ce) -> {
            if (ce instanceof MethodModel mm && mm.code().isPresent()) {
                CodeModel code = mm.code().get();
                String name = mm.methodName().stringValue();
                boolean entry = entryPolls && !name.equals("<init>") && !name.equals("<clinit>") && callsAnything(code);
                boolean sync = mm.flags().has(AccessFlag.SYNCHRONIZED);
                Poller poller = new Poller(entry, sleeps, sync, targets(code));
                if (entry || hasBackEdge(code) || (sleeps && callsSleep(code)) || sync || hasMonitors(code) || callsJdkLock(code)) {
                    any[0] = true;
                    clb.transformMethod(mm, MethodTransform.transformingCode(poller));
                    return;
                }
            }
            clb.with(ce);
        };
        byte[] out = cf.transformClass(cm, ct);
        return any[0] ? out : null;
    }

    private static boolean callsAnything(CodeModel code) {
        for (CodeElement e : code) if (e instanceof InvokeInstruction) return true;
        return false;
    }

    /** The labels of the method that a jump, a switch or an exception handler goes to. */
    private static Set<Label> targets(CodeModel code) {
        Set<Label> out = new HashSet<>();
        for (CodeElement e : code) {
            switch (e) {
                case BranchInstruction br -> out.add(br.target());
                case TableSwitchInstruction ts -> {
                    out.add(ts.defaultTarget());
                    for (SwitchCase c : ts.cases()) out.add(c.target());
                }
                case LookupSwitchInstruction ls -> {
                    out.add(ls.defaultTarget());
                    for (SwitchCase c : ls.cases()) out.add(c.target());
                }
                default -> { }
            }
        }
        for (ExceptionCatch c : code.exceptionHandlers()) out.add(c.handler());
        return out;
    }

    private static boolean hasMonitors(CodeModel code) {
        for (CodeElement e : code) if (e instanceof MonitorInstruction) return true;
        return false;
    }

    private static boolean callsJdkLock(CodeModel code) {
        for (CodeElement e : code) if (e instanceof InvokeInstruction i && lockRedirect(i) != null) return true;
        return false;
    }

    /** The JDK's owner-tracking locks, whose calls the agent rewrites (see {@link #lockRedirect}). */
    private static final Set<String> JDK_LOCKS = Set.of(
        "java/util/concurrent/locks/Lock",
        "java/util/concurrent/locks/ReentrantLock",
        "java/util/concurrent/locks/ReentrantReadWriteLock$ReadLock",
        "java/util/concurrent/locks/ReentrantReadWriteLock$WriteLock");
    private static final ClassDesc CD_LOCK = ClassDesc.of("java.util.concurrent.locks.Lock");

    /**
     * The {@link Redirects} method type that replaces this call, if it locks or unlocks one of the
     * JDK's locks ({@code lock}, {@code lockInterruptibly}, {@code tryLock()},
     * {@code tryLock(long, TimeUnit)}, {@code unlock} on {@code Lock}, {@code ReentrantLock} or
     * a {@code ReentrantReadWriteLock}'s read or write lock): the same name, with the receiver
     * as a first {@code Lock} argument (the operand stack is the same). Those locks belong to the
     * thread that took them, the goroutine's carrier of the moment: a goroutine preempted at a
     * poll while it holds one would resume on another carrier (whose unlock throws), and let the
     * next goroutine on the old carrier take it again (reentrant): so the goroutine is pinned
     * while it holds one, as for a monitor.
     */
    static MethodTypeDesc lockRedirect(InvokeInstruction i) {
        if (!JDK_LOCKS.contains(i.owner().asInternalName())) return null;
        if (i.opcode() != Opcode.INVOKEINTERFACE && i.opcode() != Opcode.INVOKEVIRTUAL) return null;
        String name = i.name().stringValue(), type = i.type().stringValue();
        boolean known = switch (name) {
            case "lock", "lockInterruptibly", "unlock" -> type.equals("()V");
            case "tryLock" -> type.equals("()Z") || type.equals("(JLjava/util/concurrent/TimeUnit;)Z");
            default -> false;
        };
        if (!known) return null;
        MethodTypeDesc t = i.typeSymbol();
        return t.insertParameterTypes(0, CD_LOCK);
    }

    private static boolean callsSleep(CodeModel code) {
        for (CodeElement e : code) if (e instanceof InvokeInstruction i && sleepRedirect(i) != null) return true;
        return false;
    }

    /**
     * The {@link Redirects} method that replaces this call, if it is one of the JDK's sleeps:
     * {@code Thread.sleep(long)}, {@code (long, int)}, {@code (Duration)}, or
     * {@code TimeUnit.sleep(long)} (whose receiver becomes the first argument: the operand stack
     * is the same).
     */
    static MethodTypeDesc sleepRedirect(InvokeInstruction i) {
        if (!i.name().equalsString("sleep")) return null;
        String owner = i.owner().asInternalName(), type = i.type().stringValue();
        if (i.opcode() == Opcode.INVOKESTATIC && owner.equals("java/lang/Thread")
            && (type.equals("(J)V") || type.equals("(JI)V") || type.equals("(Ljava/time/Duration;)V"))) {
            return i.typeSymbol();
        }
        if (i.opcode() == Opcode.INVOKEVIRTUAL && owner.equals("java/util/concurrent/TimeUnit") && type.equals("(J)V")) {
            return MethodTypeDesc.of(ConstantDescs.CD_void, ClassDesc.of("java.util.concurrent.TimeUnit"), ConstantDescs.CD_long);
        }
        return null;
    }

    private static boolean hasBackEdge(CodeModel code) {
        Set<Label> bound = new HashSet<>();
        for (CodeElement e : code) {
            if (e instanceof LabelTarget t) bound.add(t.label());
            else if (isBackEdge(e, bound)) return true;
        }
        return false;
    }

    /** Whether {@code e} jumps (or may jump) to a label bound before it. */
    private static boolean isBackEdge(CodeElement e, Set<Label> bound) {
        return switch (e) {
            case BranchInstruction b -> bound.contains(b.target());
            case TableSwitchInstruction s -> bound.contains(s.defaultTarget()) || anyBound(s.cases(), bound);
            case LookupSwitchInstruction s -> bound.contains(s.defaultTarget()) || anyBound(s.cases(), bound);
            default -> false;
        };
    }

    private static boolean anyBound(List<SwitchCase> cases, Set<Label> bound) {
        for (SwitchCase c : cases) if (bound.contains(c.target())) return true;
        return false;
    }

    /**
     * One method's code: a poll at the start (if asked) and before each backward jump; the JDK's
     * sleeps replaced by {@link Redirects}' (if asked); the goroutine pinned while the method
     * holds a monitor (see {@link dev.gort.sched.Scheduler#monitorEnter}):
     * {@link Redirects#monitorEnter} before each {@code monitorenter} and
     * {@link Redirects#monitorExit} after each {@code monitorexit}, and for a {@code synchronized}
     * method, an enter at the start (before the entry poll) and an exit before each return and in
     * a catch-all handler around the whole code, which rethrows.
     *
     * <p>Where the calls go, and why there. Any call can throw StackOverflowError on the way in
     * (which changes nothing: see Scheduler.monitorEnter), and javac protects a synchronized
     * block with a handler whose range covers its own {@code monitorexit}. A call inside that
     * range would, at the bottom of an overflowing recursion, throw into the handler, which calls
     * it again, and again, for ever (seen under stress with the exit just before
     * {@code monitorexit}); after a {@code monitorexit} in the range, the handler would release
     * the released monitor. So the enter comes before {@code monitorenter} (javac's range starts
     * after it; a null object throws in the call, before the pin), and the exit after the
     * {@code monitorexit} and after the labels bound right behind it, which end javac's ranges
     * (unless a label is a jump or handler target: the exit then comes before it, so that no other
     * path runs it). Between {@code monitorexit} and the exit there is no poll. A
     * StackOverflowError in an exit leaves the goroutine pinned (slower: its parks block the
     * carrier), never unpinned while it holds a monitor. The synchronized method's handler does
     * not cover itself, for the same reason.
     */
    private static final class Poller implements CodeTransform {
        private final boolean entry, sleeps, sync;
        private final Set<Label> bound = new HashSet<>();
        /** Labels that code jumps to, or that handle exceptions: the exit never moves past one. */
        private final Set<Label> targets;
        private Label syncStart;
        /** A monitorexit was emitted; its exit call goes before the next instruction. */
        private boolean exitPending;

        Poller(boolean entry, boolean sleeps, boolean sync, Set<Label> targets) {
            this.entry = entry;
            this.sleeps = sleeps;
            this.sync = sync;
            this.targets = targets;
        }

        @Override
        public void atStart(CodeBuilder b) {
            if (sync) {
                b.invokestatic(REDIRECTS, "monitorEnter", VOID);
                syncStart = b.newBoundLabel();
            }
            if (entry) poll(b);
        }

        @Override
        public void atEnd(CodeBuilder b) {
            flushExit(b);
            if (sync) {
                // The exception leaves the method, and the VM releases its monitor: unpin first.
                Label end = b.newBoundLabel();
                Label handler = b.newBoundLabel();
                b.invokestatic(REDIRECTS, "monitorExit", VOID);
                b.athrow();
                b.exceptionCatchAll(syncStart, end, handler);
            }
        }

        private void flushExit(CodeBuilder b) {
            if (exitPending) {
                exitPending = false;
                b.invokestatic(REDIRECTS, "monitorExit", VOID);
            }
        }

        @Override
        public void accept(CodeBuilder b, CodeElement e) {
            if (exitPending && (e instanceof Instruction || (e instanceof LabelTarget t && targets.contains(t.label())))) {
                flushExit(b);
            }
            if (e instanceof LabelTarget t) {
                bound.add(t.label());
            } else if (isBackEdge(e, bound)) {
                poll(b);
            } else if (e instanceof MonitorInstruction m) {
                if (m.opcode() == Opcode.MONITORENTER) {
                    b.dup();
                    b.invokestatic(REDIRECTS, "monitorEnter", OBJECT_VOID);
                } else {
                    b.with(e);
                    exitPending = true;
                    return;
                }
            } else if (sync && e instanceof ReturnInstruction) {
                b.invokestatic(REDIRECTS, "monitorExit", VOID);
            } else if (e instanceof InvokeInstruction i) {
                MethodTypeDesc redirect = sleeps ? sleepRedirect(i) : null;
                if (redirect != null) {
                    b.invokestatic(REDIRECTS, "sleep", redirect);
                    return;
                }
                redirect = lockRedirect(i);
                if (redirect != null) {
                    b.invokestatic(REDIRECTS, i.name().stringValue(), redirect);
                    return;
                }
            }
            b.with(e);
        }

        private static void poll(CodeBuilder b) {
            b.invokestatic(GO, "safepoint", VOID);
        }
    }
}
