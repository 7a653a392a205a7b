package dev.gort.sched;

/** Why a goroutine waits: shown by {@code Go.dump()} (Go's {@code waitReason}). */
public enum WaitReason {
    NONE(""),
    JOIN("join"),
    CHAN_RECEIVE("chan receive"),
    CHAN_SEND("chan send"),
    CHAN_RECEIVE_NIL("chan receive (nil chan)"),
    SELECT("select"),
    SELECT_NO_CASES("select (no cases)"),
    SLEEP("sleep"),
    WAIT_GROUP("sync.WaitGroup.Wait"),
    MUTEX("sync.Mutex.Lock"),
    RW_MUTEX_READ("sync.RWMutex.RLock"),
    RW_MUTEX_WRITE("sync.RWMutex.Lock"),
    COND("sync.Cond.Wait"),
    SEMAPHORE("semacquire"),
    FUTURE("future get"),
    EXECUTOR_TERMINATION("executor awaitTermination"),
    IO_WAIT("IO wait"),
    TIMER("timer"),
    /** In {@code GoTest.waitIdle()}, until the rest of its bubble is durably blocked. */
    BUBBLE_WAIT("GoTest.waitIdle");

    /** By ordinal: {@code G} keeps a waiting goroutine's reason as its ordinal (see G.waitReason). */
    static final WaitReason[] BY_ORDINAL = values();

    private final String text;

    WaitReason(String text) {
        this.text = text;
    }

    @Override
    public String toString() {
        return text;
    }
}
