package dev.gort.sched.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** The park event's {@code sampling} setting: "1/N" read as a mask, the most detailed of several recordings wins. */
class ParkSamplingTest {
    @Test
    void oneInNIsAMaskOfNMinusOneWithNRoundedUpToAPowerOfTwo() {
        assertEquals(0, ParkSampling.maskOf("1/1"));
        assertEquals(63, ParkSampling.maskOf("1/64"));
        assertEquals(127, ParkSampling.maskOf("1/100"));
        assertEquals(1023, ParkSampling.maskOf("1/5000"), "at most one in 1024");
    }

    @Test
    void aValueNotOfTheFormOneInNIsRejected() {
        for (String bad : new String[] {null, "", "64", "1/", "1/0", "1/-4", "2/64", "1/x", "every"}) {
            assertEquals(-1, ParkSampling.maskOf(bad), String.valueOf(bad));
        }
    }

    /** Sets the mask that every park reads: restored after, for the JFR tests that share this JVM. */
    @Test
    void aRejectedValueFallsBackToTheDefault() {
        int saved = Jfr.parkSampleMask;
        try {
            ParkSampling s = new ParkSampling();
            s.setValue("1/1");
            assertEquals(0, Jfr.parkSampleMask());
            s.setValue("nonsense");
            assertEquals("1/64", s.getValue());
            assertEquals(63, Jfr.parkSampleMask());
        } finally {
            Jfr.parkSampleMask = saved;
        }
    }

    @Test
    void theMostDetailedOfSeveralRecordingsWins() {
        ParkSampling s = new ParkSampling();
        assertEquals("1/1", s.combine(Set.of("1/64", "1/1", "1/16")));
        assertEquals("1/16", s.combine(Set.of("1/64", "nonsense", "1/16")));
        assertEquals("1/64", s.combine(Set.of()), "none given: the default");
    }
}
