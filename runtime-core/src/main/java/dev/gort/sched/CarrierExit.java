package dev.gort.sched;

/**
 * Ends a carrier's thread once the runtime has stopped: thrown by {@link Idle#takeHandedP} on a
 * wake-up that handed no P over, caught by {@link Schedule#carrierMain}, which returns. One
 * instance, without a stack trace: it is control flow, thrown only outside any goroutine.
 */
final class CarrierExit extends RuntimeException {
    static final CarrierExit INSTANCE = new CarrierExit();

    private CarrierExit() {
        super("gort: the runtime stopped", null, false, false);
    }
}
