package dev.gort.netpoll.uring;

/**
 * io_uring's ABI (include/uapi/linux/io_uring.h), as offsets. The kernel checks the params
 * struct's size; the SQE and CQE layouts are checked at start-up by {@link IoUringPoller#probe()}
 * (a multishot poll whose CQE must carry back our user data, a POLLIN result and IORING_CQE_F_MORE).
 *
 * <pre>
 * struct io_uring_params {              // 120 bytes
 *     __u32 sq_entries;                 // 0
 *     __u32 cq_entries;                 // 4
 *     __u32 flags;                      // 8
 *     __u32 sq_thread_cpu;              // 12
 *     __u32 sq_thread_idle;             // 16
 *     __u32 features;                   // 20
 *     __u32 wq_fd;                      // 24
 *     __u32 resv[3];                    // 28
 *     struct io_sqring_offsets sq_off;  // 40: head, tail, ring_mask, ring_entries, flags, dropped, array, resv1 (u32 each), user_addr (u64)
 *     struct io_cqring_offsets cq_off;  // 80: head, tail, ring_mask, ring_entries, overflow, cqes, flags, resv1 (u32 each), user_addr (u64)
 * };
 * struct io_uring_sqe {                 // 64 bytes
 *     __u8  opcode;                     // 0
 *     __u8  flags;                      // 1
 *     __u16 ioprio;                     // 2
 *     __s32 fd;                         // 4
 *     union { __u64 off; __u64 addr2; };            // 8
 *     union { __u64 addr; __u64 splice_off_in; };   // 16
 *     __u32 len;                        // 24
 *     union { __kernel_rwf_t rw_flags; __u32 poll32_events; __u32 msg_flags; ... };   // 28
 *     __u64 user_data;                  // 32
 *     union { __u16 buf_index; __u16 buf_group; };  // 40
 *     __u16 personality;                // 42
 *     union { __s32 splice_fd_in; __u32 file_index; };   // 44
 *     __u64 addr3; __u64 __pad2[1];     // 48, 56
 * };
 * struct io_uring_cqe {                 // 16 bytes
 *     __u64 user_data;                  // 0
 *     __s32 res;                        // 8
 *     __u32 flags;                      // 12
 * };
 * struct io_uring_getevents_arg { __u64 sigmask; __u32 sigmask_sz; __u32 pad; __u64 ts; };   // 24 bytes
 * struct __kernel_timespec { __s64 tv_sec; long long tv_nsec; };                              // 16 bytes
 * </pre>
 */
final class IoUringLayout {
    private IoUringLayout() {}

    static final int PARAMS_SIZE = 120;
    static final int P_SQ_ENTRIES = 0, P_CQ_ENTRIES = 4, P_FLAGS = 8, P_FEATURES = 20;
    static final int SQ_OFF = 40;
    static final int SQ_HEAD = SQ_OFF, SQ_TAIL = SQ_OFF + 4, SQ_RING_MASK = SQ_OFF + 8, SQ_RING_ENTRIES = SQ_OFF + 12,
        SQ_ARRAY = SQ_OFF + 24;
    static final int CQ_OFF = 80;
    static final int CQ_HEAD = CQ_OFF, CQ_TAIL = CQ_OFF + 4, CQ_RING_MASK = CQ_OFF + 8, CQ_RING_ENTRIES = CQ_OFF + 12,
        CQ_CQES = CQ_OFF + 20;

    static final int SQE_SIZE = 64;
    static final int SQE_OPCODE = 0, SQE_FLAGS = 1, SQE_IOPRIO = 2, SQE_FD = 4, SQE_OFF = 8, SQE_ADDR = 16, SQE_LEN = 24,
        SQE_OP_FLAGS = 28, SQE_USER_DATA = 32, SQE_BUF_GROUP = 40;
    static final int CQE_SIZE = 16;
    static final int CQE_USER_DATA = 0, CQE_RES = 8, CQE_FLAGS = 12;
    static final int GETEVENTS_ARG_SIZE = 24, GETEVENTS_ARG_TS = 16, TIMESPEC_SIZE = 16;

    // mmap offsets
    static final long OFF_SQ_RING = 0L, OFF_CQ_RING = 0x8000000L, OFF_SQES = 0x10000000L;
    // setup flags
    static final int SETUP_CQSIZE = 1 << 3, SETUP_CLAMP = 1 << 4, SETUP_SINGLE_ISSUER = 1 << 12, SETUP_DEFER_TASKRUN = 1 << 13;
    // features
    static final int FEAT_SINGLE_MMAP = 1, FEAT_NODROP = 1 << 1, FEAT_EXT_ARG = 1 << 8;
    // enter flags
    static final int ENTER_GETEVENTS = 1, ENTER_EXT_ARG = 1 << 3;
    // opcodes
    static final int OP_NOP = 0, OP_POLL_ADD = 6, OP_POLL_REMOVE = 7, OP_ASYNC_CANCEL = 14, OP_RECV = 27;
    // SQE flags (sqe->flags): the kernel picks the buffer from sqe->buf_group
    static final int SQE_F_BUFFER_SELECT = 1 << 5;
    // RECV ioprio flags: one SQE, a CQE per arriving chunk of data until it fails or is cancelled
    static final int RECV_MULTISHOT = 1 << 1;
    // io_uring_register opcodes
    static final int REGISTER_PBUF_RING = 22, UNREGISTER_PBUF_RING = 23;
    /**
     * struct io_uring_buf_reg { __u64 ring_addr; __u32 ring_entries; __u16 bgid; __u16 flags; __u64 resv[3]; };
     * struct io_uring_buf { __u64 addr; __u32 len; __u16 bid; __u16 resv; }: the ring's entries; the
     * ring's tail (__u16) overlays the first entry's resv, at byte 14.
     */
    static final int BUF_REG_SIZE = 40, BUF_REG_RING_ADDR = 0, BUF_REG_RING_ENTRIES = 8, BUF_REG_BGID = 12;
    static final int BUF_SIZE = 16, BUF_ADDR = 0, BUF_LEN = 8, BUF_BID = 12, BUF_RING_TAIL = 14;
    // POLL_ADD len flags
    static final int POLL_ADD_MULTI = 1;
    // CQE flags
    static final int CQE_F_BUFFER = 1, CQE_F_MORE = 1 << 1, CQE_BUFFER_SHIFT = 16;
}
